//! Channel orders for the operator's console: newest first, by state, a page at a time; and one
//! order in full (its payment, channel and refund, never its preimage).

use serde::Serialize;

use super::super::model::OrderState;
use crate::store::Store;

/// One order, as the console lists it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderRow {
    /// The order id.
    pub id: String,
    /// Which API made it.
    pub api: String,
    /// Its state's name (v0.0.1's names).
    pub state: String,
    /// The LSP's side of the channel.
    pub lsp_balance_sat: i64,
    /// The fee.
    pub fee_sat: i64,
    /// What the buyer pays.
    pub total_sat: i64,
    /// Paid on chain, if so.
    pub onchain_paid_sat: Option<i64>,
    /// The refund, if any.
    pub refund_state: Option<String>,
    /// When it was made (unix seconds).
    pub created_at: i64,
}

type Row = (
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

/// Up to `limit` orders made before `before` (all when `None`), in `state` if given.
pub async fn list(
    store: &Store,
    state: Option<OrderState>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, api, state, lsp_balance_sat, fee_sat, total_sat, onchain_paid_sat,
                refund_state, created_at
         FROM lsp_orders
         WHERE ($1 < 0 OR state = $1) AND created_at < $2
         ORDER BY created_at DESC, id LIMIT $3",
    )
    .bind(state.map_or(-1, OrderState::number))
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, api, state, lsp, fee, total, onchain, refund, created_at)| OrderRow {
                id,
                api,
                state: OrderState::from_number(state)
                    .map_or_else(|| state.to_string(), |s| s.name().to_string()),
                lsp_balance_sat: lsp,
                fee_sat: fee,
                total_sat: total,
                onchain_paid_sat: onchain,
                refund_state: refund,
                created_at,
            },
        )
        .collect())
}

/// One order in full for the console: its terms, how it was paid, its channel and its refund.
/// The hold invoice's preimage is not in it: it never leaves the hub.
#[derive(Debug, Clone, Serialize)]
pub struct OrderDetail {
    /// The order as listed.
    pub summary: OrderRow,
    /// The buyer's side, pushed at open.
    pub client_balance_sat: u64,
    /// The lease, in weeks.
    pub expiry_weeks: i64,
    /// Pay before this (unix seconds).
    pub order_expires_at: i64,
    /// The hold invoice.
    pub payment_request: String,
    /// Its payment hash.
    pub payment_hash: String,
    /// Where the buyer's HTLC stands.
    pub htlc_state: String,
    /// What the held HTLCs add up to.
    pub held_msat: Option<u64>,
    /// The order's treasury address, when on-chain payment is offered.
    pub btc_address: Option<String>,
    /// The buyer's node and address.
    pub node: Option<String>,
    /// Open attempts so far.
    pub open_attempts: i64,
    /// Why the last open failed.
    pub open_error: Option<String>,
    /// ldk-node's id of the channel.
    pub user_channel_id: Option<String>,
    /// Funding outpoint, `txid:vout`.
    pub funding: Option<String>,
    /// When the funding was broadcast (unix seconds).
    pub opened_at: Option<i64>,
    /// After this the LSP may close the channel.
    pub channel_expires_at: Option<i64>,
    /// When the channel closed.
    pub closed_at: Option<i64>,
    /// Where the refund goes: an address or a Lightning invoice.
    pub refund_to: Option<String>,
    /// How much it pays.
    pub refund_amount_sat: Option<u64>,
    /// Refunds claimed so far.
    pub refund_count: i64,
    /// When it was sent.
    pub refunded_at: Option<i64>,
}

impl From<super::Order> for OrderDetail {
    fn from(order: super::Order) -> Self {
        let (terms, payment, channel, refund) =
            (order.terms, order.payment, order.channel, order.refund);
        let node = channel.node_pubkey.map(|key| match &channel.node_address {
            Some(address) => format!("{key}@{address}"),
            None => key,
        });
        let funding = channel
            .funding_txid
            .map(|txid| format!("{txid}:{}", channel.funding_vout.unwrap_or_default()));
        Self {
            summary: OrderRow {
                id: order.id,
                api: order.api.to_string(),
                state: order.state.name().to_string(),
                lsp_balance_sat: i64::try_from(terms.lsp_balance_sat.0).unwrap_or(i64::MAX),
                fee_sat: i64::try_from(terms.fee_sat.0).unwrap_or(i64::MAX),
                total_sat: i64::try_from(terms.total_sat.0).unwrap_or(i64::MAX),
                onchain_paid_sat: payment
                    .onchain_paid_sat
                    .map(|s| i64::try_from(s.0).unwrap_or(i64::MAX)),
                refund_state: refund.refund_state.map(|s| s.to_string()),
                created_at: order.created_at,
            },
            client_balance_sat: terms.client_balance_sat.0,
            expiry_weeks: terms.expiry_weeks,
            order_expires_at: terms.order_expires_at,
            payment_request: payment.payment_request,
            payment_hash: payment.payment_hash,
            htlc_state: payment.htlc_state.to_string(),
            held_msat: payment.held_msat.map(|m| m.0),
            btc_address: payment.btc_address,
            node,
            open_attempts: channel.open_attempts,
            open_error: channel.open_error,
            user_channel_id: channel.user_channel_id,
            funding,
            opened_at: channel.opened_at,
            channel_expires_at: channel.channel_expires_at,
            closed_at: channel.closed_at,
            refund_to: refund.refund_to,
            refund_amount_sat: refund.refund_amount_sat.map(|s| s.0),
            refund_count: refund.refund_count,
            refunded_at: refund.refunded_at,
        }
    }
}
