//! The order row, in named parts (what was bought, how it is paid, its channel, its refund), its
//! creation, and the queries and moves every aggregate shares.

use sqlx::AnyConnection;

use crate::money::{Msat, Sat};
use crate::services::lsp::model::{HtlcState, OrderApi, OrderState, RefundState};
use crate::store::Store;

/// A channel order as stored: the columns the engine reads. Those only its queries look at
/// stay in SQL: the serving node (`hub_node_id`), the open attempt's timing (`open_requested_at`,
/// `next_open_at`) and the refund's transaction (`refund_txid`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Order {
    /// 24 hex characters (v0.0.1) or a UUID (LSPS1).
    pub id: String,
    /// The API that created it.
    pub api: OrderApi,
    /// Where it stands (stored as the v0.0.1 number).
    #[sqlx(try_from = "i64")]
    pub state: OrderState,
    /// What was bought, at what price.
    #[sqlx(flatten)]
    pub terms: OrderTerms,
    /// How it is paid.
    #[sqlx(flatten)]
    pub payment: OrderPayment,
    /// Its channel: the buyer's node, the open attempts, the channel once funded.
    #[sqlx(flatten)]
    pub channel: OrderChannel,
    /// A refund of money the hub holds for it.
    #[sqlx(flatten)]
    pub refund: OrderRefund,
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

/// What an order buys, and its price.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderTerms {
    /// The LSP's side (the buyer's inbound liquidity).
    pub lsp_balance_sat: Sat,
    /// The buyer's side (paid by the buyer, pushed at open).
    pub client_balance_sat: Sat,
    /// Lease in weeks.
    pub expiry_weeks: i64,
    /// The LSP's fee.
    pub fee_sat: Sat,
    /// What the buyer pays: `client_balance_sat + fee_sat`.
    pub total_sat: Sat,
    /// Pay before this (unix seconds).
    pub order_expires_at: i64,
}

impl OrderTerms {
    /// The channel's capacity: both sides.
    pub fn capacity(&self) -> Option<Sat> {
        self.lsp_balance_sat
            .0
            .checked_add(self.client_balance_sat.0)
            .map(Sat)
    }
}

/// How an order is paid: a hold invoice, or its own treasury address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderPayment {
    /// The hold invoice's payment hash.
    pub payment_hash: String,
    /// The hold invoice's preimage (never leaves the hub).
    pub preimage: String,
    /// The hold invoice.
    pub payment_request: String,
    /// Where the buyer's HTLC stands.
    pub htlc_state: HtlcState,
    /// What the held HTLCs add up to.
    pub held_msat: Option<Msat>,
    /// Block height by which the held payment must be claimed or failed.
    pub claim_deadline: Option<i64>,
    /// The order's treasury address, when on-chain payment is offered.
    pub btc_address: Option<String>,
    /// What had confirmed at `btc_address` when the order counted as paid.
    pub onchain_paid_sat: Option<Sat>,
}

/// An order's channel: where it goes, the attempts to open it, and the channel once funded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderChannel {
    /// The buyer's node.
    pub node_pubkey: Option<String>,
    /// The buyer's node's address, if given.
    pub node_address: Option<String>,
    /// Announce the channel (stored as 0 or 1).
    #[sqlx(try_from = "StoredFlag")]
    pub announce_channel: bool,
    /// Open attempts so far.
    pub open_attempts: i64,
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
}

/// A refund of money the hub holds for an order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRefund {
    /// Set once a refund was claimed.
    pub refund_state: Option<RefundState>,
    /// Where the refund goes: an address, or a Lightning invoice.
    pub refund_to: Option<String>,
    /// The payment hash of a refund by Lightning invoice.
    pub refund_payment_hash: Option<String>,
    /// How much it pays.
    pub refund_amount_sat: Option<Sat>,
    /// Refunds claimed so far.
    pub refund_count: i64,
    /// When it was sent.
    pub refunded_at: Option<i64>,
}

/// A 0-or-1 integer column read as a flag.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
struct StoredFlag(i64);

impl From<StoredFlag> for bool {
    fn from(flag: StoredFlag) -> bool {
        flag.0 == 1
    }
}

/// Every column an `Order` reads.
pub(super) const COLUMNS: &str = "id, api, state, lsp_balance_sat, client_balance_sat, expiry_weeks, fee_sat, total_sat, order_expires_at, payment_hash, preimage, payment_request, htlc_state, held_msat, claim_deadline, btc_address, onchain_paid_sat, node_pubkey, node_address, announce_channel, open_attempts, open_error, user_channel_id, channel_id, funding_txid, funding_vout, opened_at, channel_expires_at, closed_at, close_attempts, refund_state, refund_to, refund_payment_hash, refund_amount_sat, refund_count, refunded_at, created_at, created_at_ms, updated_at, request_echo, webhook_url";

/// A new order, as quoted: unpaid (`CREATED`), nothing held, no channel, no refund.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Its id.
    pub id: String,
    /// The API that creates it.
    pub api: OrderApi,
    /// The node whose worker serves it.
    pub hub_node_id: String,
    /// What it buys, at what price.
    pub terms: OrderTerms,
    /// The hold invoice's payment hash.
    pub payment_hash: String,
    /// The hold invoice's preimage.
    pub preimage: String,
    /// The hold invoice.
    pub payment_request: String,
    /// Its treasury address, when on-chain payment is offered.
    pub btc_address: Option<String>,
    /// LSPS1: the create request as applied, as JSON.
    pub request_echo: Option<String>,
    /// Where state changes are POSTed.
    pub webhook_url: Option<String>,
}

/// Stores a new order, created `now`, on `conn`; the order as stored.
pub async fn insert(
    conn: &mut AnyConnection,
    new: &NewOrder,
    now: i64,
) -> Result<Order, sqlx::Error> {
    // A plain INSERT, read back after: an SQLite `INSERT ... RETURNING` in autocommit commits
    // only once its statement is reset, which other connections could race.
    sqlx::query(
        "INSERT INTO lsp_orders (id, api, hub_node_id, state, lsp_balance_sat, client_balance_sat,
            expiry_weeks, fee_sat, total_sat, order_expires_at, payment_hash, preimage,
            payment_request, htlc_state, btc_address, created_at, created_at_ms, updated_at,
            request_echo, webhook_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $16,
            $18, $19)",
    )
    .bind(&new.id)
    .bind(new.api)
    .bind(&new.hub_node_id)
    .bind(OrderState::Created.number())
    .bind(new.terms.lsp_balance_sat)
    .bind(new.terms.client_balance_sat)
    .bind(new.terms.expiry_weeks)
    .bind(new.terms.fee_sat)
    .bind(new.terms.total_sat)
    .bind(new.terms.order_expires_at)
    .bind(&new.payment_hash)
    .bind(&new.preimage)
    .bind(&new.payment_request)
    .bind(HtlcState::None)
    .bind(&new.btc_address)
    .bind(now)
    .bind(now.saturating_mul(1_000))
    .bind(&new.request_echo)
    .bind(&new.webhook_url)
    .execute(&mut *conn)
    .await?;
    order(conn, &new.id).await?.ok_or(sqlx::Error::RowNotFound)
}

/// An order by id.
pub async fn order(conn: &mut AnyConnection, id: &str) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM lsp_orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// This node's orders matching a condition on their columns (internal callers only), oldest
/// first; `$1` is `now`.
pub(super) async fn orders_where(
    store: &Store,
    node: &str,
    condition: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM lsp_orders WHERE hub_node_id = $2 AND ({condition})
         ORDER BY created_at"
    ))
    .bind(now)
    .bind(node)
    .fetch_all(store.pool())
    .await
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

/// Paid orders whose request (a bLIP-51 one) named the node to open to, not yet queued.
pub async fn paid_with_named_node(
    store: &Store,
    node: &str,
    now: i64,
) -> Result<Vec<Order>, sqlx::Error> {
    orders_where(
        store,
        node,
        "state = 100 AND created_at <= $1 AND request_echo LIKE '{\"blip51\":%'",
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

/// Stamps the order as looked at now (`updated_at`), so a retry waits its turn.
pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE lsp_orders SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
