//! Balances and withdrawals. A withdrawal takes the whole balance (at least 1,000 sat) into
//! the pending-withdrawals account at once; a worker sends every pending withdrawal in one
//! treasury transaction per interval (10 minutes by default, on the hub's clock, so the dev
//! clock moves it). The batch is marked `Processing` and committed before it is sent, under a
//! key of its own, so a restart sends it again at most once.

use std::time::Duration;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::api;
use super::books::{merchant_account, MERCHANT_WITHDRAWALS};
use super::error::PeachError;
use super::session::Session;
use super::store::{self, Withdrawal};
use super::MerchantService;
use crate::http::PathId;
use crate::ledger::{self, Entry};
use crate::money::Sat;
use crate::treasury::FeeFrom;

/// Smallest withdrawal, sats.
pub const MIN_WITHDRAWAL_SAT: i64 = 1_000;

/// `GET /api/v2/merchant/balance`: spendable whole sats, as a string.
pub async fn balance(session: Session) -> Json<Value> {
    Json(json!({"balance": (session.merchant.balance_msat / 1_000).to_string()}))
}

/// `POST /api/v2/merchant/withdraw`: queues the whole balance for the next batch.
pub async fn withdraw(
    State(state): State<MerchantService>,
    session: Session,
) -> Result<Json<Value>, PeachError> {
    super::treasury(&state)?;
    let merchant = &session.merchant;
    let address = merchant
        .bitcoin_address
        .clone()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| PeachError::invalid("no bitcoin_address set: run merchant setup first"))?;
    let now_ms = state.hub.clock.now_unix() * 1_000;
    let mut tx = state.hub.store.pool().begin().await?;
    let taken =
        match store::take_whole_balance(&mut tx, &merchant.merchant_id, MIN_WITHDRAWAL_SAT * 1_000)
            .await?
        {
            Ok(taken) => taken,
            Err(balance) => {
                return Err(PeachError::Refused(format!(
                    "amount to withdraw: {} is less than minimum allowed: {MIN_WITHDRAWAL_SAT}",
                    balance.max(0) / 1_000
                )))
            }
        };
    let withdrawal = Withdrawal {
        withdrawal_id: uuid::Uuid::new_v4().to_string(),
        merchant_id: merchant.merchant_id.clone(),
        amount_sat: taken / 1_000,
        btc_address: address,
        status: "Pending".into(),
        batch_id: None,
        txid: None,
        created_at_ms: now_ms,
        withdrawn_at_ms: None,
    };
    store::insert_withdrawal(&mut tx, &withdrawal).await?;
    let entries = [
        Entry::debit(merchant_account(&merchant.merchant_id), taken),
        Entry::credit(MERCHANT_WITHDRAWALS, taken),
    ];
    let reference = format!("merchant.withdrawal:{}", withdrawal.withdrawal_id);
    ledger::post(
        &mut tx,
        now_ms / 1_000,
        "merchant.withdrawal",
        &reference,
        &entries,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(merchant_id = %merchant.merchant_id, withdrawal_id = %withdrawal.withdrawal_id, amount_sat = withdrawal.amount_sat, "withdrawal queued");
    Ok(Json(json!({
        "id": withdrawal.withdrawal_id,
        "tx": "",
        "amount": withdrawal.amount_sat.to_string(),
    })))
}

/// `GET /api/v2/merchant/withdraw/{id}`.
pub async fn status(
    State(state): State<MerchantService>,
    session: Session,
    id: PathId,
) -> Result<Json<Value>, PeachError> {
    let withdrawal = store::withdrawal_by_id(&state.hub.store, id.as_str())
        .await?
        .filter(|w| w.merchant_id == session.merchant.merchant_id)
        .ok_or_else(|| PeachError::NotFound("withdrawal not found".into()))?;
    Ok(Json(api::withdrawal(&withdrawal)))
}

/// Sends batches every `interval` of the hub's clock; at start, first finishes a batch a stop
/// interrupted.
pub fn spawn_batcher(
    state: MerchantService,
    interval_secs: i64,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(_) = state.hub.treasury else {
            return;
        };
        match store::processing_batches(&state.hub.store).await {
            Ok(batches) => {
                for batch_id in batches {
                    send_batch(&state, &batch_id).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "listing interrupted withdrawal batches"),
        }
        let mut next = state.hub.clock.now_unix() + interval_secs;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            if state.hub.clock.now_unix() < next {
                continue;
            }
            next = state.hub.clock.now_unix() + interval_secs;
            if let Err(e) = run_batch(&state).await {
                tracing::warn!(error = %e, "withdrawal batch failed; retried next interval");
            }
        }
    })
}

/// Takes every pending withdrawal into a new batch and sends it.
async fn run_batch(state: &MerchantService) -> Result<(), sqlx::Error> {
    let batch_id = uuid::Uuid::new_v4().to_string();
    let mut tx = state.hub.store.pool().begin().await?;
    let batched = store::start_batch(&mut tx, &batch_id).await?;
    tx.commit().await?;
    if batched > 0 {
        send_batch(state, &batch_id).await;
    }
    Ok(())
}

/// Sends one batch: one output per withdrawal, the network fee paid by the treasury.
async fn send_batch(state: &MerchantService, batch_id: &str) {
    let Some(treasury) = state.hub.treasury.as_ref() else {
        return;
    };
    let withdrawals = match store::batch(&state.hub.store, batch_id).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(%batch_id, error = %e, "reading a withdrawal batch");
            return;
        }
    };
    let mut outputs = Vec::new();
    for w in &withdrawals {
        match super::parse_address(state, &w.btc_address) {
            Some(address) => outputs.push((address, Sat(w.amount_sat as u64))),
            None => {
                tracing::error!(withdrawal_id = %w.withdrawal_id, "withdrawal address no longer parses")
            }
        }
    }
    let key = format!("merchant-withdrawals:{batch_id}");
    match treasury
        .send(&key, &outputs, FeeFrom::Treasury, MERCHANT_WITHDRAWALS)
        .await
    {
        Ok(sent) => {
            let now_ms = state.hub.clock.now_unix() * 1_000;
            if let Err(e) =
                store::finish_batch(&state.hub.store, batch_id, &sent.txid.to_string(), now_ms)
                    .await
            {
                tracing::error!(%batch_id, error = %e, "recording a sent withdrawal batch; retried at the next start");
            }
            tracing::info!(%batch_id, txid = %sent.txid, withdrawals = withdrawals.len(), "withdrawal batch sent");
        }
        Err(e) => {
            tracing::warn!(%batch_id, error = %e, "withdrawal batch not sent; back to pending");
            if treasury.sent(&key).await.ok().flatten().is_none() {
                let _ = store::unbatch(&state.hub.store, batch_id).await;
            }
        }
    }
}
