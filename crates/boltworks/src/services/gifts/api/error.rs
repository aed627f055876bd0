//! The error answer of the gifts API routes: `{"statusCode":<int>,"message":"<CODE>"}` with that
//! HTTP status. Failures of ours are `INTERNAL_ERROR` (500); details are logged, never
//! returned. On the LNURL route the same errors become the hub's one LNURL error
//! (`crate::http::LnurlError`: `{"status":"ERROR","reason":"<CODE>"}`, HTTP 200), mapped here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::http::{KeyRefusal, LnurlError};
use crate::services::gifts::model::Refusal;

/// The code answered for a failure of ours, on API and LNURL routes alike.
pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";

/// An error answer on an API route.
#[derive(Debug, thiserror::Error)]
pub enum GiftsError {
    /// A refusal the caller can act on.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// A refusal answered with 404 (an unknown gift on `GET /gift`).
    #[error("not found: {0}")]
    NotFound(Refusal),
    /// A malformed request body.
    #[error("bad body: {0}")]
    BadBody(&'static str),
    /// A failure of ours.
    #[error("internal: {0}")]
    Internal(String),
}

/// The body of an error answer.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    #[serde(rename = "statusCode")]
    pub status_code: u16,
    /// The refusal code, or `INTERNAL_ERROR`.
    pub message: &'static str,
}

impl IntoResponse for GiftsError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            GiftsError::Refused(refusal) => (
                StatusCode::from_u16(refusal.http_status()).unwrap_or(StatusCode::BAD_REQUEST),
                refusal.code(),
            ),
            GiftsError::NotFound(refusal) => (StatusCode::NOT_FOUND, refusal.code()),
            GiftsError::BadBody(code) => (StatusCode::BAD_REQUEST, code),
            GiftsError::Internal(detail) => {
                tracing::error!(%detail, "gifts internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
            }
        };
        let body = ErrorBody {
            status_code: status.as_u16(),
            message,
        };
        (status, Json(body)).into_response()
    }
}

impl From<Refusal> for GiftsError {
    fn from(refusal: Refusal) -> Self {
        GiftsError::Refused(refusal)
    }
}

impl From<sqlx::Error> for GiftsError {
    fn from(e: sqlx::Error) -> Self {
        GiftsError::Internal(format!("database: {e}"))
    }
}

/// The same error on the LNURL route: a refusal's code as the `reason`, anything else
/// `INTERNAL_ERROR` (logged with its detail).
impl From<GiftsError> for LnurlError {
    fn from(e: GiftsError) -> Self {
        match e {
            GiftsError::Refused(refusal) | GiftsError::NotFound(refusal) => {
                LnurlError::refused(refusal.code())
            }
            GiftsError::BadBody(code) => LnurlError::internal(code, INTERNAL_ERROR),
            GiftsError::Internal(detail) => LnurlError::internal(detail, INTERNAL_ERROR),
        }
    }
}

impl From<Refusal> for LnurlError {
    fn from(refusal: Refusal) -> Self {
        LnurlError::refused(refusal.code())
    }
}

/// The answer to a client over the rate limit: 429 with the gifts error body.
pub fn too_many_requests(_retry_after_secs: u64) -> Response {
    let body = ErrorBody {
        status_code: StatusCode::TOO_MANY_REQUESTS.as_u16(),
        message: "TOO_MANY_REQUESTS",
    };
    (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response()
}

/// The answer to a refused `Idempotency-Key`: its status with the gifts error body.
pub fn key_refused(refusal: KeyRefusal) -> Response {
    let status = refusal.status();
    let body = ErrorBody {
        status_code: status.as_u16(),
        message: refusal.code(),
    };
    (status, Json(body)).into_response()
}
