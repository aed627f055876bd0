//! The LSPS1 error answer: `{"message": ..., "code": ...}` with its HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::http::KeyRefusal;

/// An error answer of the LSPS1 API.
#[derive(Debug)]
pub enum Lsps1Error {
    /// Invalid input (400 `BAD_REQUEST`), with what is wrong.
    BadRequest(String),
    /// No such order (404 `NOT_FOUND`).
    NotFound,
    /// A failure of ours (500, details logged only).
    Internal(String),
}

/// The body of an LSPS1 error.
#[derive(Debug, serde::Serialize)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub message: String,
    /// `BAD_REQUEST`, `NOT_FOUND` or `INTERNAL_ERROR`.
    pub code: &'static str,
}

impl Lsps1Error {
    /// A 400 with `message`.
    pub fn bad(message: impl Into<String>) -> Self {
        Lsps1Error::BadRequest(message.into())
    }

    /// A failure of ours, with its detail (logged only).
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Lsps1Error::Internal(detail.to_string())
    }
}

impl IntoResponse for Lsps1Error {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Lsps1Error::BadRequest(message) => (StatusCode::BAD_REQUEST, "BAD_REQUEST", message),
            Lsps1Error::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND", "order not found".into()),
            Lsps1Error::Internal(detail) => {
                tracing::error!(%detail, "LSPS1 internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "internal error; try again later".into(),
                )
            }
        };
        (status, Json(ErrorBody { message, code })).into_response()
    }
}

impl From<sqlx::Error> for Lsps1Error {
    fn from(e: sqlx::Error) -> Self {
        Lsps1Error::Internal(format!("database: {e}"))
    }
}

/// The answer to a client over the rate limit: 429 with LSPS1's error body.
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let body = ErrorBody {
        message: format!("too many requests; retry in {retry_after_secs} s"),
        code: "RATE_LIMITED",
    };
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

/// The answer to a refused `Idempotency-Key`: its status with LSPS1's error body.
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let body = ErrorBody {
        message: refusal.message().into(),
        code: refusal.code(),
    };
    (refusal.status(), Json(body)).into_response()
}
