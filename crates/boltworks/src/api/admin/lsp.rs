//! The operator's view of the LSP's JIT channels: `GET /admin/lsp/jit`.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::services::lsp::jit::JitOverview;

/// The most rows a listing returns.
const MAX_LISTED: u32 = 500;

/// The routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/lsp/jit",
        "JIT channels (LSPS2): the terms' largest channel, the node wallet, the channels paid for and the opens the node gave up on, newest first (?limit= up to 500)",
        jit,
    )
}

/// `?limit=`, read as text so a bad value gets the hub's own error.
#[derive(Deserialize)]
struct JitQuery {
    limit: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn jit(
    _: Operator,
    State(state): State<AppState>,
    Query(query): Query<JitQuery>,
) -> Result<Json<JitOverview>, HubError> {
    let limit = super::list_limit(query.limit.as_deref(), MAX_LISTED)?;
    Ok(Json(state.lsp.jit_overview(limit).await?))
}
