//! Incoming Lightning: hold invoices of the hub's node for a merchant, signed by the hub and
//! the PSS over `r_hash` + `payment_request` + `merchant_id`; their status and the merchant's
//! list.

use axum::extract::{RawQuery, State};
use axum::Json;
use tracing::field::Empty as Unset;
use tracing::Span;

use crate::http::request_fields::QueryParams;
use crate::http::PathId;
use crate::node::Preimage;
use crate::services::merchant::api::{
    CreatedInvoice, LightningPayment, LightningPayments, PeachError, PeachInput,
};
use crate::services::merchant::model::{self, Refusal};
use crate::services::merchant::session::{AccessToken, Session};
use crate::services::merchant::store::{self, InvoiceState, LightningInvoice};
use crate::services::merchant::MerchantService;

/// `POST /api/v2/payment/lightning`.
#[tracing::instrument(
    name = "merchant_invoice_create",
    skip_all,
    fields(merchant_id = %session.merchant_id(), payment_hash = Unset)
)]
pub async fn create(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<CreatedInvoice>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let merchant_id = session.merchant_id();
    let (amount_sat, _) = input.amount("amount")?;
    let expiry = model::expiry(input.integer("expiry")?)?;
    let description = input.description()?;
    let ntfn_url = input.webhook_override()?;
    let amount = model::to_msat(amount_sat)?;
    let expiry_secs = u32::try_from(expiry).map_err(|_| Refusal::ExpiryTooBig(expiry))?;
    let timestamp = input.integer("timestamp")?;
    // A hold invoice: the node claims a payment only once the hub has committed that the
    // invoice is not paid otherwise (see `claims`).
    let preimage = Preimage::random();
    let hash = preimage.payment_hash();
    Span::current().record("payment_hash", tracing::field::display(hash));
    let invoice = state
        .hub
        .node
        .create_hold_invoice(amount, &description, expiry_secs, hash)
        .await
        .map_err(|e| PeachError::Internal(format!("creating an invoice: {e}")))?;
    let now = state.hub.clock.now_unix();
    let record = LightningInvoice {
        payment_hash: invoice.payment_hash().to_string(),
        merchant_id: merchant_id.to_string(),
        amount_sat,
        fee_sat: model::incoming_fee_sat(amount_sat),
        description,
        payment_request: invoice.to_string(),
        expiry,
        ntfn_url,
        state: InvoiceState::Unpaid,
        settle_date: None,
        created_at: now,
        withdraw_tx: None,
    };
    // The invoice and the node's record of it commit together, in a group commit with other
    // requests' invoices (one sync for them all).
    let row = (record.clone(), preimage.to_string());
    state
        .hub
        .payments
        .commit_invoice_with(invoice, amount, row, |conn, (record, preimage)| {
            Box::pin(async move {
                store::invoices::insert(conn, record, preimage).await?;
                Ok::<_, PeachError>(())
            })
        })
        .await?;
    let signed = [
        record.payment_hash.as_str(),
        record.payment_request.as_str(),
        merchant_id,
    ];
    Ok(Json(CreatedInvoice {
        pss_signature: state.keys.pss_key.sign(&signed),
        hub_signature: state.keys.hub_key.sign(&signed),
        payment_request: record.payment_request,
        r_hash: record.payment_hash,
        creation_time: now,
        expiry,
        timestamp: timestamp.unwrap_or(now),
    }))
}

/// `GET /api/v2/payment/lightning/{rhash}` and `GET /api/v2/payments/{rhash}`. The checkout
/// poll: the merchant's existence and the invoice are read in one query (a `Session` would read
/// the merchant's row first), and only a miss asks which of the two is missing.
#[tracing::instrument(
    name = "merchant_invoice_status",
    skip_all,
    fields(merchant_id = %token.merchant_id(), payment_hash = hash.as_str())
)]
pub async fn status(
    State(state): State<MerchantService>,
    token: AccessToken,
    hash: PathId,
) -> Result<Json<LightningPayment>, PeachError> {
    let mut conn = state.hub.store.pool().acquire().await?;
    let hash = hash.as_str().to_ascii_lowercase();
    match store::invoices::of_merchant_by_hash(&mut conn, token.merchant_id(), &hash).await? {
        Some(invoice) => Ok(Json(LightningPayment::from(&invoice))),
        None => {
            drop(conn);
            let merchant = store::merchants::by_id(&state.hub.store, token.merchant_id()).await?;
            Err(match merchant {
                Some(_) => Refusal::PaymentNotFound,
                None => Refusal::MerchantGone,
            }
            .into())
        }
    }
}

/// `GET /api/v2/payments/lightning`: newest first; `limit` (1..1000, default 100) and `offset`.
#[tracing::instrument(name = "merchant_invoice_list", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn list(
    State(state): State<MerchantService>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Json<LightningPayments>, PeachError> {
    let query = QueryParams::parse(query);
    let (limit, offset) = model::page(query.get("limit"), query.get("offset"))?;
    let invoices =
        store::invoices::of_merchant(&state.hub.store, session.merchant_id(), limit, offset)
            .await?;
    Ok(Json(LightningPayments {
        payments: invoices.iter().map(LightningPayment::from).collect(),
    }))
}
