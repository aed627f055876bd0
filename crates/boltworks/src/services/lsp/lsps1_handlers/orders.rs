//! The views of an order: the nested order (`GET /lsp/channels/{id}`), its LNURL-channel
//! (`GET /lsp/channels/{id}/lnurl`) and the seed's older flat model (`GET /lsp/channel?id=`).

use axum::extract::{Query, State};
use axum::Json;

use super::{find, Surroundings};
use crate::http::PathId;
use crate::services::lsp::lnurl_channel::lnurl_channel;
use crate::services::lsp::lsps1_api::{FlatOrder, LnurlAnswer, Lsps1Error, OrderView};
use crate::services::lsp::LspService;

/// `GET /lsp/channels/{id}`: the nested order.
#[tracing::instrument(skip_all, fields(order_id = path.as_str()))]
pub async fn get(
    State(state): State<LspService>,
    path: PathId,
) -> Result<Json<OrderView>, Lsps1Error> {
    let order = find(&state, path.as_str()).await?;
    let surroundings = Surroundings::of(&state, &order).await;
    Ok(Json(OrderView::of(&order, &surroundings.context())))
}

/// `GET /lsp/channels/{id}/lnurl`: the order's LNURL-channel (LUD-02; usable once paid).
#[tracing::instrument(skip_all, fields(order_id = path.as_str()))]
pub async fn lnurl(
    State(state): State<LspService>,
    path: PathId,
) -> Result<Json<LnurlAnswer>, Lsps1Error> {
    let order = find(&state, path.as_str()).await?;
    Ok(Json(LnurlAnswer {
        lnurl_channel: lnurl_channel(&state, &order.id),
    }))
}

/// The query of the flat view.
#[derive(serde::Deserialize)]
pub struct FlatQuery {
    id: Option<String>,
}

/// `GET /lsp/channel?id=`: the seed's older flat order model.
#[tracing::instrument(skip_all, fields(order_id = query.id.as_deref()))]
pub async fn flat(
    State(state): State<LspService>,
    Query(query): Query<FlatQuery>,
) -> Result<Json<FlatOrder>, Lsps1Error> {
    let id = query
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Lsps1Error::bad("id is required"))?;
    let order = find(&state, &id).await?;
    let surroundings = Surroundings::of(&state, &order).await;
    let lnurl = lnurl_channel(&state, &order.id);
    Ok(Json(FlatOrder::of(&order, &surroundings.context(), lnurl)))
}
