//! Console sessions: the operator signs in with the operator token (posted in a form, never in a
//! URL) and gets a session cookie, `HttpOnly`, `SameSite=Strict`, and `Secure` when the hub's
//! public URL is https. Only the secret's SHA-256 is stored. Every form of a session carries its
//! CSRF token, checked on every POST; the sign-in form carries one of its own (a cookie it must
//! match), so no other site can sign a browser in either.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;

use crate::api::AppState;
use crate::hub::HubContext;
use crate::store::Store;

/// The session cookie's name.
const SESSION_COOKIE: &str = "boltworks_console";
/// The sign-in form's own CSRF cookie.
const LOGIN_COOKIE: &str = "boltworks_console_login";
/// How long a session lasts.
const SESSION_SECS: i64 = 8 * 3600;

/// A random token, hex.
pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn hash(secret: &str) -> String {
    sha256::Hash::hash(secret.as_bytes()).to_string()
}

/// Compares two secrets in time independent of where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request.
pub(super) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn cookie_header(hub: &HubContext, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if hub.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The sign-in form's CSRF token: the request's cookie, or a new one to set.
pub(super) fn login_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, LOGIN_COOKIE).filter(|t| t.len() == 64) {
        Some(token) => (token, false),
        None => (random_token(), true),
    }
}

/// Sets the sign-in form's CSRF cookie on `response`.
pub(super) fn with_login_cookie(hub: &HubContext, token: &str, mut response: Response) -> Response {
    let value = cookie_header(hub, LOGIN_COOKIE, token, 3600);
    response.headers_mut().append(SET_COOKIE, value);
    response
}

/// Whether the sign-in form's token matches its cookie.
pub(super) fn login_token_matches(headers: &HeaderMap, posted: &str) -> bool {
    cookie(headers, LOGIN_COOKIE).is_some_and(|token| same_secret(&token, posted))
}

/// Starts a session signed in with `operator_token`: its row (and the end of every expired
/// one), and the response (to `to`) that sets its cookie.
pub(super) async fn start(
    hub: &HubContext,
    operator_token: &str,
    to: &str,
) -> Result<Response, sqlx::Error> {
    let secret = random_token();
    let now = hub.clock.now_unix();
    sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(hub.store.pool())
        .await?;
    sqlx::query(
        "INSERT INTO console_sessions (secret_hash, csrf_token, operator_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&secret))
    .bind(random_token())
    .bind(hash(operator_token))
    .bind(now)
    .bind(now + SESSION_SECS)
    .execute(hub.store.pool())
    .await?;
    let mut response = Redirect::to(to).into_response();
    let value = cookie_header(hub, SESSION_COOKIE, &secret, SESSION_SECS);
    response.headers_mut().append(SET_COOKIE, value);
    Ok(response)
}

/// Ends `session`, and the response (to the sign-in page) that clears its cookie.
pub(super) async fn end(hub: &HubContext, session: &Session) -> Result<Response, sqlx::Error> {
    sqlx::query("DELETE FROM console_sessions WHERE secret_hash = $1")
        .bind(&session.secret_hash)
        .execute(hub.store.pool())
        .await?;
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, cookie_header(hub, SESSION_COOKIE, "", 0));
    Ok(response)
}

/// A signed-in operator's session (the extractor sends anyone else to the sign-in page).
#[derive(Debug, Clone)]
pub struct Session {
    secret_hash: String,
    /// The token every form of the session carries.
    pub csrf: String,
}

impl Session {
    /// Whether a posted form's token is this session's.
    pub fn csrf_matches(&self, posted: &str) -> bool {
        same_secret(&self.csrf, posted)
    }
}

/// The live session of `secret`, signed in with the operator token the hub runs with now.
async fn find(
    store: &Store,
    secret: &str,
    operator_token: &str,
    now: i64,
) -> Result<Option<Session>, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT secret_hash, csrf_token FROM console_sessions
         WHERE secret_hash = $1 AND expires_at > $2 AND operator_hash = $3",
    )
    .bind(hash(secret))
    .bind(now)
    .bind(hash(operator_token))
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(secret_hash, csrf)| Session { secret_hash, csrf }))
}

impl<S> FromRequestParts<S> for Session
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let app = AppState::from_ref(state);
        let to_login = || Redirect::to("/console/login").into_response();
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let now = app.hub.clock.now_unix();
        match find(&app.hub.store, &secret, &app.operator.0, now).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(to_login()),
            Err(e) => Err(crate::http::HubError::from(e).into_response()),
        }
    }
}
