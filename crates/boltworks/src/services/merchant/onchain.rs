//! Incoming on-chain payments: each invoice gets its own treasury address, whose confirmed
//! receipts the treasury books to the invoice's ledger account (the merchant's locked balance).
//! A worker settles an invoice once its receipts cover the amount (any amount, for an
//! open-amount invoice): the money moves to the balance less the hub's 1%. A partial payment
//! stays locked, with a PARTIAL notice, until completed or cancelled (refunded on-chain).

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::api::{self, incoming_fee_sat, PeachInput};
use super::books::{self, merchant_account, onchain_invoice_account, INCOME_MERCHANT_FEES};
use super::error::PeachError;
use super::notices::{self, Recipient};
use super::session::Session;
use super::store::{self, OnchainInvoice};
use super::MerchantService;
use crate::http::request_fields::QueryParams;
use crate::ledger::{self, Entry};
use crate::money::Sat;
use crate::treasury::FeeFrom;

/// `POST /api/v2/payment/on_chain`: a fixed-amount invoice.
pub async fn create_fixed(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let (amount, _) = input.amount("amount")?;
    create(&state, &session, &input, Some(amount)).await
}

/// `POST /api/v2/payment/on_chain_open_amount`: an invoice for whatever is paid.
pub async fn create_open(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    create(&state, &session, &input, None).await
}

async fn create(
    state: &MerchantService,
    session: &Session,
    input: &PeachInput,
    amount: Option<u64>,
) -> Result<Json<Value>, PeachError> {
    let treasury = super::treasury(state)?;
    let merchant_id = &session.merchant.merchant_id;
    let description = super::invoices::description(input)?;
    let ntfn_url = super::invoices::webhook_override(input)?;
    let invoice_id = super::outgoing::new_payment_id();
    let address = treasury
        .new_address(
            &format!("merchant:{invoice_id}"),
            &onchain_invoice_account(merchant_id, &invoice_id),
        )
        .await
        .map_err(|e| PeachError::Internal(format!("treasury address: {e}")))?
        .to_string();
    let now = state.hub.clock.now_unix();
    let invoice = OnchainInvoice {
        invoice_id: invoice_id.clone(),
        merchant_id: merchant_id.clone(),
        btc_address: address.clone(),
        amount_sat: amount.map(|a| a as i64),
        description,
        ntfn_url,
        status: "Pending".into(),
        paid_sat: 0,
        notified_partial_sat: 0,
        fee_sat: None,
        refund_txid: None,
        created_at: now,
    };
    store::insert_onchain_invoice(&state.hub.store, &invoice).await?;
    let fields = [address.as_str(), merchant_id.as_str()];
    Ok(Json(json!({
        "btc_address": address,
        "pss_signature": state.keys.pss_key.sign(&fields),
        "hub_signature": state.keys.hub_key.sign(&fields),
        "payment_id": invoice_id,
    })))
}

/// `GET /api/v2/merchant/on_chain_address`: an open-amount address (the testnet client's call).
pub async fn address(
    State(state): State<MerchantService>,
    session: Session,
) -> Result<Json<Value>, PeachError> {
    let input = PeachInput::empty();
    create(&state, &session, &input, None).await
}

/// `GET /api/v2/payments/on_chain`: newest first, `limit` and `offset`.
pub async fn list(
    State(state): State<MerchantService>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, PeachError> {
    let (limit, offset) = super::invoices::page(&QueryParams::parse(query))?;
    let invoices = store::onchain_invoices_of(
        &state.hub.store,
        &session.merchant.merchant_id,
        limit,
        offset,
    )
    .await?;
    let payments: Vec<Value> = invoices.iter().map(api::onchain_payment).collect();
    Ok(Json(json!({"payments": payments})))
}

/// `GET /api/v2/merchant/balance/locked`: sats held for on-chain invoices not yet settled.
pub async fn locked_balance(
    State(state): State<MerchantService>,
    session: Session,
) -> Result<Json<Value>, PeachError> {
    let prefix = books::locked_prefix(&session.merchant.merchant_id);
    let locked = -ledger::balance_under(&state.hub.store, &prefix).await?;
    Ok(Json(json!({"balance": (locked / 1_000).to_string()})))
}

/// `POST /api/v2/payment/on_chain/cancel`: cancels a partly paid invoice and refunds what it
/// received to `refund_btc_address` (less the network fee), once.
pub async fn cancel(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    let treasury = super::treasury(&state)?;
    let address = input.required_text("btc_address")?.trim();
    let refund_to = input.required_text("refund_btc_address")?.trim();
    let refund_address = super::parse_address(&state, refund_to)
        .ok_or_else(|| PeachError::invalid("invalid BTC address"))?;
    let merchant_id = &session.merchant.merchant_id;
    let invoice = store::onchain_invoice_by_address(&state.hub.store, merchant_id, address)
        .await?
        .ok_or_else(|| PeachError::NotFound("payment not found".into()))?;
    let key = format!("merchant-refund:{}", invoice.invoice_id);
    let account = onchain_invoice_account(merchant_id, &invoice.invoice_id);
    let held = -ledger::account_balance(&state.hub.store, &account).await? / 1_000;
    match invoice.status.as_str() {
        "Canceled" if invoice.refund_txid.is_some() || held == 0 => {
            let txid = invoice.refund_txid.unwrap_or_default();
            return Ok(Json(json!({"refund_txtd": txid, "refund_txid": txid})));
        }
        // Cancelled, but the hub stopped before the refund was sent: send it now (its key
        // makes it the same one, if it was).
        "Canceled" => {}
        "Pending" => {
            let now = state.hub.clock.now_unix();
            let mut tx = state.hub.store.pool().begin().await?;
            if !store::end_onchain_invoice(
                &mut tx,
                &invoice.invoice_id,
                "Canceled",
                held,
                None,
                now,
            )
            .await?
            {
                return Err(PeachError::Refused("payment is already settled".into()));
            }
            tx.commit().await?;
            if held == 0 {
                return Ok(Json(json!({"refund_txtd": "", "refund_txid": ""})));
            }
        }
        _ => return Err(PeachError::Refused("payment is already settled".into())),
    }
    let outputs = [(refund_address, Sat(held as u64))];
    match treasury
        .send(&key, &outputs, FeeFrom::FirstOutput, &account)
        .await
    {
        Ok(sent) => {
            let txid = sent.txid.to_string();
            store::set_refund_txid(&state.hub.store, &invoice.invoice_id, &txid).await?;
            tracing::info!(invoice_id = %invoice.invoice_id, %txid, held, "on-chain invoice cancelled and refunded");
            Ok(Json(json!({"refund_txtd": txid, "refund_txid": txid})))
        }
        Err(e) => {
            // Nothing was sent: the invoice is pending again, its money still locked.
            if treasury.sent(&key).await.ok().flatten().is_none() {
                store::reopen_onchain_invoice(&state.hub.store, &invoice.invoice_id).await?;
            }
            Err(PeachError::Refused(format!(
                "the refund could not be sent: {e}"
            )))
        }
    }
}

/// Settles and notifies on-chain invoices as their receipts are booked, while the hub runs.
pub fn spawn_worker(
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
pub async fn review(state: &MerchantService) -> Result<(), PeachError> {
    for invoice in store::onchain_invoices_in(&state.hub.store, "Pending").await? {
        let account = onchain_invoice_account(&invoice.merchant_id, &invoice.invoice_id);
        let held = -ledger::account_balance(&state.hub.store, &account).await? / 1_000;
        if held <= 0 {
            continue;
        }
        let complete = invoice.amount_sat.is_none_or(|asked| held >= asked);
        if complete {
            settle(state, &invoice, held).await?;
        } else if held > invoice.notified_partial_sat {
            let now = state.hub.clock.now_unix();
            let mut tx = state.hub.store.pool().begin().await?;
            if store::note_partial(&mut tx, &invoice.invoice_id, held, now).await? {
                let to = recipient(&mut tx, &invoice).await?;
                let to = Recipient {
                    merchant_id: &invoice.merchant_id,
                    url: to.as_deref(),
                };
                notices::onchain_partial(
                    &mut tx,
                    state.hub.store.backend(),
                    &state.hub.clock,
                    &to,
                    &invoice,
                    held,
                )
                .await?;
            }
            tx.commit().await?;
            state.hub.notifier.outbox_committed();
            state.hub.notifier.stream_committed();
        }
    }
    Ok(())
}

async fn settle(
    state: &MerchantService,
    invoice: &OnchainInvoice,
    held: i64,
) -> Result<(), PeachError> {
    let now = state.hub.clock.now_unix();
    let fee = incoming_fee_sat(invoice.amount_sat.unwrap_or(held) as u64) as i64;
    let fee = fee.min(held);
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::end_onchain_invoice(
        &mut tx,
        &invoice.invoice_id,
        "Settled",
        held,
        Some(fee),
        now,
    )
    .await?
    {
        return Ok(());
    }
    let account = onchain_invoice_account(&invoice.merchant_id, &invoice.invoice_id);
    let entries = [
        Entry::debit(account, held * 1_000),
        Entry::credit(merchant_account(&invoice.merchant_id), (held - fee) * 1_000),
        Entry::credit(INCOME_MERCHANT_FEES, fee * 1_000),
    ];
    let reference = format!("merchant.onchain:{}", invoice.invoice_id);
    books::post_crediting(
        &mut tx,
        now,
        "merchant.onchain",
        &reference,
        &invoice.merchant_id,
        (held - fee) * 1_000,
        &entries,
    )
    .await?;
    let mut settled = invoice.clone();
    settled.paid_sat = held;
    settled.fee_sat = Some(fee);
    settled.status = "Settled".into();
    let txids: Vec<String> = match (
        state.hub.treasury.as_ref(),
        settled.btc_address.parse::<bitcoin::Address<_>>(),
    ) {
        (Some(treasury), Ok(address)) => treasury
            .received(&address.assume_checked())
            .await
            .iter()
            .map(|r| r.txid.to_string())
            .collect(),
        _ => Vec::new(),
    };
    let url = recipient(&mut tx, invoice).await?;
    let to = Recipient {
        merchant_id: &invoice.merchant_id,
        url: url.as_deref(),
    };
    notices::onchain_paid(
        &mut tx,
        state.hub.store.backend(),
        &state.hub.clock,
        &to,
        &settled,
        &txids,
    )
    .await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    tracing::info!(invoice_id = %invoice.invoice_id, held, fee, "merchant on-chain invoice settled");
    Ok(())
}

/// The invoice's webhook: its own, or the merchant's on-chain URL.
async fn recipient(
    conn: &mut sqlx::AnyConnection,
    invoice: &OnchainInvoice,
) -> Result<Option<String>, sqlx::Error> {
    if let Some(url) = &invoice.ntfn_url {
        return Ok(Some(url.clone()));
    }
    let url: Option<Option<String>> = sqlx::query_scalar(
        "SELECT notification_url_on_chain FROM merchants WHERE merchant_id = $1",
    )
    .bind(&invoice.merchant_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(url.flatten())
}
