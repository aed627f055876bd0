//! Replies about balances and withdrawals: amounts as strings, a withdrawal's times as
//! ISO-8601 with milliseconds.

use serde::Serialize;

use crate::clock::iso_time;
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
