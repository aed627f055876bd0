//! The on-chain invoice worker: each invoice has its own treasury address, whose confirmed
//! receipts the treasury books to the invoice's ledger account (the merchant's locked balance).
//! After each treasury sync it settles an invoice whose receipts cover the amount (any amount,
//! for an open-amount invoice): the money moves to the balance less the hub's 1%. A partial
//! payment stays locked, with a PARTIAL notice, until completed or cancelled (refunded).

use std::time::Duration;

use super::api::PeachError;
use super::books::INCOME_MERCHANT_FEES;
use super::books::{self, ledger_msat, merchant_account, onchain_invoice_account};
use super::model;
use super::notices::{self, Recipient};
use super::store::{self, OnchainInvoice, OnchainInvoiceStatus};
use super::MerchantService;
use crate::ledger::Entry;
use crate::money::Sat;

/// Settles and notifies on-chain invoices as their receipts are booked, while the hub runs.
pub fn spawn(
    state: MerchantService,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Some(treasury) = state.hub.treasury.clone() else {
            return;
        };
        loop {
            tokio::select! {
                _ = treasury.next_sync(Duration::from_secs(5)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            if let Err(e) = review(&state).await {
                tracing::warn!(error = %e, "merchant on-chain invoices: review failed; retrying");
            }
        }
    })
}

/// One pass over the pending invoices.
#[tracing::instrument(name = "merchant_onchain_review", skip_all)]
pub async fn review(state: &MerchantService) -> Result<(), PeachError> {
    let pending =
        store::onchain_invoices::in_status(&state.hub.store, OnchainInvoiceStatus::Pending).await?;
    for invoice in pending {
        review_one(state, &invoice).await?;
    }
    Ok(())
}

/// Settles `invoice` if paid in full, or tells of a new part.
#[tracing::instrument(
    name = "merchant_onchain_invoice",
    skip_all,
    fields(merchant_id = %invoice.merchant_id, invoice_id = %invoice.invoice_id)
)]
async fn review_one(state: &MerchantService, invoice: &OnchainInvoice) -> Result<(), PeachError> {
    let account = onchain_invoice_account(&invoice.merchant_id, &invoice.invoice_id);
    let held = books::liability_sat(&state.hub.store, &account).await?;
    if held.0 == 0 {
        return Ok(());
    }
    if model::paid_in_full(invoice.amount_sat, held) {
        return settle(state, invoice, held).await;
    }
    if held <= invoice.notified_partial_sat {
        return Ok(());
    }
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if store::onchain_invoices::note_partial(&mut tx, &invoice.invoice_id, held, now).await? {
        let url = webhook(&mut tx, invoice).await?;
        let to = Recipient {
            merchant_id: &invoice.merchant_id,
            url: url.as_deref(),
        };
        let backend = state.hub.store.backend();
        notices::onchain_partial(&mut tx, backend, &state.hub.clock, &to, invoice, held).await?;
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    Ok(())
}

/// Settles an invoice that received `held`: credited less the hub's fee, and told.
async fn settle(
    state: &MerchantService,
    invoice: &OnchainInvoice,
    held: Sat,
) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let fee = model::onchain_fee_sat(invoice.amount_sat, held);
    let mut tx = state.hub.store.pool().begin().await?;
    let settled = OnchainInvoiceStatus::Settled;
    if !store::onchain_invoices::end(&mut tx, &invoice.invoice_id, settled, held, Some(fee), now)
        .await?
    {
        return Ok(());
    }
    let held_msat = model::to_msat(held)?;
    let fee_msat = model::to_msat(fee)?;
    let credit = model::to_msat(model::net_of_fee(held, fee))?;
    let account = onchain_invoice_account(&invoice.merchant_id, &invoice.invoice_id);
    let entries = [
        Entry::debit(account, ledger_msat(held_msat)?),
        Entry::credit(merchant_account(&invoice.merchant_id), ledger_msat(credit)?),
        Entry::credit(INCOME_MERCHANT_FEES, ledger_msat(fee_msat)?),
    ];
    let reference = format!("merchant.onchain:{}", invoice.invoice_id);
    books::post_crediting(
        &mut tx,
        now,
        "merchant.onchain",
        &reference,
        &invoice.merchant_id,
        credit,
        &entries,
    )
    .await?;
    let settled = OnchainInvoice {
        paid_sat: held,
        fee_sat: Some(fee),
        status: OnchainInvoiceStatus::Settled,
        ..invoice.clone()
    };
    let txids = paying_txids(state, &settled).await;
    let url = webhook(&mut tx, invoice).await?;
    let to = Recipient {
        merchant_id: &invoice.merchant_id,
        url: url.as_deref(),
    };
    let backend = state.hub.store.backend();
    notices::onchain_paid(&mut tx, backend, &state.hub.clock, &to, &settled, &txids).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    tracing::info!(
        held_sat = held.0,
        fee_sat = fee.0,
        "merchant on-chain invoice settled"
    );
    Ok(())
}

/// The transactions that paid an invoice's address, as the treasury saw them.
async fn paying_txids(state: &MerchantService, invoice: &OnchainInvoice) -> Vec<String> {
    let (Some(treasury), Ok(address)) = (
        state.hub.treasury.as_ref(),
        invoice.btc_address.parse::<bitcoin::Address<_>>(),
    ) else {
        return Vec::new();
    };
    treasury
        .received(&address.assume_checked())
        .await
        .iter()
        .map(|r| r.txid.to_string())
        .collect()
}

/// The invoice's webhook: its own, or the merchant's on-chain URL.
async fn webhook(
    conn: &mut sqlx::AnyConnection,
    invoice: &OnchainInvoice,
) -> Result<Option<String>, sqlx::Error> {
    if let Some(url) = &invoice.ntfn_url {
        return Ok(Some(url.clone()));
    }
    store::merchants::onchain_url(conn, &invoice.merchant_id).await
}
