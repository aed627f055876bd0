//! The operator's treasury routes (`Authorization: Bearer <admin token>`): the balance, a new
//! address, what an address received, and a send to many outputs in one transaction.

use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::hub::HubContext;
use crate::ledger;
use crate::money::Sat;
use crate::treasury::{parse_address, FeeFrom, SendError, Treasury};

/// At most this many outputs in one send.
const MAX_OUTPUTS: usize = 1_000;

/// The routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin")
        .get(
            "/admin/treasury",
            "The on-chain treasury's balance, and whether the ledger matches it",
            balance,
        )
        .post(
            "/admin/treasury/address",
            "A new treasury address ({purpose})",
            new_address,
        )
        .get(
            "/admin/treasury/received",
            "What a treasury address received (?address=), with confirmations",
            received,
        )
        .post(
            "/admin/treasury/send",
            "Pay many outputs in one transaction, once per key ({key, outputs: [{address, amount_sat}]})",
            send,
        )
}

fn treasury(state: &HubContext) -> Result<&Treasury, HubError> {
    state.treasury.as_deref().ok_or_else(|| {
        HubError::Unavailable("the treasury needs a bitcoind RPC chain source".into())
    })
}

async fn balance(_: Operator, State(state): State<HubContext>) -> Result<Json<Value>, HubError> {
    let balance = treasury(&state)?.balance().await;
    // The books against the wallet: confirmed coins and our own change count; others' coins in
    // the mempool are booked once they confirm.
    let booked_msat = ledger::account_balance(&state.store, ledger::ASSETS_TREASURY).await?;
    let held_msat = i64::try_from(balance.confirmed.0.saturating_add(balance.own_pending.0))
        .unwrap_or(i64::MAX / 1_000)
        .saturating_mul(1_000);
    Ok(Json(json!({
        "confirmed_sat": balance.confirmed.0,
        "pending_sat": balance.pending.0,
        "ledger_msat": booked_msat,
        "books_match": booked_msat == held_msat,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressRequest {
    purpose: Option<String>,
}

async fn new_address(
    _: Operator,
    State(state): State<HubContext>,
    HubJson(request): HubJson<AddressRequest>,
) -> Result<Json<Value>, HubError> {
    let purpose = request.purpose.unwrap_or_else(|| "operator".into());
    if purpose.is_empty() || purpose.len() > 200 || purpose.chars().any(char::is_control) {
        return Err(HubError::BadRequest(
            "purpose must be 1 to 200 printable characters".into(),
        ));
    }
    let address = treasury(&state)?
        .new_address(&purpose, ledger::EQUITY_TREASURY_DEPOSITS)
        .await
        .map_err(|e| HubError::Internal(e.to_string()))?;
    Ok(Json(json!({"address": address.to_string()})))
}

#[derive(Deserialize)]
struct ReceivedQuery {
    address: String,
}

async fn received(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<ReceivedQuery>,
) -> Result<Json<Value>, HubError> {
    let treasury = treasury(&state)?;
    let address = parse_address(&query.address, treasury)
        .ok_or_else(|| HubError::BadRequest("not an address of this network".into()))?;
    let receipts: Vec<Value> = treasury
        .received(&address)
        .await
        .iter()
        .map(|r| json!({"txid": r.txid.to_string(), "vout": r.vout, "amount_sat": r.amount.0, "confirmations": r.confirmations}))
        .collect();
    Ok(Json(
        json!({"address": query.address, "received": receipts}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    key: String,
    outputs: Vec<OutputRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputRequest {
    address: String,
    amount_sat: u64,
}

async fn send(
    _: Operator,
    State(state): State<HubContext>,
    HubJson(request): HubJson<SendRequest>,
) -> Result<Json<Value>, HubError> {
    let treasury = treasury(&state)?;
    if request.key.is_empty()
        || request.key.len() > 200
        || request.key.chars().any(char::is_control)
    {
        return Err(HubError::BadRequest(
            "key must be 1 to 200 printable characters".into(),
        ));
    }
    if request.outputs.is_empty() || request.outputs.len() > MAX_OUTPUTS {
        return Err(HubError::BadRequest(format!(
            "outputs must have 1 to {MAX_OUTPUTS} entries"
        )));
    }
    let mut outputs = Vec::with_capacity(request.outputs.len());
    for output in &request.outputs {
        let address = parse_address(&output.address, treasury).ok_or_else(|| {
            HubError::BadRequest(format!(
                "{} is not an address of this network",
                output.address
            ))
        })?;
        outputs.push((address, Sat(output.amount_sat)));
    }
    let sent = treasury
        .send(
            &format!("operator:{}", request.key),
            &outputs,
            FeeFrom::Treasury,
            ledger::EQUITY_TREASURY_WITHDRAWALS,
        )
        .await
        .map_err(|e| match e {
            SendError::InsufficientFunds(_) | SendError::InvalidOutputs(_) => {
                HubError::BadRequest(e.to_string())
            }
            SendError::Chain(_) => HubError::Unavailable(e.to_string()),
            other => HubError::Internal(other.to_string()),
        })?;
    tracing::info!(key = %request.key, txid = %sent.txid, "operator treasury send");
    Ok(Json(json!({
        "txid": sent.txid.to_string(),
        "fee_sat": sent.fee.0,
        "broadcast": sent.broadcast,
    })))
}
