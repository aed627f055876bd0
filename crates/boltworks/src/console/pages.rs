//! The console's pages: sign-in and sign-out, the overview (node and chain, channel liquidity,
//! wallets, every books check, the outbox, payments per service, from the same figures as
//! `/metrics`), notifications (failed first, redeliver), escrow disputes (release or refund), and
//! the hub's landing page. Every POST checks the session's CSRF token before anything else.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::render::page;
use super::session::{self, Session};
use crate::api::AppState;
use crate::notify::outbox::{self, DeliveryStatus};
use crate::services::escrow::Resolution;

/// A POST whose CSRF token is not the session's: refused, nothing done.
pub(super) fn csrf_refused() -> Response {
    let body = context! { title => "Refused", error => "The form's token is not this session's: nothing was done." };
    page(StatusCode::FORBIDDEN, "login.html", body)
}

pub(super) fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a console page failed");
    let body = context! { title => "Unavailable", error => "The hub could not answer; try again." };
    page(StatusCode::SERVICE_UNAVAILABLE, "login.html", body)
}

/// `GET /`: what the hub offers, and its status.
pub(super) async fn landing(State(state): State<AppState>) -> Response {
    let node = &state.hub.node;
    let body = context! {
        title => "boltworks",
        network => state.hub.network.to_string(),
        node_id => node.node_id().to_string(),
        synced => node.has_synced(),
        usable_channels => node.channels().iter().filter(|c| c.usable).count(),
        gifts => state.gifts.base(),
    };
    page(StatusCode::OK, "landing.html", body)
}

/// `GET /console/login`.
pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (token, new) = session::login_token(&headers);
    let response = page(
        StatusCode::OK,
        "login.html",
        context! { title => "Sign in", csrf => &token, form => true },
    );
    if new {
        session::with_login_cookie(&state.hub, &token, response)
    } else {
        response
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    token: String,
    csrf: String,
}

/// `POST /console/login`: the operator token, then a session.
pub(super) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !session::login_token_matches(&headers, &form.csrf) {
        return csrf_refused();
    }
    if !session::same_secret(&form.token, &state.operator.0) {
        tracing::warn!("a console sign-in with a wrong token");
        let body = context! { title => "Sign in", csrf => &form.csrf, form => true, error => "That is not the operator token." };
        return page(StatusCode::UNAUTHORIZED, "login.html", body);
    }
    match session::start(&state.hub, &state.operator.0, "/console").await {
        Ok(response) => response,
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// `POST /console/logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    session::end(&state.hub, &session)
        .await
        .unwrap_or_else(failed)
}

#[derive(Serialize)]
struct ChannelBar {
    peer: String,
    capacity_sat: u64,
    outbound_sat: u64,
    inbound_sat: u64,
    outbound_percent: u64,
    usable: bool,
}

/// `GET /console`: the overview.
pub(super) async fn overview(State(state): State<AppState>, session: Session) -> Response {
    let report = match crate::api::metrics::gather(&state).await {
        Ok(report) => report,
        Err(e) => return failed(e),
    };
    let figure = |name: &str| {
        report
            .node
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    };
    let node = &state.hub.node;
    let channels: Vec<ChannelBar> = node
        .channels()
        .into_iter()
        .map(|c| {
            let (out, inb) = (c.outbound.0 / 1000, c.inbound.0 / 1000);
            let total = (out + inb).max(1);
            ChannelBar {
                peer: c.peer.to_string(),
                capacity_sat: c.capacity.0,
                outbound_sat: out,
                inbound_sat: inb,
                outbound_percent: out * 100 / total,
                usable: c.usable,
            }
        })
        .collect();
    let wallet = node.onchain_balance();
    let flows = match super::flows::flows(&state.hub.store, state.hub.clock.now_unix()).await {
        Ok(flows) => flows,
        Err(e) => return failed(e),
    };
    let body = context! {
        title => "Overview",
        flows => Value::from_serialize(&flows),
        csrf => &session.csrf,
        node_id => node.node_id().to_string(),
        network => state.hub.network.to_string(),
        synced_height => figure("synced_height"),
        sync_lag_blocks => figure("sync_lag_blocks"),
        usable_channels => figure("usable_channels"),
        channels => Value::from_serialize(&channels),
        wallet_total_sat => wallet.total.0,
        wallet_spendable_sat => wallet.spendable.0,
        treasury => state.hub.treasury.is_some(),
        treasury_sat => report.treasury_sat,
        books => Value::from_serialize(&report.books),
        outbox => Value::from_serialize(&report.outbox),
        payments => Value::from_serialize(&report.payments),
    };
    page(StatusCode::OK, "overview.html", body)
}

/// `GET /console/notifications`: the delivery log, failed first.
pub(super) async fn notifications(State(state): State<AppState>, session: Session) -> Response {
    let store = &state.hub.store;
    let failed_ones = outbox::list(store, Some(DeliveryStatus::Failed), None, 50).await;
    let recent = outbox::list(store, None, None, 50).await;
    let (Ok(failed_ones), Ok(recent)) = (failed_ones, recent) else {
        return failed("listing notifications");
    };
    let recent: Vec<_> = recent
        .into_iter()
        .filter(|(_, r)| r.status != DeliveryStatus::Failed)
        .map(|(_, r)| r)
        .collect();
    let failed_ones: Vec<_> = failed_ones.into_iter().map(|(_, r)| r).collect();
    let body = context! {
        title => "Notifications",
        csrf => &session.csrf,
        failed => Value::from_serialize(&failed_ones),
        recent => Value::from_serialize(&recent),
    };
    page(StatusCode::OK, "notifications.html", body)
}

/// `POST /console/notifications/{event_id}/redeliver`.
pub(super) async fn redeliver(
    State(state): State<AppState>,
    session: Session,
    Path(event_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let hub = &state.hub;
    match outbox::redeliver(&hub.store, &hub.clock, &event_id).await {
        Ok(_) => {
            hub.notifier.outbox_committed();
            Redirect::to("/console/notifications").into_response()
        }
        Err(e) => failed(e),
    }
}

/// `GET /console/escrow`: the open disputes.
pub(super) async fn escrow(State(state): State<AppState>, session: Session) -> Response {
    let disputes = match state.escrow.open_disputes().await {
        Ok(disputes) => disputes,
        Err(e) => return failed(e),
    };
    let body = context! {
        title => "Escrow disputes",
        csrf => &session.csrf,
        disputes => Value::from_serialize(&disputes),
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
        let body =
            context! { title => "Refused", error => "The resolution must be release or refund." };
        return page(StatusCode::BAD_REQUEST, "login.html", body);
    };
    match state
        .escrow
        .resolve_dispute(tx, resolution, "resolved from the console")
        .await
    {
        Ok(_) => Redirect::to("/console/escrow").into_response(),
        Err(e) => failed(e),
    }
}
