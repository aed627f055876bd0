//! The console's channels page: each channel with its liquidity and forwarding fees, a form that
//! opens a channel (through `NodeActions`, under a key the form carries, so a form sent twice
//! opens one channel), and per channel forms to set its fees, close it cooperatively, or force
//! close it once the operator ticked the confirmation.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::forms::{
    action_refused, csrf_refused, done_or_refused, failed, refused, whole, whole_or,
};
use super::render::page;
use super::session::{random_token, Session};
use crate::api::AppState;
use crate::http::HubError;
use crate::node::ForwardingFees;
use crate::node_actions::checks;
use crate::node_actions::direct::{self, CloseKind};

const BACK: &str = "/console/channels";

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
    fee_base_msat: u32,
    fee_ppm: u32,
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
            fee_base_msat: c.fees.base_msat,
            fee_ppm: c.fees.ppm,
        })
        .collect();
    let actions = match state.node_actions.list(20).await {
        Ok(actions) => actions,
        Err(e) => return failed(e),
    };
    let wallet = node.onchain_balance();
    let body = context! {
        title => "Channels",
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

/// `POST /console/channels`: open a channel.
pub(super) async fn open(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<OpenForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let request = (|| {
        let capacity = whole(&form.capacity_sat, "The capacity (sat)")?;
        let push = whole_or(&form.push_msat, 0, "The push (msat)")?;
        let key = format!("console:{}", form.key);
        checks::open_request(&key, &form.peer, capacity, push, form.public.is_some())
    })();
    let request = match request {
        Ok(request) => request,
        Err(e) => return refused(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    match state.node_actions.open_channel(&request).await {
        Ok(_) => Redirect::to(BACK).into_response(),
        Err(e) => action_refused(e),
    }
}

#[derive(Deserialize)]
pub(super) struct CloseForm {
    csrf: String,
    #[serde(default)]
    force: Option<String>,
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /console/channels/{user_channel_id}/close`: close cooperatively, or force close when
/// the form's confirmation is ticked.
pub(super) async fn close(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let kind = match form.force {
        Some(_) => CloseKind::Force {
            confirmed: form.confirm.is_some(),
        },
        None => CloseKind::Cooperative,
    };
    done_or_refused(direct::close(&state.hub, &id, kind), BACK)
}

#[derive(Deserialize)]
pub(super) struct FeesForm {
    csrf: String,
    base_msat: String,
    ppm: String,
}

/// `POST /console/channels/{user_channel_id}/fees`: what the node charges to forward over it.
pub(super) async fn fees(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<FeesForm>,
) -> Response {
    if !session.csrf_matches(&form.csrf) {
        return csrf_refused();
    }
    let outcome = (|| -> Result<(), HubError> {
        let fees = ForwardingFees {
            base_msat: whole(&form.base_msat, "The base fee (msat)")?,
            ppm: whole(&form.ppm, "The proportional fee (ppm)")?,
        };
        direct::set_fees(&state.hub, &id, fees)
    })();
    done_or_refused(outcome, BACK)
}
