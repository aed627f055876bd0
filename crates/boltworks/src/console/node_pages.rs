//! The console's node and books pages: channels with their liquidity, the node wallet and the
//! operator's node actions, with a form that opens a channel (through `NodeActions`, under a key
//! the form carries, so a form sent twice opens one channel); and the ledger's trial balance
//! with each account's entries.

use std::net::SocketAddr;
use std::str::FromStr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use bitcoin::secp256k1::PublicKey;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::pages::{csrf_refused, failed};
use super::render::page;
use super::session::{random_token, Session};
use crate::api::AppState;
use crate::money::{Msat, Sat};
use crate::node_actions::OpenRequest;

#[derive(Serialize)]
struct ChannelRow {
    user_channel_id: String,
    peer: String,
    capacity_sat: u64,
    outbound_sat: u64,
    inbound_sat: u64,
    usable: bool,
    public: bool,
    confirmations: Option<u32>,
}

/// `GET /console/channels`.
pub(super) async fn channels(State(state): State<AppState>, session: Session) -> Response {
    let node = &state.hub.node;
    let rows: Vec<ChannelRow> = node
        .channels()
        .into_iter()
        .map(|c| ChannelRow {
            user_channel_id: c.user_channel_id.to_string(),
            peer: c.peer.to_string(),
            capacity_sat: c.capacity.0,
            outbound_sat: c.outbound.0 / 1000,
            inbound_sat: c.inbound.0 / 1000,
            usable: c.usable,
            public: c.public,
            confirmations: c.confirmations,
        })
        .collect();
    let actions = match state.node_actions.list(20).await {
        Ok(actions) => actions,
        Err(e) => return failed(e),
    };
    let wallet = node.onchain_balance();
    let body = context! {
        title => "Channels and node wallet",
        csrf => &session.csrf,
        open_key => random_token(),
        channels => Value::from_serialize(&rows),
        actions => Value::from_serialize(&actions),
        wallet_total_sat => wallet.total.0,
        wallet_spendable_sat => wallet.spendable.0,
    };
    page(StatusCode::OK, "channels.html", body)
}

#[derive(Deserialize)]
pub(super) struct OpenForm {
    csrf: String,
    key: String,
    peer: String,
    capacity_sat: String,
    #[serde(default)]
    push_msat: String,
    #[serde(default)]
    public: Option<String>,
}

fn refused(why: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "login.html",
        context! { title => "Refused", error => why },
    )
}

/// `POST /console/channels`: open a channel.
pub(super) async fn open(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<OpenForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let Some((id, address)) = form.peer.trim().split_once('@') else {
        return refused("The peer must be pubkey@ip:port.");
    };
    let (Ok(peer), Ok(address)) = (PublicKey::from_str(id), SocketAddr::from_str(address)) else {
        return refused("The peer must be pubkey@ip:port.");
    };
    let Ok(capacity) = form.capacity_sat.trim().parse::<u64>() else {
        return refused("The capacity must be a whole number of sats.");
    };
    let push = match form.push_msat.trim() {
        "" => 0,
        text => match text.parse::<u64>() {
            Ok(push) => push,
            Err(_) => return refused("The push must be a whole number of msat."),
        },
    };
    if capacity < 20_000 || Sat(capacity).to_msat().is_none_or(|c| push >= c.0) {
        return refused("The capacity must be at least 20,000 sat, the push below it.");
    }
    if form.key.is_empty() || form.key.len() > 100 {
        return refused("The form is broken: reload the page.");
    }
    let request = OpenRequest {
        key: format!("console:{}", form.key),
        peer,
        address,
        capacity: Sat(capacity),
        push: Msat(push),
        public: form.public.is_some(),
    };
    match state.node_actions.open_channel(&request).await {
        Ok(_) => Redirect::to("/console/channels").into_response(),
        Err(e) => refused(&e.to_string()),
    }
}

#[derive(Deserialize)]
pub(super) struct LedgerQuery {
    account: Option<String>,
}

/// `GET /console/ledger`: the trial balance, and one account's entries.
pub(super) async fn ledger(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LedgerQuery>,
) -> Response {
    let store = &state.hub.store;
    let accounts = match crate::ledger::balances(store).await {
        Ok(accounts) => accounts,
        Err(e) => return failed(e),
    };
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    let entries = match &query.account {
        Some(account) => match crate::ledger::entries(store, account, 200).await {
            Ok(entries) => Some(entries),
            Err(e) => return failed(e),
        },
        None => None,
    };
    let body = context! {
        title => "Ledger",
        csrf => &session.csrf,
        accounts => Value::from_serialize(&accounts),
        total_msat => total.to_string(),
        account => query.account,
        entries => Value::from_serialize(&entries),
    };
    page(StatusCode::OK, "ledger.html", body)
}
