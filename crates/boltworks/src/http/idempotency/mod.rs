//! Idempotency keys on a service's POST routes, after the IETF httpapi draft
//! (`Idempotency-Key`): a request that names a key is run once per caller and key; a repeat with
//! the same request gets the first answer again (with `Idempotent-Replayed: true`) and changes
//! nothing; the same key on another request is refused (422), and a repeat while the first still
//! runs waits for its answer (409 after `WAIT_FOR_FIRST`). Keys live 24 hours.
//!
//! Nothing is lost on a crash: a handler that moves money writes its answer with
//! `KeyedAnswer::record` in the transaction that moves it, so a retry after a SIGKILL between
//! that commit and the answer gets the committed result. A key left running by a process that
//! stopped therefore moved no money: after `STALE_CLAIM_SECS` the next request with it runs
//! afresh (until then another process's claim is answered 409 at once). A request cancelled
//! before it answered (its client went away, its timeout struck) frees its key. Requests
//! without the header are not touched.

mod claim;
pub mod store;

use self::claim::boot_id;
pub use self::claim::{ClaimedKey, KeyOfRequest, KeyedAnswer};

use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use bitcoin::hashes::{sha256, Hash};

use self::store::{Claimed, KeyClaim, StoredAnswer};
use crate::clock::Clock;
use crate::store::Store;

/// The request header.
pub const KEY_HEADER: &str = "idempotency-key";
/// The header on a repeated answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const KEY_LIFETIME_SECS: i64 = 24 * 60 * 60;
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// How long a repeat waits for the first request's answer before it gets 409.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(15);
/// After how long another process's running claim counts as a stopped process's (hub
/// processes sharing a PostgreSQL database answer within their request timeout, 30 s by
/// default, far less than this).
pub const STALE_CLAIM_SECS: i64 = 120;
/// How often a waiting repeat looks again.
const POLL_EVERY: Duration = Duration::from_millis(20);
/// The largest keyed request body read (the services' own limits are far below it).
const MAX_KEYED_BODY: usize = 1 << 20;
/// The largest answer stored; a larger one is not repeated.
const MAX_STORED_ANSWER: usize = 64 * 1024;

/// Why a keyed request is refused, each answered in the service's own error format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// The header is empty, too long, or not visible ASCII (400).
    Malformed,
    /// The key was first used with another request (422).
    OtherRequest,
    /// The first request with the key has not answered yet (409).
    StillRunning,
    /// The body is too large to remember (413).
    BodyTooLarge,
}

impl KeyRefusal {
    /// Its HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            KeyRefusal::Malformed => StatusCode::BAD_REQUEST,
            KeyRefusal::OtherRequest => StatusCode::UNPROCESSABLE_ENTITY,
            KeyRefusal::StillRunning => StatusCode::CONFLICT,
            KeyRefusal::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// What went wrong, for people.
    pub fn message(self) -> &'static str {
        match self {
            KeyRefusal::Malformed => "Idempotency-Key must be 1 to 255 visible ASCII characters",
            KeyRefusal::OtherRequest => {
                "this Idempotency-Key was used with another request; use a new key"
            }
            KeyRefusal::StillRunning => {
                "the first request with this Idempotency-Key is still running; retry later"
            }
            KeyRefusal::BodyTooLarge => "the body of a keyed request is too large",
        }
    }

    /// A short machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            KeyRefusal::Malformed => "IDEMPOTENCY_KEY_MALFORMED",
            KeyRefusal::OtherRequest => "IDEMPOTENCY_KEY_REUSED",
            KeyRefusal::StillRunning => "IDEMPOTENCY_KEY_IN_USE",
            KeyRefusal::BodyTooLarge => "IDEMPOTENCY_BODY_TOO_LARGE",
        }
    }
}

/// Who sent a request, as a service knows its callers: `Some("")` for a service whose routes
/// anyone may call, `None` when the request names no valid caller (it then runs without its
/// key, and the handler refuses it as it would).
pub type CallerOf = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// The caller of routes anyone may call: all share one scope (the fingerprint still tells their
/// requests apart, and a key reused on another request is refused).
pub fn anyone() -> CallerOf {
    Arc::new(|_| Some(String::new()))
}

/// The idempotency keys of one service's routes.
#[derive(Clone)]
pub struct Idempotency {
    store: Store,
    clock: Clock,
    service: &'static str,
    caller: CallerOf,
    refuse: fn(KeyRefusal) -> Response,
}

impl Idempotency {
    /// Keys of `service` (its name scopes them), per caller as `caller` tells, in `store`,
    /// refused with `refuse`.
    pub fn new(
        store: Store,
        clock: Clock,
        service: &'static str,
        caller: CallerOf,
        refuse: fn(KeyRefusal) -> Response,
    ) -> Self {
        Self {
            store,
            clock,
            service,
            caller,
            refuse,
        }
    }

    /// The routes of `router`, their POSTs taking keys.
    pub fn apply<S: Clone + Send + Sync + 'static>(&self, router: Router<S>) -> Router<S> {
        router.route_layer(axum::middleware::from_fn_with_state(self.clone(), enforce))
    }
}

/// The key of `headers`: `None` without one, an error for a malformed one. A Structured Field
/// string (`"abc"`, the draft's form) and a bare token (`abc`, Stripe's) name the same key.
fn key_of(headers: &HeaderMap) -> Option<Result<String, KeyRefusal>> {
    let value = headers.get(KEY_HEADER)?;
    let text = match value.to_str() {
        Ok(text) => text.trim(),
        Err(_) => return Some(Err(KeyRefusal::Malformed)),
    };
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let valid = !text.is_empty()
        && text.len() <= MAX_KEY_LEN
        && text.bytes().all(|b| b.is_ascii_graphic() && b != b'"');
    Some(if valid {
        Ok(text.to_string())
    } else {
        Err(KeyRefusal::Malformed)
    })
}

/// What makes two requests the same: method, path with query, and body.
fn fingerprint(parts: &Parts, body: &[u8]) -> String {
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut data = Vec::with_capacity(target.len() + body.len() + 16);
    data.extend_from_slice(parts.method.as_str().as_bytes());
    data.push(b'\n');
    data.extend_from_slice(target.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(body);
    sha256::Hash::hash(&data).to_string()
}

/// Whether an answer is the request's result, to be given again: not a server error, and not
/// one that tells the client to come back (timeout, conflict, too early, rate limit).
fn is_final(status: StatusCode) -> bool {
    !status.is_server_error()
        && ![
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::CONFLICT,
            StatusCode::TOO_EARLY,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(&status)
}

fn replay(answer: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(CONTENT_TYPE);
    if let Some(value) = answer
        .content_type
        .and_then(|t| HeaderValue::from_str(&t).ok())
    {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

/// A database failure while handling a key: the request is not run.
fn unavailable(error: sqlx::Error) -> Response {
    tracing::error!(%error, "idempotency keys unavailable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the idempotency store is unavailable; retry",
    )
        .into_response()
}

async fn enforce(State(keys): State<Idempotency>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let key = match key_of(request.headers()) {
        None => return next.run(request).await,
        Some(Err(refusal)) => return (keys.refuse)(refusal),
        Some(Ok(key)) => key,
    };
    let (parts, body) = request.into_parts();
    let Some(caller) = (keys.caller)(&parts) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let Ok(body) = to_bytes(body, MAX_KEYED_BODY).await else {
        return (keys.refuse)(KeyRefusal::BodyTooLarge);
    };
    let scope = format!("{}:{caller}", keys.service);
    let fingerprint = fingerprint(&parts, &body);
    let deadline = tokio::time::Instant::now() + WAIT_FOR_FIRST;
    let claimed_at = loop {
        let now = keys.clock.now_unix();
        let claim = KeyClaim {
            scope: &scope,
            key: &key,
            fingerprint: &fingerprint,
            owner: boot_id(),
            now,
            expired_before: now - KEY_LIFETIME_SECS,
            stale_before: now - STALE_CLAIM_SECS,
        };
        match store::claim(keys.store.pool(), &claim).await {
            Err(e) => return unavailable(e),
            Ok(Claimed::Fresh) => break now,
            Ok(Claimed::Answered(answer)) => return replay(answer),
            Ok(Claimed::OtherRequest) => return (keys.refuse)(KeyRefusal::OtherRequest),
            Ok(Claimed::Busy) => return (keys.refuse)(KeyRefusal::StillRunning),
            Ok(Claimed::Running) if tokio::time::Instant::now() >= deadline => {
                return (keys.refuse)(KeyRefusal::StillRunning)
            }
            Ok(Claimed::Running) => tokio::time::sleep(POLL_EVERY).await,
        }
    };
    let claimed = ClaimedKey {
        scope: scope.into(),
        key: key.into(),
        claimed_at,
    };
    let mut request = Request::from_parts(parts, Body::from(body));
    request.extensions_mut().insert(claimed.clone());
    let running = RunningKey {
        keys: keys.clone(),
        claimed: Some(claimed.clone()),
    };
    let response = next.run(request).await;
    crate::pause::pause_point("idempotency.before_answer").await;
    let response = finish(&keys, &claimed, response).await;
    running.answered();
    response
}

/// A claimed key whose request has not answered: if the request is dropped (its client went
/// away, or its timeout struck), the key is freed unless the handler recorded its answer with
/// its money.
struct RunningKey {
    keys: Idempotency,
    claimed: Option<ClaimedKey>,
}

impl RunningKey {
    fn answered(mut self) {
        self.claimed = None;
    }
}

impl Drop for RunningKey {
    fn drop(&mut self) {
        let (Some(claimed), Ok(runtime)) =
            (self.claimed.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let keys = self.keys.clone();
        runtime.spawn(async move { release(&keys, &claimed).await });
    }
}

/// Stores the handler's answer under the key (or frees the key of a request whose answer is not
/// its result) and gives it.
async fn finish(keys: &Idempotency, claimed: &ClaimedKey, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_STORED_ANSWER).await {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "an answer too large to remember; the key is freed");
            release(keys, claimed).await;
            return (StatusCode::INTERNAL_SERVER_ERROR, "answer too large").into_response();
        }
    };
    let text = std::str::from_utf8(&body).ok();
    match text.filter(|_| is_final(parts.status)) {
        Some(text) => {
            let answer = StoredAnswer {
                status: parts.status.as_u16(),
                content_type: parts
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: text.to_string(),
            };
            let stored = async {
                let mut conn = keys.store.pool().acquire().await?;
                // `false`: a money-moving handler stored its answer with the money already.
                store::record_answer(
                    &mut conn,
                    &claimed.scope,
                    &claimed.key,
                    claimed.holder(),
                    &answer,
                )
                .await
            };
            if let Err(e) = stored.await {
                tracing::error!(error = %e, "storing an idempotent answer");
            }
        }
        None => release(keys, claimed).await,
    }
    Response::from_parts(parts, Body::from(body))
}

async fn release(keys: &Idempotency, claimed: &ClaimedKey) {
    let released = store::release(
        keys.store.pool(),
        &claimed.scope,
        &claimed.key,
        claimed.holder(),
    );
    if let Err(e) = released.await {
        tracing::error!(error = %e, "freeing an idempotency key");
    }
}

/// Forgets expired keys every `every` until shutdown.
pub fn spawn_expiry(
    store: Store,
    clock: Clock,
    every: Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let before = clock.now_unix() - KEY_LIFETIME_SECS;
            match store::forget_expired(store.pool(), before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(forgotten = n, "expired idempotency keys forgotten"),
                Err(e) => tracing::warn!(error = %e, "forgetting expired idempotency keys"),
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(KEY_HEADER, HeaderValue::from_str(value).expect("a header"));
        headers
    }

    #[test]
    fn keys_are_bare_or_quoted_visible_ascii_up_to_255() {
        assert_eq!(key_of(&HeaderMap::new()), None);
        assert_eq!(key_of(&headers("abc-1")), Some(Ok("abc-1".into())));
        assert_eq!(key_of(&headers("\"abc-1\"")), Some(Ok("abc-1".into())));
        assert_eq!(
            key_of(&headers(&"k".repeat(255))).map(|k| k.is_ok()),
            Some(true)
        );
        for bad in ["", "\"\"", "a b", &"k".repeat(256)] {
            assert_eq!(
                key_of(&headers(bad)),
                Some(Err(KeyRefusal::Malformed)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_results_are_repeated() {
        assert!(is_final(StatusCode::OK));
        assert!(is_final(StatusCode::BAD_REQUEST));
        assert!(!is_final(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_final(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_final(StatusCode::CONFLICT));
    }
}
