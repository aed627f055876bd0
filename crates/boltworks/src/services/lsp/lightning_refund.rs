//! Refunds by Lightning invoice (LSPS1 `/refund` with `lightning_invoice`): the invoice must be
//! for exactly the refundable amount, on this network, unexpired and not the hub's own. The
//! refund is claimed in the database first (`in_flight`, with the invoice's payment hash), then
//! the node pays it with a routing-fee cap the hub bears; the node's events decide: success
//! books it and makes it `paid_out`, failure gives the claim back (refundable again). A claim an
//! earlier process made whose payment the node never got (it stopped in between) is given back.

use sqlx::AnyConnection;

use super::books::{ledger_msat, ledger_sat};
use super::model::{RefundState, Refusal};
use super::onchain_refund::{nothing_refundable, refundable_sat, RefundOutcome};
use super::order_webhook;
use super::store::{self, Order, RefundClaim};
use super::LspService;
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::money::{Msat, Sat};
use crate::node::{FeeLimit, Invoice, NodePaymentStatus, PaymentHash, SendError};
use crate::store::OnUniqueViolation;

/// The routing-fee cap of a Lightning refund: 0.5 % of it, at least 1 sat.
const FEE_LIMIT: FeeLimit = FeeLimit {
    ppm: 5_000,
    base_msat: 1_000,
};

/// Why an invoice that was (or is being) paid cannot be a refund.
const ALREADY_PAID: &str = "this invoice was paid (or is being paid) already";

/// A claim older than this whose payment the node does not know is given back.
const UNSENT_AFTER_SECS: i64 = 60;

/// Refunds the order's refundable money by paying `text`, once.
pub(super) async fn refund_by_invoice(
    state: &LspService,
    order: &Order,
    text: &str,
) -> Result<Result<RefundOutcome, Refusal>, sqlx::Error> {
    if order.refund.refund_state == Some(RefundState::InFlight) {
        return Ok(Err(Refusal::AlreadyRefunded));
    }
    let amount = refundable_sat(state, order).await?;
    if amount == 0 {
        return Ok(Err(nothing_refundable(order)));
    }
    let bad = |why: String| Ok(Err(Refusal::BadRefundInvoice(why)));
    let invoice = match Invoice::parse(text) {
        Ok(invoice) => invoice,
        Err(e) => return bad(format!("lightning_invoice is not a BOLT11 invoice: {e}")),
    };
    let msat = amount.saturating_mul(1_000);
    if invoice.amount().map(|a| a.0) != Some(msat) {
        return bad(format!(
            "lightning_invoice must be for exactly the refundable {amount} sat"
        ));
    }
    if invoice.payee() == state.hub.node.node_id() {
        return bad("lightning_invoice must not be the LSP's own".into());
    }
    let hash = invoice.payment_hash().to_string();
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let owed = ledger::lsp_order_liability(&order.id);
    let claim = RefundClaim {
        to: text.trim(),
        payment_hash: Some(&hash),
        amount: Sat(amount),
    };
    // Another order's refund by this same invoice holds its payment hash (a unique column).
    let claimed = store::claim_refund(&mut tx, &order.id, &owed, claim, now)
        .await
        .on_unique_violation(|| Refusal::BadRefundInvoice(ALREADY_PAID.into()))?;
    match claimed {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(Err(Refusal::AlreadyRefunded)),
        Err(refusal) => return Ok(Err(refusal)),
    }
    tx.commit().await?;
    tracing::info!(order_id = %order.id, amount, %hash, "channel order Lightning refund claimed");
    let result = state
        .hub
        .payments
        .send(&invoice, None, Some(FEE_LIMIT.for_amount(Msat(msat))))
        .await;
    let refusal = match result {
        Ok(_) => return Ok(Ok(RefundOutcome::InFlight)),
        Err(e) if !e.nothing_sent() => {
            tracing::warn!(order_id = %order.id, error = %e, "Lightning refund outcome unknown; the node's events settle it");
            return Ok(Ok(RefundOutcome::InFlight));
        }
        Err(SendError::Invoice(problem)) => Refusal::BadRefundInvoice(problem.to_string()),
        Err(SendError::Amount(why)) => Refusal::BadRefundInvoice(why),
        Err(SendError::Duplicate) => Refusal::BadRefundInvoice(ALREADY_PAID.into()),
        Err(SendError::Node(e)) => Refusal::RefundPaymentRefused(e.message),
        Err(SendError::Store(e)) => {
            give_back(state, &order.id).await?;
            return Err(e);
        }
    };
    // Nothing was sent: the claim goes back.
    give_back(state, &order.id).await?;
    Ok(Err(refusal))
}

async fn give_back(state: &LspService, order_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.hub.store.pool().begin().await?;
    store::release_refund(&mut tx, order_id, state.hub.clock.now_unix()).await?;
    tx.commit().await
}

/// The node paid refund `payment_hash` (with `fee` of routing fees): `paid_out`, booked (the
/// order's liability pays it; the hub bears the fee). Inside the event's transaction.
pub(super) async fn paid(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
    fee: Msat,
) -> Result<(), sqlx::Error> {
    let Some(order) = store::refund_in_flight_by_hash(conn, payment_hash).await? else {
        return Ok(());
    };
    tracing::Span::current().record("order_id", order.id.as_str());
    let amount = order.refund.refund_amount_sat.unwrap_or(Sat(0));
    let now = clock.now_unix();
    if !store::record_refund_sent(conn, &order.id, payment_hash, amount, now).await? {
        return Ok(());
    }
    let refunded = ledger_sat(amount)?;
    let fee = ledger_msat(fee)?;
    let entries = [
        Entry::debit(ledger::lsp_order_liability(&order.id), refunded),
        Entry::debit(ledger::EXPENSES_ROUTING_FEES, fee),
        Entry::credit(ledger::ASSETS_LIGHTNING, refunded.saturating_add(fee)),
    ];
    let reference = format!("lsp-refund:{}:{}", order.id, order.refund.refund_count);
    ledger::post_or_log(conn, now, "lsp-refund", &reference, &entries).await?;
    order_webhook::state_changed(conn, clock, &order.id).await?;
    let amount = amount.0;
    tracing::info!(order_id = %order.id, amount, "channel order refunded by Lightning");
    Ok(())
}

/// The node failed refund `payment_hash` for good: the claim goes back (refundable again).
pub(super) async fn failed(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
) -> Result<(), sqlx::Error> {
    if let Some(order) = store::refund_in_flight_by_hash(conn, payment_hash).await? {
        tracing::Span::current().record("order_id", order.id.as_str());
        if store::release_refund(conn, &order.id, clock.now_unix()).await? {
            tracing::warn!(order_id = %order.id, "Lightning refund failed; the order is refundable again");
        }
    }
    Ok(())
}

/// An in-flight Lightning refund the worker looks at: the node's record settles it; a claim the
/// node never got a minute after it was made is given back.
#[tracing::instrument(skip_all, fields(order_id = %order.id, payment_hash = order.refund.refund_payment_hash.as_deref()))]
pub(super) async fn resume(state: &LspService, order: &Order) -> Result<(), sqlx::Error> {
    let Some(hash) = order
        .refund
        .refund_payment_hash
        .as_deref()
        .and_then(|h| h.parse::<PaymentHash>().ok())
    else {
        return Ok(());
    };
    let hash_hex = hash.to_string();
    let mut tx = state.hub.store.pool().begin().await?;
    match state.hub.node.payment(hash).map(|p| (p.status, p.fee_paid)) {
        Some((NodePaymentStatus::Succeeded, fee)) => {
            let fee = fee.unwrap_or(Msat(0));
            paid(&mut tx, &state.hub.clock, &hash_hex, fee).await?
        }
        Some((NodePaymentStatus::Failed, _)) => {
            failed(&mut tx, &state.hub.clock, &hash_hex).await?
        }
        Some((NodePaymentStatus::Pending, _)) => {}
        // Claimed by an earlier process (this one's claims are given back by their requests)
        // and still unknown to the node a minute later: it never reached the node.
        None if order.updated_at < state.started_at
            && state.hub.clock.now_unix() - order.updated_at > UNSENT_AFTER_SECS =>
        {
            store::release_refund(&mut tx, &order.id, state.hub.clock.now_unix()).await?;
        }
        None => {}
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(())
}
