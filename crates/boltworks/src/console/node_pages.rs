//! The console's node page: the node and its sync state, its peers (connect, disconnect), the
//! node wallet (a new address, a send, moves to and from the treasury, each under a key the form
//! carries so a form sent twice moves money once) and the node's payments, narrowed by direction
//! and status.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{
    action_refused, csrf_refused, done_or_refused, failed, filter_of, refused, shown, whole,
};
use super::render::page;
use super::session::{random_token, Session};
use crate::api::AppState;
use crate::http::HubError;
use crate::node::payment_listing;
use crate::node::{PaymentDirection, PaymentStatus};
use crate::node_actions::{checks, direct, ActionError, NodeAction};

const BACK: &str = "/console/node";
/// Payments the page shows.
const PAYMENTS: u32 = 100;

#[derive(Deserialize)]
pub(super) struct PaymentsQuery {
    direction: Option<String>,
    status: Option<String>,
}

/// `GET /console/node`.
pub(super) async fn node(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<PaymentsQuery>,
) -> Response {
    let direction: Option<PaymentDirection> =
        match filter_of(query.direction.as_deref(), "direction") {
            Ok(direction) => direction,
            Err(why) => return refused(StatusCode::BAD_REQUEST, &why),
        };
    let status: Option<PaymentStatus> = match filter_of(query.status.as_deref(), "status") {
        Ok(status) => status,
        Err(why) => return refused(StatusCode::BAD_REQUEST, &why),
    };
    let hub = &state.hub;
    let node = &hub.node;
    let payments =
        payment_listing::list(&hub.store, node.label(), direction, status, PAYMENTS).await;
    let payments = match payments {
        Ok(payments) => payments,
        Err(e) => return failed(e),
    };
    let wallet = node.onchain_balance();
    let peers: Vec<_> = node
        .peers()
        .into_iter()
        .map(|p| context! { node_id => p.node_id.to_string(), address => p.address, connected => p.connected, persisted => p.persisted })
        .collect();
    let body = context! {
        title => "Node",
        csrf => &session.csrf,
        node_id => node.node_id().to_string(),
        alias => node.alias(),
        listen => node.listen_address().to_string(),
        network => hub.network.to_string(),
        synced => node.has_synced(),
        synced_height => node.synced_height(),
        chain_height => state.readiness.chain_tip.height().await,
        peers => peers,
        wallet_total_sat => wallet.total.0,
        wallet_spendable_sat => wallet.spendable.0,
        treasury => hub.treasury.is_some(),
        send_key => random_token(),
        to_treasury_key => random_token(),
        from_treasury_key => random_token(),
        payments => Value::from_serialize(&payments),
        directions => PaymentDirection::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        statuses => PaymentStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        direction => direction.map(|d| d.as_str()),
        status => status.map(|s| s.as_str()),
    };
    page(StatusCode::OK, "node.html", body)
}

#[derive(Deserialize)]
pub(super) struct ConnectForm {
    csrf: String,
    uri: String,
}

/// `POST /console/node/peers`: connect to `pubkey@ip:port`.
pub(super) async fn connect(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<ConnectForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let outcome = direct::connect(&state.hub, &form.uri).await.map(|_| ());
    done_or_refused(outcome, BACK)
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

/// `POST /console/node/peers/{node_id}/disconnect`.
pub(super) async fn disconnect(
    State(state): State<AppState>,
    session: Session,
    Path(node_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    done_or_refused(direct::disconnect(&state.hub, &node_id), BACK)
}

/// `POST /console/node/wallet/address`: a new address of the node wallet.
pub(super) async fn new_address(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    match state.hub.node.new_onchain_address() {
        Ok(address) => shown(
            &session,
            "A new node-wallet address",
            &address.to_string(),
            BACK,
        ),
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
pub(super) struct MoveForm {
    csrf: String,
    key: String,
    #[serde(default)]
    address: String,
    amount_sat: String,
}

/// Which way a wallet form moves coins.
#[derive(Clone, Copy)]
enum Move {
    Send,
    ToTreasury,
    FromTreasury,
}

async fn moved(state: &AppState, session: &Session, form: MoveForm, way: Move) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let checked = (|| -> Result<_, HubError> {
        let key = checks::key(&format!("console:{}", form.key))?;
        let amount = checks::amount(whole(&form.amount_sat, "The amount (sat)")?)?;
        Ok((key, amount))
    })();
    let (key, amount) = match checked {
        Ok(checked) => checked,
        Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let actions = &state.node_actions;
    let outcome: Result<NodeAction, ActionError> = match way {
        Move::Send => match checks::address(&form.address, state.hub.network) {
            Ok(address) => actions.send(&key, &address, amount).await,
            Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
        },
        Move::ToTreasury => actions.to_treasury(&key, amount).await,
        Move::FromTreasury => actions.from_treasury(&key, amount).await,
    };
    match outcome {
        Ok(_) => Redirect::to(BACK).into_response(),
        Err(e) => action_refused(e),
    }
}

/// `POST /console/node/wallet/send`: send from the node wallet, once per form.
pub(super) async fn send(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<MoveForm>,
) -> Response {
    moved(&state, &session, form, Move::Send).await
}

/// `POST /console/node/wallet/to-treasury`: move coins to the treasury, once per form.
pub(super) async fn to_treasury(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<MoveForm>,
) -> Response {
    moved(&state, &session, form, Move::ToTreasury).await
}

/// `POST /console/node/wallet/from-treasury`: move coins from the treasury, once per form.
pub(super) async fn from_treasury(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<MoveForm>,
) -> Response {
    moved(&state, &session, form, Move::FromTreasury).await
}
