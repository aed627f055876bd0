//! The three bLIP-51 calls: each reads its input, asks the order engine, and answers in
//! bLIP-51's shapes.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use tracing::field::Empty;

use super::request::CreateOrder;
use super::wire::{Blip51Error, Options, OrderAnswer};
use super::{answer, request_of, Blip51Options, Echo, BLOCKS_PER_WEEK};
use crate::services::lsp::engine::{create_order as create, OrderRequest};
use crate::services::lsp::model::{self, OrderApi, Refusal};
use crate::services::lsp::store;
use crate::services::lsp::LspService;

/// `GET /api/v1/get_info`.
#[tracing::instrument(skip_all)]
pub async fn get_info(State(state): State<LspService>) -> Json<Options> {
    Json(Blip51Options::of(&state.config).wire())
}

/// `POST /api/v1/create_order`: the order, with its hold invoice.
#[tracing::instrument(skip_all, fields(order_id = Empty))]
pub async fn create_order(
    State(state): State<LspService>,
    body: axum::body::Bytes,
) -> Result<Json<OrderAnswer>, Blip51Error> {
    let body: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(Value::Object(fields)) => fields,
        _ => return Err(Blip51Error::invalid("body", "must be a JSON object")),
    };
    let options = Blip51Options::of(&state.config);
    let request = CreateOrder::read(&body, &options)?;
    let weeks = u64::from(request.channel_expiry_blocks.div_ceil(BLOCKS_PER_WEEK))
        .max(state.config.limits.min_expiry_weeks);
    let echo = Echo {
        blip51: request.clone(),
    };
    let order_request = OrderRequest {
        lsp_sat: request.lsp_balance_sat,
        client_sat: request.client_balance_sat,
        weeks,
        request_echo: Some(serde_json::to_string(&echo).map_err(Blip51Error::internal)?),
        webhook_url: None,
    };
    let id = uuid::Uuid::new_v4().to_string();
    tracing::Span::current().record("order_id", id.as_str());
    let order = create(&state, OrderApi::Lsps1, id, order_request)
        .await
        .map_err(Blip51Error::internal)?
        .map_err(refused)?;
    Ok(Json(answer::of(&order, &request)))
}

/// The engine's refusal of a new order, as bLIP-51 words it: an option the order does not fit.
fn refused(refusal: Refusal) -> Blip51Error {
    match refusal {
        Refusal::AmountsTooLarge => {
            Blip51Error::mismatch("max_channel_balance_sat", "the amounts are too large")
        }
        Refusal::CannotFundNow => Blip51Error::mismatch(
            "max_initial_lsp_balance_sat",
            "the LSP cannot fund a channel of this size now",
        ),
        other => Blip51Error::internal(format!("a new order refused: {other:?}")),
    }
}

/// The query of `get_order`.
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    order_id: Option<String>,
}

/// `GET /api/v1/get_order?order_id=`.
#[tracing::instrument(skip_all, fields(order_id = Empty))]
pub async fn get_order(
    State(state): State<LspService>,
    query: Result<Query<OrderQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<OrderAnswer>, Blip51Error> {
    let id = query
        .ok()
        .and_then(|Query(q)| q.order_id)
        .ok_or_else(|| Blip51Error::invalid("order_id", "is required"))?;
    tracing::Span::current().record("order_id", id.as_str());
    if !model::is_order_id(&id) {
        return Err(Blip51Error::NotFound);
    }
    let mut conn = state.hub.store.pool().acquire().await?;
    let order = store::order(&mut conn, &id)
        .await?
        .ok_or(Blip51Error::NotFound)?;
    // Only orders made through this API have a bLIP-51 request to mirror.
    let request = request_of(&order).ok_or(Blip51Error::NotFound)?;
    Ok(Json(answer::of(&order, &request)))
}
