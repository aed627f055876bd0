//! `GET /metrics`: the hub's metrics in the OpenMetrics text format, for Prometheus. The state
//! gauges are gathered at each scrape from the database, the node and the treasury. Scraping
//! needs the operator token unless `--metrics-open`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::admin::carries_token;
use super::AppState;
use crate::http::HubError;
use crate::metrics::{HubMetrics, StateReport};
use crate::money::{Msat, Sat};
use crate::node::payment_listing;
use crate::notify::outbox;

/// The metrics and who may scrape them.
#[derive(Clone)]
pub struct MetricsEndpoint {
    /// The metrics.
    pub metrics: Arc<HubMetrics>,
    /// Whether anyone may scrape (else the operator token is needed).
    pub open: bool,
}

const CONTENT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`.
pub async fn serve(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, HubError> {
    if !state.metrics.open && !carries_token(&headers, &state.operator) {
        return Err(HubError::Unauthorized(
            "the operator token is required (Authorization: Bearer ...), or start with --metrics-open".into(),
        ));
    }
    let report = gather(&state).await?;
    state.metrics.metrics.set_state(&report);
    let text = state
        .metrics
        .metrics
        .encode()
        .map_err(|e| HubError::Internal(format!("encoding metrics: {e}")))?;
    Ok(([(CONTENT_TYPE, CONTENT)], text).into_response())
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The hub's state now.
pub(crate) async fn gather(state: &AppState) -> Result<StateReport, sqlx::Error> {
    let hub = &state.hub;
    let mut report = StateReport::default();
    let services = [
        ("merchant", state.merchant.payment_outcomes().await?),
        ("gifts", state.gifts.payment_outcomes().await?),
        ("lsp", state.lsp.order_outcomes().await?),
        (
            "node",
            payment_listing::outcomes(&hub.store, hub.node.label()).await?,
        ),
    ];
    for (service, outcomes) in services {
        for (outcome, n) in outcomes {
            report.payments.push((service, outcome, n));
        }
    }
    let outbox = outbox::health(&hub.store, hub.clock.now_unix()).await?;
    report.outbox = vec![
        ("pending", outbox.pending),
        ("failed", outbox.failed),
        ("oldest_pending_age_seconds", outbox.oldest_pending_age_secs),
    ];
    let channels = hub.node.channels();
    let outbound: u64 = channels.iter().map(|c| c.outbound.0).sum();
    let inbound: u64 = channels.iter().map(|c| c.inbound.0).sum();
    let synced = hub.node.synced_height();
    let tip = state.readiness.chain_tip.height().await.unwrap_or(synced);
    report.node = vec![
        ("channels", count(channels.len() as u64)),
        (
            "usable_channels",
            count(channels.iter().filter(|c| c.usable).count() as u64),
        ),
        ("outbound_msat", count(outbound)),
        ("inbound_msat", count(inbound)),
        ("onchain_sat", count(hub.node.onchain_balance().total.0)),
        ("synced_height", i64::from(synced)),
        ("sync_lag_blocks", i64::from(tip.saturating_sub(synced))),
    ];
    let accounts = crate::ledger::balances(&hub.store).await?;
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    let merchant = state.merchant.books().await?;
    let (owed, unredeemed) = state.gifts.audit().await?;
    report.books = vec![
        ("ledger_balanced", i64::from(total == 0)),
        ("merchant_books", i64::from(merchant.columns_match_ledger)),
        ("gift_audit", i64::from(owed == unredeemed)),
    ];
    if let Some(treasury) = &hub.treasury {
        let balance = treasury.balance().await;
        report.treasury_sat = count(balance.confirmed.0);
        let booked =
            crate::ledger::account_balance(&hub.store, crate::ledger::ASSETS_TREASURY).await?;
        let held = balance
            .confirmed
            .0
            .checked_add(balance.own_pending.0)
            .and_then(|sat| Sat(sat).to_msat())
            .and_then(Msat::to_db);
        report
            .books
            .push(("treasury", i64::from(held == Some(booked))));
    }
    Ok(report)
}
