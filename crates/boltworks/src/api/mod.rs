//! The assembled HTTP application: every service's routes under its base path, the pages, the
//! operator routes (`admin`), the hub's own endpoints (`/health`, `/ready`, `/openapi.json`,
//! `/docs`), the `/dev` API on regtest, and the limits every request runs under (body size,
//! timeout).

pub mod admin;
mod docs_page;
mod health;
pub(crate) mod metrics;
mod openapi;
mod state;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use self::metrics::MetricsEndpoint;
pub use self::state::{AppState, OperatorToken, Readiness};
use crate::dev::DevState;
use crate::http::{body_cap, ApiRoutes, HubError};

/// Bodies over the configured limit reach the extractors, which refuse them in each service's
/// own error format; a body declared this many times larger is refused before any service.
const HARD_BODY_CAP_FACTOR: usize = 4;

/// The limits every request runs under.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take before the hub answers 408.
    pub request_timeout_secs: u64,
}

/// Assembles every router of the hub around `state` (and the dev API with `dev`).
pub fn router(state: AppState, dev: Option<DevState>, limits: HttpLimits) -> Router {
    let mut routes = ApiRoutes::new("hub")
        .get("/health", "Process is up", health::health)
        .get(
            "/ready",
            "Database reachable, node synced to the chain tip, demo channels usable (dev mode)",
            health::ready,
        )
        .merge(admin::routes(&state))
        .merge(state.escrow.routes())
        .merge(state.gifts.routes())
        .merge(crate::web::gift_pages::routes(&state.gifts))
        .merge(state.merchant.routes())
        .merge(state.lsp.routes())
        .merge(crate::console::routes());
    if let Some(dev) = dev {
        routes = routes.merge(crate::dev::api::routes(dev));
    }
    let spec = openapi::document(routes.docs());
    let (router, _) = routes
        .get("/openapi.json", "This OpenAPI document", openapi::serve)
        .get("/docs", "Browsable API documentation", docs_page::serve)
        .get(
            "/metrics",
            "Metrics in the OpenMetrics text format (operator token, unless --metrics-open)",
            metrics::serve,
        )
        .into_parts();
    router
        .fallback(|| async { HubError::NotFound("no such route".into()) })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state.metrics.metrics),
            crate::http::request_metrics::observe,
        ))
        .layer(axum::Extension(openapi::Spec(std::sync::Arc::new(spec))))
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(axum::middleware::from_fn_with_state(
            limits.body_limit_bytes.saturating_mul(HARD_BODY_CAP_FACTOR),
            body_cap::refuse_declared_oversize,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
