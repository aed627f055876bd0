//! The operator's money-moving node routes: open a channel, send from the node wallet, move coins
//! between the node wallet and the treasury, and the actions so far. Each POST names a `key`: the
//! same key with the same request answers with the first request's action and does nothing again.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::node_actions::{checks, ActionError, NodeAction, NodeActions};

/// The most actions a listing returns.
const MAX_LISTED: u32 = 500;

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
    let request = checks::open_request(
        &body.key,
        &body.peer,
        body.capacity_sat,
        body.push_msat,
        body.public,
    )?;
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
    let key = checks::key(&body.key)?;
    let address = checks::address(&body.address, state.hub.network)?;
    let amount = checks::amount(body.amount_sat)?;
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
    let key = checks::key(&body.key)?;
    let amount = checks::amount(body.amount_sat)?;
    let action = actions.to_treasury(&key, amount).await.map_err(refused)?;
    Ok(Json(ActionReply { action }))
}

async fn from_treasury(
    _: Operator,
    State(actions): State<NodeActions>,
    HubJson(body): HubJson<MoveBody>,
) -> Result<Json<ActionReply>, HubError> {
    let key = checks::key(&body.key)?;
    let amount = checks::amount(body.amount_sat)?;
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
