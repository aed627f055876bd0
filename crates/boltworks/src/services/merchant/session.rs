//! Who is calling: the `Authorization: Bearer <access token>` of merchant endpoints, checked
//! against the hub's JWT key and clock, and the merchant's `X-Signature` over a payment.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::api::PeachError;
use super::model::{self, Refusal, ACCESS_TOKEN_SECS};
use super::store::{self, Merchant};
use super::MerchantService;
use crate::auth::jwt::TokenError;
use crate::auth::signing_key;

/// The merchant an access token names.
pub struct Session {
    /// The merchant, as stored now.
    pub merchant: Merchant,
}

impl FromRequestParts<MerchantService> for Session {
    type Rejection = PeachError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MerchantService,
    ) -> Result<Self, Self::Rejection> {
        let token = AccessToken::from_request_parts(parts, state).await?;
        let merchant = store::merchants::by_id(&state.hub.store, token.merchant_id())
            .await?
            .ok_or(Refusal::MerchantGone)?;
        Ok(Session { merchant })
    }
}

/// The merchant an access token names, checked against the key and clock only: for reads
/// that load the merchant's row with what they read (`Session` loads it first).
pub struct AccessToken {
    merchant_id: String,
}

impl AccessToken {
    /// The caller's merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }
}

impl FromRequestParts<MerchantService> for AccessToken {
    type Rejection = PeachError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MerchantService,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers).ok_or(Refusal::TokenNotFound)?;
        let merchant_id = merchant_of_access_token(state, token)?;
        Ok(AccessToken { merchant_id })
    }
}

/// The token of `Authorization: Bearer <token>`.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The merchant id of a valid access token.
pub fn merchant_of_access_token(state: &MerchantService, token: &str) -> Result<String, Refusal> {
    let claims = state
        .keys
        .jwt
        .verify(token, state.hub.clock.now_unix())
        .map_err(|e| match e {
            TokenError::Expired => Refusal::TokenExpired,
            TokenError::Invalid => Refusal::TokenNotFound,
        })?;
    if claims.get("typ").and_then(Value::as_str) != Some("access") {
        return Err(Refusal::TokenNotFound);
    }
    claims
        .get("merchant_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(Refusal::TokenNotFound)
}

/// A new access token for `merchant_id` and its expiry (unix seconds).
pub fn issue_access_token(state: &MerchantService, merchant_id: &str) -> (String, i64) {
    let expires_at = state.hub.clock.now_unix() + ACCESS_TOKEN_SECS;
    let mut claims = Map::new();
    claims.insert("merchant_id".into(), Value::from(merchant_id));
    claims.insert("exp".into(), Value::from(expires_at));
    claims.insert("typ".into(), Value::from("access"));
    (state.keys.jwt.issue(&claims), expires_at)
}

impl Session {
    /// The caller's merchant id.
    pub fn merchant_id(&self) -> &str {
        &self.merchant.merchant_id
    }

    /// Refuses a request that names another merchant in its `merchant_id` field.
    pub fn check_named(&self, named: Option<&str>) -> Result<(), Refusal> {
        model::named_merchant(&self.merchant.merchant_id, named)
    }

    /// Checks `X-Signature` over `fields` with the merchant's registered key.
    pub fn check_signature(&self, headers: &HeaderMap, fields: &[&str]) -> Result<(), Refusal> {
        let signature = headers
            .get("x-signature")
            .and_then(|v| v.to_str().ok())
            .ok_or(Refusal::BadSignature)?;
        let key = self
            .merchant
            .pubkey
            .as_deref()
            .and_then(signing_key::public_key_from_hex)
            .ok_or(Refusal::BadSignature)?;
        if signing_key::verify(&key, signature, fields) {
            Ok(())
        } else {
            Err(Refusal::BadSignature)
        }
    }
}
