//! The chain part of the `/dev` API: mine, fund from the faucet, look at a transaction's
//! outputs, reorg, and move the hub's clock.

use std::str::FromStr;

use axum::extract::{Path, State};
use axum::Json;
use bitcoin::{Address, Amount, Network};
use serde::Deserialize;
use serde_json::{json, Value};

use super::DevState;
use crate::http::{HubError, HubJson};

/// Most blocks one `/dev/mine` call mines.
const MAX_MINE: u32 = 1_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MineRequest {
    blocks: u32,
}

pub(super) async fn mine(
    State(state): State<DevState>,
    HubJson(req): HubJson<MineRequest>,
) -> Result<Json<Value>, HubError> {
    if req.blocks == 0 || req.blocks > MAX_MINE {
        return Err(HubError::BadRequest(format!(
            "blocks must be between 1 and {MAX_MINE}"
        )));
    }
    let height = state
        .demo
        .mine(&state.hub.node, req.blocks)
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    // The treasury has processed them on return too.
    if let Some(treasury) = &state.hub.treasury {
        treasury
            .sync()
            .await
            .map_err(|e| HubError::Internal(e.to_string()))?;
    }
    // Deadlines counted in blocks are looked at now, not at the next poll.
    state.hub.blocks.arrived();
    Ok(Json(json!({"height": height})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FundRequest {
    pub(super) address: String,
    pub(super) amount_sat: u64,
}

pub(super) async fn fund(
    State(state): State<DevState>,
    HubJson(req): HubJson<FundRequest>,
) -> Result<Json<Value>, HubError> {
    let address = Address::from_str(&req.address)
        .ok()
        .and_then(|a| a.require_network(Network::Regtest).ok())
        .ok_or_else(|| HubError::BadRequest("address must be a valid regtest address".into()))?;
    if req.amount_sat == 0 {
        return Err(HubError::BadRequest("amount_sat must be positive".into()));
    }
    let chain = state.demo.devchain.clone();
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

pub(super) async fn tx_outputs(
    State(state): State<DevState>,
    Path(txid): Path<String>,
) -> Result<Json<Value>, HubError> {
    let txid = bitcoin::Txid::from_str(&txid)
        .map_err(|_| HubError::BadRequest("txid must be 64 hex characters".into()))?;
    let chain = &&state.demo.devchain;
    let outputs: Vec<Value> = (0..256u32)
        .filter_map(|vout| {
            let coin = chain.utxo(&bitcoin::OutPoint { txid, vout })?;
            let address = Address::from_script(&coin.output.script_pubkey, Network::Regtest)
                .map(|a| a.to_string())
                .ok();
            Some(json!({"vout": vout, "address": address, "amount_sat": coin.output.value.to_sat(), "height": coin.height}))
        })
        .collect();
    let in_mempool = chain.mempool_entry(&txid).is_some();
    Ok(Json(
        json!({"txid": txid.to_string(), "outputs": outputs, "in_mempool": in_mempool}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceRequest {
    secs: u64,
}

pub(super) async fn advance_clock(
    State(state): State<DevState>,
    HubJson(req): HubJson<AdvanceRequest>,
) -> Result<Json<Value>, HubError> {
    let now = state
        .hub
        .clock
        .advance(req.secs)
        .map_err(|e| HubError::BadRequest(e.to_string()))?;
    Ok(Json(
        json!({"now": now, "offset_secs": state.hub.clock.offset_secs()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InvalidateRequest {
    height: u32,
}

pub(super) async fn invalidate(
    State(state): State<DevState>,
    HubJson(req): HubJson<InvalidateRequest>,
) -> Result<Json<Value>, HubError> {
    let dev = &state.demo;
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
