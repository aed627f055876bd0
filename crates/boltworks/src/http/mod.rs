//! HTTP: the axum application. Each service is a documented router mounted at its base path;
//! the hub's own endpoints (`/health`, `/ready`, `/openapi.json`, `/docs`, `/dev/...`) answer in
//! one JSON error shape; requests have a body size limit and a timeout.

mod api_routes;
mod body_cap;
mod docs_page;
mod error;
mod health;
mod hub_json;
mod openapi;
mod path_id;
pub mod request_fields;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use self::api_routes::{ApiRoutes, RouteDoc};
pub use self::error::HubError;
pub use self::hub_json::HubJson;
pub use self::path_id::PathId;
use crate::app::AppState;

/// Bodies over the configured limit reach the extractors, which refuse them in each service's
/// own error format; a body declared this many times larger is refused before any service.
const HARD_BODY_CAP_FACTOR: usize = 4;

/// Assembles every router of the hub around `state`.
pub fn router(state: AppState) -> Router {
    let mut routes = ApiRoutes::new("hub")
        .get("/health", "Process is up", health::health)
        .get(
            "/ready",
            "Database reachable, node synced to the chain tip, demo channels usable (dev mode)",
            health::ready,
        );
    routes = routes.merge(crate::notify::admin_api::routes());
    routes = routes.merge(crate::services::escrow::routes(&state.config.bases.escrow));
    routes = routes.merge(crate::services::escrow::admin_api::routes());
    routes = routes.merge(crate::services::gifts::routes(&state.config.bases.gifts));
    routes = routes.merge(crate::services::gifts::admin_routes());
    routes = routes.merge(crate::services::merchant::routes(
        &state.config.bases.merchant,
    ));
    routes = routes.merge(crate::services::merchant::admin_routes());
    routes = routes.merge(crate::ledger::admin_api::routes());
    routes = routes.merge(crate::treasury::admin_api::routes());
    routes = routes.merge(crate::services::lsp::v1_routes(&state.config.bases.lsp_v1));
    routes = routes.merge(crate::services::lsp::lsps1_routes(
        &state.config.bases.lsps1,
    ));
    if let Some(dev) = crate::dev::api::routes(&state) {
        routes = routes.merge(dev);
    }
    let spec = openapi::document(routes.docs());
    let (router, _) = routes
        .get("/openapi.json", "This OpenAPI document", openapi::serve)
        .get("/docs", "Browsable API documentation", docs_page::serve)
        .into_parts();
    let limits = &state.config;
    router
        .fallback(|| async { HubError::NotFound("no such route".into()) })
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
