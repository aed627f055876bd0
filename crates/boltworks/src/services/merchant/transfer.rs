//! Internal payments: money moves from one merchant of this hub to another in one transaction,
//! free, or net of the hub's fee when a Lightning payment to another merchant's invoice here
//! is converted (the invoice is then paid, once, and its merchant told).

use super::api::{PeachError, PeachInput};
use super::books::{ledger_msat, merchant_account, INCOME_MERCHANT_FEES};
use super::model::{self, Refusal};
use super::notices::{self, Recipient};
use super::store::{self, LightningInvoice, NewPayment, PaidBy, PaymentKind, PaymentStatus};
use super::MerchantService;
use crate::http::KeyedAnswer;
use crate::ledger::{self, Entry};
use crate::money::Msat;
use crate::node::Invoice;

/// An internal movement of money.
pub struct Transfer<'a> {
    /// The payment's id.
    pub payment_id: &'a str,
    /// Who pays.
    pub payer: &'a str,
    /// Who is paid.
    pub payee: &'a str,
    /// How much.
    pub amount: Msat,
    /// Memo.
    pub description: &'a str,
    /// The payee's invoice, when a Lightning payment was converted.
    pub invoice: Option<&'a LightningInvoice>,
}

/// Moves the money in one transaction, with the request's `answer`: the payer's balance must
/// cover it; a converted invoice is settled (once) and the payee is credited net of the hub's fee.
pub async fn pay_internally(
    state: &MerchantService,
    t: &Transfer<'_>,
    answer: &KeyedAnswer,
) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let fee = match t.invoice {
        Some(invoice) => model::to_msat(invoice.fee_sat)?,
        None => Msat(0),
    };
    let credit = t
        .amount
        .checked_sub(fee)
        .ok_or_else(|| PeachError::Internal("an invoice's fee above its amount".into()))?;
    let mut tx = state.hub.store.writer().begin().await?;
    let paid = match t.invoice {
        Some(invoice) => Some(
            store::invoices::settle(&mut tx, &invoice.payment_hash, PaidBy::Internal, now)
                .await?
                .ok_or(Refusal::InvoiceAlreadyPaid)?,
        ),
        None => None,
    };
    // Both balances change in merchant-id order, so two opposite payments cannot deadlock.
    let take_first = t.payer < t.payee;
    if take_first && !store::merchants::take_balance(&mut tx, t.payer, t.amount).await? {
        return Err(Refusal::NotEnoughFunds.into());
    }
    if !store::merchants::credit_balance(&mut tx, t.payee, credit).await? {
        return Err(Refusal::MerchantNotFound.into());
    }
    if !take_first && !store::merchants::take_balance(&mut tx, t.payer, t.amount).await? {
        return Err(Refusal::NotEnoughFunds.into());
    }
    let entries = [
        Entry::debit(merchant_account(t.payer), ledger_msat(t.amount)?),
        Entry::credit(merchant_account(t.payee), ledger_msat(credit)?),
        Entry::credit(INCOME_MERCHANT_FEES, ledger_msat(fee)?),
    ];
    let reference = format!("merchant.internal:{}", t.payment_id);
    ledger::post(&mut tx, now, "merchant.internal", &reference, &entries).await?;
    let payer_node = state.hub.node.node_id().to_string();
    let record = NewPayment {
        payment_id: t.payment_id,
        merchant_id: t.payer,
        kind: PaymentKind::Internal,
        amount: t.amount,
        fee_limit: Msat(0),
        destination: t.payee,
        payment_hash: t.invoice.map(|i| i.payment_hash.as_str()),
        description: Some(t.description),
        ntfn_url: None,
        status: PaymentStatus::Succeeded,
        payer_node: &payer_node,
    };
    store::payments::insert(&mut tx, &record, now).await?;
    if let Some(paid) = paid {
        let url = store::merchants::lightning_url(&mut tx, t.payee).await?;
        let to = Recipient {
            merchant_id: t.payee,
            url: paid.ntfn_url.as_deref().or(url.as_deref()),
        };
        let backend = state.hub.store.backend();
        notices::lightning_paid(&mut tx, backend, &state.hub.clock, &to, &paid).await?;
    }
    answer.record(&mut tx).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    Ok(())
}

/// A Lightning payment to an invoice of the hub's own node: another merchant's is paid
/// internally (with the request's `answer`); anything else of ours cannot be paid from here.
pub async fn pay_own_invoice(
    state: &MerchantService,
    payer: &str,
    payment_id: &str,
    invoice: &Invoice,
    amount: Msat,
    input: &PeachInput,
    answer: &KeyedAnswer,
) -> Result<(), PeachError> {
    let hash = invoice.payment_hash().to_string();
    let mut conn = state.hub.store.pool().acquire().await?;
    let target = store::invoices::by_hash(&mut conn, &hash)
        .await?
        .ok_or(Refusal::WrongDestination)?;
    drop(conn);
    model::not_to_self(payer, &target.merchant_id)?;
    let description = input.description()?;
    let transfer = Transfer {
        payment_id,
        payer,
        payee: &target.merchant_id,
        amount,
        description: &description,
        invoice: Some(&target),
    };
    pay_internally(state, &transfer, answer).await
}
