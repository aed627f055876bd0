//! The merchant hub's one error shape, grpc-gateway's envelope:
//! `{"error":"<msg>","code":<gRPC code>,"message":"<msg>","details":[]}`, with the HTTP status
//! grpc-gateway maps that code to. A `Refusal` is mapped here, in one place: its message is
//! the original's string where it has one. Failures of ours answer `internal error` (500, code
//! 13); details are logged, never returned.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::KeyRefusal;
use crate::services::merchant::model::{Refusal, RefusalKind};

/// An error answer of the merchant API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeachError {
    /// A refusal the caller can act on.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A failure of ours (500, INTERNAL).
    #[error("internal: {0}")]
    Internal(String),
}

/// The envelope.
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody<'a> {
    /// The message.
    pub error: &'a str,
    /// The gRPC status code.
    pub code: i32,
    /// The message again.
    pub message: &'a str,
    /// Always empty (grpc-gateway's `google.protobuf.Any` details).
    pub details: &'a [serde_json::Value],
}

/// The HTTP status and gRPC code of a kind of refusal.
fn status_and_code(kind: RefusalKind) -> (StatusCode, i32) {
    match kind {
        RefusalKind::Invalid => (StatusCode::BAD_REQUEST, 3),
        RefusalKind::Unauthenticated => (StatusCode::UNAUTHORIZED, 16),
        RefusalKind::NotFound => (StatusCode::NOT_FOUND, 5),
        RefusalKind::FailedPrecondition => (StatusCode::BAD_REQUEST, 9),
    }
}

impl IntoResponse for PeachError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            PeachError::Refused(refusal) => {
                let (status, code) = status_and_code(refusal.kind());
                (status, code, refusal.to_string())
            }
            PeachError::Internal(detail) => {
                tracing::error!(%detail, "merchant hub internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    13,
                    "internal error".into(),
                )
            }
        };
        let body = ErrorBody {
            error: &message,
            code,
            message: &message,
            details: &[],
        };
        (status, Json(body)).into_response()
    }
}

impl From<sqlx::Error> for PeachError {
    fn from(e: sqlx::Error) -> Self {
        PeachError::Internal(format!("database: {e}"))
    }
}

impl From<crate::ledger::LedgerError> for PeachError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        PeachError::Internal(format!("ledger: {e}"))
    }
}

/// The answer to a client over the rate limit: 429 with the Peach error body, code 8
/// (gRPC's RESOURCE_EXHAUSTED, beside the 3, 5, 9, 13 and 16 it uses).
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let message = format!("too many requests, retry in {retry_after_secs} s");
    let body = ErrorBody {
        error: &message,
        code: 8,
        message: &message,
        details: &[],
    };
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

/// The answer to a refused `Idempotency-Key`: its status with the Peach error body, gRPC codes
/// 3 (malformed, too large), 6 (ALREADY_EXISTS: the key names another request) and 10 (ABORTED:
/// the first request still runs).
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let code = match refusal {
        KeyRefusal::Malformed | KeyRefusal::BodyTooLarge => 3,
        KeyRefusal::OtherRequest => 6,
        KeyRefusal::StillRunning => 10,
    };
    let message = refusal.message();
    let body = ErrorBody {
        error: message,
        code,
        message,
        details: &[],
    };
    (refusal.status(), Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_has_empty_details() {
        let body = ErrorBody {
            error: "x",
            code: 3,
            message: "x",
            details: &[],
        };
        let json = serde_json::to_value(&body).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"error": "x", "code": 3, "message": "x", "details": []})
        );
    }
}
