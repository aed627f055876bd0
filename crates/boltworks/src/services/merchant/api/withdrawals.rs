//! Replies about balances and withdrawals: amounts as strings, a withdrawal's times as
//! ISO-8601 with milliseconds.

use serde::Serialize;

use crate::services::merchant::store::{Withdrawal, WithdrawalStatus};

/// A balance in whole sats (`GET /merchant/balance`, `GET /merchant/balance/locked`).
#[derive(Debug, Clone, Serialize)]
pub struct Balance {
    /// Whole sats.
    pub balance: String,
}

/// `POST /api/v2/merchant/withdraw`: queued for the next batch.
#[derive(Debug, Clone, Serialize)]
pub struct WithdrawalQueued {
    /// The withdrawal.
    pub id: String,
    /// Empty until its batch is sent.
    pub tx: String,
    /// Sats.
    pub amount: String,
}

impl From<&Withdrawal> for WithdrawalQueued {
    fn from(withdrawal: &Withdrawal) -> Self {
        Self {
            id: withdrawal.withdrawal_id.clone(),
            tx: String::new(),
            amount: withdrawal.amount_sat.0.to_string(),
        }
    }
}

/// `GET /api/v2/merchant/withdraw/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct WithdrawalView {
    /// The withdrawal.
    pub id: String,
    /// Whose.
    pub merchant_id: String,
    /// Sats.
    pub sent_amount: String,
    /// The batch transaction, or empty.
    pub sent_tx: String,
    /// Destination.
    pub btc_address: String,
    /// Where it stands.
    pub status: WithdrawalStatus,
    /// When sent, or empty.
    pub withdrawn_at: String,
    /// When asked.
    pub created_at: String,
}

impl From<Withdrawal> for WithdrawalView {
    fn from(w: Withdrawal) -> Self {
        Self {
            id: w.withdrawal_id,
            merchant_id: w.merchant_id,
            sent_amount: w.amount_sat.0.to_string(),
            sent_tx: w.txid.unwrap_or_default(),
            btc_address: w.btc_address,
            status: w.status,
            withdrawn_at: w.withdrawn_at_ms.map(iso_time).unwrap_or_default(),
            created_at: iso_time(w.created_at_ms),
        }
    }
}

/// Unix milliseconds as `2019-09-20T08:22:35.661Z`.
pub fn iso_time(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1_000);
    let millis = unix_ms.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601_with_milliseconds() {
        assert_eq!(iso_time(1_568_967_755_661), "2019-09-20T08:22:35.661Z");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    }
}
