//! Counting every answered request for `/metrics`: by its route template (axum's matched path,
//! so `/gifts/status/{charge_id}` is one series however many ids are asked about; `unmatched`
//! for the fallback), method and status, with its latency. A method outside HTTP's standard set
//! is counted as `OTHER`: a client inventing methods cannot grow the series without bound.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
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
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_http(
        &route,
        method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// The method as a label: one of HTTP's standard methods, else `OTHER`.
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    STANDARD
        .into_iter()
        .find(|name| *name == method.as_str())
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invented_method_is_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        let invented = Method::from_bytes(b"BREW").expect("a method token");
        assert_eq!(method_label(&invented), "OTHER");
    }
}
