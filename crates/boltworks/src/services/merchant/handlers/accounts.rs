//! Accounts: PSS signup (the merchant's keys), hub signup and signin, access and refresh
//! tokens, and the hub's and PSS's public keys.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use rand::distributions::{Alphanumeric, DistString};
use rand::RngCore;
use serde_json::Value;
use tracing::field::Empty as Unset;
use tracing::Span;

use crate::auth::{self, signing_key};
use crate::http::PathId;
use crate::services::merchant::api::{
    HubPublicKey, MerchantIdReply, PeachError, PeachInput, PssPublicKey, PssSignup, PssUserId,
    Tokens,
};
use crate::services::merchant::model::{self, Refusal, REFRESH_TOKEN_SECS};
use crate::services::merchant::session::{issue_access_token, merchant_of_access_token};
use crate::services::merchant::store::{self, RefreshUse};
use crate::services::merchant::MerchantService;
use crate::store::OnUniqueViolation;

/// `POST /pss/api/v1/signup`: registers the merchant's keys; answers the user id and the PSS's
/// signature over it.
#[tracing::instrument(name = "merchant_pss_signup", skip_all, fields(merchant_id = Unset))]
pub async fn pss_signup(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<PssSignup>, PeachError> {
    let keys = model::public_key_list(input.get("raw_public_key_list"))?;
    let user_id = Alphanumeric.sample_string(&mut rand::thread_rng(), 24);
    Span::current().record("merchant_id", user_id.as_str());
    let stored_keys = Value::from(keys.to_vec()).to_string();
    let now = state.hub.clock.now_unix();
    store::merchants::insert_pss_user(&state.hub.store, &user_id, &stored_keys, now).await?;
    let signature = state.keys.pss_key.sign(&[&user_id]);
    Ok(Json(PssSignup {
        user_id: PssUserId {
            content: user_id.clone(),
        },
        content: user_id,
        pss_signature: signature,
    }))
}

/// `GET /pss/api/v1/pss/public_key`.
#[tracing::instrument(name = "merchant_pss_public_key", skip_all)]
pub async fn pss_public_key(State(state): State<MerchantService>) -> Json<PssPublicKey> {
    Json(PssPublicKey {
        content: state.keys.pss_key.public_key_base64(),
    })
}

/// `GET /api/v2/hub/pubkey`.
#[tracing::instrument(name = "merchant_hub_public_key", skip_all)]
pub async fn hub_public_key(State(state): State<MerchantService>) -> Json<HubPublicKey> {
    Json(HubPublicKey {
        pubkey: state.keys.hub_key.public_key_base64(),
    })
}

/// `POST /api/v2/auth/signup`: `X-Pss-User-Id: <id>.<pss signature>` and email and password.
#[tracing::instrument(name = "merchant_signup", skip_all, fields(merchant_id = Unset))]
pub async fn signup(
    State(state): State<MerchantService>,
    headers: HeaderMap,
    input: PeachInput,
) -> Result<Json<MerchantIdReply>, PeachError> {
    let header = headers
        .get("x-pss-user-id")
        .and_then(|v| v.to_str().ok())
        .ok_or(Refusal::NoPssUserId)?;
    let (user_id, signature) = header.split_once('.').unwrap_or((header, ""));
    Span::current().record("merchant_id", user_id);
    // An empty signature was accepted by the original; a given one must be the PSS's.
    if !signature.is_empty()
        && !signing_key::verify(&state.keys.pss_key.public_key(), signature, &[user_id])
    {
        return Err(Refusal::BadSignature.into());
    }
    if !store::merchants::pss_user_exists(&state.hub.store, user_id).await? {
        return Err(Refusal::UserNotFound.into());
    }
    let email = model::signup_email(input.required_text("email")?)?;
    let password = input.required_text("password")?;
    model::check_password(password)?;
    let hash = hash_password(password).await?;
    let now = state.hub.clock.now_unix();
    store::merchants::insert(&state.hub.store, user_id, &email, &hash, now)
        .await
        .on_unique_violation(|| Refusal::AlreadyRegistered)??;
    tracing::info!("merchant signed up");
    Ok(Json(MerchantIdReply {
        merchant_id: user_id.to_string(),
    }))
}

/// `POST /api/v2/auth/signin`: tokens for email and password.
#[tracing::instrument(name = "merchant_signin", skip_all, fields(merchant_id = Unset))]
pub async fn signin(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<Tokens>, PeachError> {
    let email = model::normalized_email(input.required_text("email")?);
    let password = input.required_text("password")?.to_string();
    let merchant = store::merchants::by_email(&state.hub.store, &email)
        .await?
        .ok_or(Refusal::UserNotFound)?;
    Span::current().record("merchant_id", merchant.merchant_id.as_str());
    let matches = auth::verify_password(&password, &merchant.password_hash).await;
    if !matches {
        return Err(Refusal::WrongPassword.into());
    }
    let mut tx = state.hub.store.pool().begin().await?;
    let tokens = new_tokens(&state, &mut tx, &merchant.merchant_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// `POST /api/v2/auth/validate`: the merchant of a valid access token.
#[tracing::instrument(name = "merchant_validate", skip_all)]
pub async fn validate(
    State(state): State<MerchantService>,
    input: PeachInput,
) -> Result<Json<MerchantIdReply>, PeachError> {
    let token = input.text("token")?.ok_or(Refusal::TokenNotFound)?;
    let merchant_id = merchant_of_access_token(&state, token)?;
    Ok(Json(MerchantIdReply { merchant_id }))
}

/// `POST /api/v2/auth/token/{refresh_token}`: new tokens; the refresh token is used up.
#[tracing::instrument(name = "merchant_refresh", skip_all, fields(merchant_id = Unset))]
pub async fn refresh(
    State(state): State<MerchantService>,
    token: PathId,
) -> Result<Json<Tokens>, PeachError> {
    let token = token.as_str();
    model::check_refresh_token(token)?;
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let token_hash = auth::session_key_hash(token);
    let merchant_id = match store::tokens::use_refresh_token(&mut tx, &token_hash, now).await? {
        RefreshUse::Used(id) => id,
        RefreshUse::Unknown => return Err(Refusal::TokenNotFound.into()),
        RefreshUse::AlreadyUsed => return Err(Refusal::TokenUsed.into()),
        RefreshUse::Expired => return Err(Refusal::TokenExpired.into()),
    };
    Span::current().record("merchant_id", merchant_id.as_str());
    let tokens = new_tokens(&state, &mut tx, &merchant_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// A fresh access token and refresh token, the refresh token stored (by hash) in `tx`.
async fn new_tokens(
    state: &MerchantService,
    tx: &mut sqlx::AnyConnection,
    merchant_id: &str,
) -> Result<Tokens, PeachError> {
    let now = state.hub.clock.now_unix();
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let refresh_token = hex::encode(bytes);
    let token_hash = auth::session_key_hash(&refresh_token);
    let expires = now + REFRESH_TOKEN_SECS;
    store::tokens::insert_refresh_token(tx, &token_hash, merchant_id, expires, now).await?;
    let (access_token, expires_at) = issue_access_token(state, merchant_id);
    Ok(Tokens {
        merchant_id: merchant_id.to_string(),
        token_type: "Bearer",
        refresh_token,
        access_token,
        expires_at,
        expires_in: expires_at - now,
    })
}

/// The argon2id hash of `password` (off the async threads, one per core at a time).
async fn hash_password(password: &str) -> Result<String, PeachError> {
    auth::hash_password(password)
        .await
        .map_err(|e| PeachError::Internal(e.to_string()))
}
