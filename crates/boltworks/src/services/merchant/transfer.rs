//! Internal payments: money moves from one merchant of this hub to another in one transaction,
//! free, or net of the hub's fee when a Lightning payment to another merchant's invoice here
//! is converted (the invoice is then paid, once, and its merchant told).

use std::sync::Arc;

use sqlx::AnyConnection;

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
/// The transaction is a group-commit job (`store::group_commit`): many requests' payments share
/// one commit, each answered once it is committed.
pub async fn pay_internally(
    state: &MerchantService,
    t: &Transfer<'_>,
    answer: &KeyedAnswer,
) -> Result<(), PeachError> {
    let fee = match t.invoice {
        Some(invoice) => model::to_msat(invoice.fee_sat)?,
        None => Msat(0),
    };
    let credit = t
        .amount
        .checked_sub(fee)
        .ok_or_else(|| PeachError::Internal("an invoice's fee above its amount".into()))?;
    let payment = Arc::new(InternalPayment {
        state: state.clone(),
        payment_id: t.payment_id.to_string(),
        payer: t.payer.to_string(),
        payee: t.payee.to_string(),
        amount: t.amount,
        fee,
        credit,
        description: t.description.to_string(),
        invoice: t.invoice.cloned(),
        answer: answer.clone(),
        now: state.hub.clock.now_unix(),
    });
    state
        .hub
        .store
        .group_commit()
        .run(move |conn| {
            let payment = Arc::clone(&payment);
            Box::pin(async move { payment.write(conn).await })
        })
        .await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    Ok(())
}

/// An internal payment's writes, with what they need owned (a group-commit job may run again).
struct InternalPayment {
    state: MerchantService,
    payment_id: String,
    payer: String,
    payee: String,
    amount: Msat,
    fee: Msat,
    credit: Msat,
    description: String,
    invoice: Option<LightningInvoice>,
    answer: KeyedAnswer,
    now: i64,
}

impl InternalPayment {
    async fn write(&self, conn: &mut AnyConnection) -> Result<(), PeachError> {
        let (now, payer, payee) = (self.now, self.payer.as_str(), self.payee.as_str());
        let paid = match &self.invoice {
            Some(invoice) => Some(
                store::invoices::settle(conn, &invoice.payment_hash, PaidBy::Internal, now)
                    .await?
                    .ok_or(Refusal::InvoiceAlreadyPaid)?,
            ),
            None => None,
        };
        // Both balances change in merchant-id order, so two opposite payments cannot deadlock.
        let take_first = payer < payee;
        if take_first && !store::merchants::take_balance(conn, payer, self.amount).await? {
            return Err(Refusal::NotEnoughFunds.into());
        }
        if !store::merchants::credit_balance(conn, payee, self.credit).await? {
            return Err(Refusal::MerchantNotFound.into());
        }
        if !take_first && !store::merchants::take_balance(conn, payer, self.amount).await? {
            return Err(Refusal::NotEnoughFunds.into());
        }
        let entries = [
            Entry::debit(merchant_account(payer), ledger_msat(self.amount)?),
            Entry::credit(merchant_account(payee), ledger_msat(self.credit)?),
            Entry::credit(INCOME_MERCHANT_FEES, ledger_msat(self.fee)?),
        ];
        let reference = format!("merchant.internal:{}", self.payment_id);
        ledger::post(conn, now, "merchant.internal", &reference, &entries).await?;
        let hub = &self.state.hub;
        let payer_node = hub.node.node_id().to_string();
        let record = NewPayment {
            payment_id: &self.payment_id,
            merchant_id: payer,
            kind: PaymentKind::Internal,
            amount: self.amount,
            fee_limit: Msat(0),
            destination: payee,
            payment_hash: self.invoice.as_ref().map(|i| i.payment_hash.as_str()),
            description: Some(&self.description),
            ntfn_url: None,
            status: PaymentStatus::Succeeded,
            payer_node: &payer_node,
        };
        store::payments::insert(conn, &record, now).await?;
        if let Some(paid) = paid {
            let url = store::merchants::lightning_url(conn, payee).await?;
            let to = Recipient {
                merchant_id: payee,
                url: paid.ntfn_url.as_deref().or(url.as_deref()),
            };
            let backend = hub.store.backend();
            notices::lightning_paid(conn, backend, &hub.clock, &to, &paid).await?;
        }
        self.answer.record(conn).await?;
        Ok(())
    }
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
