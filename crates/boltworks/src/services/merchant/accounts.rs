//! Accounts: PSS signup (the merchant's keys), hub signup and signin, access and refresh
//! tokens, the merchant's signing key and setup, and the hub's and PSS's public keys.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use rand::distributions::{Alphanumeric, DistString};
use rand::RngCore;
use serde_json::{json, Value};

use super::api::PeachInput;
use super::error::PeachError;
use super::session::{issue_access_token, merchant_of_access_token, Session};
use super::store::{self, RefreshUse, Setup};
use super::MerchantService;
use crate::auth::{self, signing_key};
use crate::http::PathId;

/// Refresh tokens live 30 days (and are used once).
const REFRESH_TOKEN_SECS: i64 = 30 * 86_400;
/// Longest password accepted (argon2 hashes any length; this bounds the work).
const MAX_PASSWORD: usize = 1_024;
/// Shortest password accepted.
const MIN_PASSWORD: usize = 8;

/// `POST /pss/api/v1/signup`: registers the merchant's keys; answers the user id and the PSS's
/// signature over it (both shapes the digest found: nested and top-level `content`).
pub async fn pss_signup(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let keys = match input.get("raw_public_key_list") {
        Some(Value::Array(keys)) if !keys.is_empty() && keys.len() <= 16 => keys,
        _ => {
            return Err(PeachError::invalid(
                "raw_public_key_list must list 1 to 16 base64 public keys",
            ))
        }
    };
    for key in keys {
        if key
            .as_str()
            .and_then(signing_key::public_key_from_base64)
            .is_none()
        {
            return Err(PeachError::invalid(
                "raw_public_key_list holds a value that is not a base64 secp256k1 public key",
            ));
        }
    }
    let user_id = Alphanumeric.sample_string(&mut rand::thread_rng(), 24);
    store::insert_pss_user(
        &state.hub.store,
        &user_id,
        &Value::from(keys.clone()).to_string(),
        state.hub.clock.now_unix(),
    )
    .await?;
    let signature = state.keys.pss_key.sign(&[&user_id]);
    Ok(Json(
        json!({"user_id": {"content": user_id}, "content": user_id, "pss_signature": signature}),
    ))
}

/// `GET /pss/api/v1/pss/public_key`.
pub async fn pss_public_key(State(state): State<MerchantService>) -> Json<Value> {
    Json(json!({"content": state.keys.pss_key.public_key_base64()}))
}

/// `GET /api/v2/hub/pubkey`.
pub async fn hub_public_key(State(state): State<MerchantService>) -> Json<Value> {
    Json(json!({"pubkey": state.keys.hub_key.public_key_base64()}))
}

/// `POST /api/v2/auth/signup`: `X-Pss-User-Id: <id>.<pss signature>` and email and password.
pub async fn signup(
    State(state): State<MerchantService>,
    headers: HeaderMap,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let header = headers
        .get("x-pss-user-id")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| PeachError::invalid("X-Pss-User-Id header is required"))?;
    let (user_id, signature) = header.split_once('.').unwrap_or((header, ""));
    // An empty signature was accepted by the original; a given one must be the PSS's.
    if !signature.is_empty()
        && !signing_key::verify(&state.keys.pss_key.public_key(), signature, &[user_id])
    {
        return Err(PeachError::bad_signature());
    }
    if !store::pss_user_exists(&state.hub.store, user_id).await? {
        return Err(PeachError::NotFound("user not found".into()));
    }
    let email = input.required_text("email")?.trim().to_ascii_lowercase();
    if !is_email(&email) {
        return Err(PeachError::invalid("not valid email address"));
    }
    let password = input.required_text("password")?;
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count()) {
        return Err(PeachError::invalid(format!(
            "password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        )));
    }
    let hash = hash_password(password).await?;
    if !store::insert_merchant(
        &state.hub.store,
        user_id,
        &email,
        &hash,
        state.hub.clock.now_unix(),
    )
    .await?
    {
        return Err(PeachError::Refused("user is already registered".into()));
    }
    tracing::info!(merchant_id = %user_id, "merchant signed up");
    Ok(Json(json!({"merchant_id": user_id})))
}

/// `POST /api/v2/auth/signin`: tokens for email and password.
pub async fn signin(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let email = input.required_text("email")?.trim().to_ascii_lowercase();
    let password = input.required_text("password")?.to_string();
    let merchant = store::merchant_by_email(&state.hub.store, &email)
        .await?
        .ok_or_else(|| PeachError::NotFound("user not found".into()))?;
    let stored = merchant.password_hash.clone();
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&password, &stored))
        .await
        .unwrap_or(false);
    if !matches {
        return Err(PeachError::Unauthenticated(
            "invalid email or password".into(),
        ));
    }
    let mut tx = state.hub.store.pool().begin().await?;
    let tokens = new_tokens(&state, &mut tx, &merchant.merchant_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// `POST /api/v2/auth/validate`: the merchant of a valid access token.
pub async fn validate(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let token = input
        .text("token")?
        .ok_or_else(|| PeachError::Unauthenticated("token not found".into()))?;
    let merchant_id = merchant_of_access_token(&state, token)?;
    Ok(Json(json!({"merchant_id": merchant_id})))
}

/// `POST /api/v2/auth/token/{refresh_token}`: new tokens; the refresh token is used up.
pub async fn refresh(
    State(state): State<MerchantService>,
    token: PathId,
) -> Result<Json<Value>, PeachError> {
    let token = token.as_str();
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PeachError::Unauthenticated(
            "incorrect recovery token".into(),
        ));
    }
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let merchant_id = match store::use_refresh_token(&mut tx, &auth::session_key_hash(token), now)
        .await?
    {
        RefreshUse::Used(id) => id,
        RefreshUse::Unknown => return Err(PeachError::Unauthenticated("token not found".into())),
        RefreshUse::AlreadyUsed => {
            return Err(PeachError::Unauthenticated("token already used".into()))
        }
        RefreshUse::Expired => return Err(PeachError::Unauthenticated("token is expired".into())),
    };
    let tokens = new_tokens(&state, &mut tx, &merchant_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// `POST /api/v2/user/pubkey/add`: the key (hex SEC) that verifies the merchant's signatures.
pub async fn add_pubkey(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let key = input.required_text("pub_key")?;
    if signing_key::public_key_from_hex(key).is_none() {
        return Err(PeachError::invalid(
            "pub_key must be a hex secp256k1 public key",
        ));
    }
    store::set_pubkey(
        &state.hub.store,
        &session.merchant.merchant_id,
        key.trim(),
        state.hub.clock.now_unix(),
    )
    .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v2/merchant`: merchant setup (repeatable). The withdrawal address must be the
/// merchant's, signed with its key over `merchant_id` + `bitcoin_address`.
pub async fn setup(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let merchant_id = session.merchant.merchant_id.as_str();
    let pubkey = input.required_text("merchant_pubkey")?.trim();
    let key = signing_key::public_key_from_hex(pubkey)
        .ok_or_else(|| PeachError::invalid("merchant_pubkey must be a hex secp256k1 public key"))?;
    let urls = [
        "notification_url",
        "notification_url_for_on_chain_payment",
        "notification_url_for_forward_payment",
    ];
    let mut checked = Vec::new();
    for name in urls {
        let url = input.text(name)?.unwrap_or_default().trim();
        if !url.is_empty() && !is_http_url(url) {
            return Err(PeachError::invalid(format!(
                "{name} must be an http(s) URL"
            )));
        }
        checked.push(url);
    }
    let address = input.required_text("bitcoin_address")?.trim();
    if super::parse_address(&state, address).is_none() {
        return Err(PeachError::invalid("invalid BTC address"));
    }
    let signature = input
        .text("approve_address_signature")?
        .ok_or_else(PeachError::bad_signature)?;
    if !signing_key::verify(&key, signature, &[merchant_id, address]) {
        return Err(PeachError::bad_signature());
    }
    let preimage_url = input.text("get_r_preimage_url")?;
    let now = state.hub.clock.now_unix();
    let values = Setup {
        pubkey,
        notification_url: checked[0],
        notification_url_on_chain: checked[1],
        notification_url_forward: checked[2],
        preimage_url,
        bitcoin_address: address,
    };
    store::setup(&state.hub.store, merchant_id, &values, now).await?;
    Ok(Json(json!({"id": merchant_id, "timestamp": now})))
}

/// A fresh access token and refresh token, the refresh token stored (by hash) in `tx`.
async fn new_tokens(
    state: &MerchantService,
    tx: &mut sqlx::AnyConnection,
    merchant_id: &str,
) -> Result<Value, PeachError> {
    let now = state.hub.clock.now_unix();
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let refresh_token = hex::encode(bytes);
    store::insert_refresh_token(
        tx,
        &auth::session_key_hash(&refresh_token),
        merchant_id,
        now + REFRESH_TOKEN_SECS,
        now,
    )
    .await?;
    let (access_token, expires_at) = issue_access_token(state, merchant_id);
    Ok(json!({
        "merchant_id": merchant_id,
        "token_type": "Bearer",
        "refresh_token": refresh_token,
        "access_token": access_token,
        "expires_at": expires_at,
        "expires_in": expires_at - now,
    }))
}

async fn hash_password(password: &str) -> Result<String, PeachError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| PeachError::Internal(format!("hashing task: {e}")))?
        .map_err(|e| PeachError::Internal(format!("hashing: {e}")))
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces, at most 254.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute http or https URL.
pub fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_email("shop@example.com"));
        for bad in [
            "shop",
            "@example.com",
            "shop@example",
            "a b@c.de",
            "a@b@c.de",
            "a@.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
