//! The `lsp_orders` table. Every transition is one conditional UPDATE on the state it leaves,
//! so racing requests and replayed node events change an order at most once.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::model::OrderState;
use crate::store::Store;

/// A channel order as stored.
#[derive(Debug, Clone)]
pub struct Order {
    /// 24 hex characters (v0.0.1) or a UUID (LSPS1).
    pub id: String,
    /// `v1` or `lsps1`: the API that created it.
    pub api: String,
    /// The node whose worker serves it.
    pub hub_node_id: String,
    /// The LSP's side (the buyer's inbound liquidity), in sats.
    pub lsp_balance_sat: i64,
    /// The buyer's side (paid by the buyer, pushed at open), in sats.
    pub client_balance_sat: i64,
    /// Lease in weeks.
    pub expiry_weeks: i64,
    /// The LSP's fee.
    pub fee_sat: i64,
    /// What the buyer pays: `client_balance_sat + fee_sat`.
    pub total_sat: i64,
    /// Pay before this (unix seconds).
    pub order_expires_at: i64,
    /// The v0.0.1 state number.
    pub state: i64,
    /// The hold invoice's payment hash.
    pub payment_hash: String,
    /// The hold invoice's preimage (never leaves the hub).
    pub preimage: String,
    /// The hold invoice.
    pub payment_request: String,
    /// `none`, `held`, `settled` or `failed_back`.
    pub htlc_state: String,
    /// The order's treasury address, when on-chain payment is offered.
    pub btc_address: Option<String>,
    /// What had confirmed at `btc_address` when the order counted as paid.
    pub onchain_paid_sat: Option<i64>,
    /// `in_flight` or `paid_out` once an on-chain refund was asked for.
    pub refund_state: Option<String>,
    /// Where the refund goes: an address, or a Lightning invoice.
    pub refund_to: Option<String>,
    /// The payment hash of a refund by Lightning invoice.
    pub refund_payment_hash: Option<String>,
    /// How much it pays.
    pub refund_amount_sat: Option<i64>,
    /// Refunds claimed so far.
    pub refund_count: i64,
    /// Its transaction.
    pub refund_txid: Option<String>,
    /// When it was sent.
    pub refunded_at: Option<i64>,
    /// What the held HTLCs add up to.
    pub held_msat: Option<i64>,
    /// Block height by which the held payment must be claimed or failed.
    pub claim_deadline: Option<i64>,
    /// The buyer's node.
    pub node_pubkey: Option<String>,
    /// The buyer's node's address, if given.
    pub node_address: Option<String>,
    /// Announce the channel.
    pub announce_channel: bool,
    /// Open attempts so far.
    pub open_attempts: i64,
    /// When the current attempt was committed, before the node was asked (the target is fixed
    /// while set).
    pub open_requested_at: Option<i64>,
    /// Why the last open failed.
    pub open_error: Option<String>,
    /// ldk-node's id of the channel.
    pub user_channel_id: Option<String>,
    /// The channel id, once funded.
    pub channel_id: Option<String>,
    /// Funding transaction id.
    pub funding_txid: Option<String>,
    /// Funding output index.
    pub funding_vout: Option<i64>,
    /// When the funding was broadcast.
    pub opened_at: Option<i64>,
    /// After this the LSP may close the channel.
    pub channel_expires_at: Option<i64>,
    /// When the channel closed.
    pub closed_at: Option<i64>,
    /// Cooperative closes asked for since the lease ended.
    pub close_attempts: i64,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Creation time, milliseconds (v0.0.1 timestamps are in ms).
    pub created_at_ms: i64,
    /// Last change, unix seconds.
    pub updated_at: i64,
    /// LSPS1: the create request as applied, as JSON.
    pub request_echo: Option<String>,
    /// Where state changes are POSTed (boltworks extension).
    pub webhook_url: Option<String>,
}

const COLUMNS: &str = "id, api, hub_node_id, lsp_balance_sat, client_balance_sat, expiry_weeks, fee_sat, total_sat, order_expires_at, state, payment_hash, preimage, payment_request, htlc_state, btc_address, onchain_paid_sat, refund_state, refund_to, refund_payment_hash, refund_amount_sat, refund_count, refund_txid, refunded_at, held_msat, claim_deadline, node_pubkey, node_address, announce_channel, open_attempts, open_requested_at, open_error, user_channel_id, channel_id, funding_txid, funding_vout, opened_at, channel_expires_at, closed_at, close_attempts, created_at, created_at_ms, updated_at, request_echo, webhook_url";

impl Order {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.try_get("id")?,
            api: row.try_get("api")?,
            hub_node_id: row.try_get("hub_node_id")?,
            lsp_balance_sat: row.try_get("lsp_balance_sat")?,
            client_balance_sat: row.try_get("client_balance_sat")?,
            expiry_weeks: row.try_get("expiry_weeks")?,
            fee_sat: row.try_get("fee_sat")?,
            total_sat: row.try_get("total_sat")?,
            order_expires_at: row.try_get("order_expires_at")?,
            state: row.try_get("state")?,
            payment_hash: row.try_get("payment_hash")?,
            preimage: row.try_get("preimage")?,
            payment_request: row.try_get("payment_request")?,
            htlc_state: row.try_get("htlc_state")?,
            btc_address: row.try_get("btc_address")?,
            onchain_paid_sat: row.try_get("onchain_paid_sat")?,
            refund_state: row.try_get("refund_state")?,
            refund_to: row.try_get("refund_to")?,
            refund_payment_hash: row.try_get("refund_payment_hash")?,
            refund_amount_sat: row.try_get("refund_amount_sat")?,
            refund_count: row.try_get("refund_count")?,
            refund_txid: row.try_get("refund_txid")?,
            refunded_at: row.try_get("refunded_at")?,
            held_msat: row.try_get("held_msat")?,
            claim_deadline: row.try_get("claim_deadline")?,
            node_pubkey: row.try_get("node_pubkey")?,
            node_address: row.try_get("node_address")?,
            announce_channel: row.try_get::<i64, _>("announce_channel")? == 1,
            open_attempts: row.try_get("open_attempts")?,
            open_requested_at: row.try_get("open_requested_at")?,
            open_error: row.try_get("open_error")?,
            user_channel_id: row.try_get("user_channel_id")?,
            channel_id: row.try_get("channel_id")?,
            funding_txid: row.try_get("funding_txid")?,
            funding_vout: row.try_get("funding_vout")?,
            opened_at: row.try_get("opened_at")?,
            channel_expires_at: row.try_get("channel_expires_at")?,
            closed_at: row.try_get("closed_at")?,
            close_attempts: row.try_get("close_attempts")?,
            created_at: row.try_get("created_at")?,
            created_at_ms: row.try_get("created_at_ms")?,
            updated_at: row.try_get("updated_at")?,
            request_echo: row.try_get("request_echo")?,
            webhook_url: row.try_get("webhook_url")?,
        })
    }

    /// The state, as the enum.
    pub fn order_state(&self) -> Option<OrderState> {
        OrderState::from_number(self.state)
    }
}

/// Stores a new order.
pub async fn insert(store: &Store, order: &Order) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO lsp_orders ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44)"
    ))
    .bind(&order.id)
    .bind(&order.api)
    .bind(&order.hub_node_id)
    .bind(order.lsp_balance_sat)
    .bind(order.client_balance_sat)
    .bind(order.expiry_weeks)
    .bind(order.fee_sat)
    .bind(order.total_sat)
    .bind(order.order_expires_at)
    .bind(order.state)
    .bind(&order.payment_hash)
    .bind(&order.preimage)
    .bind(&order.payment_request)
    .bind(&order.htlc_state)
    .bind(&order.btc_address)
    .bind(order.onchain_paid_sat)
    .bind(&order.refund_state)
    .bind(&order.refund_to)
    .bind(&order.refund_payment_hash)
    .bind(order.refund_amount_sat)
    .bind(order.refund_count)
    .bind(&order.refund_txid)
    .bind(order.refunded_at)
    .bind(order.held_msat)
    .bind(order.claim_deadline)
    .bind(&order.node_pubkey)
    .bind(&order.node_address)
    .bind(i64::from(order.announce_channel))
    .bind(order.open_attempts)
    .bind(order.open_requested_at)
    .bind(&order.open_error)
    .bind(&order.user_channel_id)
    .bind(&order.channel_id)
    .bind(&order.funding_txid)
    .bind(order.funding_vout)
    .bind(order.opened_at)
    .bind(order.channel_expires_at)
    .bind(order.closed_at)
    .bind(order.close_attempts)
    .bind(order.created_at)
    .bind(order.created_at_ms)
    .bind(order.updated_at)
    .bind(&order.request_echo)
    .bind(&order.webhook_url)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// An order by id.
pub async fn order(conn: &mut AnyConnection, id: &str) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM lsp_orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(Order::from_row)
        .transpose()
}

/// Orders matching a condition on their columns (internal callers only).
async fn orders_where(
    store: &Store,
    node: &str,
    condition: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lsp_orders WHERE hub_node_id = $2 AND ({condition})
         ORDER BY created_at"
    ))
    .bind(now)
    .bind(node)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(Order::from_row)
    .collect()
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

/// Orders whose held HTLC must now be settled or failed back.
pub async fn held_to_resolve(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    // The engine decides per order; `$1` keeps the one query shape of `orders_where`.
    orders_where(store, node, "htlc_state = 'held' AND $1 >= 0", now).await
}

/// Orders past their deadline without a node to open to: unpaid, or paid by a held payment
/// (provisional until the channel opens) and never finalised.
pub async fn expired_unfinalised(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(
        store,
        node,
        "state IN (0, 100) AND order_expires_at <= $1",
        now,
    )
    .await
}

/// Moves an order from `from` to `to` (and sets `updated_at`); whether it moved.
pub async fn transition(
    conn: &mut AnyConnection,
    id: &str,
    from: &[OrderState],
    to: OrderState,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let from = from
        .iter()
        .map(|s| s.number().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let moved = sqlx::query(&format!(
        "UPDATE lsp_orders SET state = $1, updated_at = $2 WHERE id = $3 AND state IN ({from})"
    ))
    .bind(to.number())
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Records a held HTLC for the order's invoice; a created order becomes paid unless it expired,
/// and then has until `finalise_by` at least to be given its node. Returns the order when this
/// call recorded the HTLC.
pub async fn record_held(
    conn: &mut AnyConnection,
    payment_hash: &str,
    held_msat: i64,
    claim_deadline: Option<i64>,
    now: i64,
    finalise_by: i64,
) -> Result<Option<Order>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE lsp_orders SET htlc_state = 'held', held_msat = $1, claim_deadline = $2, updated_at = $3
         WHERE payment_hash = $4 AND htlc_state = 'none' RETURNING id",
    )
    .bind(held_msat)
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
    .bind(held_msat)
    .bind(finalise_by)
    .execute(&mut *conn)
    .await?;
    order(conn, &id).await
}

/// Sets the buyer's node on a paid order: state 200. While the order is queued and no open is
/// in progress the target may be set again: always with `requeue`, else only after a failed
/// attempt.
#[allow(clippy::too_many_arguments)]
pub async fn set_target(
    conn: &mut AnyConnection,
    id: &str,
    pubkey: &str,
    address: Option<&str>,
    announce: bool,
    requeue: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let set = sqlx::query(
        "UPDATE lsp_orders SET state = 200, node_pubkey = $1, node_address = $2, announce_channel = $3,
            next_open_at = $4, open_error = NULL, updated_at = $4
         WHERE id = $5 AND (state = 100 OR (state = 200 AND open_requested_at IS NULL
            AND ($6 = 1 OR open_error IS NOT NULL)))",
    )
    .bind(pubkey)
    .bind(address)
    .bind(i64::from(announce))
    .bind(now)
    .bind(id)
    .bind(i64::from(requeue))
    .execute(conn)
    .await?;
    Ok(set.rows_affected() == 1)
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

/// Records that the attempt on channel `attempt` (`None`: one the node never took) failed:
/// retried at `retry_at`, or given up when `give_up`. Only that attempt's failure counts, so a
/// stale report cannot end a newer attempt.
#[allow(clippy::too_many_arguments)]
pub async fn record_open_failed(
    conn: &mut AnyConnection,
    id: &str,
    attempt: Option<&str>,
    error: &str,
    retry_at: i64,
    give_up: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let state = if give_up {
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
    .bind(retry_at)
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
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lsp_orders WHERE user_channel_id = $1"
    ))
    .bind(user_channel_id)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(Order::from_row)
    .transpose()
}

/// The order whose attempt opened an outbound channel of `capacity_sat` to `counterparty`
/// without recording its id (the hub stopped between asking the node and recording the
/// answer): the oldest such.
pub async fn unrecorded_attempt(
    conn: &mut AnyConnection,
    node: &str,
    counterparty: &str,
    capacity_sat: i64,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE state = 200 AND open_requested_at IS NOT NULL AND user_channel_id IS NULL
            AND node_pubkey = $1 AND lsp_balance_sat + client_balance_sat = $2 AND hub_node_id = $3
         ORDER BY open_requested_at LIMIT 1"
    ))
    .bind(counterparty)
    .bind(capacity_sat)
    .bind(node)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(Order::from_row)
    .transpose()
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

/// The channel's funding was broadcast: state 300 with its funding outpoint. The held payment's
/// state, when this call moved the order.
pub async fn record_funding(
    conn: &mut AnyConnection,
    id: &str,
    user_channel_id: &str,
    channel_id: &str,
    funding: Option<(String, i64)>,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let (txid, vout) = funding.unzip();
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

/// Marks the held HTLC settled or failed back (from `held` only).
pub async fn record_htlc(
    conn: &mut AnyConnection,
    id: &str,
    outcome: &str,
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

/// Open channels whose lease is over, and closes asked for before `retry_before` that have not
/// completed.
pub async fn leases_to_close(
    store: &Store,
    node: &str,
    now: i64,
    retry_before: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE hub_node_id = $3
            AND ((state = 500 AND channel_expires_at <= $1) OR (state = 350 AND updated_at <= $2))
         ORDER BY created_at"
    ))
    .bind(now)
    .bind(retry_before)
    .bind(node)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(Order::from_row)
    .collect()
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

/// An unpaid order counts as paid on chain with `paid_sat` confirmed, and has until
/// `finalise_by` at least to be given its node.
pub async fn record_paid_onchain(
    conn: &mut AnyConnection,
    id: &str,
    paid_sat: i64,
    now: i64,
    finalise_by: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE lsp_orders SET state = 100, onchain_paid_sat = $1, updated_at = $2,
            order_expires_at = CASE WHEN order_expires_at < $3 THEN $3 ELSE order_expires_at END
         WHERE id = $4 AND state = 0 AND order_expires_at > $2 AND $1 >= total_sat",
    )
    .bind(paid_sat)
    .bind(now)
    .bind(finalise_by)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Claims a refund of `amount_sat` to `to`: `in_flight`, committed before anything is sent.
/// Only while no other refund is in flight and the order's ledger liability (`liability`) still
/// holds the amount, so of any number of racing requests one claims it, and money that arrives
/// after a refund can be claimed again. The claim's number (for its idempotency key), when this
/// call claimed it.
#[allow(clippy::too_many_arguments)]
pub async fn claim_refund(
    conn: &mut AnyConnection,
    id: &str,
    liability: &str,
    to: &str,
    payment_hash: Option<&str>,
    amount_sat: i64,
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
    .bind(to)
    .bind(amount_sat)
    .bind(now)
    .bind(id)
    .bind(payment_hash)
    .bind(liability)
    .fetch_optional(conn)
    .await
}

/// The refund's transaction, paying `paid_sat` (the refund less its network fee), was committed
/// by the treasury: `paid_out`.
pub async fn record_refund_sent(
    conn: &mut AnyConnection,
    id: &str,
    txid: &str,
    paid_sat: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let moved = sqlx::query(
        "UPDATE lsp_orders SET refund_state = 'paid_out', refund_txid = $1, refunded_at = $2,
            updated_at = $2, refund_amount_sat = $4
         WHERE id = $3 AND refund_state = 'in_flight'",
    )
    .bind(txid)
    .bind(now)
    .bind(id)
    .bind(paid_sat)
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
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lsp_orders
         WHERE refund_payment_hash = $1 AND refund_state = 'in_flight'"
    ))
    .bind(payment_hash)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(Order::from_row)
    .transpose()
}

/// Stamps the order as looked at now (`updated_at`), so a retry waits its turn.
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE lsp_orders SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
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
