//! The operator's treasury routes (`Authorization: Bearer <admin token>`): the balance, a new
//! address, what an address received, and a send to many outputs in one transaction.

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::hub::HubContext;
use crate::ledger;
use crate::money::{Msat, Sat};
use crate::treasury::{parse_address, FeeFrom, Receipt, SendError, Treasury};

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

/// The treasury's balance against the books.
#[derive(Serialize)]
struct BalanceReply {
    confirmed_sat: u64,
    pending_sat: u64,
    /// What the ledger's `assets:treasury` holds.
    ledger_msat: i64,
    /// Whether the ledger matches the confirmed coins and our own change.
    books_match: bool,
}

/// A new address.
#[derive(Serialize)]
struct AddressReply {
    address: String,
}

/// What an address received.
#[derive(Serialize)]
struct ReceivedReply {
    /// The address as asked.
    address: String,
    received: Vec<ReceiptReply>,
}

/// One output an address received.
#[derive(Serialize)]
struct ReceiptReply {
    txid: String,
    vout: u32,
    amount_sat: u64,
    confirmations: u32,
}

impl From<&Receipt> for ReceiptReply {
    fn from(receipt: &Receipt) -> Self {
        Self {
            txid: receipt.txid.to_string(),
            vout: receipt.vout,
            amount_sat: receipt.amount.0,
            confirmations: receipt.confirmations,
        }
    }
}

/// A committed send.
#[derive(Serialize)]
struct SendReply {
    txid: String,
    fee_sat: u64,
    broadcast: bool,
}

fn treasury(state: &HubContext) -> Result<&Treasury, HubError> {
    state.treasury.as_deref().ok_or_else(|| {
        HubError::Unavailable("the treasury needs a bitcoind RPC chain source".into())
    })
}

#[tracing::instrument(skip_all)]
async fn balance(
    _: Operator,
    State(state): State<HubContext>,
) -> Result<Json<BalanceReply>, HubError> {
    let balance = treasury(&state)?.balance().await;
    // The books against the wallet: confirmed coins and our own change count; others' coins in
    // the mempool are booked once they confirm.
    let booked_msat = ledger::account_balance(&state.store, ledger::ASSETS_TREASURY).await?;
    let held_msat = balance
        .confirmed
        .0
        .checked_add(balance.own_pending.0)
        .and_then(|sat| Sat(sat).to_msat())
        .and_then(Msat::to_db);
    Ok(Json(BalanceReply {
        confirmed_sat: balance.confirmed.0,
        pending_sat: balance.pending.0,
        ledger_msat: booked_msat,
        books_match: held_msat == Some(booked_msat),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressRequest {
    purpose: Option<String>,
}

#[tracing::instrument(skip_all, fields(purpose = ?request.purpose))]
async fn new_address(
    _: Operator,
    State(state): State<HubContext>,
    HubJson(request): HubJson<AddressRequest>,
) -> Result<Json<AddressReply>, HubError> {
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
    Ok(Json(AddressReply {
        address: address.to_string(),
    }))
}

#[derive(Deserialize)]
struct ReceivedQuery {
    address: String,
}

#[tracing::instrument(skip_all, fields(address = %query.address))]
async fn received(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<ReceivedQuery>,
) -> Result<Json<ReceivedReply>, HubError> {
    let treasury = treasury(&state)?;
    let address = parse_address(&query.address, treasury)
        .ok_or_else(|| HubError::BadRequest("not an address of this network".into()))?;
    let received = treasury
        .received(&address)
        .await
        .iter()
        .map(ReceiptReply::from)
        .collect();
    Ok(Json(ReceivedReply {
        address: query.address,
        received,
    }))
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

#[tracing::instrument(skip_all, fields(key = %request.key, outputs = request.outputs.len()))]
async fn send(
    _: Operator,
    State(state): State<HubContext>,
    HubJson(request): HubJson<SendRequest>,
) -> Result<Json<SendReply>, HubError> {
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
    Ok(Json(SendReply {
        txid: sent.txid.to_string(),
        fee_sat: sent.fee.0,
        broadcast: sent.broadcast,
    }))
}
