//! The console's pages: sign-in and sign-out, the overview (node and chain, channel liquidity,
//! wallets, every books check, the outbox, payments per service, from the same figures as
//! `/metrics`), notifications (failed first, redeliver, the log filtered), and the hub's landing
//! page. Every POST checks the session's CSRF token before anything else.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::forms::{chosen, csrf_refused, failed, filter_of, refused};
use super::render::page;
use super::session::{self, Session};
use crate::api::AppState;
use crate::notify::outbox::{self, DeliveryStatus, NotificationFilter, Redelivery};

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

/// Notifications a list shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub(super) struct NotificationsQuery {
    status: Option<String>,
    service: Option<String>,
    before: Option<i64>,
}

/// `GET /console/notifications`: the failed ones first (each with a redeliver button), then the
/// delivery log narrowed by status and service, a page at a time.
pub(super) async fn notifications(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<NotificationsQuery>,
) -> Response {
    let status: Option<DeliveryStatus> = match filter_of(query.status.as_deref(), "delivery status")
    {
        Ok(status) => status,
        Err(why) => return refused(StatusCode::BAD_REQUEST, &why),
    };
    let service = chosen(query.service);
    let store = &state.hub.store;
    let failed_filter = NotificationFilter {
        status: Some(DeliveryStatus::Failed),
        limit: PAGE,
        ..NotificationFilter::default()
    };
    let log_filter = NotificationFilter {
        status,
        service: service.clone(),
        before: query.before,
        limit: PAGE,
    };
    let failed_ones = outbox::list(store, &failed_filter).await;
    let log = outbox::list(store, &log_filter).await;
    let (Ok(failed_ones), Ok(log)) = (failed_ones, log) else {
        return failed("listing notifications");
    };
    let next = (log.len() as i64 == PAGE)
        .then(|| log.last().map(|(id, _)| *id))
        .flatten();
    let log: Vec<_> = log.into_iter().map(|(_, r)| r).collect();
    let failed_ones: Vec<_> = failed_ones.into_iter().map(|(_, r)| r).collect();
    let body = context! {
        title => "Notifications",
        csrf => &session.csrf,
        failed => Value::from_serialize(&failed_ones),
        log => Value::from_serialize(&log),
        statuses => DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        status => status.map(|s| s.as_str()),
        service => service,
        next => next,
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
        Ok(Redelivery::Queued) => {
            hub.notifier.outbox_committed();
            Redirect::to("/console/notifications").into_response()
        }
        Ok(Redelivery::InFlight) => Redirect::to("/console/notifications").into_response(),
        Ok(Redelivery::NotFound) => refused(StatusCode::NOT_FOUND, "No such notification."),
        Err(e) => failed(e),
    }
}
