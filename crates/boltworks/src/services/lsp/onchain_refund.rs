//! Refunds of money the hub holds for an order it cannot deliver a channel for (the order expired
//! or gave up; or more arrived than the order needed): refundable on chain (or by Lightning
//! invoice, `lightning_refund`), exactly once, as the ledger says (`liabilities:lsp:<order>`):
//! the refund is claimed in the database (`in_flight`) before the treasury sends, and the
//! treasury sends at most once per key. Claimed refunds the hub did not record as sent are sent
//! again by the worker.

use bitcoin::Address;

use super::model::{self, RefundState, Refusal};
use super::order_webhook;
use super::store::{self, Order, RefundClaim};
use super::LspService;
use crate::ledger;
use crate::money::Sat;
use crate::treasury::{FeeFrom, SendError, MIN_OUTPUT_SAT};

/// What a refund request did.
#[derive(Debug)]
pub(super) enum RefundOutcome {
    /// Sent (or, if the treasury could not broadcast yet, committed and retried by the worker).
    Sent {
        /// The refund transaction.
        txid: String,
        /// What it pays.
        amount: u64,
    },
    /// Claimed, but the treasury failed before committing a transaction; the worker retries.
    Pending,
    /// A Lightning refund handed to the node: its events decide (`IN_FLIGHT` until then).
    InFlight,
}

/// How long a refund the treasury could not send waits before it is tried again.
const REFUND_RETRY_SECS: i64 = 60;

/// What is refundable now: what the ledger holds for an order that will not be delivered
/// (expired or given up: its on-chain receipts, late ones too, and a Lightning payment settled
/// before its deadline), or what is left after delivery (more arrived than the order needed);
/// nothing while the order is still to be delivered, or while a refund is in flight.
pub(super) async fn refundable_sat(state: &LspService, order: &Order) -> Result<u64, sqlx::Error> {
    if order.refund.refund_state == Some(RefundState::InFlight) || order.state.is_waiting() {
        return Ok(0);
    }
    let owed_msat =
        -ledger::account_balance(&state.hub.store, &ledger::lsp_order_liability(&order.id)).await?;
    let owed = u64::try_from(owed_msat / 1_000).unwrap_or(0);
    Ok(if owed < MIN_OUTPUT_SAT { 0 } else { owed })
}

/// Why nothing is refundable: the payment went back by itself, or there is nothing (yet).
pub(super) fn nothing_refundable(order: &Order) -> Refusal {
    if model::refunded(order) {
        Refusal::PaidBack
    } else {
        Refusal::NothingToRefund
    }
}

/// Refunds the order's refundable on-chain money to `to`, once.
pub(super) async fn refund(
    state: &LspService,
    order: &Order,
    to: &str,
) -> Result<Result<RefundOutcome, Refusal>, sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(Err(Refusal::RefundsUnsupported));
    };
    let Some(address) = crate::treasury::parse_address(to, treasury) else {
        return Ok(Err(Refusal::BadRefundAddress));
    };
    if order.refund.refund_state == Some(RefundState::InFlight) {
        return Ok(Err(Refusal::AlreadyRefunded));
    }
    let amount = refundable_sat(state, order).await?;
    if amount == 0 {
        return Ok(Err(nothing_refundable(order)));
    }
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let to = address.to_string();
    let owed = ledger::lsp_order_liability(&order.id);
    let claim = RefundClaim {
        to: &to,
        payment_hash: None,
        amount: Sat(amount),
    };
    let Some(number) = store::claim_refund(&mut tx, &order.id, &owed, claim, now).await? else {
        return Ok(Err(Refusal::AlreadyRefunded));
    };
    tx.commit().await?;
    tracing::info!(order_id = %order.id, amount, to = %address, "channel order refund claimed");
    send_refund(state, &order.id, number, &address, amount).await
}

/// Sends a claimed refund (idempotent: the treasury sends once per order and claim) and records
/// it.
#[tracing::instrument(skip_all, fields(order_id = %order_id, refund = number))]
async fn send_refund(
    state: &LspService,
    order_id: &str,
    number: i64,
    address: &Address,
    amount: u64,
) -> Result<Result<RefundOutcome, Refusal>, sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(Ok(RefundOutcome::Pending));
    };
    let key = format!("lsp-refund:{order_id}:{number}");
    // The buyer's coins go back less the network fee of sending them.
    let outputs = [(address.clone(), Sat(amount))];
    let owed = ledger::lsp_order_liability(order_id);
    match treasury
        .send(&key, &outputs, FeeFrom::FirstOutput, &owed)
        .await
    {
        Ok(sent) => {
            let amount = sent.first_output.0;
            let txid = sent.txid.to_string();
            let mut tx = state.hub.store.pool().begin().await?;
            let now = state.hub.clock.now_unix();
            if store::record_refund_sent(&mut tx, order_id, &txid, sent.first_output, now).await? {
                order_webhook::state_changed(&mut tx, &state.hub.clock, order_id).await?;
            }
            tx.commit().await?;
            state.hub.notifier.outbox_committed();
            tracing::info!(%order_id, %txid, amount, "channel order refunded on chain");
            Ok(Ok(RefundOutcome::Sent { txid, amount }))
        }
        Err(SendError::Store(e)) => Err(e),
        Err(SendError::InvalidOutputs(why)) => {
            // It can never be sent (smaller than its own fee): nothing happened, give it back.
            let mut tx = state.hub.store.pool().begin().await?;
            store::release_refund(&mut tx, order_id, state.hub.clock.now_unix()).await?;
            tx.commit().await?;
            Ok(Err(Refusal::RefundTooSmall(why)))
        }
        Err(e) => {
            // Retried by the worker, at most once a minute.
            let mut tx = state.hub.store.pool().begin().await?;
            store::touch(&mut tx, order_id, state.hub.clock.now_unix()).await?;
            tx.commit().await?;
            tracing::error!(%order_id, error = %e, "channel order refund not sent yet; retrying in a minute");
            Ok(Ok(RefundOutcome::Pending))
        }
    }
}

/// Sends the refunds that were claimed but not recorded as sent (a crash, or a treasury that
/// could not pay at the time).
pub(super) async fn resume_refunds(state: &LspService) -> Result<(), sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(());
    };
    let node = state.hub.node.node_id().to_string();
    for order in store::refunds_in_flight(&state.hub.store, &node).await? {
        if order.refund.refund_payment_hash.is_some() {
            super::lightning_refund::resume(state, &order).await?;
            continue;
        }
        let refund = &order.refund;
        let (Some(to), Some(amount)) = (refund.refund_to.as_deref(), refund.refund_amount_sat)
        else {
            continue;
        };
        let Some(address) = crate::treasury::parse_address(to, treasury) else {
            continue;
        };
        // A first try was made by the request itself; later ones once a minute.
        if state.hub.clock.now_unix() - order.updated_at < REFUND_RETRY_SECS {
            continue;
        }
        let number = refund.refund_count;
        if let Err(refusal) = send_refund(state, &order.id, number, &address, amount.0).await? {
            tracing::warn!(order_id = %order.id, ?refusal, "a claimed refund cannot be sent; given back");
        }
    }
    Ok(())
}
