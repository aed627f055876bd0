//! What the operator reads about a node's payments, from the hub's own `node_payments` rows:
//! the newest ones filtered by direction and status, and counts by `direction:status` for
//! metrics.

use super::{PaymentDirection, PaymentStatus};
use crate::money::Msat;
use crate::store::Store;

/// The payments of `node` by `direction:status` (for metrics).
pub async fn outcomes(store: &Store, node: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT direction || ':' || status, COUNT(*) FROM node_payments
         WHERE node = $1 GROUP BY direction, status",
    )
    .bind(node)
    .fetch_all(store.pool())
    .await
}

/// A payment of a node, as listed for the operator.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct ListedPayment {
    /// Its payment hash (hex).
    pub payment_hash: String,
    /// Which way it goes.
    pub direction: PaymentDirection,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Its amount.
    pub amount_msat: Option<Msat>,
    /// The routing fee paid (outbound).
    pub fee_paid_msat: Option<Msat>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// When it was recorded (unix seconds).
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

/// The newest `limit` payments of `node`, of `direction` and `status` when given.
pub async fn list(
    store: &Store,
    node: &str,
    direction: Option<PaymentDirection>,
    status: Option<PaymentStatus>,
    limit: u32,
) -> Result<Vec<ListedPayment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payment_hash, direction, status, amount_msat, fee_paid_msat, failure_reason,
                created_at, updated_at
         FROM node_payments
         WHERE node = $1 AND direction = COALESCE($2, direction) AND status = COALESCE($3, status)
         ORDER BY updated_at DESC, payment_hash LIMIT $4",
    )
    .bind(node)
    .bind(direction.map(|d| d.as_str()))
    .bind(status.map(|s| s.as_str()))
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await
}
