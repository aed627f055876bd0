//! The operator's node routes: the channels that closed, forced ones first in importance (their
//! funds are on chain, locked until the commitment's timelock).

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::channel_closures::{self, ChannelClosure, MAX_LISTED};
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;

/// The routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/node/closures",
        "Channels of the hub that closed, newest first (?forced=true for force-closes only, ?limit= up to 500)",
        closures,
    )
}

/// `?forced=&limit=`, read as text so a bad value gets the hub's own error.
#[derive(Deserialize)]
struct ClosuresQuery {
    forced: Option<String>,
    limit: Option<String>,
}

/// The closures listed.
#[derive(Serialize)]
struct ClosuresReply {
    closures: Vec<ChannelClosure>,
}

#[tracing::instrument(skip_all)]
async fn closures(
    _: Operator,
    State(hub): State<HubContext>,
    Query(query): Query<ClosuresQuery>,
) -> Result<Json<ClosuresReply>, HubError> {
    let forced = match query.forced.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(HubError::BadRequest("forced must be true or false".into())),
    };
    let limit = super::list_limit(query.limit.as_deref(), MAX_LISTED)?;
    let closures = channel_closures::list(&hub.store, forced, limit).await?;
    Ok(Json(ClosuresReply { closures }))
}
