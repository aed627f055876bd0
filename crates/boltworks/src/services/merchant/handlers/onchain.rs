//! Incoming on-chain: invoices with their own treasury address (a fixed or an open amount),
//! signed by the hub and the PSS over `btc_address` + `merchant_id`; the merchant's list, its
//! locked balance, and cancelling a partly paid invoice.

use axum::extract::{RawQuery, State};
use axum::Json;
use tracing::field::Empty as Unset;
use tracing::Span;

use crate::http::request_fields::QueryParams;
use crate::ledger;
use crate::money::Sat;
use crate::services::merchant::api::{
    Balance, OnchainAddress, OnchainPayment, OnchainPayments, PeachError, PeachInput, Refund,
};
use crate::services::merchant::books::{self, onchain_invoice_account};
use crate::services::merchant::model::{self, Refusal};
use crate::services::merchant::onchain_refund;
use crate::services::merchant::session::Session;
use crate::services::merchant::store::{self, OnchainInvoice, OnchainInvoiceStatus};
use crate::services::merchant::{new_payment_id, MerchantService};

/// `POST /api/v2/payment/on_chain`: a fixed-amount invoice.
#[tracing::instrument(
    name = "merchant_onchain_create",
    skip_all,
    fields(merchant_id = %session.merchant_id(), invoice_id = Unset)
)]
pub async fn create_fixed(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<OnchainAddress>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let (amount, _) = input.amount("amount")?;
    create(&state, &session, &input, Some(amount)).await
}

/// `POST /api/v2/payment/on_chain_open_amount`: an invoice for whatever is paid.
#[tracing::instrument(
    name = "merchant_onchain_create_open",
    skip_all,
    fields(merchant_id = %session.merchant_id(), invoice_id = Unset)
)]
pub async fn create_open(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<OnchainAddress>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    create(&state, &session, &input, None).await
}

/// `GET /api/v2/merchant/on_chain_address`: an open-amount address (the testnet client's call).
#[tracing::instrument(
    name = "merchant_onchain_address",
    skip_all,
    fields(merchant_id = %session.merchant_id(), invoice_id = Unset)
)]
pub async fn address(
    State(state): State<MerchantService>,
    session: Session,
) -> Result<Json<OnchainAddress>, PeachError> {
    create(&state, &session, &PeachInput::empty(), None).await
}

/// A new invoice for `amount` (any, if none) at a new treasury address of its own.
async fn create(
    state: &MerchantService,
    session: &Session,
    input: &PeachInput,
    amount: Option<Sat>,
) -> Result<Json<OnchainAddress>, PeachError> {
    let treasury = state.treasury()?;
    let merchant_id = session.merchant_id();
    let description = input.description()?;
    let ntfn_url = input.webhook_override()?;
    let invoice_id = new_payment_id();
    Span::current().record("invoice_id", invoice_id.as_str());
    let address = treasury
        .new_address(
            &format!("merchant:{invoice_id}"),
            &onchain_invoice_account(merchant_id, &invoice_id),
        )
        .await
        .map_err(|e| PeachError::Internal(format!("treasury address: {e}")))?
        .to_string();
    let invoice = OnchainInvoice {
        invoice_id: invoice_id.clone(),
        merchant_id: merchant_id.to_string(),
        btc_address: address.clone(),
        amount_sat: amount,
        description,
        ntfn_url,
        status: OnchainInvoiceStatus::Pending,
        paid_sat: Sat(0),
        notified_partial_sat: Sat(0),
        fee_sat: None,
        refund_txid: None,
        created_at: state.hub.clock.now_unix(),
        withdraw_tx: None,
    };
    store::onchain_invoices::insert(&state.hub.store, &invoice).await?;
    let signed = [address.as_str(), merchant_id];
    Ok(Json(OnchainAddress {
        pss_signature: state.keys.pss_key.sign(&signed),
        hub_signature: state.keys.hub_key.sign(&signed),
        btc_address: address,
        payment_id: invoice_id,
    }))
}

/// `GET /api/v2/payments/on_chain`: newest first, `limit` and `offset`.
#[tracing::instrument(name = "merchant_onchain_list", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn list(
    State(state): State<MerchantService>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Json<OnchainPayments>, PeachError> {
    let query = QueryParams::parse(query);
    let (limit, offset) = model::page(query.get("limit"), query.get("offset"))?;
    let invoices = store::onchain_invoices::of_merchant(
        &state.hub.store,
        session.merchant_id(),
        limit,
        offset,
    )
    .await?;
    Ok(Json(OnchainPayments {
        payments: invoices.iter().map(OnchainPayment::from).collect(),
    }))
}

/// `GET /api/v2/merchant/balance/locked`: sats held for on-chain invoices not yet settled.
#[tracing::instrument(name = "merchant_locked_balance", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn locked_balance(
    State(state): State<MerchantService>,
    session: Session,
) -> Result<Json<Balance>, PeachError> {
    let prefix = books::locked_prefix(session.merchant_id());
    let locked = -ledger::balance_under(&state.hub.store, &prefix).await?;
    Ok(Json(Balance {
        balance: (locked / 1_000).to_string(),
    }))
}

/// `POST /api/v2/payment/on_chain/cancel`: cancels a partly paid invoice and refunds what it
/// received to `refund_btc_address` (less the network fee), once.
#[tracing::instrument(
    name = "merchant_onchain_cancel",
    skip_all,
    fields(merchant_id = %session.merchant_id(), invoice_id = Unset)
)]
pub async fn cancel(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Refund>, PeachError> {
    let treasury = state.treasury()?;
    let address = input.required_text("btc_address")?.trim();
    let refund_to = input.required_text("refund_btc_address")?.trim();
    let refund_to = state.parse_address(refund_to).ok_or(Refusal::BadAddress)?;
    let invoice =
        store::onchain_invoices::by_address(&state.hub.store, session.merchant_id(), address)
            .await?
            .ok_or(Refusal::PaymentNotFound)?;
    Span::current().record("invoice_id", invoice.invoice_id.as_str());
    let txid = onchain_refund::cancel(&state, treasury, &invoice, refund_to).await?;
    Ok(Json(Refund::in_tx(txid)))
}
