//! The console's merchant pages: the merchant accounts with their balances, newest first a page
//! at a time (`?before=` the last shown creation time), and one merchant's invoices, outgoing
//! payments and withdrawals.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{failed, refused};
use super::render::page;
use super::session::Session;
use crate::api::AppState;

/// Merchants a page shows.
const PAGE: i64 = 50;
/// Of each of a merchant's lists, the latest this many.
const LATEST: i64 = 50;

#[derive(Deserialize)]
pub(super) struct PageQuery {
    before: Option<i64>,
}

/// `GET /console/merchants`.
pub(super) async fn merchants(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<PageQuery>,
) -> Response {
    let merchants = match state.merchant.list_merchants(query.before, PAGE).await {
        Ok(merchants) => merchants,
        Err(e) => return failed(e),
    };
    let books = match state.merchant.books().await {
        Ok(books) => books,
        Err(e) => return failed(e),
    };
    let next = (merchants.len() as i64 == PAGE)
        .then(|| merchants.last().map(|m| m.created_at))
        .flatten();
    let body = context! {
        title => "Merchants",
        csrf => &session.csrf,
        merchants => Value::from_serialize(&merchants),
        books => Value::from_serialize(&books),
        next => next,
    };
    page(StatusCode::OK, "merchants.html", body)
}

/// `GET /console/merchants/{merchant_id}`.
pub(super) async fn merchant(
    State(state): State<AppState>,
    session: Session,
    Path(merchant_id): Path<String>,
) -> Response {
    match state.merchant.merchant_activity(&merchant_id, LATEST).await {
        Ok(Some(activity)) => {
            let body = context! {
                title => "Merchant",
                csrf => &session.csrf,
                activity => Value::from_serialize(&activity),
            };
            page(StatusCode::OK, "merchant.html", body)
        }
        Ok(None) => refused(StatusCode::NOT_FOUND, "No such merchant."),
        Err(e) => failed(e),
    }
}
