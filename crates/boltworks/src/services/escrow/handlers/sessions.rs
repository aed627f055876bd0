//! Sessions: `setuser` (create a user, or log in with an existing email and its password),
//! `login`, and `extend-session`. Failed logins are limited per email and client address; with
//! `tx`, the caller becomes that transaction's buyer.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::Json;

use super::{Answer, EscrowError, EscrowInput};
use crate::auth;
use crate::services::escrow::api::{ExtendedSessionReply, SessionReply};
use crate::services::escrow::model::{self, Refusal, EXTENDED_EXPIRY, SESSION_SECS};
use crate::services::escrow::store::{self, UserLogin};
use crate::services::escrow::EscrowService;

/// `setuser`: create a user (an existing email with the same password logs in).
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn setuser(
    State(state): State<EscrowService>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    input: EscrowInput,
) -> Answer<SessionReply> {
    let (email, password) = credentials(&input)?;
    let tx = input.optional_tx()?;
    if let Some(user) = store::find_user(&state.hub.store, &email).await? {
        let id = user.id;
        if !check_login(&state, &email, address, password, Some(user)).await? {
            return Err(Refusal::UserExists.into());
        }
        return signed_in(&state, id, tx).await;
    }
    let hash = auth::hash_password(&password)
        .await
        .map_err(|e| EscrowError::Internal(e.to_string()))?;
    let id = store::create_user(&state.hub.store, &email, &hash, state.hub.clock.now_unix())
        .await?
        .ok_or(Refusal::UserExists)?;
    signed_in(&state, id, tx).await
}

/// `login`: a new session; with `tx`, also attach the caller as that transaction's buyer.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn login(
    State(state): State<EscrowService>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    input: EscrowInput,
) -> Answer<SessionReply> {
    let (email, password) = credentials(&input)?;
    let tx = input.optional_tx()?;
    // Unknown email and wrong password answer alike (and count alike), so emails cannot be probed.
    let user = store::find_user(&state.hub.store, &email).await?;
    let id = user.as_ref().map(|user| user.id);
    if !check_login(&state, &email, address, password, user).await? {
        return Err(Refusal::WrongPassword.into());
    }
    let id = id.ok_or(Refusal::WrongPassword)?;
    signed_in(&state, id, tx).await
}

/// `extend-session`: the session becomes a long-lived API key (expiry in 2038).
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty))]
pub async fn extend_session(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<ExtendedSessionReply> {
    let key = input.required_text("session_id")?;
    let user = store::extend_session(
        &state.hub.store,
        &auth::session_key_hash(&key),
        state.hub.clock.now_unix(),
        EXTENDED_EXPIRY,
    )
    .await?
    .ok_or(Refusal::InvalidSession)?;
    tracing::Span::current().record("user", user);
    Ok(Json(ExtendedSessionReply::new(key, user, EXTENDED_EXPIRY)))
}

/// The login's email (normalized) and password, within their limits.
fn credentials(input: &EscrowInput) -> Result<(String, String), EscrowError> {
    let email = model::login_email(&input.required_text("email")?)?;
    let password = input.required_text("password")?;
    model::check_password_length(&password)?;
    Ok((email, password))
}

/// Checks a password against `user` (none: an unknown email, which fails alike), counting
/// failures against the email and the client address.
async fn check_login(
    state: &EscrowService,
    email: &str,
    address: SocketAddr,
    password: String,
    user: Option<UserLogin>,
) -> Result<bool, EscrowError> {
    let logins = &state.logins;
    // The attempt counts before the (slow) password check, so parallel guesses cannot all slip
    // under the limit; a success gives it back.
    logins
        .reserve(&state.hub.clock, email, address.ip())
        .map_err(|wait_secs| Refusal::TooManyLogins { wait_secs })?;
    let ok = match user {
        Some(user) => auth::verify_password(&password, &user.password_hash).await,
        None => false,
    };
    if ok {
        logins.succeeded(email, address.ip());
    }
    Ok(ok)
}

/// The answer of a successful `setuser` or `login` of `user`: attaches them as buyer of `tx`
/// when given, and opens a session.
async fn signed_in(state: &EscrowService, user: i64, tx: Option<i64>) -> Answer<SessionReply> {
    tracing::Span::current().record("user", user);
    if let Some(tx) = tx {
        attach_buyer(state, user, tx).await?;
    }
    let key = auth::new_session_key();
    let expiry = state.hub.clock.now_unix() + SESSION_SECS;
    store::create_session(
        &state.hub.store,
        &auth::session_key_hash(&key),
        user,
        expiry,
    )
    .await?;
    Ok(Json(SessionReply::new(key, user, expiry)))
}

/// Attaches `user` as buyer of `tx_id` when the transaction has none (the seller may be its own
/// buyer: the original documented one account acting for a service's users).
async fn attach_buyer(state: &EscrowService, user: i64, tx_id: i64) -> Result<(), EscrowError> {
    tracing::Span::current().record("tx", tx_id);
    let tx = store::get_tx(state.hub.store.pool(), tx_id)
        .await?
        .ok_or(Refusal::TxNotFound)?;
    if tx.buyer_id == Some(user) {
        return Ok(());
    }
    if !store::attach_buyer(&state.hub.store, tx_id, user).await? {
        return Err(Refusal::HasBuyer.into());
    }
    Ok(())
}
