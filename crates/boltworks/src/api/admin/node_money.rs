//! The operator's money-moving node routes: open a channel, send from the node wallet, move coins
//! between the node wallet and the treasury, and the actions so far. Each POST names a `key`: the
//! same key with the same request answers with the first request's action and does nothing again.

use std::net::SocketAddr;
use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::Json;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Address;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::money::{Msat, Sat};
use crate::node_actions::{ActionError, NodeAction, NodeActions, OpenRequest};

/// The most actions a listing returns.
const MAX_LISTED: u32 = 500;
/// The smallest channel the operator may open (LDK refuses smaller ones' reserves).
const MIN_CHANNEL_SAT: u64 = 20_000;
/// The most there will ever be, in sats.
const MAX_SAT: u64 = 2_100_000_000_000_000;

/// The routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin")
        .post(
            "/admin/node/channels",
            "Open a channel {key, peer: pubkey@ip:port, capacity_sat, push_msat, public}; committed before the node is asked, once per key",
            open,
        )
        .post(
            "/admin/node/wallet/send",
            "Send from the node wallet {key, address, amount_sat}, once per key",
            send,
        )
        .post(
            "/admin/node/wallet/to-treasury",
            "Move coins from the node wallet to a new treasury address {key, amount_sat}, once per key",
            to_treasury,
        )
        .post(
            "/admin/node/wallet/from-treasury",
            "Move coins from the treasury to the node wallet {key, amount_sat}, once per key",
            from_treasury,
        )
        .get(
            "/admin/node/actions",
            "The operator's node actions, newest first (?limit= up to 500)",
            list,
        )
        .get(
            "/admin/node/actions/{key}",
            "One node action by its key",
            one,
        )
}

#[derive(Serialize)]
struct ActionReply {
    action: NodeAction,
}

#[derive(Serialize)]
struct ActionsReply {
    actions: Vec<NodeAction>,
}

fn refused(error: ActionError) -> HubError {
    match error {
        ActionError::KeyReused(_) | ActionError::NoTreasury => {
            HubError::Conflict(error.to_string())
        }
        ActionError::Invalid(why) => HubError::BadRequest(why),
        ActionError::Store(e) => HubError::from(e),
    }
}

fn checked_key(key: &str) -> Result<String, HubError> {
    let ok = (1..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| key.to_string())
        .ok_or_else(|| HubError::BadRequest("key must be 1 to 100 visible ASCII characters".into()))
}

fn checked_amount(amount_sat: u64) -> Result<Sat, HubError> {
    if amount_sat == 0 || amount_sat > MAX_SAT {
        return Err(HubError::BadRequest(format!(
            "amount_sat must be 1 to {MAX_SAT}"
        )));
    }
    Ok(Sat(amount_sat))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    key: String,
    peer: String,
    capacity_sat: u64,
    #[serde(default)]
    push_msat: u64,
    #[serde(default)]
    public: bool,
}

async fn open(
    _: Operator,
    State(actions): State<NodeActions>,
    HubJson(body): HubJson<OpenBody>,
) -> Result<Json<ActionReply>, HubError> {
    let key = checked_key(&body.key)?;
    let (id, address) = body
        .peer
        .split_once('@')
        .ok_or_else(|| HubError::BadRequest("peer must be pubkey@ip:port".into()))?;
    let peer = PublicKey::from_str(id)
        .map_err(|_| HubError::BadRequest("not a node id (33 bytes, hex)".into()))?;
    let address = SocketAddr::from_str(address)
        .map_err(|_| HubError::BadRequest("the peer's address must be ip:port".into()))?;
    if !(MIN_CHANNEL_SAT..=MAX_SAT).contains(&body.capacity_sat) {
        return Err(HubError::BadRequest(format!(
            "capacity_sat must be {MIN_CHANNEL_SAT} to {MAX_SAT}"
        )));
    }
    let capacity = Sat(body.capacity_sat);
    if capacity.to_msat().is_none_or(|c| body.push_msat >= c.0) {
        return Err(HubError::BadRequest(
            "push_msat must be below the capacity".into(),
        ));
    }
    let request = OpenRequest {
        key,
        peer,
        address,
        capacity,
        push: Msat(body.push_msat),
        public: body.public,
    };
    let action = actions.open_channel(&request).await.map_err(refused)?;
    Ok(Json(ActionReply { action }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    key: String,
    address: String,
    amount_sat: u64,
}

async fn send(
    _: Operator,
    State(state): State<AppState>,
    HubJson(body): HubJson<SendBody>,
) -> Result<Json<ActionReply>, HubError> {
    let key = checked_key(&body.key)?;
    let network = state.hub.network;
    let address = Address::from_str(&body.address)
        .ok()
        .and_then(|a| a.require_network(network).ok())
        .ok_or_else(|| HubError::BadRequest(format!("address must be a {network} address")))?;
    let amount = checked_amount(body.amount_sat)?;
    let actions = &state.node_actions;
    let action = actions
        .send(&key, &address, amount)
        .await
        .map_err(refused)?;
    Ok(Json(ActionReply { action }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    key: String,
    amount_sat: u64,
}

async fn to_treasury(
    _: Operator,
    State(actions): State<NodeActions>,
    HubJson(body): HubJson<MoveBody>,
) -> Result<Json<ActionReply>, HubError> {
    let key = checked_key(&body.key)?;
    let amount = checked_amount(body.amount_sat)?;
    let action = actions.to_treasury(&key, amount).await.map_err(refused)?;
    Ok(Json(ActionReply { action }))
}

async fn from_treasury(
    _: Operator,
    State(actions): State<NodeActions>,
    HubJson(body): HubJson<MoveBody>,
) -> Result<Json<ActionReply>, HubError> {
    let key = checked_key(&body.key)?;
    let amount = checked_amount(body.amount_sat)?;
    let action = actions.from_treasury(&key, amount).await.map_err(refused)?;
    Ok(Json(ActionReply { action }))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
}

async fn list(
    _: Operator,
    State(actions): State<NodeActions>,
    Query(query): Query<ListQuery>,
) -> Result<Json<ActionsReply>, HubError> {
    let limit = super::list_limit(query.limit.as_deref(), MAX_LISTED)?;
    Ok(Json(ActionsReply {
        actions: actions.list(limit).await?,
    }))
}

async fn one(
    _: Operator,
    State(actions): State<NodeActions>,
    Path(key): Path<String>,
) -> Result<Json<ActionReply>, HubError> {
    let action = actions
        .get(&key)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("no node action {key}")))?;
    Ok(Json(ActionReply { action }))
}
