//! An order's channel from its funding to its close: the node's events move it (OPENING, OPEN,
//! CLOSED), and the end of its lease moves it to CLOSING.

use sqlx::AnyConnection;

use super::orders::{Order, COLUMNS};
use crate::services::lsp::model::HtlcState;
use crate::store::Store;

/// The channel's funding was broadcast: state 300 with its funding outpoint (txid, vout). The
/// held payment's state, when this call moved the order.
pub async fn record_funding(
    conn: &mut AnyConnection,
    id: &str,
    user_channel_id: &str,
    channel_id: &str,
    funding: (String, i64),
    now: i64,
) -> Result<Option<HtlcState>, sqlx::Error> {
    let (txid, vout) = funding;
    // The held payment's state as this update sees it (a settlement committed meanwhile too).
    sqlx::query_scalar(
        "UPDATE lsp_orders SET state = 300, user_channel_id = $1, channel_id = $2, funding_txid = $3,
            funding_vout = $4, opened_at = $5, channel_expires_at = $5 + expiry_weeks * 604800,
            updated_at = $5
         WHERE id = $6 AND state = 200 AND (user_channel_id IS NULL OR user_channel_id = $1)
         RETURNING htlc_state",
    )
    .bind(user_channel_id)
    .bind(channel_id)
    .bind(txid)
    .bind(vout)
    .bind(now)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The channel became usable: state 500. The order that moved.
pub async fn record_ready(
    conn: &mut AnyConnection,
    user_channel_id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE lsp_orders SET state = 500, updated_at = $1 WHERE user_channel_id = $2 AND state = 300
         RETURNING id",
    )
    .bind(now)
    .bind(user_channel_id)
    .fetch_optional(conn)
    .await
}

/// The channel closed: state 450 for a funded channel. The order that moved.
pub async fn record_closed(
    conn: &mut AnyConnection,
    user_channel_id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE lsp_orders SET state = 450, closed_at = $1, updated_at = $1
         WHERE user_channel_id = $2 AND state IN (300, 350, 500) RETURNING id",
    )
    .bind(now)
    .bind(user_channel_id)
    .fetch_optional(conn)
    .await
}

/// Open channels whose lease is over, and closes asked for before `retry_before` that have not
/// completed.
pub async fn leases_to_close(
    store: &Store,
    node: &str,
    now: i64,
    retry_before: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE hub_node_id = $3
            AND ((state = 500 AND channel_expires_at <= $1) OR (state = 350 AND updated_at <= $2))
         ORDER BY created_at"
    ))
    .bind(now)
    .bind(retry_before)
    .bind(node)
    .fetch_all(store.pool())
    .await
}

/// Marks an open channel (or one whose close is being retried) CLOSING, stamped `now`, and
/// counts the close attempt.
pub async fn mark_closing(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE lsp_orders SET state = 350, close_attempts = close_attempts + 1, updated_at = $1
         WHERE id = $2 AND state IN (350, 500)",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}
