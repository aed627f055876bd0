//! Claims the payments the node holds for merchant invoices. A payment is held first (the
//! effect commits that the invoice is taken by it, so no internal payment can pay it too), and
//! claimed here after that commit; the node's `PaymentReceived` then credits the merchant. A
//! held payment the node failed back meanwhile (not claimed before its deadline, say while the
//! hub was down) leaves the invoice unpaid again. Runs at start and whenever a hold commits.

use std::time::Duration;

use super::store::{self, HeldInvoice};
use super::MerchantService;
use crate::money::Msat;
use crate::node::{NodePaymentStatus, PaymentHash, Preimage};

/// Starts the claimer.
pub fn spawn(
    state: MerchantService,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = claim_held(&state).await {
                tracing::warn!(error = %e, "claiming held merchant payments; retrying");
            }
            tokio::select! {
                _ = state.keys.claims.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// One pass over the held invoices.
#[tracing::instrument(name = "merchant_claims", skip_all)]
async fn claim_held(state: &MerchantService) -> Result<(), sqlx::Error> {
    for held in store::invoices::held(&state.hub.store).await? {
        let (Ok(hash), Ok(preimage)) = (
            held.payment_hash.parse::<PaymentHash>(),
            held.preimage.parse::<Preimage>(),
        ) else {
            continue;
        };
        claim(state, &held, hash, preimage).await?;
    }
    Ok(())
}

/// Claims one held payment, or releases its invoice if the node failed it back.
#[tracing::instrument(name = "merchant_claim", skip_all, fields(payment_hash = %held.payment_hash))]
async fn claim(
    state: &MerchantService,
    held: &HeldInvoice,
    hash: PaymentHash,
    preimage: Preimage,
) -> Result<(), sqlx::Error> {
    match state.hub.node.payment(hash).map(|p| p.status) {
        // Claimed: its PaymentReceived credits the merchant.
        Some(NodePaymentStatus::Succeeded) => {}
        Some(NodePaymentStatus::Failed) => {
            tracing::info!("a held merchant payment was failed back; the invoice is unpaid again");
            store::invoices::release_hold(&state.hub.store, &held.payment_hash).await?;
        }
        _ => {
            let amount = held.held_msat.unwrap_or(Msat(0));
            if let Err(e) = state.hub.node.claim_held(hash, amount, preimage) {
                tracing::warn!(error = %e, "claiming a held merchant payment");
            }
        }
    }
    Ok(())
}
