//! The hub's own error shape, for its own endpoints (`/health`, `/ready`, `/dev/...`):
//! `{"error": {"code": "...", "message": "..."}}` with a matching HTTP status. Services speak
//! their seeds' error formats through their own error types.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::KeyRefusal;
use crate::node::{NodeError, NodeErrorKind};

/// An error answered by a hub endpoint.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Malformed or invalid input (400).
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The request body is too large (413).
    #[error("{0}")]
    TooLarge(String),
    /// Unknown resource (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with current state (409).
    #[error("{0}")]
    Conflict(String),
    /// A dependency is not ready (503).
    #[error("{0}")]
    Unavailable(String),
    /// A failure of ours; details are logged, not returned (500).
    #[error("internal error")]
    Internal(String),
}

impl HubError {
    /// The HTTP status this error answers.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            HubError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            HubError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            HubError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            HubError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            HubError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            HubError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            HubError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        if let HubError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, code) = self.status_and_code();
        (
            status,
            Json(json!({"error": {"code": code, "message": self.to_string()}})),
        )
            .into_response()
    }
}

/// The answer to a refused `Idempotency-Key` on the hub's own routes: its status, in the hub's
/// error shape (`idempotency_key_reused`, ...).
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let code = refusal.code().to_ascii_lowercase();
    let body = json!({"error": {"code": code, "message": refusal.message()}});
    (refusal.status(), Json(body)).into_response()
}

impl From<sqlx::Error> for HubError {
    fn from(e: sqlx::Error) -> Self {
        HubError::Internal(format!("database: {e}"))
    }
}

impl From<NodeError> for HubError {
    fn from(e: NodeError) -> Self {
        match e.kind {
            NodeErrorKind::InvalidInput
            | NodeErrorKind::InsufficientFunds
            | NodeErrorKind::PaymentFailed => HubError::BadRequest(e.message),
            NodeErrorKind::DuplicatePayment => HubError::Conflict(e.message),
            NodeErrorKind::PeerUnreachable
            | NodeErrorKind::ChannelFailed
            | NodeErrorKind::NotRunning
            | NodeErrorKind::Unavailable => HubError::Unavailable(e.message),
        }
    }
}
