//! The overview's chart: money received and paid over Lightning per service, day by day for the
//! last two weeks, from the ledger (`assets:lightning`, grouped by the posting's kind), drawn as
//! bars by the template (server-rendered SVG).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::store::Store;

/// Days the chart shows.
const DAYS: i64 = 14;
/// The tallest bar, in SVG units.
const BAR_HEIGHT: i64 = 40;

/// One day's bars.
#[derive(Debug, Serialize)]
pub struct DayBars {
    /// Position in the chart.
    pub x: i64,
    /// Received, sat.
    pub received_sat: i64,
    /// Paid, sat.
    pub paid_sat: i64,
    /// Bar heights.
    pub received_h: i64,
    /// Bar heights.
    pub paid_h: i64,
}

/// One service's row of the chart.
#[derive(Debug, Serialize)]
pub struct ServiceFlows {
    /// The service (the posting kind's first word).
    pub service: String,
    /// Received over the two weeks, sat.
    pub received_sat: i64,
    /// Paid over the two weeks, sat.
    pub paid_sat: i64,
    /// Day by day, oldest first.
    pub days: Vec<DayBars>,
}

fn service_of(kind: &str) -> String {
    kind.split(['.', '-', '_'])
        .next()
        .unwrap_or(kind)
        .to_string()
}

/// The chart's rows as of `now`.
pub async fn flows(store: &Store, now: i64) -> Result<Vec<ServiceFlows>, sqlx::Error> {
    let today = now.div_euclid(86_400);
    let first = today - (DAYS - 1);
    let rows = crate::ledger::lightning_flows(store, first * 86_400).await?;
    let mut by_service: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for (kind, day, received, paid) in rows {
        let Ok(index) = usize::try_from(day - first) else {
            continue;
        };
        let days = by_service
            .entry(service_of(&kind))
            .or_insert_with(|| vec![(0, 0); DAYS as usize]);
        if let Some(slot) = days.get_mut(index) {
            slot.0 += received / 1000;
            slot.1 += paid / 1000;
        }
    }
    let tallest = by_service
        .values()
        .flatten()
        .map(|(r, p)| (*r).max(*p))
        .max()
        .unwrap_or(0)
        .max(1);
    Ok(by_service
        .into_iter()
        .map(|(service, days)| ServiceFlows {
            service,
            received_sat: days.iter().map(|d| d.0).sum(),
            paid_sat: days.iter().map(|d| d.1).sum(),
            days: days
                .iter()
                .zip(0..)
                .map(|(&(received, paid), i)| DayBars {
                    x: i * 20,
                    received_sat: received,
                    paid_sat: paid,
                    received_h: received * BAR_HEIGHT / tallest,
                    paid_h: paid * BAR_HEIGHT / tallest,
                })
                .collect(),
        })
        .collect())
}
