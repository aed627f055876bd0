//! The console's escrow page: the open disputes, each resolved from the page (the preimage
//! released to the seller, or the buyer refunded), and every transaction newest first, narrowed
//! by status and a page at a time (`?status=&before=` the last shown id).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::forms::{chosen, csrf_refused, failed, refused};
use super::render::page;
use super::session::Session;
use crate::api::AppState;
use crate::services::escrow::{EscrowError, EscrowTx, Resolution, Status};

/// Transactions a page shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct TxQuery {
    status: Option<String>,
    before: Option<i64>,
}

#[derive(Serialize)]
struct TxRow {
    id: i64,
    title: String,
    amount_sat: u64,
    status: String,
    buyer_email: String,
    disputed: bool,
    resolution: Option<String>,
    created_at: i64,
}

impl From<EscrowTx> for TxRow {
    fn from(tx: EscrowTx) -> Self {
        Self {
            id: tx.id,
            title: tx.title,
            amount_sat: tx.amount_sat.0,
            status: tx.status.to_string(),
            buyer_email: tx.buyer_email,
            disputed: tx.dispute.is_some(),
            resolution: tx.dispute.and_then(|d| d.resolution).map(|r| r.to_string()),
            created_at: tx.created_at,
        }
    }
}

/// `GET /console/escrow`.
pub(super) async fn escrow(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<TxQuery>,
) -> Response {
    let status = chosen(query.status);
    let txs = match state
        .escrow
        .list_txs(status.as_deref(), query.before, PAGE)
        .await
    {
        Ok(Some(txs)) => txs,
        Ok(None) => return refused(StatusCode::BAD_REQUEST, "No such transaction status."),
        Err(e) => return failed(e),
    };
    let disputes = match state.escrow.open_disputes().await {
        Ok(disputes) => disputes,
        Err(e) => return failed(e),
    };
    let next = (txs.len() as i64 == PAGE)
        .then(|| txs.last().map(|t| t.id))
        .flatten();
    let txs: Vec<TxRow> = txs.into_iter().map(TxRow::from).collect();
    let body = context! {
        title => "Escrow",
        csrf => &session.csrf,
        disputes => Value::from_serialize(&disputes),
        txs => Value::from_serialize(&txs),
        statuses => Status::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        status => status,
        next => next,
    };
    page(StatusCode::OK, "escrow.html", body)
}

#[derive(Deserialize)]
pub(super) struct ResolveForm {
    csrf: String,
    resolution: String,
}

/// `POST /console/escrow/{tx}/resolve`: release the preimage to the seller, or refund the buyer.
pub(super) async fn resolve(
    State(state): State<AppState>,
    session: Session,
    Path(tx): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let Ok(resolution) = form.resolution.parse::<Resolution>() else {
        return refused(
            StatusCode::BAD_REQUEST,
            "The resolution must be release or refund.",
        );
    };
    match state
        .escrow
        .resolve_dispute(tx, resolution, "resolved from the console")
        .await
    {
        Ok(Some(_)) => Redirect::to("/console/escrow").into_response(),
        Ok(None) => refused(
            StatusCode::CONFLICT,
            "That transaction has no open dispute.",
        ),
        Err(EscrowError::Refused(why)) => refused(StatusCode::CONFLICT, &why.to_string()),
        Err(e) => failed(e),
    }
}
