//! Refunds of money the hub holds for an order: claimed (`in_flight`) before anything is sent,
//! then `paid_out`, or given back when nothing was sent.

use sqlx::AnyConnection;

use super::orders::{orders_where, Order, COLUMNS};
use crate::money::Sat;
use crate::store::Store;

/// A refund to claim.
#[derive(Debug, Clone, Copy)]
pub struct RefundClaim<'a> {
    /// Where it goes: an address, or a Lightning invoice.
    pub to: &'a str,
    /// The invoice's payment hash, for a refund by Lightning.
    pub payment_hash: Option<&'a str>,
    /// How much it pays.
    pub amount: Sat,
}

/// Claims `claim`: `in_flight`, committed before anything is sent. Only while no other refund
/// is in flight and the order's ledger liability (`liability`) still holds the amount, so of any
/// number of racing requests one claims it, and money that arrives after a refund can be claimed
/// again. The claim's number (for its idempotency key), when this call claimed it.
pub async fn claim_refund(
    conn: &mut AnyConnection,
    id: &str,
    liability: &str,
    claim: RefundClaim<'_>,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE lsp_orders SET refund_state = 'in_flight', refund_to = $1, refund_amount_sat = $2,
            updated_at = $3, refund_payment_hash = $5, refund_count = refund_count + 1
         WHERE id = $4 AND (refund_state IS NULL OR refund_state = 'paid_out')
            AND (SELECT COALESCE(-SUM(amount_msat), 0) FROM ledger_entries WHERE account = $6)
                >= $2 * 1000
         RETURNING refund_count",
    )
    .bind(claim.to)
    .bind(claim.amount)
    .bind(now)
    .bind(id)
    .bind(claim.payment_hash)
    .bind(liability)
    .fetch_optional(conn)
    .await
}

/// The refund was sent, by transaction (or Lightning payment hash) `sent_by`, paying `paid`
/// (for an on-chain refund, the refund less its network fee): `paid_out`.
pub async fn record_refund_sent(
    conn: &mut AnyConnection,
    id: &str,
    sent_by: &str,
    paid: Sat,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE lsp_orders SET refund_state = 'paid_out', refund_txid = $1, refunded_at = $2,
            updated_at = $2, refund_amount_sat = $4
         WHERE id = $3 AND refund_state = 'in_flight'",
    )
    .bind(sent_by)
    .bind(now)
    .bind(id)
    .bind(paid)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Refunds claimed but not recorded as sent (the hub stopped in between).
pub async fn refunds_in_flight(store: &Store, node: &str) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(store, node, "refund_state = 'in_flight' AND $1 = $1", 0).await
}

/// The order whose Lightning refund is the payment `payment_hash`, while in flight.
pub async fn refund_in_flight_by_hash(
    conn: &mut AnyConnection,
    payment_hash: &str,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE refund_payment_hash = $1 AND refund_state = 'in_flight'"
    ))
    .bind(payment_hash)
    .fetch_optional(conn)
    .await
}

/// Gives back an in-flight refund that sent nothing (or whose payment failed): refundable again.
pub async fn release_refund(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE lsp_orders SET refund_state = NULL, refund_to = NULL, refund_payment_hash = NULL,
            refund_amount_sat = NULL, updated_at = $1
         WHERE id = $2 AND refund_state = 'in_flight'",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(released.rows_affected() == 1)
}
