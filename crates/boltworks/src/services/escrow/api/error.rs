//! The escrow API's error shape: HTTP 200 with `{"status":"error","message":"..."}` for every
//! business or permission error (the original answered 200, sometimes with an empty body; a
//! JSON body is the digest's recommendation). Failures of ours are 500 with the same shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::ReplyStatus;
use crate::http::KeyRefusal;
use crate::services::escrow::model::Refusal;

/// An escrow error answer.
#[derive(Debug, thiserror::Error)]
pub enum EscrowError {
    /// A refusal the caller can act on (HTTP 200, as the original).
    #[error("{0}")]
    Refused(Refusal),
    /// A failure of ours; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize)]
pub struct ErrorReply {
    /// Always `error`.
    pub status: ReplyStatus,
    /// What went wrong.
    pub message: String,
}

impl IntoResponse for EscrowError {
    fn into_response(self) -> Response {
        let status = match &self {
            EscrowError::Refused(_) => StatusCode::OK,
            EscrowError::Internal(detail) => {
                tracing::error!(%detail, "escrow internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let body = ErrorReply {
            status: ReplyStatus::Error,
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<Refusal> for EscrowError {
    fn from(refusal: Refusal) -> Self {
        EscrowError::Refused(refusal)
    }
}

impl From<sqlx::Error> for EscrowError {
    fn from(e: sqlx::Error) -> Self {
        EscrowError::Internal(format!("database: {e}"))
    }
}

/// The answer to a client over the rate limit: the escrow error envelope, with status 429 (not
/// the 200 of its refusals: a client must be able to tell it needs to wait).
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let body = ErrorReply {
        status: ReplyStatus::Error,
        message: format!("too many requests; retry in {retry_after_secs} s"),
    };
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

/// The answer to a refused `Idempotency-Key`: the escrow error envelope with the refusal's own
/// status (not 200), as for the rate limit.
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let body = ErrorReply {
        status: ReplyStatus::Error,
        message: refusal.message().into(),
    };
    (refusal.status(), Json(body)).into_response()
}
