//! The v0.0.1 error answer: a refusal is HTTP 200 `{"error": "<the original's text>"}`, a failure
//! of ours HTTP 500 with the plain text `LSP server error!`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::KeyRefusal;

/// An error answer of the v0.0.1 API.
#[derive(Debug)]
pub enum V1Error {
    /// A refusal, with the original's text (HTTP 200).
    Refused(&'static str),
    /// A failure of ours (HTTP 500).
    Internal(String),
}

/// The body of a refusal.
#[derive(Debug, serde::Serialize)]
pub struct RefusalBody {
    /// The original's text.
    pub error: &'static str,
}

impl V1Error {
    /// A failure of ours, with its detail (logged only).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        V1Error::Internal(detail.to_string())
    }
}

impl IntoResponse for V1Error {
    fn into_response(self) -> Response {
        match self {
            V1Error::Refused(error) => Json(RefusalBody { error }).into_response(),
            V1Error::Internal(detail) => {
                tracing::error!(%detail, "LSP v0.0.1 internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "LSP server error!").into_response()
            }
        }
    }
}

impl From<sqlx::Error> for V1Error {
    fn from(e: sqlx::Error) -> Self {
        V1Error::Internal(format!("database: {e}"))
    }
}

/// The answer to a client over the rate limit: 429 with the v0.0.1 refusal body.
pub fn too_many_requests(_retry_after_secs: u64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(RefusalBody {
            error: "Too many requests, try again later",
        }),
    )
        .into_response()
}

/// The answer to a refused `Idempotency-Key`: its status (not the 200 of refusals) with the
/// v0.0.1 refusal body.
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let body = RefusalBody {
        error: refusal.message(),
    };
    (refusal.status(), Json(body)).into_response()
}
