//! A request's claim of its idempotency key (`ClaimedKey`, found by handlers through
//! `KeyOfRequest`), and the answer a money-moving handler writes with its money under that claim
//! (`KeyedAnswer`): only the claim that holds the key may answer for it.

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::Serialize;
use sqlx::AnyConnection;

use super::store::{self, StoredAnswer};

/// A key claimed for the request being handled (a request extension); handlers that move money
/// take it through `KeyOfRequest`, to record their answer with the money (`KeyedAnswer`).
#[derive(Debug, Clone)]
pub struct ClaimedKey {
    pub(super) scope: Arc<str>,
    pub(super) key: Arc<str>,
    /// When this request claimed it (with this process's `boot_id`): the claim an answer or a
    /// release is for.
    pub(super) claimed_at: i64,
}

impl ClaimedKey {
    /// Whose claim it is: this process's, made at `claimed_at`.
    pub(super) fn holder(&self) -> (&str, i64) {
        (boot_id(), self.claimed_at)
    }
}

/// The key claimed for this request, if it came with one.
#[derive(Debug, Clone)]
pub struct KeyOfRequest(pub Option<ClaimedKey>);

impl<S: Send + Sync> FromRequestParts<S> for KeyOfRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ClaimedKey>().cloned()))
    }
}

/// The answer of a keyed request that moves money, to be written in the transaction that moves
/// it (`record`), so a retry after a crash between that commit and the answer gets it. Without a
/// key it records nothing.
#[derive(Debug, Clone, Default)]
pub struct KeyedAnswer(Option<(ClaimedKey, StoredAnswer)>);

impl KeyedAnswer {
    /// No answer to keep (a request without a key, or a step no request waits on).
    pub fn none() -> Self {
        Self(None)
    }

    /// `reply` as JSON with `status`, for the key of the request (if any).
    pub fn json<T: Serialize>(key: &KeyOfRequest, status: StatusCode, reply: &T) -> Self {
        let Some(claimed) = key.0.clone() else {
            return Self(None);
        };
        match serde_json::to_string(reply) {
            Ok(body) => Self(Some((
                claimed,
                StoredAnswer {
                    status: status.as_u16(),
                    content_type: Some("application/json".into()),
                    body,
                },
            ))),
            Err(e) => {
                tracing::error!(error = %e, "an answer that does not serialize");
                Self(None)
            }
        }
    }

    /// Writes the answer on `conn`, the transaction that moves the money. An error when the key
    /// is no longer this request's claim (its request was dropped and the key freed, so a retry
    /// may already be paying): the transaction must not commit the money then.
    pub async fn record(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let Some((key, answer)) = &self.0 else {
            return Ok(());
        };
        if store::record_answer(conn, &key.scope, &key.key, key.holder(), answer).await? {
            Ok(())
        } else {
            Err(sqlx::Error::Protocol(
                "the idempotency key is no longer this request's claim".into(),
            ))
        }
    }
}

/// This process's id: a claim of another one that is still running belongs to a dead process.
pub(super) fn boot_id() -> &'static str {
    static BOOT: OnceLock<String> = OnceLock::new();
    BOOT.get_or_init(|| uuid::Uuid::new_v4().to_string())
}
