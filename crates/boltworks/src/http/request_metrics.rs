//! Counting every answered request for `/metrics`: by its route template (axum's matched path,
//! so `/gifts/status/{charge_id}` is one series however many ids are asked about; `unmatched`
//! for the fallback), method and status, with its latency.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::metrics::HubMetrics;

/// Answers `request` and counts it.
pub async fn observe(
    State(metrics): State<Arc<HubMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_http(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
