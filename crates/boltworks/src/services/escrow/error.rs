//! The escrow API's error shape: HTTP 200 with `{"status":"error","message":"..."}` for every
//! business or permission error (the original answered 200, sometimes with an empty body; a
//! JSON body is the digest's recommendation). Failures of ours are 500 with the same shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An escrow error answer.
#[derive(Debug, thiserror::Error)]
pub enum EscrowError {
    /// A refusal the caller can act on (HTTP 200, as the original).
    #[error("{0}")]
    Refused(String),
    /// A failure of ours; details are logged, not returned.
    #[error("internal error")]
    Internal(String),
}

impl EscrowError {
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        EscrowError::Refused(message.into())
    }
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
        (
            status,
            Json(json!({"status": "error", "message": self.to_string()})),
        )
            .into_response()
    }
}

impl From<sqlx::Error> for EscrowError {
    fn from(e: sqlx::Error) -> Self {
        EscrowError::Internal(format!("database: {e}"))
    }
}
