//! Cancelling a partly paid on-chain invoice: it is marked cancelled (committed) before what it
//! received is refunded on-chain, less the network fee, under a key of its own, so the refund
//! is sent at most once; a refund that could not be sent leaves the invoice pending again.

use bitcoin::Address;

use super::api::PeachError;
use super::books::{self, onchain_invoice_account};
use super::model::{self, CancelStep, Refusal};
use super::store::{self, OnchainInvoice, OnchainInvoiceStatus};
use super::MerchantService;
use crate::treasury::{FeeFrom, Treasury};

/// Cancels `invoice` and refunds what it received to `refund_to`: the refund transaction (empty
/// when nothing was received).
pub async fn cancel(
    state: &MerchantService,
    treasury: &Treasury,
    invoice: &OnchainInvoice,
    refund_to: Address,
) -> Result<String, PeachError> {
    let key = format!("merchant-refund:{}", invoice.invoice_id);
    let account = onchain_invoice_account(&invoice.merchant_id, &invoice.invoice_id);
    let held = books::liability_sat(&state.hub.store, &account).await?;
    match model::cancel_step(invoice.status, invoice.refund_txid.as_deref(), held)? {
        CancelStep::Done(txid) => return Ok(txid),
        CancelStep::Resend => {}
        CancelStep::Cancel => {
            let now = state.hub.clock.now_unix();
            let canceled = OnchainInvoiceStatus::Canceled;
            let mut tx = state.hub.store.pool().begin().await?;
            if !store::onchain_invoices::end(
                &mut tx,
                &invoice.invoice_id,
                canceled,
                held,
                None,
                now,
            )
            .await?
            {
                return Err(Refusal::AlreadySettled.into());
            }
            tx.commit().await?;
            if held.0 == 0 {
                return Ok(String::new());
            }
        }
    }
    let outputs = [(refund_to, held)];
    match treasury
        .send(&key, &outputs, FeeFrom::FirstOutput, &account)
        .await
    {
        Ok(sent) => {
            let txid = sent.txid.to_string();
            store::onchain_invoices::set_refund_txid(&state.hub.store, &invoice.invoice_id, &txid)
                .await?;
            tracing::info!(%txid, held_sat = held.0, "on-chain invoice cancelled and refunded");
            Ok(txid)
        }
        Err(e) => {
            // Nothing was sent: the invoice is pending again, its money still locked.
            if treasury.sent(&key).await.ok().flatten().is_none() {
                store::onchain_invoices::reopen(&state.hub.store, &invoice.invoice_id).await?;
            }
            Err(Refusal::RefundNotSent(e.to_string()).into())
        }
    }
}
