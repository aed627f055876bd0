//! LSPS1's other replies: the info (`GET /lsp/channels`), the answers of `/open` and `/refund`,
//! the refund status, and the order's LNURL.

use serde::Serialize;

use super::refusal::FailReason;

/// The answer to `GET /lsp/channels`: the API's version, features and (a boltworks extension)
/// its limits.
#[derive(Debug, Serialize)]
pub struct Info {
    /// Always `0.0.2`.
    pub version: &'static str,
    /// The hub's docs page.
    pub website: String,
    /// The features that work here.
    pub features: Vec<Feature>,
    /// The product's limits.
    pub limits: InfoLimits,
}

/// A feature: a name, or a name with its parameters.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Feature {
    /// A feature without parameters (`lnurl_lud2`, `local_balance`, `refunds`).
    Named(&'static str),
    /// On-chain payments, offered for orders of at least `min_satoshi`.
    OnchainPayments {
        /// Always `onchain_payments`.
        name: &'static str,
        /// The smallest order total offered an address, in sats.
        min_satoshi: u64,
    },
}

/// The limits of `GET /lsp/channels`.
#[derive(Debug, Serialize)]
pub struct InfoLimits {
    /// Smallest channel, in sats.
    pub min_channel_satoshi: u64,
    /// Largest channel (both sides), in sats.
    pub max_channel_satoshi: u64,
    /// Shortest lease.
    pub min_channel_expiry_weeks: u64,
    /// Longest lease.
    pub max_channel_expiry_weeks: u64,
    /// How long an order can be paid.
    pub order_expiry_seconds: u64,
}

/// The answer to `POST /lsp/channels/{id}/open` (201 on success, 412 otherwise).
#[derive(Debug, Serialize)]
pub struct OpenAnswer {
    /// Whether the channel's funding was broadcast.
    pub success: bool,
    /// What happened, for a person.
    pub message: String,
    /// Why it failed (null on success, and while the open is still in progress).
    pub fail_reason: Option<FailReason>,
    /// The hub's `pubkey@host:port`.
    pub lsp_node_connection_string: String,
}

/// The answer to `POST /lsp/channels/{id}/refund` (200 on success, 412 otherwise).
#[derive(Debug, Serialize)]
pub struct RefundAnswer {
    /// Whether a refund is made (or on its way).
    pub success: bool,
    /// What happened, for a person.
    pub message: String,
    /// Why not (null on success).
    pub fail_reason: Option<FailReason>,
}

/// Where an order's refund stands (`refund_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatusState {
    /// Being sent.
    InFlight,
    /// Money can be refunded now.
    Available,
    /// Refunded.
    PaidOut,
    /// Nothing this API can refund (the seed's value; the next draft renamed it `UNAVAILABLE`).
    Unsupported,
}

/// The amounts of a refund, under the method it used (or may use).
#[derive(Debug, Serialize)]
pub struct RefundAmounts {
    /// By Lightning invoice, in sats.
    pub lightning: Option<u64>,
    /// On chain, in sats.
    pub onchain: Option<u64>,
}

/// The answer to `GET /lsp/channels/{id}/refund`.
#[derive(Debug, Serialize)]
pub struct RefundStatus {
    /// Where the refund stands.
    pub refund_state: RefundStatusState,
    /// Its amounts (null when there is none).
    pub amounts: Option<RefundAmounts>,
    /// Where it went.
    pub paid_to: Option<String>,
    /// When it was paid (unix seconds).
    pub paid_ts: Option<i64>,
}

/// The answer to `GET /lsp/channels/{id}/lnurl`.
#[derive(Debug, Serialize)]
pub struct LnurlAnswer {
    /// The order's LNURL-channel (bech32).
    pub lnurl_channel: String,
}
