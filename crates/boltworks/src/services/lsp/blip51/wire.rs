//! bLIP-51's shapes on the wire: `get_info`'s options, the order (as `create_order` and
//! `get_order` answer it, amounts as strings of digits, times as ISO 8601), and its errors,
//! JSON-RPC error objects (`{"code", "message", "data"}`) with an HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use crate::http::KeyRefusal;
use crate::money::Sat;

/// An amount written as bLIP-50's `LSPS0.sat`: a string of digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SatString(pub Sat);

impl Serialize for SatString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0 .0)
    }
}

/// The answer to `get_info`.
#[derive(Debug, Serialize)]
pub struct Options {
    /// Fewest confirmations before `channel_ready` a client may ask for.
    pub min_required_channel_confirmations: u16,
    /// Fewest blocks within which the funding is confirmed.
    pub min_funding_confirms_within_blocks: u16,
    /// Whether zero channel reserves are offered (no).
    pub supports_zero_channel_reserve: bool,
    /// Longest lease, in blocks.
    pub max_channel_expiry_blocks: u32,
    /// Least the client may ask pushed to its side.
    pub min_initial_client_balance_sat: SatString,
    /// Most the client may ask pushed to its side.
    pub max_initial_client_balance_sat: SatString,
    /// Least the LSP puts on its side.
    pub min_initial_lsp_balance_sat: SatString,
    /// Most the LSP puts on its side.
    pub max_initial_lsp_balance_sat: SatString,
    /// Smallest channel.
    pub min_channel_balance_sat: SatString,
    /// Largest channel.
    pub max_channel_balance_sat: SatString,
}

/// An order, as `create_order` and `get_order` answer it.
#[derive(Debug, Serialize)]
pub struct OrderAnswer {
    /// The order.
    pub order_id: String,
    /// The LSP's side, as asked.
    pub lsp_balance_sat: SatString,
    /// The client's side, as asked (paid by the client, pushed back to it).
    pub client_balance_sat: SatString,
    /// Confirmations before `channel_ready`, as asked.
    pub required_channel_confirmations: u16,
    /// Blocks within which the funding confirms, as asked.
    pub funding_confirms_within_blocks: u16,
    /// The lease in blocks, as asked.
    pub channel_expiry_blocks: u32,
    /// Mirrored; empty when none was given.
    pub token: String,
    /// Whether the channel is announced, as asked.
    pub announce_channel: bool,
    /// When the order was made.
    pub created_at: String,
    /// Where the order is.
    pub order_state: OrderState,
    /// How to pay.
    pub payment: Payment,
    /// `null` until the funding transaction is published.
    pub channel: Option<Channel>,
}

/// `order_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderState {
    /// Not delivered yet (unpaid, or paid and the channel not yet funded).
    Created,
    /// The funding transaction is published.
    Completed,
    /// Expired unpaid, given up, or refunded.
    Failed,
}

/// `payment`: a BOLT11 hold invoice only (boltworks offers no BOLT12 and, for bLIP-51, no
/// on-chain option: the spec lets an LSP omit either).
#[derive(Debug, Serialize)]
pub struct Payment {
    /// By a BOLT11 hold invoice.
    pub bolt11: Bolt11Payment,
}

/// `payment.bolt11`.
#[derive(Debug, Serialize)]
pub struct Bolt11Payment {
    /// The payment's state.
    pub state: PaymentState,
    /// When it expires.
    pub expires_at: String,
    /// The LSP's fee.
    pub fee_total_sat: SatString,
    /// What the client pays: the fee and its own side.
    pub order_total_sat: SatString,
    /// The hold invoice.
    pub invoice: String,
}

/// `payment.bolt11.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    /// Nothing arrived.
    ExpectPayment,
    /// A sufficient payment arrived (held until the channel's funding is out, then settled;
    /// bLIP-51's HOLD is not sent, as LDK's client cannot read it).
    Paid,
    /// Failed back to the payer.
    Refunded,
}

/// `channel`.
#[derive(Debug, Serialize)]
pub struct Channel {
    /// When the funding transaction was published.
    pub funded_at: String,
    /// `txid:vout`.
    pub funding_outpoint: String,
    /// The earliest the LSP may close it (the lease's end).
    pub expires_at: String,
}

/// A bLIP-51 error: a JSON-RPC error object with an HTTP status.
#[derive(Debug)]
pub enum Blip51Error {
    /// -32602: a request field is missing or invalid (400).
    InvalidParams {
        /// The request field.
        property: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// 100: the order does not fit `get_info`'s options (400).
    OptionMismatch {
        /// The `get_info` option it does not fit.
        property: &'static str,
        /// How.
        message: String,
    },
    /// 101: no such order (404).
    NotFound,
    /// A failure of ours (500, details logged only).
    Internal(String),
}

impl Blip51Error {
    /// -32602 on `property`.
    pub fn invalid(property: &'static str, message: impl Into<String>) -> Self {
        Blip51Error::InvalidParams {
            property,
            message: message.into(),
        }
    }

    /// 100 on option `property`.
    pub fn mismatch(property: &'static str, message: impl Into<String>) -> Self {
        Blip51Error::OptionMismatch {
            property,
            message: message.into(),
        }
    }

    /// A failure of ours.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Blip51Error::Internal(detail.to_string())
    }
}

impl From<sqlx::Error> for Blip51Error {
    fn from(e: sqlx::Error) -> Self {
        Blip51Error::Internal(format!("database: {e}"))
    }
}

fn error_object(status: StatusCode, code: i32, message: &str, data: Value) -> Response {
    let body = json!({"code": code, "message": message, "data": data});
    (status, Json(body)).into_response()
}

impl IntoResponse for Blip51Error {
    fn into_response(self) -> Response {
        match self {
            Blip51Error::InvalidParams { property, message } => error_object(
                StatusCode::BAD_REQUEST,
                -32602,
                "Invalid params",
                json!({"property": property, "message": message}),
            ),
            Blip51Error::OptionMismatch { property, message } => error_object(
                StatusCode::BAD_REQUEST,
                100,
                "Option mismatch",
                json!({"property": property, "message": message}),
            ),
            Blip51Error::NotFound => {
                error_object(StatusCode::NOT_FOUND, 101, "Not found", json!({}))
            }
            Blip51Error::Internal(detail) => {
                tracing::error!(%detail, "bLIP-51 internal error");
                error_object(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    "Internal error",
                    json!({"message": "internal error; try again later"}),
                )
            }
        }
    }
}

/// The answer to a client over the rate limit: 429 with a JSON-RPC error object (code 1,
/// bLIP-50's client rejected).
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let message = format!("too many requests; retry in {retry_after_secs} s");
    error_object(
        StatusCode::TOO_MANY_REQUESTS,
        1,
        "Client rejected",
        json!({"message": message}),
    )
}

/// The answer to a refused `Idempotency-Key`: its status with a JSON-RPC error object (-32602,
/// the header being a parameter of the request).
pub fn key_refused(refusal: KeyRefusal) -> Response {
    error_object(
        refusal.status(),
        -32602,
        "Invalid params",
        json!({"property": "Idempotency-Key", "message": refusal.message()}),
    )
}
