//! The two error shapes of the gifts API: `{"statusCode":<int>,"message":"<CODE>"}` with that
//! HTTP status on API routes, and LNURL's `{"status":"ERROR","reason":"<CODE>"}` with HTTP 200
//! on the LNURL route (LUD-01: wallets read the body, not the status). Failures of ours are
//! `INTERNAL_ERROR` (500 on API routes); details are logged, never returned.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::model::Refusal;

/// An error answer on an API route.
#[derive(Debug)]
pub enum GiftsError {
    /// A refusal the caller can act on.
    Refused(Refusal),
    /// A refusal answered with 404 (an unknown gift on `GET /gift`).
    NotFound(Refusal),
    /// A malformed request body.
    BadBody(&'static str),
    /// A failure of ours.
    Internal(String),
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
                (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR")
            }
        };
        (
            status,
            Json(json!({"statusCode": status.as_u16(), "message": message})),
        )
            .into_response()
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

/// An error answer on the LNURL route (always HTTP 200).
#[derive(Debug)]
pub enum LnurlError {
    /// A refusal the wallet shows its user.
    Refused(Refusal),
    /// A failure of ours.
    Internal(String),
}

impl IntoResponse for LnurlError {
    fn into_response(self) -> Response {
        let reason = match self {
            LnurlError::Refused(refusal) => refusal.code(),
            LnurlError::Internal(detail) => {
                tracing::error!(%detail, "gifts LNURL internal error");
                "INTERNAL_ERROR"
            }
        };
        Json(json!({"status": "ERROR", "reason": reason})).into_response()
    }
}

impl From<GiftsError> for LnurlError {
    fn from(e: GiftsError) -> Self {
        match e {
            GiftsError::Refused(refusal) | GiftsError::NotFound(refusal) => {
                LnurlError::Refused(refusal)
            }
            GiftsError::BadBody(code) => LnurlError::Internal(code.into()),
            GiftsError::Internal(detail) => LnurlError::Internal(detail),
        }
    }
}

impl From<sqlx::Error> for LnurlError {
    fn from(e: sqlx::Error) -> Self {
        LnurlError::Internal(format!("database: {e}"))
    }
}
