//! What the hub's node events mean for merchants, committed in the event's own transaction: a
//! payment the node holds for an unpaid invoice is marked held (and claimed after the commit by
//! `claims`), one for an invoice paid internally meanwhile (or underpaid) is failed back; a
//! claimed payment credits the merchant net of the hub's fee (and tells it); an outgoing
//! payment the node settled or failed ends as `payouts` says.

use sqlx::AnyConnection;

use super::books::{self, ledger_msat, merchant_account, INCOME_MERCHANT_FEES};
use super::model;
use super::notices::{self, Recipient};
use super::payouts;
use super::store::{self, Hold, PaidBy};
use super::MerchantService;
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::money::Msat;
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::{payments, LightningNode, NodeEvent, NodePaymentStatus, PaymentHash};
use crate::store::Backend;

/// The merchant hub's reaction to the hub's node events.
pub struct MerchantEffects {
    merchant: MerchantService,
}

impl MerchantEffects {
    /// The effect of the merchant service (its node, clock, notifier and claimer).
    pub fn new(merchant: MerchantService) -> Self {
        Self { merchant }
    }

    #[tracing::instrument(
        name = "merchant_effect",
        skip_all,
        fields(payment_hash = payment_hash_of(event).map(tracing::field::display))
    )]
    async fn apply_event(
        &self,
        conn: &mut AnyConnection,
        event: &NodeEvent,
    ) -> Result<(), sqlx::Error> {
        let hub = &self.merchant.hub;
        match event {
            NodeEvent::PaymentClaimable {
                payment_hash,
                amount,
                ..
            } => {
                let now = hub.clock.now_unix();
                held(conn, &hub.node, *payment_hash, *amount, now).await
            }
            NodeEvent::PaymentReceived {
                payment_hash,
                amount,
            } => {
                let backend = hub.store.backend();
                invoice_paid(conn, backend, &hub.clock, *payment_hash, *amount).await
            }
            NodeEvent::PaymentSucceeded {
                payment_hash,
                fee_paid,
                ..
            } => {
                let hash = payment_hash.to_string();
                let fee = fee_paid.unwrap_or(Msat(0));
                payouts::lightning_succeeded(conn, &hub.clock, &hash, fee).await
            }
            NodeEvent::PaymentFailed {
                payment_hash: Some(payment_hash),
                reason,
            } => {
                let hash = payment_hash.to_string();
                let reason = reason
                    .map(|r| format!("payment failed: {r:?}"))
                    .unwrap_or_else(|| "payment failed".into());
                payouts::lightning_failed(conn, &hub.clock, &hash, &reason).await
            }
            _ => Ok(()),
        }
    }
}

/// The payment an event is about, if any.
fn payment_hash_of(event: &NodeEvent) -> Option<PaymentHash> {
    match event {
        NodeEvent::PaymentClaimable { payment_hash, .. }
        | NodeEvent::PaymentReceived { payment_hash, .. }
        | NodeEvent::PaymentSucceeded { payment_hash, .. } => Some(*payment_hash),
        NodeEvent::PaymentFailed { payment_hash, .. } => *payment_hash,
        _ => None,
    }
}

impl EventEffect for MerchantEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(self.apply_event(conn, event))
    }

    fn committed(&self) {
        self.merchant.keys.claims.notify_one();
        self.merchant.hub.notifier.outbox_committed();
        self.merchant.hub.notifier.stream_committed();
    }
}

/// The node holds a payment for `hash`: a merchant invoice not yet paid is held (the claimer
/// claims it once this commits); one paid internally meanwhile, or underpaid, gets it failed
/// back, as that committed state says.
async fn held(
    conn: &mut AnyConnection,
    node: &LightningNode,
    hash: PaymentHash,
    held: Msat,
    now: i64,
) -> Result<(), sqlx::Error> {
    let payment_hash = hash.to_string();
    let Some(invoice) = store::invoices::by_hash(conn, &payment_hash).await? else {
        return Ok(());
    };
    let goes_back = !model::held_enough(invoice.amount_sat, held)
        || store::invoices::hold(
            conn,
            &payment_hash,
            Msat(held.0.min(crate::money::MAX_STORED)),
        )
        .await?
            == Hold::AlreadyPaid;
    if goes_back {
        tracing::info!(%payment_hash, held_msat = held.0, "a payment for a merchant invoice that is paid (or underpaid) goes back");
        // Failed back now, or by an earlier run of this event whose transaction did not
        // commit (the node says so): recorded in the event's own transaction, which wrote the
        // row `held`.
        let failed_back = match node.fail_held(hash) {
            Ok(()) => true,
            Err(e) => {
                let failed = node
                    .payment(hash)
                    .is_some_and(|p| p.status == NodePaymentStatus::Failed);
                if !failed {
                    tracing::warn!(%payment_hash, error = %e, "failing back a held payment");
                }
                failed
            }
        };
        if failed_back {
            payments::record_failed_back(conn, now, node.label(), hash).await?;
        }
    }
    Ok(())
}

/// A merchant invoice was paid to the node: the merchant is credited the amount less the fee
/// (what arrived above the amount is the hub's).
async fn invoice_paid(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    hash: PaymentHash,
    received: Msat,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let payment_hash = hash.to_string();
    let Some(invoice) =
        store::invoices::settle(conn, &payment_hash, PaidBy::Lightning, now).await?
    else {
        // Not a merchant invoice, or credited already (the event is replayed).
        return Ok(());
    };
    let overflow = || sqlx::Error::Protocol("merchant invoice amount overflows msat".into());
    let amount = invoice.amount_sat.to_msat().ok_or_else(overflow)?;
    let fee = invoice.fee_sat.to_msat().ok_or_else(overflow)?;
    let credit = amount.checked_sub(fee).ok_or_else(overflow)?;
    // Signed ledger amounts: what arrived may (in principle) differ from the amount either way.
    let received_entry = ledger_msat(Msat(received.0.min(crate::money::MAX_STORED)))?;
    let amount_entry = ledger_msat(amount)?;
    let entries = [
        Entry::debit(ledger::ASSETS_LIGHTNING, received_entry),
        Entry::credit(merchant_account(&invoice.merchant_id), ledger_msat(credit)?),
        Entry::credit(INCOME_MERCHANT_FEES, ledger_msat(fee)?),
        Entry::credit(ledger::INCOME_OVERPAYMENTS, received_entry - amount_entry),
    ];
    let reference = format!("merchant.invoice:{payment_hash}");
    books::post_crediting_or_fail(
        conn,
        now,
        "merchant.invoice",
        &reference,
        &invoice.merchant_id,
        credit,
        &entries,
    )
    .await?;
    let merchant_url = store::merchants::lightning_url(conn, &invoice.merchant_id).await?;
    let to = Recipient {
        merchant_id: &invoice.merchant_id,
        url: invoice.ntfn_url.as_deref().or(merchant_url.as_deref()),
    };
    notices::lightning_paid(conn, backend, clock, &to, &invoice).await?;
    tracing::info!(%payment_hash, merchant_id = %invoice.merchant_id, amount_sat = invoice.amount_sat.0, "merchant invoice paid");
    Ok(())
}
