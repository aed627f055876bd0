//! On-chain payment of channel orders through the treasury: each order (when its total is at
//! least `--lsp-onchain-min-sat`) has its own treasury address; what confirms there (at
//! `--lsp-onchain-confirmations`) adds up, and the order counts as paid once it covers the total.
//! Refunds of money the hub holds for an order are `onchain_refund`'s.

use bitcoin::Address;

use super::order_webhook;
use super::store::{self, Order};
use super::LspService;
use crate::money::Sat;
use crate::treasury::{Receipt, Treasury};

/// The order's treasury address, parsed.
pub(super) fn address_of(order: &Order, treasury: &Treasury) -> Option<Address> {
    crate::treasury::parse_address(order.payment.btc_address.as_deref()?, treasury)
}

/// What the order's address received (empty without on-chain payment).
pub(super) async fn receipts(state: &LspService, order: &Order) -> Vec<Receipt> {
    match (&state.hub.treasury, order.payment.btc_address.as_deref()) {
        (Some(treasury), Some(_)) => match address_of(order, treasury) {
            Some(address) => treasury.received(&address).await,
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The sum of what arrived on chain, confirmed or not.
pub(super) fn received_sat(receipts: &[Receipt]) -> u64 {
    receipts.iter().map(|r| r.amount.0).sum()
}

/// The sum of `receipts` with at least `depth` confirmations.
pub(super) fn confirmed_sat(receipts: &[Receipt], depth: u32) -> u64 {
    receipts
        .iter()
        .filter(|r| r.confirmations >= depth)
        .map(|r| r.amount.0)
        .sum()
}

/// Counts what confirmed at each unpaid order's address; an order whose total is covered becomes
/// paid.
pub(super) async fn count_payments(state: &LspService, now: i64) -> Result<(), sqlx::Error> {
    let Some(treasury) = &state.hub.treasury else {
        return Ok(());
    };
    let depth = state.config.onchain_confirmations;
    let node = state.hub.node.node_id().to_string();
    for order in store::awaiting_onchain(&state.hub.store, &node, now).await? {
        let Some(address) = address_of(&order, treasury) else {
            continue;
        };
        let confirmed = confirmed_sat(&treasury.received(&address).await, depth);
        if confirmed >= order.terms.total_sat.0 {
            record_paid(state, &order, Sat(confirmed), now).await?;
        }
    }
    Ok(())
}

/// The order's total confirmed at its address (`paid`): it is paid.
#[tracing::instrument(skip_all, fields(order_id = %order.id))]
async fn record_paid(
    state: &LspService,
    order: &Order,
    paid: Sat,
    now: i64,
) -> Result<(), sqlx::Error> {
    let grace = i64::try_from(state.config.limits.order_expiry_secs).unwrap_or(i64::MAX);
    let mut tx = state.hub.store.pool().begin().await?;
    if store::record_paid_onchain(&mut tx, &order.id, paid, now, now.saturating_add(grace)).await? {
        order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
        let paid_sat = paid.0;
        tracing::info!(order_id = %order.id, paid_sat, "channel order paid on chain");
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.wake();
    Ok(())
}
