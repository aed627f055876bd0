//! Withdrawals. A withdrawal takes the whole balance (at least 1,000 sat) into the
//! pending-withdrawals account at once; the batcher sends every pending withdrawal in one
//! treasury transaction per interval (10 minutes by default, on the hub's clock, so the dev
//! clock moves it). A batch is marked `Processing` and committed before it is sent, under a key
//! of its own, so a restart sends it again at most once.

use std::time::Duration;

use axum::http::StatusCode;

use super::api::{PeachError, WithdrawalQueued};
use super::books::{ledger_msat, merchant_account, MERCHANT_WITHDRAWALS};
use super::model::{self, Refusal};
use super::store::{self, Merchant, Withdrawal, WithdrawalStatus};
use super::MerchantService;
use crate::http::{KeyOfRequest, KeyedAnswer};
use crate::ledger::{self, Entry};
use crate::treasury::FeeFrom;

/// Takes the whole sats of `merchant`'s balance into a new pending withdrawal to `address`,
/// with the request's answer for its idempotency key.
pub async fn queue(
    state: &MerchantService,
    merchant: &Merchant,
    address: String,
    key: &KeyOfRequest,
) -> Result<Withdrawal, PeachError> {
    let merchant_id = &merchant.merchant_id;
    let now_ms = state.hub.clock.now_unix() * 1_000;
    let mut tx = state.hub.store.pool().begin().await?;
    let balance = store::merchants::lock_balance(&mut tx, merchant_id).await?;
    let taken = model::withdrawable(balance)?;
    if !store::merchants::take_balance(&mut tx, merchant_id, taken).await? {
        let balance_sat = model::whole_sats(balance).0;
        return Err(Refusal::BelowWithdrawalMinimum { balance_sat }.into());
    }
    let withdrawal = Withdrawal {
        withdrawal_id: uuid::Uuid::new_v4().to_string(),
        merchant_id: merchant_id.clone(),
        amount_sat: model::whole_sats(taken),
        btc_address: address,
        status: WithdrawalStatus::Pending,
        batch_id: None,
        txid: None,
        created_at_ms: now_ms,
        withdrawn_at_ms: None,
    };
    store::withdrawals::insert(&mut tx, &withdrawal).await?;
    store::withdrawals::take_paid_invoices(&mut tx, merchant_id, &withdrawal.withdrawal_id).await?;
    let entries = [
        Entry::debit(merchant_account(merchant_id), ledger_msat(taken)?),
        Entry::credit(MERCHANT_WITHDRAWALS, ledger_msat(taken)?),
    ];
    let reference = format!("merchant.withdrawal:{}", withdrawal.withdrawal_id);
    let now = now_ms / 1_000;
    ledger::post(&mut tx, now, "merchant.withdrawal", &reference, &entries).await?;
    let reply = WithdrawalQueued::from(&withdrawal);
    KeyedAnswer::json(key, StatusCode::OK, &reply)
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    tracing::info!(withdrawal_id = %withdrawal.withdrawal_id, amount_sat = withdrawal.amount_sat.0, "withdrawal queued");
    Ok(withdrawal)
}

/// Sends batches every `interval` of the hub's clock; at start, first finishes a batch a stop
/// interrupted.
pub fn spawn_batcher(
    state: MerchantService,
    interval_secs: i64,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if state.hub.treasury.is_none() {
            return;
        }
        match store::withdrawals::processing_batches(&state.hub.store).await {
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
#[tracing::instrument(name = "merchant_withdrawal_batch", skip_all)]
async fn run_batch(state: &MerchantService) -> Result<(), sqlx::Error> {
    let batch_id = uuid::Uuid::new_v4().to_string();
    let mut tx = state.hub.store.pool().begin().await?;
    let batched = store::withdrawals::start_batch(&mut tx, &batch_id).await?;
    tx.commit().await?;
    if batched > 0 {
        send_batch(state, &batch_id).await;
    }
    Ok(())
}

/// Sends one batch: one output per withdrawal, the network fee paid by the treasury.
#[tracing::instrument(name = "merchant_withdrawal_send", skip_all, fields(%batch_id))]
async fn send_batch(state: &MerchantService, batch_id: &str) {
    let Some(treasury) = state.hub.treasury.as_ref() else {
        return;
    };
    let withdrawals = match store::withdrawals::batch(&state.hub.store, batch_id).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "reading a withdrawal batch");
            return;
        }
    };
    let mut outputs = Vec::new();
    for w in &withdrawals {
        match state.parse_address(&w.btc_address) {
            Some(address) => outputs.push((address, w.amount_sat)),
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
            let txid = sent.txid.to_string();
            if let Err(e) =
                store::withdrawals::finish_batch(&state.hub.store, batch_id, &txid, now_ms).await
            {
                tracing::error!(error = %e, "recording a sent withdrawal batch; retried at the next start");
            }
            tracing::info!(%txid, withdrawals = withdrawals.len(), "withdrawal batch sent");
        }
        Err(e) => {
            tracing::warn!(error = %e, "withdrawal batch not sent; back to pending");
            if treasury.sent(&key).await.ok().flatten().is_none() {
                if let Err(e) = store::withdrawals::unbatch(&state.hub.store, batch_id).await {
                    tracing::error!(error = %e, "putting a withdrawal batch back to pending");
                }
            }
        }
    }
}
