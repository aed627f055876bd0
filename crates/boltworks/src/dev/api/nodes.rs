//! The nodes part of the `/dev` API: what each node holds, its on-chain sends, and opening and
//! closing channels between the hub, alice and bob.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::Json;
use bitcoin::{Address, Network};
use serde::Deserialize;
use serde_json::{json, Value};

use super::chain::FundRequest;
use super::{any_node, DevState};
use crate::http::{HubError, HubJson};
use crate::money::{Msat, Sat};
use crate::node::{LightningNode, UserChannelId};

pub(super) async fn send_onchain(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<FundRequest>,
) -> Result<Json<Value>, HubError> {
    let node = any_node(&state, &name)?;
    let address = Address::from_str(&req.address)
        .ok()
        .and_then(|a| a.require_network(Network::Regtest).ok())
        .ok_or_else(|| HubError::BadRequest("address must be a valid regtest address".into()))?;
    node.sync()
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    let txid = node
        .send_onchain(&address, Sat(req.amount_sat))
        .map_err(|e| HubError::BadRequest(e.to_string()))?;
    Ok(Json(json!({"txid": txid.to_string()})))
}

fn node_json(node: &LightningNode) -> Value {
    let channels: Vec<Value> = node
        .channels()
        .iter()
        .map(|c| {
            json!({
                "peer": c.peer.to_string(),
                "capacity_sat": c.capacity.0,
                "local_msat": c.outbound.0,
                "remote_msat": c.inbound.0,
                "ready": c.usable,
                "public": c.public,
                "user_channel_id": c.user_channel_id.to_string(),
                "channel_id": c.channel_id,
                "funding_txid": c.funding.map(|o| o.txid.to_string()),
                "confirmations": c.confirmations,
            })
        })
        .collect();
    json!({
        "node_id": node.node_id().to_string(),
        "address": node.listen_address().to_string(),
        "onchain_sat": node.onchain_balance().total.0,
        "channels": channels,
    })
}

pub(super) async fn nodes(State(state): State<DevState>) -> Result<Json<Value>, HubError> {
    let dev = &state.demo;
    let mut nodes = json!({"hub": node_json(&state.hub.node), "alice": node_json(&dev.alice), "bob": node_json(&dev.bob)});
    if let Some(carol) = &dev.carol {
        nodes["carol"] = node_json(carol);
    }
    Ok(Json(nodes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpenChannelRequest {
    peer: String,
    capacity_sat: u64,
    #[serde(default)]
    push_msat: u64,
    #[serde(default = "default_public")]
    public: bool,
}

fn default_public() -> bool {
    true
}

pub(super) async fn open_channel(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<OpenChannelRequest>,
) -> Result<Json<Value>, HubError> {
    let node = any_node(&state, &name)?;
    let peer = any_node(&state, &req.peer)?;
    if node.node_id() == peer.node_id() {
        return Err(HubError::BadRequest(
            "a node cannot open a channel to itself".into(),
        ));
    }
    if req.capacity_sat == 0 {
        return Err(HubError::BadRequest("capacity_sat must be positive".into()));
    }
    let capacity_msat = req
        .capacity_sat
        .checked_mul(1_000)
        .ok_or_else(|| HubError::BadRequest("capacity_sat is too large".into()))?;
    if req.push_msat >= capacity_msat {
        return Err(HubError::BadRequest(
            "push_msat must be below the capacity".into(),
        ));
    }
    let channel = node
        .open_channel(
            peer.node_id(),
            peer.listen_address(),
            Sat(req.capacity_sat),
            Msat(req.push_msat),
            req.public,
        )
        .await?;
    Ok(Json(json!({"user_channel_id": channel.to_string()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CloseChannelRequest {
    user_channel_id: String,
    #[serde(default)]
    force: bool,
}

pub(super) async fn close_channel(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<CloseChannelRequest>,
) -> Result<Json<Value>, HubError> {
    let node = any_node(&state, &name)?;
    let id: UserChannelId = req
        .user_channel_id
        .parse()
        .map_err(|_| HubError::BadRequest("user_channel_id must be a decimal integer".into()))?;
    let channel = node
        .channel(id)
        .ok_or_else(|| HubError::NotFound(format!("{name} has no channel {id}")))?;
    if req.force {
        node.force_close_channel(
            channel.user_channel_id,
            channel.peer,
            "closed through the dev API",
        )?;
    } else {
        node.close_channel(channel.user_channel_id, channel.peer)?;
    }
    Ok(Json(
        json!({"user_channel_id": req.user_channel_id, "force": req.force}),
    ))
}
