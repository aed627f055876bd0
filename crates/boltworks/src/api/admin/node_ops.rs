//! The operator's node operations, on every network (not only regtest's `/dev`): the node and
//! its sync state, peers (connect by `pubkey@ip:port`, disconnect), channels with their
//! liquidity (cooperative close, force close only with `"confirm": true`), forwarding fees per
//! channel, the node's payments, and the node wallet's balance and a new address. Opening
//! channels and sending from the node wallet move money: they are `node_money`'s.

use std::str::FromStr;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::{AppState, Readiness};
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::hub::HubContext;
use crate::node::payment_listing::{self as node_payments, ListedPayment};
use crate::node::{ChannelInfo, ForwardingFees, PaymentDirection, PaymentStatus};
use crate::node_actions::direct::{self, CloseKind};

/// The routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin")
        .get(
            "/admin/node",
            "The hub's node: id, sync state, wallet, channel count",
            info,
        )
        .get(
            "/admin/node/peers",
            "The node's peers, connected or persisted",
            peers,
        )
        .post(
            "/admin/node/peers",
            "Connect to a peer ({uri: pubkey@ip:port})",
            connect,
        )
        .delete(
            "/admin/node/peers/{node_id}",
            "Disconnect a peer (its channels stay)",
            disconnect,
        )
        .get(
            "/admin/node/channels",
            "The node's channels with their liquidity",
            channels,
        )
        .post(
            "/admin/node/channels/{user_channel_id}/close",
            "Close a channel: cooperatively, or {force: true, confirm: true} to force-close",
            close,
        )
        .put(
            "/admin/node/channels/{user_channel_id}/fees",
            "What the node charges to forward over a channel ({base_msat, ppm})",
            set_fees,
        )
        .get(
            "/admin/node/payments",
            "The node's payments, newest first (?direction=inbound|outbound, ?status=pending|held|succeeded|failed, ?limit= up to 500)",
            payments,
        )
        .get(
            "/admin/node/wallet",
            "The node wallet's on-chain balance",
            wallet,
        )
        .post(
            "/admin/node/wallet/address",
            "A new address of the node wallet",
            new_address,
        )
}

#[derive(Serialize)]
struct WalletReply {
    total_sat: u64,
    spendable_sat: u64,
}

#[derive(Serialize)]
struct NodeReply {
    node_id: String,
    alias: Option<String>,
    listen: String,
    network: String,
    synced_height: u32,
    chain_height: Option<u32>,
    synced: bool,
    wallet: WalletReply,
    channels: usize,
    usable_channels: usize,
}

fn wallet_of(hub: &HubContext) -> WalletReply {
    let balance = hub.node.onchain_balance();
    WalletReply {
        total_sat: balance.total.0,
        spendable_sat: balance.spendable.0,
    }
}

async fn info(
    _: Operator,
    State(hub): State<HubContext>,
    State(readiness): State<Readiness>,
) -> Json<NodeReply> {
    let node = &hub.node;
    let channels = node.channels();
    let synced_height = node.synced_height();
    let chain_height = readiness.chain_tip.height().await;
    Json(NodeReply {
        node_id: node.node_id().to_string(),
        alias: node.alias().map(str::to_string),
        listen: node.listen_address().to_string(),
        network: hub.network.to_string(),
        synced_height,
        chain_height,
        synced: node.has_synced() && chain_height.is_none_or(|tip| tip <= synced_height),
        wallet: wallet_of(&hub),
        channels: channels.len(),
        usable_channels: channels.iter().filter(|c| c.usable).count(),
    })
}

#[derive(Serialize)]
struct PeerReply {
    node_id: String,
    address: String,
    connected: bool,
    persisted: bool,
}

#[derive(Serialize)]
struct PeersReply {
    peers: Vec<PeerReply>,
}

async fn peers(_: Operator, State(hub): State<HubContext>) -> Json<PeersReply> {
    let peers = hub
        .node
        .peers()
        .into_iter()
        .map(|p| PeerReply {
            node_id: p.node_id.to_string(),
            address: p.address,
            connected: p.connected,
            persisted: p.persisted,
        })
        .collect();
    Json(PeersReply { peers })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectRequest {
    uri: String,
}

async fn connect(
    _: Operator,
    State(hub): State<HubContext>,
    HubJson(request): HubJson<ConnectRequest>,
) -> Result<Json<PeerReply>, HubError> {
    let (peer, address) = direct::connect(&hub, &request.uri).await?;
    Ok(Json(PeerReply {
        node_id: peer.to_string(),
        address: address.to_string(),
        connected: true,
        persisted: true,
    }))
}

#[derive(Serialize)]
struct Done {
    done: bool,
}

async fn disconnect(
    _: Operator,
    State(hub): State<HubContext>,
    Path(peer): Path<String>,
) -> Result<Json<Done>, HubError> {
    direct::disconnect(&hub, &peer)?;
    Ok(Json(Done { done: true }))
}

#[derive(Serialize)]
struct ChannelReply {
    user_channel_id: String,
    channel_id: String,
    peer: String,
    capacity_sat: u64,
    outbound_msat: u64,
    inbound_msat: u64,
    usable: bool,
    public: bool,
    opened_by_us: bool,
    funding: Option<String>,
    confirmations: Option<u32>,
    fee_base_msat: u32,
    fee_ppm: u32,
}

impl From<ChannelInfo> for ChannelReply {
    fn from(c: ChannelInfo) -> Self {
        Self {
            user_channel_id: c.user_channel_id.to_string(),
            channel_id: c.channel_id,
            peer: c.peer.to_string(),
            capacity_sat: c.capacity.0,
            outbound_msat: c.outbound.0,
            inbound_msat: c.inbound.0,
            usable: c.usable,
            public: c.public,
            opened_by_us: c.outbound_opened,
            funding: c.funding.map(|f| f.to_string()),
            confirmations: c.confirmations,
            fee_base_msat: c.fees.base_msat,
            fee_ppm: c.fees.ppm,
        }
    }
}

#[derive(Serialize)]
struct ChannelsReply {
    outbound_msat: u64,
    inbound_msat: u64,
    channels: Vec<ChannelReply>,
}

async fn channels(_: Operator, State(hub): State<HubContext>) -> Json<ChannelsReply> {
    let channels = hub.node.channels();
    Json(ChannelsReply {
        outbound_msat: channels.iter().map(|c| c.outbound.0).sum(),
        inbound_msat: channels.iter().map(|c| c.inbound.0).sum(),
        channels: channels.into_iter().map(ChannelReply::from).collect(),
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CloseRequest {
    #[serde(default)]
    force: bool,
    #[serde(default)]
    confirm: bool,
}

async fn close(
    _: Operator,
    State(hub): State<HubContext>,
    Path(id): Path<String>,
    HubJson(request): HubJson<CloseRequest>,
) -> Result<Json<Done>, HubError> {
    let kind = if request.force {
        CloseKind::Force {
            confirmed: request.confirm,
        }
    } else {
        CloseKind::Cooperative
    };
    direct::close(&hub, &id, kind)?;
    Ok(Json(Done { done: true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeesRequest {
    base_msat: u32,
    ppm: u32,
}

async fn set_fees(
    _: Operator,
    State(hub): State<HubContext>,
    Path(id): Path<String>,
    HubJson(request): HubJson<FeesRequest>,
) -> Result<Json<Done>, HubError> {
    let fees = ForwardingFees {
        base_msat: request.base_msat,
        ppm: request.ppm,
    };
    direct::set_fees(&hub, &id, fees)?;
    Ok(Json(Done { done: true }))
}

/// `?direction=&status=&limit=`, read as text so a bad value gets the hub's own error.
#[derive(Deserialize)]
struct PaymentsQuery {
    direction: Option<String>,
    status: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct PaymentsReply {
    payments: Vec<ListedPayment>,
}

/// The most payments one listing returns.
const MAX_LISTED: u32 = 500;

async fn payments(
    _: Operator,
    State(hub): State<HubContext>,
    Query(query): Query<PaymentsQuery>,
) -> Result<Json<PaymentsReply>, HubError> {
    let direction = query
        .direction
        .as_deref()
        .map(PaymentDirection::from_str)
        .transpose()
        .map_err(|_| HubError::BadRequest("direction must be inbound or outbound".into()))?;
    let status = query
        .status
        .as_deref()
        .map(PaymentStatus::from_str)
        .transpose()
        .map_err(|_| {
            HubError::BadRequest("status must be pending, held, succeeded or failed".into())
        })?;
    let limit = super::list_limit(query.limit.as_deref(), MAX_LISTED)?;
    let payments =
        node_payments::list(&hub.store, hub.node.label(), direction, status, limit).await?;
    Ok(Json(PaymentsReply { payments }))
}

async fn wallet(_: Operator, State(hub): State<HubContext>) -> Json<WalletReply> {
    Json(wallet_of(&hub))
}

#[derive(Serialize)]
struct AddressReply {
    address: String,
}

async fn new_address(
    _: Operator,
    State(hub): State<HubContext>,
) -> Result<Json<AddressReply>, HubError> {
    Ok(Json(AddressReply {
        address: hub.node.new_onchain_address()?.to_string(),
    }))
}
