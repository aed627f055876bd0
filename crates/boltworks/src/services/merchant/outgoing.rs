//! Outgoing money: internal payments between merchants (free, instant, one transaction),
//! Lightning payments (converted to internal ones when the invoice is another merchant's here;
//! otherwise the amount and a routing-fee reserve are taken from the balance and committed
//! before the node is asked, and only the node's verdict ends the payment), and on-chain
//! payments through the treasury (keyed, so a payment is sent at most once).

use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use rand::RngCore;
use serde_json::{json, Value};
use sqlx::AnyConnection;

use super::api::PeachInput;
use super::books::{self, merchant_account, payout_account, INCOME_MERCHANT_FEES};
use super::effects::payout_failed;
use super::error::PeachError;
use super::notices::{self, Recipient};
use super::session::Session;
use super::store::{self, LightningInvoice, PaidBy, Payment};
use super::MerchantService;
use crate::http::PathId;
use crate::ledger::{self, Entry};
use crate::money::{Msat, Sat};
use crate::node::{Invoice, NodeErrorKind, PaymentFailure, PaymentOutcome, SendError};
use crate::store::is_unique_violation;
use crate::treasury::FeeFrom;

/// How long a Lightning payment request waits for the node's verdict before answering with
/// the payment still in flight (it ends later, as the node says). Below the hub's default
/// request timeout (30 s), so the answer is ours, not a 408.
const OUTCOME_WAIT: Duration = Duration::from_secs(20);

/// A fresh payment id: 48 hex characters.
pub fn new_payment_id() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `POST /api/v2/payment/internal`: `X-Signature` over `amount` + `destination`.
pub async fn internal(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let destination = input.required_text("destination")?;
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, destination])?;
    let description = super::invoices::description(&input)?;
    if destination == session.merchant.merchant_id {
        return Err(PeachError::Refused("cannot pay to self".into()));
    }
    if store::merchant_by_id(&state.hub.store, destination)
        .await?
        .is_none()
    {
        return Err(PeachError::NotFound("merchant does not exist".into()));
    }
    let payment_id = new_payment_id();
    let transfer = Transfer {
        payment_id: &payment_id,
        payer: &session.merchant.merchant_id,
        payee: destination,
        amount_msat: to_msat(amount_sat)?,
        description: &description,
        invoice: None,
    };
    pay_internally(&state, &transfer).await?;
    Ok(Json(json!({"payment_id": payment_id})))
}

/// An internal movement of money.
struct Transfer<'a> {
    payment_id: &'a str,
    payer: &'a str,
    payee: &'a str,
    amount_msat: i64,
    description: &'a str,
    /// The payee's invoice, when a Lightning payment was converted.
    invoice: Option<&'a LightningInvoice>,
}

/// Moves the money in one transaction: the payer's balance must cover it; a converted invoice
/// is settled (once) and the payee is credited net of the hub's fee.
async fn pay_internally(state: &MerchantService, t: &Transfer<'_>) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let fee_msat = t.invoice.map_or(0, |i| i.fee_sat * 1_000);
    let credit = t.amount_msat - fee_msat;
    let mut tx = state.hub.store.pool().begin().await?;
    if let Some(invoice) = t.invoice {
        if store::settle_invoice(&mut tx, &invoice.payment_hash, PaidBy::Internal, now)
            .await?
            .is_none()
        {
            return Err(PeachError::Refused("invoice is already paid".into()));
        }
    }
    // Both balances change in merchant-id order, so two opposite payments cannot deadlock.
    let take_first = t.payer < t.payee;
    if take_first && !store::take_balance(&mut tx, t.payer, t.amount_msat).await? {
        return Err(PeachError::not_enough_funds());
    }
    if !store::credit_balance(&mut tx, t.payee, credit).await? {
        return Err(PeachError::NotFound("merchant does not exist".into()));
    }
    if !take_first && !store::take_balance(&mut tx, t.payer, t.amount_msat).await? {
        return Err(PeachError::not_enough_funds());
    }
    let entries = [
        Entry::debit(merchant_account(t.payer), t.amount_msat),
        Entry::credit(merchant_account(t.payee), credit),
        Entry::credit(INCOME_MERCHANT_FEES, fee_msat),
    ];
    let reference = format!("merchant.internal:{}", t.payment_id);
    ledger::post(&mut tx, now, "merchant.internal", &reference, &entries).await?;
    let record = Payment {
        payment_id: t.payment_id.to_string(),
        merchant_id: t.payer.to_string(),
        kind: "internal".into(),
        amount_msat: t.amount_msat,
        fee_limit_msat: 0,
        destination: t.payee.to_string(),
        payment_hash: t.invoice.map(|i| i.payment_hash.clone()),
        status: "succeeded".into(),
        payer_node: state.hub.node.node_id().to_string(),
    };
    store::insert_payment(&mut tx, &record, Some(t.description), None, now).await?;
    if let Some(invoice) = t.invoice {
        let mut paid = invoice.clone();
        paid.settled = true;
        paid.settle_date = Some(now);
        let url = store::merchant_url(&mut tx, t.payee).await?;
        let to = Recipient {
            merchant_id: t.payee,
            url: invoice.ntfn_url.as_deref().or(url.as_deref()),
        };
        notices::lightning_paid(
            &mut tx,
            state.hub.store.backend(),
            &state.hub.clock,
            &to,
            &paid,
        )
        .await?;
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    Ok(())
}

/// `POST /api/v2/payment/outgoing/lightning`: `X-Signature` over `amount` + `payment_request`.
pub async fn lightning(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let request = input.required_text("payment_request")?.trim();
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, request])?;
    let invoice = Invoice::parse(request)
        .map_err(|_| PeachError::invalid("payment_request is not a BOLT11 invoice"))?;
    invoice
        .check_usable(state.hub.network, &state.hub.clock)
        .map_err(|problem| PeachError::invalid(problem.to_string()))?;
    let amount_msat = to_msat(amount_sat)?;
    let amountless = match invoice.amount().map(|a| a.0) {
        Some(asked) if i64::try_from(asked).ok() != Some(amount_msat) => {
            return Err(PeachError::invalid(format!(
                "amount {amount_sat} does not match the invoice's {} msat",
                asked
            )))
        }
        Some(_) => false,
        None => true,
    };
    let payer = session.merchant.merchant_id.as_str();
    let payment_id = new_payment_id();
    if invoice.payee() == state.hub.node.node_id() {
        return pay_own_invoice(&state, payer, &payment_id, &invoice, amount_msat, &input).await;
    }
    let fee_limit = state.config.fee_limit.for_amount(Msat(amount_msat as u64));
    let fee_limit_msat = fee_limit.to_db().unwrap_or(i64::MAX);
    let hash = invoice.payment_hash().to_string();
    let record = Payment {
        payment_id: payment_id.clone(),
        merchant_id: payer.to_string(),
        kind: "lightning".into(),
        amount_msat,
        fee_limit_msat,
        destination: request.to_string(),
        payment_hash: Some(hash.clone()),
        status: "pending".into(),
        payer_node: state.hub.node.node_id().to_string(),
    };
    reserve(&state, &record, &input).await?;
    crate::pause::pause_point("merchant.outgoing.before_send").await;
    let watch = state.hub.payments.watch();
    let result = state
        .hub
        .payments
        .send(
            &invoice,
            amountless.then_some(Msat(amount_msat as u64)),
            Some(fee_limit),
        )
        .await;
    let sent = match result {
        Ok(sent) => sent,
        Err(e) => return Err(send_refused(&state, &hash, e).await),
    };
    crate::pause::pause_point("merchant.outgoing.after_send").await;
    match watch.outcome(sent, OUTCOME_WAIT).await {
        PaymentOutcome::Failed { reason } => Err(PeachError::Refused(match reason {
            Some(PaymentFailure::RouteNotFound) => "wrong destination".into(),
            other => format!("payment failed: {other:?}"),
        })),
        // Settled, or still in flight: the node's verdict ends it either way.
        PaymentOutcome::Succeeded { .. } | PaymentOutcome::InFlight => Ok(Json(
            json!({"payment_id": payment_id, "converted_to_internal": false}),
        )),
    }
}

/// A Lightning payment to an invoice of the hub's own node: another merchant's is paid
/// internally; anything else of ours cannot be paid from here.
async fn pay_own_invoice(
    state: &MerchantService,
    payer: &str,
    payment_id: &str,
    invoice: &Invoice,
    amount_msat: i64,
    input: &PeachInput,
) -> Result<Json<Value>, PeachError> {
    let hash = invoice.payment_hash().to_string();
    let mut conn = state.hub.store.pool().acquire().await?;
    let target = store::invoice(&mut conn, &hash)
        .await?
        .ok_or_else(|| PeachError::Refused("wrong destination".into()))?;
    drop(conn);
    if target.merchant_id == payer {
        return Err(PeachError::Refused("cannot pay to self".into()));
    }
    let description = super::invoices::description(input)?;
    let transfer = Transfer {
        payment_id,
        payer,
        payee: &target.merchant_id,
        amount_msat,
        description: &description,
        invoice: Some(&target),
    };
    pay_internally(state, &transfer).await?;
    Ok(Json(
        json!({"payment_id": payment_id, "converted_to_internal": true}),
    ))
}

/// Takes the amount and its fee reserve from the balance and records the payment, committed.
async fn reserve(
    state: &MerchantService,
    record: &Payment,
    input: &PeachInput,
) -> Result<(), PeachError> {
    let reserved = record
        .amount_msat
        .checked_add(record.fee_limit_msat)
        .ok_or_else(PeachError::not_enough_funds)?;
    let description = super::invoices::description(input)?;
    let ntfn_url = super::invoices::webhook_override(input)?;
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::take_balance(&mut tx, &record.merchant_id, reserved).await? {
        return Err(PeachError::not_enough_funds());
    }
    if let Err(e) = store::insert_payment(
        &mut tx,
        record,
        Some(&description),
        ntfn_url.as_deref(),
        now,
    )
    .await
    {
        if is_unique_violation(&e) {
            return Err(PeachError::Refused(
                "this invoice is already paid or being paid".into(),
            ));
        }
        return Err(e.into());
    }
    let entries = [
        Entry::debit(merchant_account(&record.merchant_id), reserved),
        Entry::credit(payout_account(&record.payment_id), reserved),
    ];
    let reference = format!("merchant.payment-reserved:{}", record.payment_id);
    ledger::post(&mut tx, now, "merchant.payment", &reference, &entries).await?;
    tx.commit().await?;
    Ok(())
}

/// The node did not take the payment: when nothing was sent, the payment fails and its reserve
/// returns; when the outcome is unknown it stays in flight for the node to settle.
async fn send_refused(state: &MerchantService, hash: &str, error: SendError) -> PeachError {
    if !error.nothing_sent() {
        tracing::warn!(payment_hash = %hash, %error, "merchant payment outcome unknown; the node's events will settle it");
        return PeachError::Internal(format!("payment outcome unknown: {error}"));
    }
    let reason = error.to_string();
    let failed = async {
        let mut tx = state.hub.store.pool().begin().await?;
        payout_failed(&mut tx, &state.hub.clock, hash, &reason).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = failed {
        tracing::error!(payment_hash = %hash, error = %e, "returning a refused payment's reserve; reconciled at the next start");
    }
    match error {
        SendError::Node(e) if e.kind == NodeErrorKind::InsufficientFunds => {
            PeachError::Refused("the hub cannot send this payment now".into())
        }
        SendError::Duplicate => {
            PeachError::Refused("this invoice is already paid or being paid".into())
        }
        SendError::Store(e) => PeachError::Internal(format!("recording the payment: {e}")),
        other => PeachError::Refused(format!("wrong destination: {other}")),
    }
}

/// `POST /api/v2/payment/outgoing/on_chain`: `X-Signature` over `amount` + `destination`. The
/// hub pays the network fee; the destination receives exactly `amount`.
pub async fn onchain(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let destination = input.required_text("destination")?.trim();
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, destination])?;
    let treasury = super::treasury(&state)?;
    let address = super::parse_address(&state, destination)
        .ok_or_else(|| PeachError::invalid("invalid BTC address"))?;
    if amount_sat < crate::treasury::MIN_OUTPUT_SAT {
        return Err(PeachError::invalid(format!(
            "amount must be at least {} satoshis (the dust limit)",
            crate::treasury::MIN_OUTPUT_SAT
        )));
    }
    input.integer("blocks")?;
    let payment_id = new_payment_id();
    let record = Payment {
        payment_id: payment_id.clone(),
        merchant_id: session.merchant.merchant_id.clone(),
        kind: "on_chain".into(),
        amount_msat: to_msat(amount_sat)?,
        fee_limit_msat: 0,
        destination: destination.to_string(),
        payment_hash: None,
        status: "pending".into(),
        payer_node: state.hub.node.node_id().to_string(),
    };
    reserve(&state, &record, &input).await?;
    let key = onchain_send_key(&payment_id);
    match treasury
        .send(
            &key,
            &[(address, Sat(amount_sat))],
            FeeFrom::Treasury,
            &payout_account(&payment_id),
        )
        .await
    {
        Ok(sent) => {
            store::set_payment_txid(
                &state.hub.store,
                &payment_id,
                &sent.txid.to_string(),
                state.hub.clock.now_unix(),
            )
            .await?;
            Ok(Json(
                json!({"payment_id": payment_id, "txid": sent.txid.to_string()}),
            ))
        }
        Err(e) => {
            settle_onchain_payment(&state, &record).await?;
            Err(PeachError::Refused(format!(
                "the on-chain payment was not sent: {e}"
            )))
        }
    }
}

/// The treasury key of an on-chain payment.
fn onchain_send_key(payment_id: &str) -> String {
    format!("merchant-payment:{payment_id}")
}

/// Ends a pending on-chain payment as the treasury's record says: sent (succeeded), or never
/// sent (failed, the reserve returned).
pub async fn settle_onchain_payment(
    state: &MerchantService,
    payment: &Payment,
) -> Result<(), PeachError> {
    let treasury = super::treasury(state)?;
    let now = state.hub.clock.now_unix();
    if let Some((sent, _)) = treasury
        .sent(&onchain_send_key(&payment.payment_id))
        .await
        .map_err(|e| PeachError::Internal(e.to_string()))?
    {
        store::set_payment_txid(
            &state.hub.store,
            &payment.payment_id,
            &sent.txid.to_string(),
            now,
        )
        .await?;
        return Ok(());
    }
    let mut tx = state.hub.store.pool().begin().await?;
    fail_onchain(&mut tx, now, payment).await?;
    tx.commit().await?;
    Ok(())
}

async fn fail_onchain(conn: &mut AnyConnection, now: i64, p: &Payment) -> Result<(), PeachError> {
    if !store::fail_payment(conn, &p.payment_id, "not sent", now).await? {
        return Ok(());
    }
    let entries = [
        Entry::debit(payout_account(&p.payment_id), p.amount_msat),
        Entry::credit(merchant_account(&p.merchant_id), p.amount_msat),
    ];
    let reference = format!("merchant.payment-failed:{}", p.payment_id);
    books::post_crediting(
        conn,
        now,
        "merchant.payment",
        &reference,
        &p.merchant_id,
        p.amount_msat,
        &entries,
    )
    .await?;
    Ok(())
}

/// `GET /api/v2/payment/outgoing/{payment_id}` (a boltworks addition): an outgoing payment.
pub async fn status(
    State(state): State<MerchantService>,
    session: Session,
    id: PathId,
) -> Result<Json<Value>, PeachError> {
    let row = store::payment_view(&state.hub.store, id.as_str())
        .await?
        .filter(|p| p["merchant_id"] == session.merchant.merchant_id.as_str())
        .ok_or_else(|| PeachError::NotFound("payment not found".into()))?;
    Ok(Json(row))
}

fn to_msat(sat: u64) -> Result<i64, PeachError> {
    Sat(sat)
        .to_msat()
        .and_then(Msat::to_db)
        .ok_or_else(|| PeachError::invalid("amount is too large"))
}
