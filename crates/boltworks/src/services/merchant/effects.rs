//! What the hub's node events mean for merchants, committed in the event's own transaction: a
//! payment the node holds for an unpaid invoice is marked held (and claimed after the commit by
//! `claims`), one for an invoice paid internally meanwhile is failed back; a claimed payment
//! credits the merchant net of the hub's fee (and tells it); an outgoing payment
//! the node settled charges the actual routing fee and returns the rest of the reserve; one the
//! node failed returns everything.

use sqlx::AnyConnection;

use super::books::{self, merchant_account, payout_account, INCOME_MERCHANT_FEES};
use super::notices::{self, Recipient};
use super::store::{self, Hold, PaidBy};
use super::MerchantService;
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::{LightningNode, NodeEvent, PaymentHash};

/// The merchant hub's reaction to the hub's node events.
pub struct MerchantEffects {
    merchant: MerchantService,
}

impl MerchantEffects {
    /// The effect of the merchant service (its node, clock, notifier and claimer).
    pub fn new(merchant: MerchantService) -> Self {
        Self { merchant }
    }
}

impl EventEffect for MerchantEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(async move {
            let hub = &self.merchant.hub;
            let backend = hub.store.backend();
            match event {
                NodeEvent::PaymentClaimable {
                    payment_hash,
                    amount,
                    ..
                } => held(conn, &hub.node, *payment_hash, amount.0).await,
                NodeEvent::PaymentReceived {
                    payment_hash,
                    amount,
                } => {
                    let hash = payment_hash.to_string();
                    invoice_paid(conn, backend, &hub.clock, &hash, amount.0).await
                }
                NodeEvent::PaymentSucceeded {
                    payment_hash,
                    fee_paid,
                    ..
                } => {
                    let hash = payment_hash.to_string();
                    let fee = fee_paid.map_or(0, |f| f.0);
                    payout_succeeded(conn, &hub.clock, &hash, fee).await
                }
                NodeEvent::PaymentFailed {
                    payment_hash: Some(payment_hash),
                    reason,
                } => {
                    let hash = payment_hash.to_string();
                    let reason = reason
                        .map(|r| format!("payment failed: {r:?}"))
                        .unwrap_or_else(|| "payment failed".into());
                    payout_failed(conn, &hub.clock, &hash, &reason).await
                }
                _ => Ok(()),
            }
        })
    }

    fn committed(&self) {
        self.merchant.keys.claims.notify_one();
        self.merchant.hub.notifier.outbox_committed();
        self.merchant.hub.notifier.stream_committed();
    }
}

fn to_db(msat: u64) -> i64 {
    i64::try_from(msat).unwrap_or(i64::MAX)
}

/// The node holds a payment for `hash`: a merchant invoice not yet paid is held (the claimer
/// claims it once this commits); one paid internally meanwhile, or underpaid, gets it failed
/// back, as that committed state says.
async fn held(
    conn: &mut AnyConnection,
    node: &LightningNode,
    hash: PaymentHash,
    held_msat: u64,
) -> Result<(), sqlx::Error> {
    let payment_hash = hash.to_string();
    let Some(invoice) = store::invoice(conn, &payment_hash).await? else {
        return Ok(());
    };
    let underpaid = held_msat < (invoice.amount_sat as u64).saturating_mul(1_000);
    let goes_back = underpaid
        || matches!(
            store::hold_invoice(conn, &payment_hash, to_db(held_msat)).await?,
            Hold::AlreadyPaid
        );
    if goes_back {
        tracing::info!(%payment_hash, held_msat, "a payment for a merchant invoice that is paid (or underpaid) goes back");
        if let Err(e) = node.fail_held(hash) {
            tracing::warn!(%payment_hash, error = %e, "failing back a held payment");
        }
    }
    Ok(())
}

/// A merchant invoice was paid to the node: the merchant is credited the amount less the fee.
async fn invoice_paid(
    conn: &mut AnyConnection,
    backend: crate::store::Backend,
    clock: &Clock,
    payment_hash: &str,
    received_msat: u64,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let received = to_db(received_msat);
    let Some(invoice) = store::settle_invoice(conn, payment_hash, PaidBy::Lightning, now).await?
    else {
        // Not a merchant invoice, or credited already (the event is replayed).
        return Ok(());
    };
    let amount = invoice.amount_sat * 1_000;
    let fee = invoice.fee_sat * 1_000;
    let entries = [
        Entry::debit(ledger::ASSETS_LIGHTNING, received),
        Entry::credit(merchant_account(&invoice.merchant_id), amount - fee),
        Entry::credit(INCOME_MERCHANT_FEES, fee),
        Entry::credit(ledger::INCOME_OVERPAYMENTS, received - amount),
    ];
    let reference = format!("merchant.invoice:{payment_hash}");
    post(
        conn,
        now,
        "merchant.invoice",
        &reference,
        &invoice.merchant_id,
        amount - fee,
        &entries,
    )
    .await?;
    let merchant = store::merchant_url(conn, &invoice.merchant_id).await?;
    let to = Recipient {
        merchant_id: &invoice.merchant_id,
        url: invoice.ntfn_url.as_deref().or(merchant.as_deref()),
    };
    notices::lightning_paid(conn, backend, clock, &to, &invoice).await?;
    tracing::info!(payment_hash, merchant_id = %invoice.merchant_id, amount_sat = invoice.amount_sat, "merchant invoice paid");
    Ok(())
}

/// The node settled an outgoing payment: the reserve pays the amount and the actual fee, the
/// rest goes back to the merchant. Idempotent (only a pending payment ends).
pub(super) async fn payout_succeeded(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
    fee_msat: u64,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let fee = to_db(fee_msat);
    let Some(payment) =
        store::finish_lightning_payment(conn, payment_hash, "succeeded", Some(fee), None, now)
            .await?
    else {
        return Ok(());
    };
    let reserved = payment.amount_msat + payment.fee_limit_msat;
    let returned = (payment.fee_limit_msat - fee).max(0);
    // A fee above the reserve cannot happen (the node caps it); if it did, the hub bears it.
    let over = (fee - payment.fee_limit_msat).max(0);
    let entries = [
        Entry::debit(payout_account(&payment.payment_id), reserved),
        Entry::debit(ledger::EXPENSES_ROUTING_FEES, over),
        Entry::credit(ledger::ASSETS_LIGHTNING, payment.amount_msat + fee),
        Entry::credit(merchant_account(&payment.merchant_id), returned),
    ];
    let reference = format!("merchant.payment-succeeded:{}", payment.payment_id);
    post(
        conn,
        now,
        "merchant.payment",
        &reference,
        &payment.merchant_id,
        returned,
        &entries,
    )
    .await?;
    tracing::info!(payment_id = %payment.payment_id, fee_msat, "merchant payment succeeded");
    Ok(())
}

/// The node failed an outgoing payment: the whole reserve goes back to the merchant.
pub(super) async fn payout_failed(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let Some(payment) =
        store::finish_lightning_payment(conn, payment_hash, "failed", None, Some(reason), now)
            .await?
    else {
        return Ok(());
    };
    let reserved = payment.amount_msat + payment.fee_limit_msat;
    let entries = [
        Entry::debit(payout_account(&payment.payment_id), reserved),
        Entry::credit(merchant_account(&payment.merchant_id), reserved),
    ];
    let reference = format!("merchant.payment-failed:{}", payment.payment_id);
    post(
        conn,
        now,
        "merchant.payment",
        &reference,
        &payment.merchant_id,
        reserved,
        &entries,
    )
    .await?;
    tracing::info!(payment_id = %payment.payment_id, %reason, "merchant payment failed; reserve returned");
    Ok(())
}

/// Posts as `books::post_crediting`; a refused posting (a bug: these balance by construction)
/// fails the event's transaction rather than commit a balance change without its entries.
async fn post(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    merchant_id: &str,
    credit: i64,
    entries: &[Entry],
) -> Result<(), sqlx::Error> {
    books::post_crediting(conn, now, kind, reference, merchant_id, credit, entries)
        .await
        .map_err(|e| match e {
            ledger::LedgerError::Store(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
}
