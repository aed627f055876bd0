//! Claims the payments the node holds for merchant invoices. A payment is held first (the
//! effect commits that the invoice is taken by it, so no internal payment can pay it too), and
//! claimed here after that commit; the node's `PaymentReceived` then credits the merchant. A
//! held payment the node failed back meanwhile (not claimed before its deadline, say while the
//! hub was down) leaves the invoice unpaid again. Runs at start and whenever a hold commits.

use std::time::Duration;

use super::store;
use super::MerchantService;
use crate::money::Msat;
use crate::node::{NodePaymentStatus, Preimage};

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

async fn claim_held(state: &MerchantService) -> Result<(), sqlx::Error> {
    for held in store::held_invoices(&state.hub.store).await? {
        let (Ok(hash), Ok(preimage)) =
            (held.payment_hash.parse(), held.preimage.parse::<Preimage>())
        else {
            continue;
        };
        match state.hub.node.payment(hash).map(|p| p.status) {
            // Claimed: its PaymentReceived credits the merchant.
            Some(NodePaymentStatus::Succeeded) => {}
            Some(NodePaymentStatus::Failed) => {
                tracing::info!(payment_hash = %held.payment_hash, "a held merchant payment was failed back; the invoice is unpaid again");
                store::release_hold(&state.hub.store, &held.payment_hash).await?;
            }
            _ => {
                let amount = Msat(u64::try_from(held.held_msat).unwrap_or(0));
                if let Err(e) = state.hub.node.claim_held(hash, amount, preimage) {
                    tracing::warn!(payment_hash = %held.payment_hash, error = %e, "claiming a held merchant payment");
                }
            }
        }
    }
    Ok(())
}
