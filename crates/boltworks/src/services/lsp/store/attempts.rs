//! Opening an order's channel: where it goes (the buyer's node), the attempts, one at a time,
//! each committed before the node is asked, and finding the order of a channel the node opened.

use sqlx::AnyConnection;

use super::orders::{orders_where, Order, COLUMNS};
use crate::money::Sat;
use crate::services::lsp::model::{OrderState, RetryPlan};
use crate::store::Store;

/// Where a paid order's channel goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTarget {
    /// The buyer's node (lowercase hex).
    pub pubkey: String,
    /// Its address, if given.
    pub address: Option<String>,
    /// Announce the channel.
    pub announce: bool,
}

/// Sets the buyer's node on a paid order: state 200. While the order is queued and no open is
/// in progress the target may be set again: always with `requeue`, else only after a failed
/// attempt.
pub async fn set_target(
    conn: &mut AnyConnection,
    id: &str,
    target: &OpenTarget,
    requeue: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let set = sqlx::query(
        "UPDATE lsp_orders SET state = 200, node_pubkey = $1, node_address = $2, announce_channel = $3,
            next_open_at = $4, open_error = NULL, updated_at = $4
         WHERE id = $5 AND (state = 100 OR (state = 200 AND open_requested_at IS NULL
            AND ($6 = 1 OR open_error IS NOT NULL)))",
    )
    .bind(&target.pubkey)
    .bind(&target.address)
    .bind(i64::from(target.announce))
    .bind(now)
    .bind(id)
    .bind(i64::from(requeue))
    .execute(conn)
    .await?;
    Ok(set.rows_affected() == 1)
}

/// Opens handed to the node and not funded by their deadline.
pub async fn stalled_opens(store: &Store, node: &str, now: i64) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(
        store,
        node,
        "state = 200 AND open_requested_at IS NOT NULL AND next_open_at <= $1",
        now,
    )
    .await
}

/// Whether an open is in progress (handed to the node, not yet funded or failed).
pub async fn open_in_progress(store: &Store, node: &str) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM lsp_orders
         WHERE hub_node_id = $1 AND state = 200 AND open_requested_at IS NOT NULL",
    )
    .bind(node)
    .fetch_one(store.pool())
    .await?;
    Ok(count > 0)
}

/// Orders queued for opening whose next attempt is due.
pub async fn due_for_opening(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(store, node,
        "state = 200 AND open_requested_at IS NULL AND (next_open_at IS NULL OR next_open_at <= $1)",
        now,
    )
    .await
}

/// Commits the start of an open attempt, before the node is asked: from now until the attempt
/// fails, the target is fixed and no other attempt starts. It must be funded by `deadline` or
/// it is looked at as stalled. Whether this call started it.
pub async fn begin_open(
    store: &Store,
    id: &str,
    deadline: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let begun = sqlx::query(
        "UPDATE lsp_orders SET open_requested_at = $1, next_open_at = $2, open_error = NULL,
            open_attempts = open_attempts + 1, updated_at = $1
         WHERE id = $3 AND state = 200 AND open_requested_at IS NULL AND user_channel_id IS NULL",
    )
    .bind(now)
    .bind(deadline)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(begun.rows_affected() == 1)
}

/// Records the node's id of the channel an attempt opened (or, after a crash between the two,
/// the channel found at the node for it).
pub async fn record_open_started(
    store: &Store,
    id: &str,
    user_channel_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let recorded = sqlx::query(
        "UPDATE lsp_orders SET user_channel_id = $1, updated_at = $2
         WHERE id = $3 AND state = 200 AND open_requested_at IS NOT NULL AND user_channel_id IS NULL",
    )
    .bind(user_channel_id)
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Takes back an attempt that did not reach the node (it waits for the treasury's top-up of
/// the node's wallet): it does not count, and the order is tried again at `retry_at`.
pub async fn postpone_open(store: &Store, id: &str, retry_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE lsp_orders SET open_requested_at = NULL, open_attempts = open_attempts - 1,
            next_open_at = $1
         WHERE id = $2 AND state = 200 AND open_requested_at IS NOT NULL AND user_channel_id IS NULL",
    )
    .bind(retry_at)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Gives a stalled attempt more time (while the node drops or funds its channel).
pub async fn extend_open(store: &Store, id: &str, until: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE lsp_orders SET next_open_at = $1
         WHERE id = $2 AND state = 200 AND open_requested_at IS NOT NULL",
    )
    .bind(until)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records that the attempt on channel `attempt` (`None`: one the node never took) failed with
/// `error`: retried after the plan's delay, or given up. Only that attempt's failure counts, so a
/// stale report cannot end a newer attempt.
pub async fn record_open_failed(
    conn: &mut AnyConnection,
    id: &str,
    attempt: Option<&str>,
    error: &str,
    plan: RetryPlan,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let state = if plan.give_up {
        OrderState::GiveUp
    } else {
        OrderState::UriSet
    };
    let failed = sqlx::query(
        "UPDATE lsp_orders SET state = $1, open_error = $2, next_open_at = $3, user_channel_id = NULL,
            open_requested_at = NULL, updated_at = $4
         WHERE id = $5 AND state = 200 AND open_requested_at IS NOT NULL
            AND user_channel_id IS NOT DISTINCT FROM $6",
    )
    .bind(state.number())
    .bind(error)
    .bind(now.saturating_add(plan.backoff_secs))
    .bind(now)
    .bind(id)
    .bind(attempt)
    .execute(conn)
    .await?;
    Ok(failed.rows_affected() == 1)
}

/// The order of the channel `user_channel_id`.
pub async fn order_of_channel(
    conn: &mut AnyConnection,
    user_channel_id: &str,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lsp_orders WHERE user_channel_id = $1"
    ))
    .bind(user_channel_id)
    .fetch_optional(conn)
    .await
}

/// The order whose attempt opened an outbound channel of `capacity` to `counterparty` without
/// recording its id (the hub stopped between asking the node and recording the answer): the
/// oldest such.
pub async fn unrecorded_attempt(
    conn: &mut AnyConnection,
    node: &str,
    counterparty: &str,
    capacity: Sat,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE state = 200 AND open_requested_at IS NOT NULL AND user_channel_id IS NULL
            AND node_pubkey = $1 AND lsp_balance_sat + client_balance_sat = $2 AND hub_node_id = $3
         ORDER BY open_requested_at LIMIT 1"
    ))
    .bind(counterparty)
    .bind(capacity)
    .bind(node)
    .fetch_optional(conn)
    .await
}

/// Whether any order has the channel `user_channel_id`.
pub async fn channel_is_known(store: &Store, user_channel_id: &str) -> Result<bool, sqlx::Error> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM lsp_orders WHERE user_channel_id = $1")
            .bind(user_channel_id)
            .fetch_one(store.pool())
            .await?;
    Ok(count > 0)
}
