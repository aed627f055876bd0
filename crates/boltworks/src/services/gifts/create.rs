//! Creating a gift, shared by `POST /create` and the create page: the fields are checked by
//! the rules, the node issues the gift's invoice, and the unpaid gift and the invoice's record
//! are stored. The gift exists for the ledger only once its invoice is paid (`effects`).

use rand::RngCore;
use tracing::field::Empty;

use super::api::{GiftsError, GiftsInput};
use super::model::{self, ChargeStatus, Refusal, Spent, MAX_SENDER_MESSAGE, MAX_SENDER_NAME};
use super::store::{self, Gift};
use super::{redeem, GiftsService, INVOICE_EXPIRY_SECS};
use crate::money::Sat;

/// Validates the fields and creates the gift.
#[tracing::instrument(skip_all, fields(order_id = Empty, payment_hash = Empty))]
pub async fn create_gift(state: &GiftsService, input: &GiftsInput) -> Result<Gift, GiftsError> {
    let amount_sat = Sat(model::gift_amount(input.get("amount", "amount"))?);
    let sender_name = model::sender_text(
        input.get("sender_name", "senderName"),
        MAX_SENDER_NAME,
        Refusal::SenderNameNotString,
        Refusal::SenderNameBadLength,
    )?;
    let sender_message = model::sender_text(
        input.get("sender_message", "senderMessage"),
        MAX_SENDER_MESSAGE,
        Refusal::SenderMessageNotString,
        Refusal::SenderMessageBadLength,
    )?;
    let notify_url = model::notify_url(input.get("notify", "notify"));
    let amount = amount_sat
        .to_msat()
        .ok_or_else(|| GiftsError::Internal(format!("{amount_sat} overflows msat")))?;
    let invoice = state
        .hub
        .node
        .create_invoice(
            amount,
            &format!("Lightning gift for {} sats", amount_sat.0),
            INVOICE_EXPIRY_SECS,
        )
        .await
        .map_err(|e| GiftsError::Internal(format!("creating the gift invoice: {e}")))?;
    let payment_hash = invoice.payment_hash();
    let (now, nanos) = redeem::now_with_nanos(state);
    let gift = Gift {
        order_id: random_hex::<24>(),
        charge_id: uuid::Uuid::new_v4().to_string(),
        payment_hash: payment_hash.to_string(),
        payment_request: invoice.to_string(),
        invoice_expires_at: invoice.expires_at(),
        amount_sat,
        k1: random_hex::<32>(),
        notify_url,
        sender_name,
        sender_message,
        charge_status: ChargeStatus::Unpaid,
        spent: Spent::No,
        withdrawal_id: None,
        created_at: now,
        created_nanos: nanos,
    };
    let span = tracing::Span::current();
    span.record("order_id", gift.order_id.as_str());
    span.record("payment_hash", gift.payment_hash.as_str());
    // The gift and the node's record of its invoice commit together, in a group commit with
    // other requests' gifts (one sync for them all).
    state
        .hub
        .payments
        .commit_invoice_with(invoice, amount, gift.clone(), |conn, gift| {
            Box::pin(async move {
                store::insert_gift(conn, gift).await?;
                Ok::<_, GiftsError>(())
            })
        })
        .await?;
    tracing::info!(amount_sat = amount_sat.0, "gift created");
    Ok(gift)
}

fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
