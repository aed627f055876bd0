//! Sending a recorded on-chain payment through the treasury, under a key of its own, so it is
//! sent at most once; and ending a pending one as the treasury's record says.

use axum::http::StatusCode;
use bitcoin::Address;

use super::api::{OnchainPaymentSent, PeachError};
use super::books::payout_account;
use super::model::Refusal;
use super::store::{self, NewPayment};
use super::MerchantService;
use super::{notices, payouts};
use crate::http::{KeyOfRequest, KeyedAnswer};
use crate::money::{Msat, Sat};
use crate::treasury::{FeeFrom, Treasury};

/// The treasury key of an on-chain payment.
fn send_key(payment_id: &str) -> String {
    format!("merchant-payment:{payment_id}")
}

/// Sends the reserved `payment` of `amount` to `address`, the hub paying the network fee: its
/// transaction (recorded with the request's answer for `key`), or (the payment ended as the
/// treasury's record says) a refusal.
pub async fn send(
    state: &MerchantService,
    treasury: &Treasury,
    payment: &NewPayment<'_>,
    address: Address,
    amount: Sat,
    key: &KeyOfRequest,
) -> Result<String, PeachError> {
    let payment_id = payment.payment_id;
    let outputs = [(address, amount)];
    let account = payout_account(payment_id);
    match treasury
        .send(&send_key(payment_id), &outputs, FeeFrom::Treasury, &account)
        .await
    {
        Ok(sent) => {
            let reply = OnchainPaymentSent {
                payment_id: payment_id.to_string(),
                txid: sent.txid.to_string(),
            };
            let answer = KeyedAnswer::json(key, StatusCode::OK, &reply);
            record_sent(state, payment_id, &reply.txid, &answer).await?;
            Ok(reply.txid)
        }
        Err(e) => {
            settle(state, payment_id, payment.merchant_id, payment.amount).await?;
            Err(Refusal::OnchainNotSent(e.to_string()).into())
        }
    }
}

/// Ends a pending on-chain payment as the treasury's record says: sent (succeeded), or never
/// sent (failed, its amount returned).
pub async fn settle(
    state: &MerchantService,
    payment_id: &str,
    merchant_id: &str,
    amount: Msat,
) -> Result<(), PeachError> {
    let treasury = state.treasury()?;
    if let Some((sent, _)) = treasury
        .sent(&send_key(payment_id))
        .await
        .map_err(|e| PeachError::Internal(e.to_string()))?
    {
        let txid = sent.txid.to_string();
        return record_sent(state, payment_id, &txid, &KeyedAnswer::none()).await;
    }
    let mut tx = state.hub.store.pool().begin().await?;
    payouts::onchain_failed(&mut tx, &state.hub.clock, payment_id, merchant_id, amount).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(())
}

/// Records that the treasury sent the payment in `txid` (it succeeded), with its status update
/// to the payment's `ntfn_url` and the request's `answer`, in one transaction.
async fn record_sent(
    state: &MerchantService,
    payment_id: &str,
    txid: &str,
    answer: &KeyedAnswer,
) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if let Some(payment) = store::payments::set_txid(&mut tx, payment_id, txid, now).await? {
        notices::outgoing_updated(&mut tx, &state.hub.clock, &payment).await?;
    }
    answer.record(&mut tx).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    Ok(())
}
