//! The worker that moves orders along, every second and whenever woken (a request, a committed
//! node event, new blocks): it expires orders with no node by their deadline, counts on-chain
//! payments and sends claimed refunds (`onchain`), opens channels one at a time (`opening`),
//! settles or fails back held payments (`held_payment`) and closes channels whose lease is over
//! (`lease`). This process serves its own node's orders only.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::model::OrderState;
use super::store::{self, Order};
use super::LspService;
use super::{blip51, held_payment, lease, onchain, onchain_refund, opening, order_webhook};

/// Runs the worker until shutdown.
pub fn spawn_worker(state: LspService, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let wake = Arc::clone(&state.wake);
        let mut blocks = state.hub.blocks.subscribe();
        loop {
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "LSP worker step failed; retrying");
            }
            tokio::select! {
                _ = wake.notified() => {}
                // Deadlines counted in blocks are looked at as blocks arrive.
                _ = blocks.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

/// One pass over this node's orders.
async fn step(state: &LspService) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let node = state.hub.node.node_id().to_string();
    // Before expiry: a paid bLIP-51 order named its node when it was made.
    blip51::finalise_paid(state, now).await?;
    for order in store::expired_unfinalised(&state.hub.store, &node, now).await? {
        expire(state, &order, now).await?;
    }
    onchain::count_payments(state, now).await?;
    onchain_refund::resume_refunds(state).await?;
    for order in store::stalled_opens(&state.hub.store, &node, now).await? {
        opening::stalled(state, &order).await?;
    }
    if !store::open_in_progress(&state.hub.store, &node).await? {
        if let Some(order) = store::due_for_opening(&state.hub.store, &node, now)
            .await?
            .into_iter()
            .next()
        {
            opening::open(state, &order).await?;
        }
    }
    for order in store::held_to_resolve(&state.hub.store, &node, now).await? {
        held_payment::resolve(state, &order).await?;
    }
    if state.config.close_expired {
        let retry_before = now - lease::CLOSE_RETRY_SECS;
        for order in store::leases_to_close(&state.hub.store, &node, now, retry_before).await? {
            lease::close_expired(state, &order).await?;
        }
    }
    Ok(())
}

/// Expires an order past its deadline without a node to open to (unpaid, or paid and never
/// finalised); its held payment is failed back by `held_payment`.
#[tracing::instrument(skip_all, fields(order_id = %order.id))]
async fn expire(state: &LspService, order: &Order, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = state.hub.store.pool().begin().await?;
    let from = [OrderState::Created, OrderState::Paid];
    if store::transition(&mut tx, &order.id, &from, OrderState::Expired, now).await? {
        order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
        tracing::info!(order_id = %order.id, was = order.state.number(), "channel order expired");
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(())
}
