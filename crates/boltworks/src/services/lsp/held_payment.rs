//! The order's held payment (the buyer's HTLC for the hold invoice): settled once the channel's
//! funding transaction is broadcast, failed back when the order cannot be delivered (expired,
//! given up) while still held. Never held past the safety margin before its claim deadline: it is
//! settled there, the order goes on (its channel can still open), and what it paid is held for
//! it in the ledger (`liabilities:lsp:<order>`), refundable on chain if the order is not
//! delivered after all. An order paid on chain has any Lightning payment on top failed back.

use super::model::{HtlcState, OrderState};
use super::store::{self, Order};
use super::LspService;
use super::{books, order_webhook};
use crate::ledger;
use crate::money::Msat;
use crate::node::{NodePaymentStatus, PaymentHash, Preimage};

fn hash_of(order: &Order) -> Option<PaymentHash> {
    order.payment.payment_hash.parse().ok()
}

fn near_deadline(state: &LspService, order: &Order) -> bool {
    order.payment.claim_deadline.is_some_and(|deadline| {
        i64::from(state.hub.node.synced_height()) + i64::from(state.config.settle_margin_blocks)
            >= deadline
    })
}

/// Whether a channel may be opened for the order now: its held payment is still claimable at the
/// node with time to spare. A payment the node already failed back (its deadline passed while
/// the hub was down) ends the order as expired.
pub(super) async fn still_claimable(
    state: &LspService,
    order: &Order,
) -> Result<bool, sqlx::Error> {
    let htlc = order.payment.htlc_state;
    if order.payment.onchain_paid_sat.is_some() || htlc == HtlcState::Settled {
        // Paid on chain (a Lightning payment on top is failed back by `resolve`), or settled
        // already: the money is the hub's, nothing can go back by itself any more.
        return Ok(true);
    }
    if htlc != HtlcState::Held {
        return Ok(false);
    }
    let gone = hash_of(order)
        .and_then(|hash| state.hub.node.payment(hash))
        .is_some_and(|p| p.status == NodePaymentStatus::Failed);
    if gone {
        record(state, order, HtlcState::FailedBack, true).await?;
        tracing::warn!(order_id = %order.id, "the held payment was failed back before the channel opened; order expired");
        return Ok(false);
    }
    // Too close to the deadline to start on a held payment: the worker settles it first.
    Ok(!near_deadline(state, order))
}

/// Records the payment's outcome (and, for an order that will not open now, its expiry) in one
/// transaction with its webhook.
async fn record(
    state: &LspService,
    order: &Order,
    outcome: HtlcState,
    expire: bool,
) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let recorded = store::record_htlc(&mut tx, &order.id, outcome, now).await?;
    if let (Some(state_now), HtlcState::Settled) = (recorded, outcome) {
        let held = order.payment.held_msat.unwrap_or(Msat(0));
        if state_now.is_delivered() {
            // The buyer's money is the hub's now: its fee, and the balance pushed at open.
            books::delivered(&mut tx, now, order, ledger::ASSETS_LIGHTNING, held).await?;
        } else {
            // Settled before the channel opened (the deadline came first): held for the order.
            books::prepaid(&mut tx, now, order, held).await?;
        }
    }
    let mut changed = recorded.is_some();
    if expire {
        let waiting = [OrderState::Paid, OrderState::UriSet];
        changed |=
            store::transition(&mut tx, &order.id, &waiting, OrderState::Expired, now).await?;
    }
    if changed {
        order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(())
}

/// Settles or fails back a held payment once the order's fate allows.
#[tracing::instrument(skip_all, fields(order_id = %order.id, payment_hash = %order.payment.payment_hash))]
pub(super) async fn resolve(state: &LspService, order: &Order) -> Result<(), sqlx::Error> {
    let Some(hash) = hash_of(order) else {
        return Ok(());
    };
    let near_deadline = near_deadline(state, order);
    let (settle, expire) = match order.state {
        // Paid on chain already: a second payment by Lightning goes back.
        _ if order.payment.onchain_paid_sat.is_some() => (false, false),
        delivered if delivered.is_delivered() => (true, false),
        OrderState::GiveUp | OrderState::Expired | OrderState::Created => (false, false),
        // Waiting for its node or for an attempt: hold, unless the deadline is near.
        _ if near_deadline => (true, false),
        _ => return Ok(()),
    };
    let result = if settle {
        let Ok(preimage) = order.payment.preimage.parse::<Preimage>() else {
            return Ok(());
        };
        let claimable = order.payment.held_msat.unwrap_or(Msat(0));
        state.hub.node.claim_held(hash, claimable, preimage)
    } else {
        state.hub.payments.fail_held(hash).await
    };
    let outcome = if settle {
        HtlcState::Settled
    } else {
        HtlcState::FailedBack
    };
    match result {
        Ok(()) => {
            record(state, order, outcome, expire).await?;
            tracing::info!(order_id = %order.id, %outcome, near_deadline, "held payment resolved");
        }
        Err(e) => {
            // Resolved already (the hub stopped before recording it)? The node's record says.
            match state.hub.node.payment(hash).map(|p| p.status) {
                Some(NodePaymentStatus::Succeeded) => {
                    record(state, order, HtlcState::Settled, false).await?
                }
                Some(NodePaymentStatus::Failed) => {
                    record(state, order, HtlcState::FailedBack, expire).await?
                }
                _ => {
                    tracing::warn!(order_id = %order.id, %outcome, error = %e, "resolving a held payment failed; retrying")
                }
            }
        }
    }
    Ok(())
}
