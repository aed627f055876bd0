//! Sending a recorded Lightning payment: its money is reserved and committed before the node is
//! asked; only the node's verdict ends it. The hand-over to the node runs in a task of its own,
//! which a dropped request cannot stop. The request waits a while for the verdict, then answers
//! with the payment still in flight.

use std::time::Duration;

use super::api::PeachError;
use super::model::{self, Refusal};
use super::payouts;
use super::MerchantService;
use crate::money::Msat;
use crate::node::{Invoice, NodeErrorKind, PaymentOutcome, SendError};

/// How long a Lightning payment request waits for the node's verdict before answering with
/// the payment still in flight (it ends later, as the node says). Below the hub's default
/// request timeout (30 s), so the answer is ours, not a 408.
const OUTCOME_WAIT: Duration = Duration::from_secs(20);

/// Sends the reserved payment of `invoice` (`amount` for an amountless one) and waits for the
/// node's verdict: a failure is refused, a success or a payment still in flight is `Ok`.
pub async fn send(
    state: &MerchantService,
    invoice: &Invoice,
    amount: Option<Msat>,
    fee_limit: Msat,
) -> Result<(), PeachError> {
    let watch = state.hub.payments.watch();
    // The money is reserved: from here the payment is handed to the node (or its reserve
    // returned) in a task of its own, so a request dropped now (its client gone, its timeout)
    // cannot leave it reserved and never sent until the next start.
    let dispatch = {
        let (state, invoice) = (state.clone(), invoice.clone());
        tokio::spawn(async move {
            crate::pause::pause_point("merchant.outgoing.before_send").await;
            match state
                .hub
                .payments
                .send(&invoice, amount, Some(fee_limit))
                .await
            {
                Ok(sent) => Ok(sent),
                Err(e) => Err(send_refused(&state, &invoice, e).await),
            }
        })
    };
    let sent = match dispatch.await {
        Ok(Ok(sent)) => sent,
        Ok(Err(refused)) => return Err(refused),
        Err(e) => return Err(PeachError::Internal(format!("payment task: {e}"))),
    };
    crate::pause::pause_point("merchant.outgoing.after_send").await;
    match watch.outcome(sent, OUTCOME_WAIT).await {
        PaymentOutcome::Failed { reason } => Err(model::payment_failed(reason).into()),
        // Settled, or still in flight: the node's verdict ends it either way.
        PaymentOutcome::Succeeded { .. } | PaymentOutcome::InFlight => Ok(()),
    }
}

/// The node did not take the payment: when nothing was sent, the payment fails and its reserve
/// returns; when the outcome is unknown it stays in flight for the node to settle.
async fn send_refused(state: &MerchantService, invoice: &Invoice, error: SendError) -> PeachError {
    let hash = invoice.payment_hash().to_string();
    if !error.nothing_sent() {
        tracing::warn!(payment_hash = %hash, %error, "merchant payment outcome unknown; the node's events will settle it");
        return PeachError::Internal(format!("payment outcome unknown: {error}"));
    }
    let reason = error.to_string();
    let failed = async {
        let mut tx = state.hub.store.pool().begin().await?;
        payouts::lightning_failed(&mut tx, &state.hub.clock, &hash, &reason).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = failed {
        tracing::error!(payment_hash = %hash, error = %e, "returning a refused payment's reserve; reconciled at the next start");
    }
    match error {
        SendError::Node(e) if e.kind == NodeErrorKind::InsufficientFunds => {
            Refusal::HubCannotSend.into()
        }
        SendError::Duplicate => Refusal::AlreadyBeingPaid.into(),
        SendError::Store(e) => PeachError::Internal(format!("recording the payment: {e}")),
        other => Refusal::NodeRefused(other.to_string()).into(),
    }
}
