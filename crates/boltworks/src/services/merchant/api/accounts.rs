//! Replies of the account endpoints: PSS signup and keys, hub signup, tokens and setup.

use serde::Serialize;

/// The PSS user id, nested as the seed's example has it.
#[derive(Debug, Clone, Serialize)]
pub struct PssUserId {
    /// The user id.
    pub content: String,
}

/// `POST /pss/api/v1/signup`: the user id both nested and top-level (the digest found both
/// readings), and the PSS's signature over it.
#[derive(Debug, Clone, Serialize)]
pub struct PssSignup {
    /// `{"content": id}`.
    pub user_id: PssUserId,
    /// The user id.
    pub content: String,
    /// The PSS's signature over the id (hex DER).
    pub pss_signature: String,
}

/// `GET /pss/api/v1/pss/public_key`.
#[derive(Debug, Clone, Serialize)]
pub struct PssPublicKey {
    /// The PSS's key, base64.
    pub content: String,
}

/// `GET /api/v2/hub/pubkey`.
#[derive(Debug, Clone, Serialize)]
pub struct HubPublicKey {
    /// The hub's key, base64.
    pub pubkey: String,
}

/// A merchant id (`POST /auth/signup`, `POST /auth/validate`).
#[derive(Debug, Clone, Serialize)]
pub struct MerchantIdReply {
    /// The merchant.
    pub merchant_id: String,
}

/// New tokens (`POST /auth/signin`, `POST /auth/token/{refresh_token}`).
#[derive(Debug, Clone, Serialize)]
pub struct Tokens {
    /// Whose.
    pub merchant_id: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// 48 hex, used once.
    pub refresh_token: String,
    /// The JWT.
    pub access_token: String,
    /// When the access token expires, unix seconds.
    pub expires_at: i64,
    /// Seconds it lives.
    pub expires_in: i64,
}

/// An empty object (`POST /user/pubkey/add`).
#[derive(Debug, Clone, Serialize)]
pub struct Empty {}

/// `POST /api/v2/merchant`: the merchant and when it was set up.
#[derive(Debug, Clone, Serialize)]
pub struct SetupDone {
    /// The merchant.
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
}
