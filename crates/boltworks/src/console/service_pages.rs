//! The console's service pages: LSP channel orders and gifts, newest first, narrowed by state
//! and a page at a time (`?state=` or `?status=`, `?before=` the last shown creation time); and
//! one order in full, with its payment, channel and refund.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{chosen, failed, refused};
use super::render::page;
use super::session::Session;
use crate::api::AppState;
use crate::services::gifts::GIFT_STATUSES;
use crate::services::lsp::model::OrderState;

/// Rows a page shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    state: Option<String>,
    status: Option<String>,
    before: Option<i64>,
}

/// `GET /console/lsp`: channel orders.
pub(super) async fn lsp_orders(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Response {
    let wanted = chosen(query.state);
    let orders = match state
        .lsp
        .list_orders(wanted.as_deref(), query.before, PAGE)
        .await
    {
        Ok(Some(orders)) => orders,
        Ok(None) => return refused(StatusCode::BAD_REQUEST, "No such order state."),
        Err(e) => return failed(e),
    };
    let next = (orders.len() as i64 == PAGE)
        .then(|| orders.last().map(|o| o.created_at))
        .flatten();
    let states: Vec<&str> = OrderState::ALL.iter().map(|(name, _)| *name).collect();
    let body = context! {
        title => "LSP orders",
        csrf => &session.csrf,
        orders => Value::from_serialize(&orders),
        states => states,
        state => wanted,
        next => next,
    };
    page(StatusCode::OK, "lsp.html", body)
}

/// `GET /console/lsp/{order_id}`: one order in full.
pub(super) async fn lsp_order(
    State(state): State<AppState>,
    session: Session,
    Path(order_id): Path<String>,
) -> Response {
    match state.lsp.order_detail(&order_id).await {
        Ok(Some(order)) => {
            let body = context! {
                title => "LSP order",
                csrf => &session.csrf,
                order => Value::from_serialize(&order),
            };
            page(StatusCode::OK, "lsp_order.html", body)
        }
        Ok(None) => refused(StatusCode::NOT_FOUND, "No such order."),
        Err(e) => failed(e),
    }
}

/// `GET /console/gifts`: gifts.
pub(super) async fn gifts(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<ListQuery>,
) -> Response {
    let wanted = chosen(query.status);
    if wanted
        .as_deref()
        .is_some_and(|w| !GIFT_STATUSES.contains(&w))
    {
        return refused(StatusCode::BAD_REQUEST, "No such gift status.");
    }
    let gifts = match state
        .gifts
        .list_gifts(wanted.as_deref(), query.before, PAGE)
        .await
    {
        Ok(gifts) => gifts,
        Err(e) => return failed(e),
    };
    let next = (gifts.len() as i64 == PAGE)
        .then(|| gifts.last().map(|g| g.created_at))
        .flatten();
    let body = context! {
        title => "Gifts",
        csrf => &session.csrf,
        gifts => Value::from_serialize(&gifts),
        statuses => GIFT_STATUSES.to_vec(),
        status => wanted,
        next => next,
    };
    page(StatusCode::OK, "gifts.html", body)
}
