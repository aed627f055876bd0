//! The hard cap on request bodies: a request whose declared length exceeds it is answered 413
//! in the hub's error shape without reading the body. Bodies between the configured limit and
//! this cap are refused by the extractors, in each service's own format.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Refuses a request whose Content-Length exceeds `cap`.
pub async fn refuse_declared_oversize(
    State(cap): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > cap as u64) {
        let body = json!({"error": {"code": "payload_too_large", "message": format!("request body is larger than {cap} bytes")}});
        return (StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response();
    }
    next.run(request).await
}
