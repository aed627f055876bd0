//! The LSP v0.0.1 wire format (Blocktank v1; see specs/lsp-v0.0.1.md): request fields from the
//! query string or a JSON body, numbers accepted as strings; business errors as HTTP 200
//! `{"error":"..."}`, our own failures as HTTP 500 `LSP server error!`; millisecond timestamps.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::lsps1_api::amount_paid;
use super::model::OrderState;
use super::store::Order;
use crate::http::request_fields::{self, FieldsRejection};
use crate::treasury::Receipt;

/// An error answer of the v0.0.1 API.
#[derive(Debug)]
pub enum V1Error {
    /// A refusal, with the original's text (HTTP 200).
    Refused(&'static str),
    /// A failure of ours (HTTP 500).
    Internal(String),
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        match self {
            V1Error::Refused(text) => Json(json!({"error": text})).into_response(),
            V1Error::Internal(detail) => {
                tracing::error!(%detail, "LSP v0.0.1 internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "LSP server error!").into_response()
            }
        }
    }
}

impl From<sqlx::Error> for V1Error {
    fn from(e: sqlx::Error) -> Self {
        V1Error::Internal(format!("database: {e}"))
    }
}

/// An LNURL answer's error (HTTP 200, LUD-01).
#[derive(Debug)]
pub struct LnurlError(pub String);

impl IntoResponse for LnurlError {
    fn into_response(self) -> Response {
        Json(json!({"status": "ERROR", "reason": self.0})).into_response()
    }
}

/// The merged request fields.
pub struct V1Input(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for V1Input {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match request_fields::read(req, state).await {
            Ok(fields) => Ok(V1Input(fields)),
            Err(FieldsRejection::Unreadable | FieldsRejection::Malformed) => {
                Err(V1Error::Refused("Invalid params"))
            }
        }
    }
}

impl V1Input {
    /// A field by any of its names.
    pub fn get(&self, names: &[&str]) -> Option<&Value> {
        names.iter().find_map(|name| self.0.get(*name))
    }

    /// A text field.
    pub fn text(&self, names: &[&str]) -> Option<&str> {
        self.get(names).and_then(Value::as_str)
    }

    /// A non-negative whole number (a JSON integer or a string of digits); `None` when absent
    /// or anything else.
    pub fn whole(&self, names: &[&str]) -> Option<u64> {
        match self.get(names)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s)
                if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().ok()
            }
            _ => None,
        }
    }

    /// A boolean given as `true`/`false`, `1`/`0` or their strings; absent is `false`.
    pub fn flag(&self, names: &[&str]) -> Option<bool> {
        match self.get(names) {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A node given as `pubkey` or `pubkey@ip:port`: the lowercase pubkey and the address.
pub fn parse_node_uri(text: &str) -> Option<(String, Option<std::net::SocketAddr>)> {
    let (key, address) = match text.trim().split_once('@') {
        Some((key, address)) => (key, Some(address.parse().ok()?)),
        None => (text.trim(), None),
    };
    let key = key.to_ascii_lowercase();
    let valid = key.len() == 66
        && (key.starts_with("02") || key.starts_with("03"))
        && key.bytes().all(|b| b.is_ascii_hexdigit())
        && key.parse::<bitcoin::secp256k1::PublicKey>().is_ok();
    valid.then_some((key, address))
}

/// `created + weeks`, in milliseconds, as the original computed `channel_expiry_ts`.
fn ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1_000)
}

/// Everything the order views need besides the order.
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

/// The answer to `/channel/buy`: the seven keys of the original.
pub fn quote(order: &Order, lnurl: &str) -> Value {
    json!({
        "order_id": order.id,
        "ln_invoice": order.payment_request,
        "total_amount": order.total_sat,
        "btc_address": order.btc_address,
        "lnurl_channel": lnurl,
        "price": order.fee_sat,
        "order_expiry": ms(order.order_expires_at),
    })
}

/// The answer to `/channel/order`.
pub fn order_view(order: &Order, ctx: &OrderContext<'_>) -> Value {
    let onchain: u64 = ctx.receipts.iter().map(|r| r.amount.0).sum();
    let received = amount_paid(order, onchain);
    let onchain_payments: Vec<Value> = ctx
        .receipts
        .iter()
        .map(|r| {
            json!({
                "height": r.height,
                "hash": r.txid.to_string(),
                "to": order.btc_address,
                "amount_base": r.amount.0,
                "fee_base": Value::Null,
                "zero_conf": false,
                "confirmed": r.confirmations > 0,
            })
        })
        .collect();
    let lnurl =
        json!({"uri": ctx.uri, "callback": ctx.callback, "k1": order.id, "tag": "channelRequest"});
    let mut view = json!({
        "_id": order.id,
        "product_id": ctx.product_id,
        "local_balance": order.lsp_balance_sat,
        "remote_balance": order.client_balance_sat,
        "channel_expiry": order.expiry_weeks,
        "channel_expiry_ts": ms(order.created_at) + order.expiry_weeks.saturating_mul(604_800_000),
        "order_expiry": ms(order.order_expires_at),
        "total_amount": order.total_sat,
        "price": order.fee_sat,
        "btc_address": order.btc_address,
        "created_at": order.created_at_ms,
        "amount_received": received,
        "state": order.state,
        "purchase_invoice": order.payment_request,
        "onchain_payments": onchain_payments,
        "renewals": [],
        "current_channel_info": ctx.live_balances.map(|(lsp, client)| json!({"local_balance": lsp, "remote_balance": client})),
        "lnurl_decoded": {"uri": ctx.uri, "k1": order.id, "tag": "channelRequest"},
        "lnurl_string": ctx.lnurl,
        "lnurl": lnurl,
    });
    if let Some(pubkey) = &order.node_pubkey {
        let address: Option<std::net::SocketAddr> =
            order.node_address.as_deref().and_then(|a| a.parse().ok());
        view["remote_node"] = json!({
            "err": false,
            "port": address.map(|a| a.port()),
            "ip": address.map(|a| a.ip().to_string()),
            "addr": order.node_address,
            "public_key": pubkey,
        });
        view["private_channel"] = json!(!order.announce_channel);
    }
    if let Some(txid) = &order.funding_txid {
        view["channel_open_tx"] =
            json!({"transaction_id": txid, "transaction_vout": order.funding_vout});
    }
    if order.order_state() == Some(OrderState::Open) {
        view["lightning_channel_id"] = json!(order.channel_id);
    }
    if let Some(closed) = order.closed_at {
        view["channel_close_tx"] = json!({"transaction_id": Value::Null, "ts": ms(closed)});
    }
    if order.order_state() == Some(OrderState::GiveUp) {
        view["channel_open_error"] = json!(order.open_error);
    }
    view
}
