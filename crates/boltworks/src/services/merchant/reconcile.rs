//! Start-up reconciliation: every outgoing payment a stop left pending is brought in line with
//! the node's (or the treasury's) record before the HTTP server takes requests: settled or
//! failed as the record says; left pending while the node has it in flight; failed, with the
//! reserve returned, when it never reached the node (nothing was sent).

use super::onchain_payout;
use super::payouts;
use super::store::{self, Payment, PaymentKind};
use super::MerchantService;
use crate::money::Msat;
use crate::node::{NodePaymentStatus, PaymentDirection, PaymentHash};

/// Reconciles the pending Lightning payments, then (with a treasury) the pending on-chain ones.
#[tracing::instrument(name = "merchant_reconcile", skip_all)]
pub async fn reconcile(state: &MerchantService) -> anyhow::Result<()> {
    let payer = state.hub.node.node_id().to_string();
    for payment in
        store::payments::pending(&state.hub.store, PaymentKind::Lightning, &payer).await?
    {
        lightning(state, &payment).await?;
    }
    if state.hub.treasury.is_some() {
        for payment in
            store::payments::pending(&state.hub.store, PaymentKind::OnChain, &payer).await?
        {
            onchain_payout::settle(
                state,
                &payment.payment_id,
                &payment.merchant_id,
                payment.amount_msat,
            )
            .await?;
        }
    }
    Ok(())
}

/// Ends a pending Lightning payment as the node's record says.
#[tracing::instrument(
    name = "merchant_reconcile_payment",
    skip_all,
    fields(payment_id = %payment.payment_id, payment_hash = payment.payment_hash.as_deref())
)]
async fn lightning(state: &MerchantService, payment: &Payment) -> anyhow::Result<()> {
    let Some(hash) = payment
        .payment_hash
        .as_deref()
        .and_then(|h| h.parse::<PaymentHash>().ok())
    else {
        return Ok(());
    };
    let hash_hex = hash.to_string();
    let record = state
        .hub
        .node
        .payment(hash)
        .filter(|p| p.direction == PaymentDirection::Outbound);
    let clock = &state.hub.clock;
    let mut tx = state.hub.store.pool().begin().await?;
    match record.map(|p| (p.status, p.fee_paid)) {
        Some((NodePaymentStatus::Succeeded, fee)) => {
            let fee = fee.unwrap_or(Msat(0));
            payouts::lightning_succeeded(&mut tx, clock, &hash_hex, fee).await?
        }
        Some((NodePaymentStatus::Failed, _)) => {
            payouts::lightning_failed(&mut tx, clock, &hash_hex, "payment failed").await?
        }
        Some((NodePaymentStatus::Pending, _)) => {
            tracing::info!("merchant payment in flight at the node");
        }
        None => {
            tracing::info!("merchant payment never reached the node; failing it");
            let reason = "not sent: the hub stopped before sending";
            payouts::lightning_failed(&mut tx, clock, &hash_hex, reason).await?
        }
    }
    tx.commit().await?;
    Ok(())
}
