//! The `/dev` API, mounted only on regtest with the embedded devchain: mine, fund, inspect the
//! nodes, make alice and bob issue, hold, claim, fail and pay invoices, and move the clock.

use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{Address, Amount, Network};
use serde::Deserialize;
use serde_json::{json, Value};

use super::DemoNetwork;
use crate::app::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::money::{Msat, Sat};
use crate::node::payments::{self, Direction, SendError};
use crate::node::{parse_invoice, LightningNode};

/// Most blocks one `/dev/mine` call mines.
const MAX_MINE: u32 = 1_000;
/// Default invoice expiry.
const DEFAULT_EXPIRY_SECS: u32 = 3_600;

/// The dev routes, or `None` when the hub runs without the demo network.
pub fn routes(state: &AppState) -> Option<ApiRoutes<AppState>> {
    state.dev.as_ref()?;
    Some(
        super::notify_api::routes()
            .merge(ApiRoutes::new("dev"))
            .post(
                "/dev/mine",
                "Mine blocks and let every node process them",
                mine,
            )
            .post(
                "/dev/fund",
                "Send coins from the faucet to an address",
                fund,
            )
            .get(
                "/dev/nodes",
                "The hub, alice and bob: ids, addresses, funds, channels",
                nodes,
            )
            .post(
                "/dev/clock/advance",
                "Move the hub's clock forward",
                advance_clock,
            )
            .post(
                "/dev/invalidate",
                "Reorg: invalidate the active block at a height (and its descendants)",
                invalidate,
            )
            .post(
                "/dev/{node}/open-channel",
                "hub, alice or bob opens a channel to another of them",
                open_channel,
            )
            .post(
                "/dev/{node}/close-channel",
                "hub, alice or bob closes a channel (cooperatively or by force)",
                close_channel,
            )
            .post(
                "/dev/{node}/invoice",
                "alice or bob issues an invoice (a hold invoice with payment_hash)",
                invoice,
            )
            .post(
                "/dev/{node}/claim",
                "alice or bob settles a held payment with its preimage",
                claim,
            )
            .post(
                "/dev/{node}/fail",
                "alice or bob fails a held payment back",
                fail,
            )
            .post("/dev/{node}/pay", "alice or bob pays an invoice", pay)
            .get(
                "/dev/tx/{txid}/outputs",
                "The confirmed, unspent outputs of a transaction (address, amount, height)",
                tx_outputs,
            )
            .post(
                "/dev/{node}/send-onchain",
                "hub, alice or bob sends coins from its on-chain wallet ({address, amount_sat})",
                send_onchain,
            )
            .get(
                "/dev/{node}/payments/{payment_hash}",
                "A payment of alice or bob by hash",
                payment,
            ),
    )
}

fn demo(state: &AppState) -> Result<&Arc<DemoNetwork>, HubError> {
    state
        .dev
        .as_ref()
        .ok_or_else(|| HubError::NotFound("the dev API runs only on regtest".into()))
}

/// hub, alice or bob.
fn any_node<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<LightningNode>, HubError> {
    if name == "hub" {
        demo(state)?;
        return Ok(&state.node);
    }
    demo_node(state, name)
}

fn demo_node<'a>(state: &'a AppState, name: &str) -> Result<&'a Arc<LightningNode>, HubError> {
    demo(state)?
        .node(name)
        .ok_or_else(|| HubError::NotFound(format!("unknown demo node '{name}': use alice or bob")))
}

fn parse_hash(text: &str, field: &str) -> Result<[u8; 32], HubError> {
    let bytes = hex::decode(text)
        .map_err(|_| HubError::BadRequest(format!("{field} must be 64 hex characters")))?;
    bytes
        .try_into()
        .map_err(|_| HubError::BadRequest(format!("{field} must be 64 hex characters")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MineRequest {
    blocks: u32,
}

async fn mine(
    State(state): State<AppState>,
    HubJson(req): HubJson<MineRequest>,
) -> Result<Json<Value>, HubError> {
    if req.blocks == 0 || req.blocks > MAX_MINE {
        return Err(HubError::BadRequest(format!(
            "blocks must be between 1 and {MAX_MINE}"
        )));
    }
    let height = demo(&state)?
        .mine(&state.node, req.blocks)
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    // Deadlines counted in blocks are looked at now, not at the LSP worker's next tick.
    state.lsp.wake();
    // The treasury has processed them on return too.
    if let Some(treasury) = &state.treasury {
        treasury
            .sync()
            .await
            .map_err(|e| HubError::Internal(e.to_string()))?;
    }
    Ok(Json(json!({"height": height})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FundRequest {
    address: String,
    amount_sat: u64,
}

async fn fund(
    State(state): State<AppState>,
    HubJson(req): HubJson<FundRequest>,
) -> Result<Json<Value>, HubError> {
    let address = Address::from_str(&req.address)
        .ok()
        .and_then(|a| a.require_network(Network::Regtest).ok())
        .ok_or_else(|| HubError::BadRequest("address must be a valid regtest address".into()))?;
    if req.amount_sat == 0 {
        return Err(HubError::BadRequest("amount_sat must be positive".into()));
    }
    let chain = demo(&state)?.devchain.clone();
    let amount = Amount::from_sat(req.amount_sat);
    let txid = tokio::task::spawn_blocking(move || chain.send_to_address(&address, amount))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?
        .map_err(|e| match e {
            devchain::DevchainError::InsufficientFunds => HubError::BadRequest(
                "the faucet has too little mature money: mine more blocks".into(),
            ),
            devchain::DevchainError::InvalidAmount => {
                HubError::BadRequest("amount_sat is below the dust limit (330)".into())
            }
            other => HubError::Internal(other.to_string()),
        })?;
    Ok(Json(json!({"txid": txid.to_string()})))
}

async fn tx_outputs(
    State(state): State<AppState>,
    Path(txid): Path<String>,
) -> Result<Json<Value>, HubError> {
    let txid = bitcoin::Txid::from_str(&txid)
        .map_err(|_| HubError::BadRequest("txid must be 64 hex characters".into()))?;
    let chain = &demo(&state)?.devchain;
    let outputs: Vec<Value> = (0..256u32)
        .filter_map(|vout| {
            let coin = chain.utxo(&bitcoin::OutPoint { txid, vout })?;
            let address = Address::from_script(&coin.output.script_pubkey, Network::Regtest)
                .map(|a| a.to_string())
                .ok();
            Some(json!({"vout": vout, "address": address, "amount_sat": coin.output.value.to_sat(), "height": coin.height}))
        })
        .collect();
    Ok(Json(json!({"txid": txid.to_string(), "outputs": outputs})))
}

async fn send_onchain(
    State(state): State<AppState>,
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
                "peer": c.counterparty_node_id.to_string(),
                "capacity_sat": c.channel_value_sats,
                "local_msat": c.outbound_capacity_msat,
                "remote_msat": c.inbound_capacity_msat,
                "ready": c.is_usable,
                "public": c.is_announced,
                "user_channel_id": c.user_channel_id.0.to_string(),
                "channel_id": c.channel_id.to_string(),
                "funding_txid": c.funding_txo.map(|o| o.txid.to_string()),
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

async fn nodes(State(state): State<AppState>) -> Result<Json<Value>, HubError> {
    let dev = demo(&state)?;
    Ok(Json(
        json!({"hub": node_json(&state.node), "alice": node_json(&dev.alice), "bob": node_json(&dev.bob)}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdvanceRequest {
    secs: u64,
}

async fn advance_clock(
    State(state): State<AppState>,
    HubJson(req): HubJson<AdvanceRequest>,
) -> Result<Json<Value>, HubError> {
    let now = state
        .clock
        .advance(req.secs)
        .map_err(|e| HubError::BadRequest(e.to_string()))?;
    Ok(Json(
        json!({"now": now, "offset_secs": state.clock.offset_secs()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvoiceRequest {
    amount_msat: Msat,
    #[serde(default)]
    description: String,
    payment_hash: Option<String>,
    expiry_secs: Option<u32>,
}

async fn invoice(
    State(state): State<AppState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<InvoiceRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    if req.amount_msat.0 == 0 {
        return Err(HubError::BadRequest("amount_msat must be positive".into()));
    }
    if req.amount_msat.to_db().is_none() {
        return Err(HubError::BadRequest("amount_msat is too large".into()));
    }
    let expiry = req.expiry_secs.unwrap_or(DEFAULT_EXPIRY_SECS);
    if expiry == 0 {
        return Err(HubError::BadRequest("expiry_secs must be positive".into()));
    }
    let invoice = match &req.payment_hash {
        Some(hash) => node.create_hold_invoice(
            req.amount_msat,
            &req.description,
            expiry,
            parse_hash(hash, "payment_hash")?,
        )?,
        None => node.create_invoice(req.amount_msat, &req.description, expiry)?,
    };
    let hash = hex::encode(invoice.payment_hash().as_ref() as &[u8]);
    payments::record_invoice(
        &state.store,
        &state.clock,
        node.label(),
        &hash,
        req.amount_msat,
    )
    .await?;
    Ok(Json(
        json!({"bolt11": invoice.to_string(), "payment_hash": hash}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimRequest {
    payment_hash: String,
    preimage: String,
}

async fn claim(
    State(state): State<AppState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<ClaimRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let hash = parse_hash(&req.payment_hash, "payment_hash")?;
    let preimage = parse_hash(&req.preimage, "preimage")?;
    if sha256::Hash::hash(&preimage).to_byte_array() != hash {
        return Err(HubError::BadRequest(
            "preimage does not hash to payment_hash".into(),
        ));
    }
    let record = held_payment(&state, node, &req.payment_hash).await?;
    let claimable = record
        .amount_msat
        .and_then(|a| u64::try_from(a).ok())
        .unwrap_or(0);
    node.claim_held(hash, Msat(claimable), preimage)?;
    Ok(Json(
        json!({"payment_hash": req.payment_hash, "status": "claiming"}),
    ))
}

async fn held_payment(
    state: &AppState,
    node: &LightningNode,
    hash: &str,
) -> Result<payments::PaymentRecord, HubError> {
    let record = payments::find(&state.store, node.label(), hash)
        .await?
        .ok_or_else(|| {
            HubError::NotFound(format!("{} has no payment with this hash", node.label()))
        })?;
    if record.status != "held" {
        return Err(HubError::Conflict(format!(
            "payment is {}, not held",
            record.status
        )));
    }
    Ok(record)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailRequest {
    payment_hash: String,
}

async fn fail(
    State(state): State<AppState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<FailRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let hash = parse_hash(&req.payment_hash, "payment_hash")?;
    held_payment(&state, node, &req.payment_hash).await?;
    node.fail_held(hash)?;
    // No event follows a manual fail: the node's own answer is the final word.
    payments::mark(
        &state.store,
        &state.clock,
        node.label(),
        &req.payment_hash,
        Direction::Inbound,
        "failed",
        Some("failed back by the receiver"),
    )
    .await?;
    Ok(Json(
        json!({"payment_hash": req.payment_hash, "status": "failed"}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRequest {
    bolt11: String,
    amount_msat: Option<Msat>,
}

async fn pay(
    State(state): State<AppState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<PayRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let invoice = parse_invoice(&req.bolt11)?;
    let hash = payments::send(
        &state.store,
        &state.clock,
        state.config.network,
        node,
        &invoice,
        req.amount_msat,
        None,
    )
    .await
    .map_err(|e| match e {
        SendError::Duplicate => HubError::Conflict(e.to_string()),
        SendError::Store(e) => HubError::from(e),
        SendError::Node(e) => HubError::from(e),
        other => HubError::BadRequest(other.to_string()),
    })?;
    Ok(Json(json!({"payment_hash": hex::encode(hash)})))
}

async fn payment(
    State(state): State<AppState>,
    Path((name, hash)): Path<(String, String)>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    parse_hash(&hash, "payment_hash")?;
    let record = payments::find(&state.store, node.label(), &hash)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("{name} has no payment with this hash")))?;
    let mut body = json!({"status": record.status, "amount_msat": record.amount_msat});
    if let Some(preimage) = record.preimage {
        body["preimage"] = json!(preimage);
    }
    if let Some(reason) = record.failure_reason {
        body["failure_reason"] = json!(reason);
    }
    if let Some(fee) = record.fee_paid_msat {
        body["fee_paid_msat"] = json!(fee);
    }
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidateRequest {
    height: u32,
}

async fn invalidate(
    State(state): State<AppState>,
    HubJson(req): HubJson<InvalidateRequest>,
) -> Result<Json<Value>, HubError> {
    let dev = demo(&state)?;
    let hash = dev
        .devchain
        .block_hash(req.height)
        .filter(|_| req.height > 0)
        .ok_or_else(|| {
            HubError::BadRequest(format!(
                "height must be between 1 and {}",
                dev.devchain.height()
            ))
        })?;
    let chain = dev.devchain.clone();
    tokio::task::spawn_blocking(move || chain.invalidate_block(hash))
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?
        .map_err(|e| HubError::Internal(e.to_string()))?;
    Ok(Json(
        json!({"invalidated": hash.to_string(), "height": dev.devchain.height()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenChannelRequest {
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

async fn open_channel(
    State(state): State<AppState>,
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
            crate::money::Sat(req.capacity_sat),
            Msat(req.push_msat),
            req.public,
        )
        .await?;
    Ok(Json(json!({"user_channel_id": channel.0.to_string()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseChannelRequest {
    user_channel_id: String,
    #[serde(default)]
    force: bool,
}

async fn close_channel(
    State(state): State<AppState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<CloseChannelRequest>,
) -> Result<Json<Value>, HubError> {
    let node = any_node(&state, &name)?;
    let id: u128 = req
        .user_channel_id
        .parse()
        .map_err(|_| HubError::BadRequest("user_channel_id must be a decimal integer".into()))?;
    let channel = node
        .channels()
        .into_iter()
        .find(|c| c.user_channel_id.0 == id)
        .ok_or_else(|| HubError::NotFound(format!("{name} has no channel {id}")))?;
    if req.force {
        node.force_close_channel(
            &channel.user_channel_id,
            channel.counterparty_node_id,
            "closed through the dev API",
        )?;
    } else {
        node.close_channel(&channel.user_channel_id, channel.counterparty_node_id)?;
    }
    Ok(Json(
        json!({"user_channel_id": req.user_channel_id, "force": req.force}),
    ))
}
