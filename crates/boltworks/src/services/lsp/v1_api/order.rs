//! v0.0.1's order replies: the quote of `/channel/buy`, the answer of
//! `/channel/manual_finalise`, and the order of `/channel/order`, whose keys for the buyer's
//! node, the funding, the channel id, the close and the open error appear only once they apply.

use std::net::SocketAddr;

use serde::Serialize;

use super::lnurl::ChannelRequest;
use crate::money::Sat;
use crate::services::lsp::model::{self, OrderState};
use crate::services::lsp::store::Order;
use crate::treasury::Receipt;

/// Seconds as v0.0.1's milliseconds.
fn ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1_000)
}

/// The answer to `/channel/buy`: the seven keys of the original.
#[derive(Debug, Serialize)]
pub struct Quote {
    /// The order's id (24 hex).
    pub order_id: String,
    /// The hold invoice.
    pub ln_invoice: String,
    /// What the buyer pays, in sats.
    pub total_amount: Sat,
    /// The order's own treasury address (every v0.0.1 order has one, as Blocktank's did; empty
    /// only on a hub without a treasury, whose chain source is not bitcoind RPC).
    pub btc_address: String,
    /// The order's LNURL-channel.
    pub lnurl_channel: String,
    /// The LSP's fee, in sats.
    pub price: Sat,
    /// Pay before this (ms).
    pub order_expiry: i64,
}

impl Quote {
    /// The quote of `order`, whose LNURL-channel is `lnurl`.
    pub fn of(order: &Order, lnurl: String) -> Self {
        Self {
            order_id: order.id.clone(),
            ln_invoice: order.payment.payment_request.clone(),
            total_amount: order.terms.total_sat,
            btc_address: order.payment.btc_address.clone().unwrap_or_default(),
            lnurl_channel: lnurl,
            price: order.terms.fee_sat,
            order_expiry: ms(order.terms.order_expires_at),
        }
    }
}

/// The answer to `/channel/manual_finalise`.
#[derive(Debug, Serialize)]
pub struct Finalised {
    /// The order's id, as given.
    pub order_id: String,
    /// The buyer's node id.
    pub node_uri: String,
}

/// The answer to `/channel/order`: one order, or several as an array.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OrderAnswer {
    /// One id was asked for.
    One(Box<OrderView>),
    /// Several ids were asked for.
    Several(Vec<OrderView>),
}

/// Everything the order view needs besides the order.
pub struct OrderContext<'a> {
    /// The product id.
    pub product_id: &'a str,
    /// The LNURL-channel (bech32).
    pub lnurl: &'a str,
    /// The hub's `pubkey@host:port`.
    pub uri: &'a str,
    /// The LNURL callback URL.
    pub callback: &'a str,
    /// Live balances of the order's channel: (LSP side, buyer side), sats.
    pub live_balances: Option<(u64, u64)>,
    /// What the order's address received.
    pub receipts: &'a [Receipt],
}

/// An order of `/channel/order`.
#[derive(Debug, Serialize)]
pub struct OrderView {
    /// The order's id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The product id.
    pub product_id: String,
    /// The LSP's side, in sats.
    pub local_balance: Sat,
    /// The buyer's side, in sats.
    pub remote_balance: Sat,
    /// The lease, in weeks.
    pub channel_expiry: i64,
    /// When the lease ends, counted from the order's creation (ms).
    pub channel_expiry_ts: i64,
    /// Pay before this (ms).
    pub order_expiry: i64,
    /// What the buyer pays, in sats.
    pub total_amount: Sat,
    /// The LSP's fee, in sats.
    pub price: Sat,
    /// The order's own treasury address (every v0.0.1 order has one, as Blocktank's did; empty
    /// only on a hub without a treasury, whose chain source is not bitcoind RPC).
    pub btc_address: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// What arrived so far, in sats.
    pub amount_received: u64,
    /// The state's number.
    pub state: i64,
    /// The hold invoice.
    pub purchase_invoice: String,
    /// What arrived at the order's address.
    pub onchain_payments: Vec<OnchainPayment>,
    /// Always empty (no renewals).
    pub renewals: Vec<serde_json::Value>,
    /// Live balances of the channel (null while there is none).
    pub current_channel_info: Option<ChannelBalances>,
    /// The LNURL-channel, decoded (without its callback).
    pub lnurl_decoded: LnurlDecoded,
    /// The LNURL-channel (bech32).
    pub lnurl_string: String,
    /// The LNURL-channel's request.
    pub lnurl: ChannelRequest,
    /// The buyer's node, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_node: Option<RemoteNode>,
    /// Whether the channel is unannounced, once the buyer's node is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_channel: Option<bool>,
    /// The funding transaction, once broadcast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_open_tx: Option<OpenTx>,
    /// The channel id, while the channel is open (null if unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lightning_channel_id: Option<Option<String>>,
    /// The close, once the channel closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_close_tx: Option<CloseTx>,
    /// Why opening gave up, once it did (null if unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_open_error: Option<Option<String>>,
}

/// A payment that arrived at the order's address.
#[derive(Debug, Serialize)]
pub struct OnchainPayment {
    /// The block that confirmed it.
    pub height: Option<u32>,
    /// The paying transaction.
    pub hash: String,
    /// The order's address.
    pub to: Option<String>,
    /// The amount, in sats.
    pub amount_base: Sat,
    /// The paying transaction's network fee, in sats (0 when the chain source cannot tell: a
    /// bitcoind without `-txindex` does not serve others' transactions).
    pub fee_base: Sat,
    /// Always false.
    pub zero_conf: bool,
    /// Whether it has a confirmation.
    pub confirmed: bool,
}

/// The live balances of an order's channel, in sats.
#[derive(Debug, Serialize)]
pub struct ChannelBalances {
    /// The LSP's side.
    pub local_balance: u64,
    /// The buyer's side.
    pub remote_balance: u64,
}

/// An LNURL-channel, decoded.
#[derive(Debug, Serialize)]
pub struct LnurlDecoded {
    /// The hub's node, `pubkey@host:port`.
    pub uri: String,
    /// The order's id.
    pub k1: String,
    /// Always `channelRequest`.
    pub tag: &'static str,
}

/// The buyer's node.
#[derive(Debug, Serialize)]
pub struct RemoteNode {
    /// Always false.
    pub err: bool,
    /// Its port, if an address was given.
    pub port: Option<u16>,
    /// Its IP, if an address was given.
    pub ip: Option<String>,
    /// Its address as given.
    pub addr: Option<String>,
    /// Its node id.
    pub public_key: String,
}

/// The channel's funding.
#[derive(Debug, Serialize)]
pub struct OpenTx {
    /// The funding transaction.
    pub transaction_id: String,
    /// The funding output.
    pub transaction_vout: Option<i64>,
}

/// The channel's close.
#[derive(Debug, Serialize)]
pub struct CloseTx {
    /// Always null (the closing transaction is not tracked).
    pub transaction_id: Option<String>,
    /// When it closed (ms).
    pub ts: i64,
}

impl OrderView {
    /// The view of `order`.
    pub fn of(order: &Order, ctx: &OrderContext<'_>) -> Self {
        let (terms, channel) = (&order.terms, &order.channel);
        let onchain: u64 = ctx.receipts.iter().map(|r| r.amount.0).sum();
        let onchain_payments = ctx
            .receipts
            .iter()
            .map(|r| OnchainPayment {
                height: r.height,
                hash: r.txid.to_string(),
                to: order.payment.btc_address.clone(),
                amount_base: r.amount,
                fee_base: r.fee.unwrap_or_default(),
                zero_conf: false,
                confirmed: r.confirmations > 0,
            })
            .collect();
        let lease_ms = terms.expiry_weeks.saturating_mul(604_800_000);
        let remote_node = channel.node_pubkey.as_ref().map(|pubkey| {
            let address: Option<SocketAddr> =
                channel.node_address.as_deref().and_then(|a| a.parse().ok());
            RemoteNode {
                err: false,
                port: address.map(|a| a.port()),
                ip: address.map(|a| a.ip().to_string()),
                addr: channel.node_address.clone(),
                public_key: pubkey.clone(),
            }
        });
        Self {
            id: order.id.clone(),
            product_id: ctx.product_id.to_string(),
            local_balance: terms.lsp_balance_sat,
            remote_balance: terms.client_balance_sat,
            channel_expiry: terms.expiry_weeks,
            channel_expiry_ts: ms(order.created_at).saturating_add(lease_ms),
            order_expiry: ms(terms.order_expires_at),
            total_amount: terms.total_sat,
            price: terms.fee_sat,
            btc_address: order.payment.btc_address.clone().unwrap_or_default(),
            created_at: order.created_at_ms,
            amount_received: model::amount_paid_sat(order, onchain),
            state: order.state.number(),
            purchase_invoice: order.payment.payment_request.clone(),
            onchain_payments,
            renewals: Vec::new(),
            current_channel_info: ctx.live_balances.map(|(lsp, client)| ChannelBalances {
                local_balance: lsp,
                remote_balance: client,
            }),
            lnurl_decoded: LnurlDecoded {
                uri: ctx.uri.to_string(),
                k1: order.id.clone(),
                tag: "channelRequest",
            },
            lnurl_string: ctx.lnurl.to_string(),
            lnurl: ChannelRequest::new(
                ctx.uri.to_string(),
                ctx.callback.to_string(),
                order.id.clone(),
            ),
            private_channel: remote_node.as_ref().map(|_| !channel.announce_channel),
            remote_node,
            channel_open_tx: channel.funding_txid.as_ref().map(|txid| OpenTx {
                transaction_id: txid.clone(),
                transaction_vout: channel.funding_vout,
            }),
            lightning_channel_id: (order.state == OrderState::Open)
                .then(|| channel.channel_id.clone()),
            channel_close_tx: channel.closed_at.map(|closed| CloseTx {
                transaction_id: None,
                ts: ms(closed),
            }),
            channel_open_error: (order.state == OrderState::GiveUp)
                .then(|| channel.open_error.clone()),
        }
    }
}
