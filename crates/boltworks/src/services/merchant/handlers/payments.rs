//! Outgoing money: internal payments between merchants, Lightning payments (converted to
//! internal ones when the invoice is another merchant's here) and on-chain payments, each
//! signed by the merchant (`X-Signature` over `amount` + the destination); and an outgoing
//! payment's status.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use tracing::field::Empty as Unset;
use tracing::Span;

use crate::http::{KeyOfRequest, KeyedAnswer, PathId};
use crate::money::Msat;
use crate::node::Invoice;
use crate::services::merchant::api::{
    LightningPaymentSent, OnchainPaymentSent, OutgoingPayment, PaymentIdReply, PeachError,
    PeachInput,
};
use crate::services::merchant::model::{self, Refusal};
use crate::services::merchant::session::Session;
use crate::services::merchant::store::{self, NewPayment, PaymentKind, PaymentStatus};
use crate::services::merchant::transfer::{self, Transfer};
use crate::services::merchant::{lightning_payout, onchain_payout, payouts};
use crate::services::merchant::{new_payment_id, MerchantService};

/// `POST /api/v2/payment/internal`: `X-Signature` over `amount` + `destination`.
#[tracing::instrument(
    name = "merchant_pay_internal",
    skip_all,
    fields(merchant_id = %session.merchant_id(), payment_id = Unset)
)]
pub async fn internal(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    key: KeyOfRequest,
    input: PeachInput,
) -> Result<Json<PaymentIdReply>, PeachError> {
    let destination = input.required_text("destination")?;
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, destination])?;
    let description = input.description()?;
    model::not_to_self(session.merchant_id(), destination)?;
    if store::merchants::by_id(&state.hub.store, destination)
        .await?
        .is_none()
    {
        return Err(Refusal::MerchantNotFound.into());
    }
    let payment_id = new_payment_id();
    Span::current().record("payment_id", payment_id.as_str());
    let transfer = Transfer {
        payment_id: &payment_id,
        payer: session.merchant_id(),
        payee: destination,
        amount: model::to_msat(amount_sat)?,
        description: &description,
        invoice: None,
    };
    let reply = PaymentIdReply {
        payment_id: payment_id.clone(),
    };
    let answer = KeyedAnswer::json(&key, StatusCode::OK, &reply);
    transfer::pay_internally(&state, &transfer, &answer).await?;
    Ok(Json(reply))
}

/// `POST /api/v2/payment/outgoing/lightning`: `X-Signature` over `amount` + `payment_request`.
#[tracing::instrument(
    name = "merchant_pay_lightning",
    skip_all,
    fields(merchant_id = %session.merchant_id(), payment_id = Unset, payment_hash = Unset)
)]
pub async fn lightning(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    key: KeyOfRequest,
    input: PeachInput,
) -> Result<Json<LightningPaymentSent>, PeachError> {
    let request = input.required_text("payment_request")?.trim();
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, request])?;
    let invoice = Invoice::parse(request).map_err(|_| Refusal::NotAnInvoice)?;
    invoice
        .check_usable(state.hub.network, &state.hub.clock)
        .map_err(|problem| Refusal::InvoiceUnusable(problem.to_string()))?;
    let amount = model::to_msat(amount_sat)?;
    let amountless = model::check_invoice_amount(invoice.amount(), amount_sat, amount)?;
    let payer = session.merchant_id();
    let payment_id = new_payment_id();
    let hash = invoice.payment_hash().to_string();
    Span::current().record("payment_id", payment_id.as_str());
    Span::current().record("payment_hash", hash.as_str());
    let converted = invoice.payee() == state.hub.node.node_id();
    let reply = LightningPaymentSent {
        payment_id: payment_id.clone(),
        converted_to_internal: converted,
    };
    let answer = KeyedAnswer::json(&key, StatusCode::OK, &reply);
    if converted {
        transfer::pay_own_invoice(
            &state,
            payer,
            &payment_id,
            &invoice,
            amount,
            &input,
            &answer,
        )
        .await?;
    } else {
        let fee_limit = state.config.fee_limit.for_amount(amount);
        let reserve = model::reserve(amount, fee_limit)?;
        let description = input.description()?;
        let ntfn_url = input.webhook_override()?;
        let payer_node = state.hub.node.node_id().to_string();
        let payment = NewPayment {
            payment_id: &payment_id,
            merchant_id: payer,
            kind: PaymentKind::Lightning,
            amount,
            fee_limit: reserve.fee_limit,
            destination: request,
            payment_hash: Some(&hash),
            description: Some(&description),
            ntfn_url: ntfn_url.as_deref(),
            status: PaymentStatus::Pending,
            payer_node: &payer_node,
        };
        payouts::reserve(&state, &payment, reserve, &answer).await?;
        let named_amount = amountless.then_some(amount);
        lightning_payout::send(&state, &invoice, named_amount, fee_limit).await?;
    }
    Ok(Json(reply))
}

/// `POST /api/v2/payment/outgoing/on_chain`: `X-Signature` over `amount` + `destination`. The
/// hub pays the network fee; the destination receives exactly `amount`.
#[tracing::instrument(
    name = "merchant_pay_onchain",
    skip_all,
    fields(merchant_id = %session.merchant_id(), payment_id = Unset)
)]
pub async fn onchain(
    State(state): State<MerchantService>,
    session: Session,
    headers: HeaderMap,
    key: KeyOfRequest,
    input: PeachInput,
) -> Result<Json<OnchainPaymentSent>, PeachError> {
    let destination = input.required_text("destination")?.trim();
    let (amount_sat, amount_text) = input.amount("amount")?;
    session.check_signature(&headers, &[&amount_text, destination])?;
    let treasury = state.treasury()?;
    let address = state
        .parse_address(destination)
        .ok_or(Refusal::BadAddress)?;
    let amount_sat = model::onchain_payout_amount(amount_sat)?;
    input.integer("blocks")?;
    let payment_id = new_payment_id();
    Span::current().record("payment_id", payment_id.as_str());
    let amount = model::to_msat(amount_sat)?;
    let reserve = model::reserve(amount, Msat(0))?;
    let description = input.description()?;
    let ntfn_url = input.webhook_override()?;
    let payer_node = state.hub.node.node_id().to_string();
    let payment = NewPayment {
        payment_id: &payment_id,
        merchant_id: session.merchant_id(),
        kind: PaymentKind::OnChain,
        amount,
        fee_limit: reserve.fee_limit,
        destination,
        payment_hash: None,
        description: Some(&description),
        ntfn_url: ntfn_url.as_deref(),
        status: PaymentStatus::Pending,
        payer_node: &payer_node,
    };
    // Until the treasury has sent it, the committed answer has no transaction yet.
    let unsent = OnchainPaymentSent {
        payment_id: payment_id.clone(),
        txid: String::new(),
    };
    let answer = KeyedAnswer::json(&key, StatusCode::OK, &unsent);
    payouts::reserve(&state, &payment, reserve, &answer).await?;
    let txid = onchain_payout::send(&state, treasury, &payment, address, amount_sat, &key).await?;
    Ok(Json(OnchainPaymentSent { payment_id, txid }))
}

/// `GET /api/v2/payment/outgoing/{payment_id}` (a boltworks addition): an outgoing payment.
#[tracing::instrument(
    name = "merchant_payment_status",
    skip_all,
    fields(merchant_id = %session.merchant_id(), payment_id = id.as_str())
)]
pub async fn status(
    State(state): State<MerchantService>,
    session: Session,
    id: PathId,
) -> Result<Json<OutgoingPayment>, PeachError> {
    let payment = store::payments::by_id(&state.hub.store, id.as_str())
        .await?
        .filter(|p| p.merchant_id == session.merchant_id())
        .ok_or(Refusal::PaymentNotFound)?;
    Ok(Json(OutgoingPayment::from(payment)))
}
