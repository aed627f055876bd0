//! How an order is paid: the buyer's HTLC for the hold invoice (held, then settled or failed
//! back), or money confirmed at the order's treasury address.

use sqlx::AnyConnection;

use super::orders::{order, orders_where, Order};
use crate::money::{Msat, Sat};
use crate::services::lsp::model::{HtlcState, OrderState};
use crate::store::Store;

/// Records a held HTLC of `held` for the order's invoice; a created order becomes paid unless it
/// expired, and then has until `finalise_by` at least to be given its node. Returns the order
/// when this call recorded the HTLC.
pub async fn record_held(
    conn: &mut AnyConnection,
    payment_hash: &str,
    held: Msat,
    claim_deadline: Option<i64>,
    now: i64,
    finalise_by: i64,
) -> Result<Option<Order>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE lsp_orders SET htlc_state = 'held', held_msat = $1, claim_deadline = $2, updated_at = $3
         WHERE payment_hash = $4 AND htlc_state = 'none' RETURNING id",
    )
    .bind(held)
    .bind(claim_deadline)
    .bind(now)
    .bind(payment_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE lsp_orders SET state = 100,
            order_expires_at = CASE WHEN order_expires_at < $4 THEN $4 ELSE order_expires_at END
         WHERE id = $1 AND state = 0 AND order_expires_at > $2 AND $3 >= total_sat * 1000",
    )
    .bind(&id)
    .bind(now)
    .bind(held)
    .bind(finalise_by)
    .execute(&mut *conn)
    .await?;
    order(conn, &id).await
}

/// Marks the held HTLC settled or failed back (from `held` only). The order's state as the
/// update left it, when this call recorded the outcome.
pub async fn record_htlc(
    conn: &mut AnyConnection,
    id: &str,
    outcome: HtlcState,
    now: i64,
) -> Result<Option<OrderState>, sqlx::Error> {
    // The order's state as this update left it (not as read before): a funding event committed
    // meanwhile is seen here, under the row's lock.
    let state: Option<i64> = sqlx::query_scalar(
        "UPDATE lsp_orders SET htlc_state = $1, updated_at = $2 WHERE id = $3 AND htlc_state = 'held'
         RETURNING state",
    )
    .bind(outcome)
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(state.and_then(OrderState::from_number))
}

/// Orders whose held HTLC must now be settled or failed back.
pub async fn held_to_resolve(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    // The engine decides per order; `$1` keeps the one query shape of `orders_where`.
    orders_where(store, node, "htlc_state = 'held' AND $1 >= 0", now).await
}

/// Unpaid orders with a treasury address (the worker looks at what those received).
pub async fn awaiting_onchain(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(
        store,
        node,
        "state = 0 AND btc_address IS NOT NULL AND order_expires_at > $1",
        now,
    )
    .await
}

/// An unpaid order counts as paid on chain with `paid` confirmed, and has until `finalise_by`
/// at least to be given its node.
pub async fn record_paid_onchain(
    conn: &mut AnyConnection,
    id: &str,
    paid: Sat,
    now: i64,
    finalise_by: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE lsp_orders SET state = 100, onchain_paid_sat = $1, updated_at = $2,
            order_expires_at = CASE WHEN order_expires_at < $3 THEN $3 ELSE order_expires_at END
         WHERE id = $4 AND state = 0 AND order_expires_at > $2 AND $1 >= total_sat",
    )
    .bind(paid)
    .bind(now)
    .bind(finalise_by)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}
