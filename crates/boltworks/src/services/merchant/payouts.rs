//! The books of outgoing payments: the money a payment takes before it is sent (amount and
//! routing-fee reserve, recorded with the payment in one transaction), and how it comes back or
//! goes out when the payment ends. Each end is idempotent: only a pending payment ends.

use sqlx::AnyConnection;

use super::api::PeachError;
use super::books::{self, ledger_msat, merchant_account, payout_account};
use super::model::{PayoutEnd, Refusal, Reserve};
use super::notices;
use super::store::payments::LightningEnd;
use super::store::{self, NewPayment};
use super::MerchantService;
use crate::clock::Clock;
use crate::http::KeyedAnswer;
use crate::ledger::{self, Entry, EXPENSES_ROUTING_FEES};
use crate::money::Msat;
use crate::store::OnUniqueViolation;

/// Takes the amount and its fee reserve from the balance and records the payment, with the
/// request's `answer`, committed.
pub async fn reserve(
    state: &MerchantService,
    payment: &NewPayment<'_>,
    reserve: Reserve,
    answer: &KeyedAnswer,
) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::merchants::take_balance(&mut tx, payment.merchant_id, reserve.total).await? {
        return Err(Refusal::NotEnoughFunds.into());
    }
    store::payments::insert(&mut tx, payment, now)
        .await
        .on_unique_violation(|| Refusal::AlreadyBeingPaid)??;
    let reserved = ledger_msat(reserve.total)?;
    let entries = [
        Entry::debit(merchant_account(payment.merchant_id), reserved),
        Entry::credit(payout_account(payment.payment_id), reserved),
    ];
    let reference = format!("merchant.payment-reserved:{}", payment.payment_id);
    ledger::post(&mut tx, now, "merchant.payment", &reference, &entries).await?;
    answer.record(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The node settled an outgoing Lightning payment: the reserve pays the amount and the actual
/// fee, the rest goes back to the merchant.
pub async fn lightning_succeeded(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
    fee: Msat,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let end = LightningEnd::Succeeded { fee };
    let Some(payment) = store::payments::finish_lightning(conn, payment_hash, end, now).await?
    else {
        return Ok(());
    };
    let end = PayoutEnd::settled(payment.amount_msat, payment.fee_limit_msat, fee)
        .ok_or_else(|| sqlx::Error::Protocol("payment reserve overflows".into()))?;
    let sent = payment
        .amount_msat
        .checked_add(fee)
        .ok_or_else(|| sqlx::Error::Protocol("payment and fee overflow".into()))?;
    let entries = [
        Entry::debit(
            payout_account(&payment.payment_id),
            ledger_msat(end.reserved)?,
        ),
        Entry::debit(EXPENSES_ROUTING_FEES, ledger_msat(end.over)?),
        Entry::credit(ledger::ASSETS_LIGHTNING, ledger_msat(sent)?),
        Entry::credit(
            merchant_account(&payment.merchant_id),
            ledger_msat(end.returned)?,
        ),
    ];
    let reference = format!("merchant.payment-succeeded:{}", payment.payment_id);
    books::post_crediting_or_fail(
        conn,
        now,
        "merchant.payment",
        &reference,
        &payment.merchant_id,
        end.returned,
        &entries,
    )
    .await?;
    notices::outgoing_updated(conn, clock, &payment).await?;
    tracing::info!(payment_id = %payment.payment_id, fee_msat = fee.0, "merchant payment succeeded");
    Ok(())
}

/// The node failed an outgoing Lightning payment (or it never reached the node): the whole
/// reserve goes back to the merchant.
pub async fn lightning_failed(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_hash: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let end = LightningEnd::Failed { reason };
    let Some(payment) = store::payments::finish_lightning(conn, payment_hash, end, now).await?
    else {
        return Ok(());
    };
    let reserved = payment
        .amount_msat
        .checked_add(payment.fee_limit_msat)
        .ok_or_else(|| sqlx::Error::Protocol("payment reserve overflows".into()))?;
    let entries = [
        Entry::debit(payout_account(&payment.payment_id), ledger_msat(reserved)?),
        Entry::credit(
            merchant_account(&payment.merchant_id),
            ledger_msat(reserved)?,
        ),
    ];
    let reference = format!("merchant.payment-failed:{}", payment.payment_id);
    books::post_crediting_or_fail(
        conn,
        now,
        "merchant.payment",
        &reference,
        &payment.merchant_id,
        reserved,
        &entries,
    )
    .await?;
    notices::outgoing_updated(conn, clock, &payment).await?;
    tracing::info!(payment_id = %payment.payment_id, %reason, "merchant payment failed; reserve returned");
    Ok(())
}

/// An on-chain payment the treasury never sent: failed, its amount back to the merchant.
pub async fn onchain_failed(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment_id: &str,
    merchant_id: &str,
    amount: Msat,
) -> Result<(), PeachError> {
    let now = clock.now_unix();
    let Some(payment) = store::payments::fail(conn, payment_id, "not sent", now).await? else {
        return Ok(());
    };
    notices::outgoing_updated(conn, clock, &payment).await?;
    let entries = [
        Entry::debit(payout_account(payment_id), ledger_msat(amount)?),
        Entry::credit(merchant_account(merchant_id), ledger_msat(amount)?),
    ];
    let reference = format!("merchant.payment-failed:{payment_id}");
    books::post_crediting(
        conn,
        now,
        "merchant.payment",
        &reference,
        merchant_id,
        amount,
        &entries,
    )
    .await?;
    Ok(())
}
