//! The LSPS1 v0.0.2 wire format (see specs/lsps1-v0.0.2.md): JSON bodies with integer amounts;
//! errors as `{"message","code"}` with HTTP 400 (`BAD_REQUEST`) or 404 (`NOT_FOUND`); the nested
//! order model, whose states are derived from the engine's one state; timestamps in seconds.
//!
//! Balance names are the opposite of v0.0.1's: `remote_balance` is the LSP's side (the buyer's
//! inbound liquidity), `local_balance` the buyer's own.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::model::OrderState;
use super::store::Order;
use crate::http::request_fields::has_nul;
use crate::treasury::Receipt;

/// An error answer of the LSPS1 API.
#[derive(Debug)]
pub enum Lsps1Error {
    /// Invalid input (400 `BAD_REQUEST`), with what is wrong.
    BadRequest(String),
    /// No such order (404 `NOT_FOUND`).
    NotFound,
    /// A failure of ours (500, details logged only).
    Internal(String),
}

impl Lsps1Error {
    /// A 400 with `message`.
    pub fn bad(message: impl Into<String>) -> Self {
        Lsps1Error::BadRequest(message.into())
    }
}

impl IntoResponse for Lsps1Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Lsps1Error::BadRequest(message) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", message),
            Lsps1Error::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND", "order not found".into()),
            Lsps1Error::Internal(detail) => {
                tracing::error!(%detail, "LSPS1 internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "internal error; try again later".into(),
                )
            }
        };
        (status, Json(json!({"message": message, "code": code}))).into_response()
    }
}

impl From<sqlx::Error> for Lsps1Error {
    fn from(e: sqlx::Error) -> Self {
        Lsps1Error::Internal(format!("database: {e}"))
    }
}

/// A JSON object body.
pub struct Lsps1Body(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Lsps1Body {
    type Rejection = Lsps1Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| Lsps1Error::bad("the request body is too large or unreadable"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(fields)) if has_nul(&Value::Object(fields.clone())) => Err(
                Lsps1Error::bad("the request body must not contain NUL characters"),
            ),
            Ok(Value::Object(fields)) => Ok(Lsps1Body(fields)),
            _ => Err(Lsps1Error::bad("the request body must be a JSON object")),
        }
    }
}

impl Lsps1Body {
    /// An optional non-negative integer field (JSON integers only: no strings, no fractions).
    pub fn whole(&self, name: &str) -> Result<Option<u64>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(_) => Err(Lsps1Error::bad(format!(
                "{name} must be a non-negative integer"
            ))),
        }
    }

    /// An optional string field.
    pub fn text(&self, name: &str) -> Result<Option<&str>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be a string"))),
        }
    }

    /// An optional boolean field.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be true or false"))),
        }
    }

    /// An optional number field of at least `min` (not money: a fee rate).
    pub fn number_at_least(&self, name: &str, min: f64) -> Result<Option<f64>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() && x >= min && x <= 1_000_000.0 => Ok(Some(x)),
                _ => Err(Lsps1Error::bad(format!(
                    "{name} must be a number from {min} to 1000000"
                ))),
            },
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be a number"))),
        }
    }
}

/// The order's LSPS1 `state`.
pub fn lsps1_order_state(order: &Order) -> &'static str {
    match order.order_state() {
        Some(OrderState::Created) => "AWAITING_PAYMENT",
        Some(OrderState::Expired) => "OFFER_EXPIRED",
        Some(OrderState::Opening | OrderState::Open | OrderState::Closing | OrderState::Closed) => {
            "COMPLETED"
        }
        _ => "PENDING_CHANNEL_OPEN",
    }
}

/// Whether the buyer's money went back: the held HTLC failed back (for an order not paid on
/// chain), or an on-chain refund was sent.
fn refunded(order: &Order) -> bool {
    (order.htlc_state == "failed_back" && order.onchain_paid_sat.is_none())
        || order.refund_state.as_deref() == Some("paid_out")
        || order.order_state() == Some(OrderState::Refunded)
}

/// The order's LSPS1 `payment.state`, with `onchain_sat` received at its address so far.
pub fn payment_state(order: &Order, onchain_sat: u64) -> &'static str {
    if refunded(order) {
        "REFUNDED"
    } else if order.onchain_paid_sat.is_some()
        || (matches!(order.htlc_state.as_str(), "held" | "settled")
            && order.order_state() != Some(OrderState::Created))
    {
        "PAID"
    } else if onchain_sat > 0 {
        "UNDER_FUNDED"
    } else {
        "CREATED"
    }
}

/// Sats received for the order so far: the held (or settled) Lightning payment and what arrived
/// at its address (`onchain_sat`).
pub fn amount_paid(order: &Order, onchain_sat: u64) -> i64 {
    let lightning = match order.htlc_state.as_str() {
        "held" | "settled" => order.held_msat.unwrap_or(0) / 1_000,
        _ => 0,
    };
    lightning.saturating_add(i64::try_from(onchain_sat).unwrap_or(i64::MAX))
}

/// The sum of what arrived on chain, confirmed or not.
pub fn received_sat(receipts: &[Receipt]) -> u64 {
    receipts.iter().map(|r| r.amount.0).sum()
}

/// LSPS1's `onchain_payments`: null when on-chain payment is not offered.
fn onchain_payments(order: &Order, receipts: &[Receipt]) -> Value {
    if order.btc_address.is_none() {
        return Value::Null;
    }
    receipts
        .iter()
        .map(|r| {
            json!({
                "transaction_id": r.txid.to_string(),
                "out_point": r.vout,
                "amount": r.amount.0,
                "zero_conf": r.confirmations == 0,
            })
        })
        .collect()
}

/// The channel's LSPS1 `state`, once its funding transaction is out.
pub fn channel_state(order: &Order) -> Option<&'static str> {
    match order.order_state()? {
        OrderState::Opening => Some("OPENING"),
        OrderState::Open => Some("OPENED"),
        OrderState::Closing => Some("CLOSING"),
        OrderState::Closed => Some("CLOSED"),
        _ => None,
    }
}

/// The request as applied, echoed in every view.
pub fn request_echo(order: &Order) -> Value {
    order
        .request_echo
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_else(|| {
            json!({
                "remote_balance": order.lsp_balance_sat,
                "local_balance": order.client_balance_sat,
                "channel_expiry": order.expiry_weeks,
                "coupon_code": "",
            })
        })
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
pub fn node_connection(order: &Order) -> Option<String> {
    let key = order.node_pubkey.as_deref()?;
    Some(match order.node_address.as_deref() {
        Some(address) => format!("{key}@{address}"),
        None => key.to_string(),
    })
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

/// The answer to `POST /lsp/channels` (201).
pub fn created(order: &Order) -> Value {
    json!({
        "id": order.id,
        "fee_total": order.fee_sat,
        "order_total": order.total_sat,
        "order_expiry_ts": order.order_expires_at,
        "ln_invoice": order.payment_request,
        "btc_address": order.btc_address,
        "request": request_echo(order),
    })
}

/// The nested order of `GET /lsp/channels/{id}`.
pub fn order_view(order: &Order, ctx: &ViewContext<'_>) -> Value {
    let channel = channel_state(order).map(|state| {
        json!({
            "state": state,
            "opened_ts": order.opened_at,
            "open_transaction": order.funding_txid.as_ref().map(|txid| format!("{txid}:{}", order.funding_vout.unwrap_or(0))),
            "scid": ctx.scid.map(scid_text),
            "expiry_ts": order.channel_expires_at,
            "closing_transaction": Value::Null,
            "closed_ts": order.closed_at,
            "node_id": node_connection(order),
            "lsp_node_id": ctx.lsp_uri,
        })
    });
    json!({
        "id": order.id,
        "created_at": order.created_at,
        "state": lsps1_order_state(order),
        "request": request_echo(order),
        "payment": {
            "state": payment_state(order, received_sat(ctx.receipts)),
            "order_expiry_ts": order.order_expires_at,
            "fee_total": order.fee_sat,
            "order_total": order.total_sat,
            "amount_paid": amount_paid(order, received_sat(ctx.receipts)),
            "ln_invoice": order.payment_request,
            "btc_address": order.btc_address,
            "onchain_payments": onchain_payments(order, ctx.receipts),
        },
        "channel": channel,
    })
}

/// The flat view's state (the seed's older model).
fn flat_state(order: &Order, onchain_sat: u64) -> &'static str {
    if refunded(order) {
        return "REFUNDED";
    }
    match order.order_state() {
        Some(OrderState::Created) if onchain_sat > 0 => "UNDER_FUNDED",
        Some(OrderState::Created) => "CREATED",
        Some(OrderState::Expired) => "OFFER_EXPIRED",
        Some(OrderState::GiveUp) => "FAILED",
        Some(OrderState::UriSet) if order.open_error.is_some() => "FAILED",
        Some(OrderState::Opening) => "OPENING",
        Some(OrderState::Open) => "OPENED",
        Some(OrderState::Closing) => "CLOSING",
        Some(OrderState::Closed) => "CLOSED",
        _ => "PENDING",
    }
}

/// The flat order of `GET /lsp/channel?id=`.
pub fn flat_view(order: &Order, ctx: &ViewContext<'_>, lnurl: &str) -> Value {
    json!({
        "order_id": order.id,
        "created_at": order.created_at,
        "local_balance": order.client_balance_sat,
        "remote_balance": order.lsp_balance_sat,
        "channel_expiry": order.expiry_weeks,
        "channel_expiry_ts": order.channel_expires_at,
        "order_expiry_ts": order.order_expires_at,
        "order_total": order.total_sat,
        "fee_total": order.fee_sat,
        "fee_per_payment": Value::Null,
        "temporary_scid": Value::Null,
        "scid": ctx.scid.map(scid_text),
        "lsp_connection_info": ctx.lsp_uri,
        "ln_invoice": order.payment_request,
        "btc_address": order.btc_address,
        "lnurl_channel": lnurl,
        "amount_paid": amount_paid(order, received_sat(ctx.receipts)),
        "node_connection_info": node_connection(order),
        "channel_open_tx": order.funding_txid,
        "state": flat_state(order, received_sat(ctx.receipts)),
        "onchain_payments": onchain_payments(order, ctx.receipts),
    })
}

/// The answer to `POST /lsp/channels/{id}/open`.
pub fn open_answer(
    success: bool,
    message: &str,
    fail_reason: Option<&str>,
    lsp_uri: &str,
) -> Value {
    json!({
        "success": success,
        "message": message,
        "fail_reason": fail_reason,
        "lsp_node_connection_string": lsp_uri,
    })
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
