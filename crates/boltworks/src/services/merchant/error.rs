//! The merchant hub's one error shape, grpc-gateway's envelope:
//! `{"error":"<msg>","code":<gRPC code>,"message":"<msg>","details":[]}`, with the HTTP status
//! grpc-gateway maps that code to. Messages are the original's strings where it has one.
//! Failures of ours answer `internal error` (500, code 13); details are logged, never returned.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error answer of the merchant API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeachError {
    /// Bad input (400, INVALID_ARGUMENT).
    #[error("{0}")]
    Invalid(String),
    /// Missing, expired or forged credentials (401, UNAUTHENTICATED).
    #[error("{0}")]
    Unauthenticated(String),
    /// Unknown object (404, NOT_FOUND).
    #[error("{0}")]
    NotFound(String),
    /// Refused by the state of things, e.g. not enough funds (400, FAILED_PRECONDITION).
    #[error("{0}")]
    Refused(String),
    /// A failure of ours (500, INTERNAL).
    #[error("internal: {0}")]
    Internal(String),
}

impl PeachError {
    /// Bad input with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        PeachError::Invalid(message.into())
    }

    /// The original's signature refusal.
    pub fn bad_signature() -> Self {
        PeachError::Invalid("invalid signature".into())
    }

    /// The original's balance refusal.
    pub fn not_enough_funds() -> Self {
        PeachError::Refused("not enough funds to complete payment".into())
    }

    fn parts(&self) -> (StatusCode, i32, &str) {
        match self {
            PeachError::Invalid(m) => (StatusCode::BAD_REQUEST, 3, m),
            PeachError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, 16, m),
            PeachError::NotFound(m) => (StatusCode::NOT_FOUND, 5, m),
            PeachError::Refused(m) => (StatusCode::BAD_REQUEST, 9, m),
            PeachError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13, "internal error"),
        }
    }
}

impl IntoResponse for PeachError {
    fn into_response(self) -> Response {
        if let PeachError::Internal(detail) = &self {
            tracing::error!(%detail, "merchant hub internal error");
        }
        let (status, code, message) = self.parts();
        let body = json!({"error": message, "code": code, "message": message, "details": []});
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
