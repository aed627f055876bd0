//! On-chain payment of channel orders through the treasury: each order (when its total is at
//! least `--lsp-onchain-min-sat`) has its own treasury address; what confirms there (at
//! `--lsp-onchain-confirmations`) adds up, and the order counts as paid once it covers the total.
//! Money the hub holds for an order it cannot deliver a channel for (the order expired or gave
//! up; or more arrived than the order needed) is refundable on chain, exactly once, as the ledger
//! says (`liabilities:lsp:<order>`): the refund is claimed in the database
//! (`in_flight`) before the treasury sends, and the treasury sends at most once per key.

use bitcoin::Address;

use super::model::OrderState;
use super::order_webhook;
use super::store::{self, Order};
use super::LspService;
use crate::ledger;
use crate::money::Sat;
use crate::treasury::{FeeFrom, Receipt, SendError, Treasury, MIN_OUTPUT_SAT};

/// The order's treasury address, parsed.
fn address_of(order: &Order, treasury: &Treasury) -> Option<Address> {
    crate::treasury::parse_address(order.btc_address.as_deref()?, treasury)
}

/// What the order's address received (empty without on-chain payment).
pub(super) async fn receipts(state: &LspService, order: &Order) -> Vec<Receipt> {
    match (&state.hub.treasury, order.btc_address.as_deref()) {
        (Some(treasury), Some(_)) => match address_of(order, treasury) {
            Some(address) => treasury.received(&address).await,
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The sum of `receipts` with at least `depth` confirmations.
pub(super) fn confirmed_sat(receipts: &[Receipt], depth: u32) -> u64 {
    receipts
        .iter()
        .filter(|r| r.confirmations >= depth)
        .map(|r| r.amount.0)
        .sum()
}

/// What is refundable on chain now: what the ledger holds for an order that will not be
/// delivered (expired or given up: its on-chain receipts, late ones too, and a Lightning payment
/// settled before its deadline), or what is left after delivery (more arrived than the order
/// needed); nothing while the order is still to be delivered, or once refunded.
pub(super) async fn refundable_sat(state: &LspService, order: &Order) -> Result<u64, sqlx::Error> {
    let waiting = matches!(
        order.order_state(),
        Some(OrderState::Created | OrderState::Paid | OrderState::UriSet)
    );
    if order.refund_state.as_deref() == Some("in_flight") || waiting {
        return Ok(0);
    }
    let owed_msat =
        -ledger::account_balance(&state.hub.store, &ledger::lsp_order_liability(&order.id)).await?;
    let owed = u64::try_from(owed_msat / 1_000).unwrap_or(0);
    Ok(if owed < MIN_OUTPUT_SAT { 0 } else { owed })
}

/// Counts what confirmed at each unpaid order's address; an order whose total is covered becomes
/// paid.
pub(super) async fn count_payments(state: &LspService, now: i64) -> Result<(), sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(());
    };
    let depth = state.config.onchain_confirmations;
    for order in
        store::awaiting_onchain(&state.hub.store, &state.hub.node.node_id().to_string(), now)
            .await?
    {
        let Some(address) = address_of(&order, treasury) else {
            continue;
        };
        let confirmed = confirmed_sat(&treasury.received(&address).await, depth);
        if confirmed < u64::try_from(order.total_sat).unwrap_or(u64::MAX) {
            continue;
        }
        let grace = i64::try_from(state.config.limits.order_expiry_secs).unwrap_or(i64::MAX);
        let paid = i64::try_from(confirmed).unwrap_or(i64::MAX);
        let mut tx = state.hub.store.pool().begin().await?;
        if store::record_paid_onchain(&mut tx, &order.id, paid, now, now.saturating_add(grace))
            .await?
        {
            order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
            tracing::info!(order_id = %order.id, paid_sat = confirmed, "channel order paid on chain");
        }
        tx.commit().await?;
        state.hub.notifier.outbox_committed();
        state.wake();
    }
    Ok(())
}

/// Why a refund was not made.
#[derive(Debug)]
pub(super) enum RefundRefusal {
    /// No treasury here.
    Unsupported,
    /// Nothing is refundable (yet, or any more).
    NothingToRefund,
    /// A refund was already claimed (by this request's rival, or before).
    AlreadyRefunded,
    /// The address is not one of this network.
    BadAddress,
    /// The invoice cannot be a refund: the reason.
    BadInvoice(String),
    /// The node refused to pay the invoice (nothing was sent): the reason.
    PaymentRefused(String),
    /// The amount cannot be sent on chain (it would not pay its own fee): the reason.
    TooSmall(String),
}

/// What a refund request did.
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

/// Refunds the order's refundable on-chain money to `to`, once.
pub(super) async fn refund(
    state: &LspService,
    order: &Order,
    to: &str,
) -> Result<Result<RefundOutcome, RefundRefusal>, sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(Err(RefundRefusal::Unsupported));
    };
    let Some(address) = crate::treasury::parse_address(to, treasury) else {
        return Ok(Err(RefundRefusal::BadAddress));
    };
    if order.refund_state.as_deref() == Some("in_flight") {
        return Ok(Err(RefundRefusal::AlreadyRefunded));
    }
    let amount = refundable_sat(state, order).await?;
    if amount == 0 {
        return Ok(Err(RefundRefusal::NothingToRefund));
    }
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let stored = i64::try_from(amount).unwrap_or(i64::MAX);
    let to = address.to_string();
    let owed = ledger::lsp_order_liability(&order.id);
    let Some(number) =
        store::claim_refund(&mut tx, &order.id, &owed, &to, None, stored, now).await?
    else {
        return Ok(Err(RefundRefusal::AlreadyRefunded));
    };
    tx.commit().await?;
    tracing::info!(order_id = %order.id, amount, to = %address, "channel order refund claimed");
    send_refund(state, &order.id, number, &address, amount).await
}

/// Sends a claimed refund (idempotent: the treasury sends once per order) and records it.
async fn send_refund(
    state: &LspService,
    order_id: &str,
    number: i64,
    address: &Address,
    amount: u64,
) -> Result<Result<RefundOutcome, RefundRefusal>, sqlx::Error> {
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
            let paid = i64::try_from(amount).unwrap_or(i64::MAX);
            let now = state.hub.clock.now_unix();
            if store::record_refund_sent(&mut tx, order_id, &txid, paid, now).await? {
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
            Ok(Err(RefundRefusal::TooSmall(why)))
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

/// How long a refund the treasury could not send waits before it is tried again.
const REFUND_RETRY_SECS: i64 = 60;

/// Sends the refunds that were claimed but not recorded as sent (a crash, or a treasury that
/// could not pay at the time).
pub(super) async fn resume_refunds(state: &LspService) -> Result<(), sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(());
    };
    for order in
        store::refunds_in_flight(&state.hub.store, &state.hub.node.node_id().to_string()).await?
    {
        if order.refund_payment_hash.is_some() {
            super::lightning_refund::resume(state, &order).await?;
            continue;
        }
        let (Some(to), Some(amount)) = (order.refund_to.as_deref(), order.refund_amount_sat) else {
            continue;
        };
        let Some(address) = crate::treasury::parse_address(to, treasury) else {
            continue;
        };
        // A first try was made by the request itself; later ones once a minute.
        if state.hub.clock.now_unix() - order.updated_at < REFUND_RETRY_SECS {
            continue;
        }
        let amount = u64::try_from(amount).unwrap_or(0);
        let number = order.refund_count;
        if let Err(refusal) = send_refund(state, &order.id, number, &address, amount).await? {
            tracing::warn!(order_id = %order.id, ?refusal, "a claimed refund cannot be sent; given back");
        }
    }
    Ok(())
}
