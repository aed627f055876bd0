//! LSPS1's order replies: the answer to create (201), the nested order of
//! `GET /lsp/channels/{id}`, and the flat order of `GET /lsp/channel?id=` (the seed's older model).

use serde::{Deserialize, Serialize};

use super::states::{ChannelState, FlatState, Lsps1OrderState, PaymentState};
use crate::money::Sat;
use crate::services::lsp::model;
use crate::services::lsp::onchain::received_sat;
use crate::services::lsp::store::Order;
use crate::treasury::Receipt;

/// The create request as applied (defaults filled in), echoed by every view. Stored as JSON
/// (`request_echo`); orders of the v0.0.1 API echo their terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestEcho {
    /// The LSP's side, in sats.
    pub remote_balance: u64,
    /// The buyer's side, in sats.
    pub local_balance: u64,
    /// The lease, in weeks.
    pub channel_expiry: u64,
    /// Always empty (no coupons).
    pub coupon_code: String,
    /// The fee rate asked for, when given (not money).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onchain_fee_rate: Option<f64>,
}

impl RequestEcho {
    /// The request `order` was created with.
    pub fn of(order: &Order) -> Self {
        order
            .request_echo
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_else(|| RequestEcho {
                remote_balance: order.terms.lsp_balance_sat.0,
                local_balance: order.terms.client_balance_sat.0,
                channel_expiry: u64::try_from(order.terms.expiry_weeks).unwrap_or(0),
                coupon_code: String::new(),
                onchain_fee_rate: None,
            })
    }
}

/// The answer to `POST /lsp/channels` (201).
#[derive(Debug, Serialize)]
pub struct Created {
    /// The order's id (a UUID).
    pub id: String,
    /// The LSP's fee.
    pub fee_total: Sat,
    /// What the buyer pays.
    pub order_total: Sat,
    /// Pay before this (unix seconds).
    pub order_expiry_ts: i64,
    /// The hold invoice.
    pub ln_invoice: String,
    /// The order's treasury address (null when on-chain payment is not offered).
    pub btc_address: Option<String>,
    /// The request as applied.
    pub request: RequestEcho,
}

impl Created {
    /// The answer for the new `order`.
    pub fn of(order: &Order) -> Self {
        Self {
            id: order.id.clone(),
            fee_total: order.terms.fee_sat,
            order_total: order.terms.total_sat,
            order_expiry_ts: order.terms.order_expires_at,
            ln_invoice: order.payment.payment_request.clone(),
            btc_address: order.payment.btc_address.clone(),
            request: RequestEcho::of(order),
        }
    }
}

/// What the views need besides the order.
pub struct ViewContext<'a> {
    /// The hub's `pubkey@host:port`.
    pub lsp_uri: &'a str,
    /// The channel's short channel id, once confirmed.
    pub scid: Option<u64>,
    /// What the order's address received.
    pub receipts: &'a [Receipt],
}

/// A payment that arrived at the order's address.
#[derive(Debug, Serialize)]
pub struct OnchainPayment {
    /// The paying transaction.
    pub transaction_id: String,
    /// The output's index in it.
    pub out_point: u32,
    /// The amount, in sats.
    pub amount: Sat,
    /// Not confirmed yet.
    pub zero_conf: bool,
}

/// LSPS1's `onchain_payments`: null when on-chain payment is not offered.
fn onchain_payments(order: &Order, receipts: &[Receipt]) -> Option<Vec<OnchainPayment>> {
    order.payment.btc_address.as_ref()?;
    Some(
        receipts
            .iter()
            .map(|r| OnchainPayment {
                transaction_id: r.txid.to_string(),
                out_point: r.vout,
                amount: r.amount,
                zero_conf: r.confirmations == 0,
            })
            .collect(),
    )
}

/// A short channel id as `block x tx x output`.
pub fn scid_text(scid: u64) -> String {
    format!(
        "{}x{}x{}",
        scid >> 40,
        (scid >> 16) & 0xff_ffff,
        scid & 0xffff
    )
}

/// The buyer's node as given: `pubkey@host:port`, or the key alone.
fn node_connection(order: &Order) -> Option<String> {
    let key = order.channel.node_pubkey.as_deref()?;
    Some(match order.channel.node_address.as_deref() {
        Some(address) => format!("{key}@{address}"),
        None => key.to_string(),
    })
}

/// The nested order of `GET /lsp/channels/{id}`.
#[derive(Debug, Serialize)]
pub struct OrderView {
    /// The order's id.
    pub id: String,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// The order's state.
    pub state: Lsps1OrderState,
    /// The request as applied.
    pub request: RequestEcho,
    /// Its payment.
    pub payment: PaymentView,
    /// Its channel, once the funding is out (else null).
    pub channel: Option<ChannelView>,
}

/// An order's `payment`.
#[derive(Debug, Serialize)]
pub struct PaymentView {
    /// Where it stands.
    pub state: PaymentState,
    /// Pay before this (unix seconds).
    pub order_expiry_ts: i64,
    /// The LSP's fee.
    pub fee_total: Sat,
    /// What the buyer pays.
    pub order_total: Sat,
    /// What arrived so far, in sats.
    pub amount_paid: u64,
    /// The hold invoice.
    pub ln_invoice: String,
    /// The order's treasury address (null when on-chain payment is not offered).
    pub btc_address: Option<String>,
    /// What arrived at the address (null when on-chain payment is not offered).
    pub onchain_payments: Option<Vec<OnchainPayment>>,
}

/// An order's `channel`.
#[derive(Debug, Serialize)]
pub struct ChannelView {
    /// Where it stands.
    pub state: ChannelState,
    /// When its funding was broadcast (unix seconds).
    pub opened_ts: Option<i64>,
    /// Its funding outpoint, `txid:vout`.
    pub open_transaction: Option<String>,
    /// Its short channel id, once confirmed.
    pub scid: Option<String>,
    /// When the lease ends (unix seconds).
    pub expiry_ts: Option<i64>,
    /// Always null (the closing transaction is not tracked).
    pub closing_transaction: Option<String>,
    /// When it closed (unix seconds).
    pub closed_ts: Option<i64>,
    /// The buyer's node as given.
    pub node_id: Option<String>,
    /// The hub's `pubkey@host:port`.
    pub lsp_node_id: String,
}

impl OrderView {
    /// The view of `order`.
    pub fn of(order: &Order, ctx: &ViewContext<'_>) -> Self {
        let channel = &order.channel;
        let received = received_sat(ctx.receipts);
        Self {
            id: order.id.clone(),
            created_at: order.created_at,
            state: Lsps1OrderState::of(order),
            request: RequestEcho::of(order),
            payment: PaymentView {
                state: PaymentState::of(order, received),
                order_expiry_ts: order.terms.order_expires_at,
                fee_total: order.terms.fee_sat,
                order_total: order.terms.total_sat,
                amount_paid: model::amount_paid_sat(order, received),
                ln_invoice: order.payment.payment_request.clone(),
                btc_address: order.payment.btc_address.clone(),
                onchain_payments: onchain_payments(order, ctx.receipts),
            },
            channel: ChannelState::of(order).map(|state| ChannelView {
                state,
                opened_ts: channel.opened_at,
                open_transaction: channel
                    .funding_txid
                    .as_ref()
                    .map(|txid| format!("{txid}:{}", channel.funding_vout.unwrap_or(0))),
                scid: ctx.scid.map(scid_text),
                expiry_ts: channel.channel_expires_at,
                closing_transaction: None,
                closed_ts: channel.closed_at,
                node_id: node_connection(order),
                lsp_node_id: ctx.lsp_uri.to_string(),
            }),
        }
    }
}

/// The flat order of `GET /lsp/channel?id=` (the seed's older model).
#[derive(Debug, Serialize)]
pub struct FlatOrder {
    /// The order's id.
    pub order_id: String,
    /// Creation time (unix seconds).
    pub created_at: i64,
    /// The buyer's side, in sats.
    pub local_balance: Sat,
    /// The LSP's side, in sats.
    pub remote_balance: Sat,
    /// The lease, in weeks.
    pub channel_expiry: i64,
    /// When the lease ends (unix seconds), once open.
    pub channel_expiry_ts: Option<i64>,
    /// Pay before this (unix seconds).
    pub order_expiry_ts: i64,
    /// What the buyer pays.
    pub order_total: Sat,
    /// The LSP's fee.
    pub fee_total: Sat,
    /// Always null.
    pub fee_per_payment: Option<u64>,
    /// Always null.
    pub temporary_scid: Option<String>,
    /// The short channel id, once confirmed.
    pub scid: Option<String>,
    /// The hub's `pubkey@host:port`.
    pub lsp_connection_info: String,
    /// The hold invoice.
    pub ln_invoice: String,
    /// The order's treasury address (null when on-chain payment is not offered).
    pub btc_address: Option<String>,
    /// The order's LNURL-channel.
    pub lnurl_channel: String,
    /// What arrived so far, in sats.
    pub amount_paid: u64,
    /// The buyer's node as given.
    pub node_connection_info: Option<String>,
    /// The funding transaction.
    pub channel_open_tx: Option<String>,
    /// Where the order stands.
    pub state: FlatState,
    /// What arrived at the address (null when on-chain payment is not offered).
    pub onchain_payments: Option<Vec<OnchainPayment>>,
}

impl FlatOrder {
    /// The flat view of `order`, whose LNURL-channel is `lnurl`.
    pub fn of(order: &Order, ctx: &ViewContext<'_>, lnurl: String) -> Self {
        let received = received_sat(ctx.receipts);
        Self {
            order_id: order.id.clone(),
            created_at: order.created_at,
            local_balance: order.terms.client_balance_sat,
            remote_balance: order.terms.lsp_balance_sat,
            channel_expiry: order.terms.expiry_weeks,
            channel_expiry_ts: order.channel.channel_expires_at,
            order_expiry_ts: order.terms.order_expires_at,
            order_total: order.terms.total_sat,
            fee_total: order.terms.fee_sat,
            fee_per_payment: None,
            temporary_scid: None,
            scid: ctx.scid.map(scid_text),
            lsp_connection_info: ctx.lsp_uri.to_string(),
            ln_invoice: order.payment.payment_request.clone(),
            btc_address: order.payment.btc_address.clone(),
            lnurl_channel: lnurl,
            amount_paid: model::amount_paid_sat(order, received),
            node_connection_info: node_connection(order),
            channel_open_tx: order.channel.funding_txid.clone(),
            state: FlatState::of(order, received),
            onchain_payments: onchain_payments(order, ctx.receipts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_channel_ids_read_as_block_tx_output() {
        let scid = (643_904u64 << 40) | (1_419 << 16) | 1;
        assert_eq!(scid_text(scid), "643904x1419x1");
    }
}
