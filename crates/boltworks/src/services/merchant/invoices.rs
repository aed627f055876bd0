//! Incoming Lightning: invoices of the hub's node for a merchant, signed by the hub and the PSS
//! over `r_hash` + `payment_request` + `merchant_id`; their status and the merchant's list.

use axum::extract::{RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

use super::api::{self, incoming_fee_sat, PeachInput};
use super::error::PeachError;
use super::session::Session;
use super::store::{self, LightningInvoice};
use super::MerchantService;
use crate::http::request_fields::QueryParams;
use crate::http::PathId;
use crate::money::Sat;
use crate::node::Preimage;

/// Shortest invoice expiry allowed, seconds.
pub const MIN_EXPIRY: i64 = 10;
/// Longest (and default) invoice expiry, seconds.
pub const MAX_EXPIRY: i64 = 3_600;
/// Longest description (BOLT11's limit for a description in the invoice).
const MAX_DESCRIPTION: usize = 639;

/// `POST /api/v2/payment/lightning`.
pub async fn create(
    State(state): State<MerchantService>,
    session: Session,
    input: PeachInput,
) -> Result<Json<Value>, PeachError> {
    session.check_named(input.text("merchant_id")?)?;
    let merchant_id = session.merchant.merchant_id.clone();
    let (amount_sat, _) = input.amount("amount")?;
    let expiry = input.integer("expiry")?.unwrap_or(MAX_EXPIRY);
    if expiry < MIN_EXPIRY {
        return Err(PeachError::invalid(format!(
            "expiry is too small, minimal allowed is {MIN_EXPIRY}, got: {expiry}"
        )));
    }
    if expiry > MAX_EXPIRY {
        return Err(PeachError::invalid(format!(
            "expiry is too big, maximum allowed is {MAX_EXPIRY}, got: {expiry}"
        )));
    }
    let description = description(&input)?;
    let ntfn_url = webhook_override(&input)?;
    let amount = Sat(amount_sat)
        .to_msat()
        .ok_or_else(|| PeachError::invalid("amount is too large"))?;
    // A hold invoice: the node claims a payment only once the hub has committed that the
    // invoice is not paid otherwise (see `claims`).
    let preimage = Preimage::random();
    let hash = preimage.payment_hash();
    let invoice = state
        .hub
        .node
        .create_hold_invoice(amount, &description, expiry as u32, hash)
        .map_err(|e| PeachError::Internal(format!("creating an invoice: {e}")))?;
    let now = state.hub.clock.now_unix();
    let record = LightningInvoice {
        payment_hash: invoice.payment_hash().to_string(),
        merchant_id: merchant_id.clone(),
        amount_sat: amount_sat as i64,
        fee_sat: incoming_fee_sat(amount_sat) as i64,
        description,
        payment_request: invoice.to_string(),
        expiry,
        ntfn_url,
        settled: false,
        settle_date: None,
        created_at: now,
    };
    store::insert_invoice(&state.hub.store, &record, &preimage.to_string()).await?;
    state.hub.payments.record_invoice(hash, amount).await?;
    let fields = [
        record.payment_hash.as_str(),
        record.payment_request.as_str(),
        merchant_id.as_str(),
    ];
    Ok(Json(json!({
        "payment_request": record.payment_request,
        "r_hash": record.payment_hash,
        "creation_time": now,
        "expiry": expiry,
        "timestamp": input.integer("timestamp")?.unwrap_or(now),
        "pss_signature": state.keys.pss_key.sign(&fields),
        "hub_signature": state.keys.hub_key.sign(&fields),
    })))
}

/// `GET /api/v2/payment/lightning/{rhash}` and `GET /api/v2/payments/{rhash}`.
pub async fn status(
    State(state): State<MerchantService>,
    session: Session,
    hash: PathId,
) -> Result<Json<Value>, PeachError> {
    let mut conn = state.hub.store.pool().acquire().await?;
    let invoice = store::invoice(&mut conn, &hash.as_str().to_ascii_lowercase())
        .await?
        .filter(|i| i.merchant_id == session.merchant.merchant_id)
        .ok_or_else(|| PeachError::NotFound("payment not found".into()))?;
    Ok(Json(api::lightning_payment(&invoice)))
}

/// `GET /api/v2/payments/lightning`: newest first; `limit` (1..1000, default 100) and `offset`.
pub async fn list(
    State(state): State<MerchantService>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, PeachError> {
    let (limit, offset) = page(&QueryParams::parse(query))?;
    let invoices = store::invoices_of(
        &state.hub.store,
        &session.merchant.merchant_id,
        limit,
        offset,
    )
    .await?;
    let payments: Vec<Value> = invoices.iter().map(api::lightning_payment).collect();
    Ok(Json(json!({"payments": payments})))
}

/// The `limit` and `offset` of a list request.
pub fn page(query: &QueryParams) -> Result<(i64, i64), PeachError> {
    let number = |name: &str, default: i64, max: i64| -> Result<i64, PeachError> {
        match query.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    PeachError::invalid(format!("{name} must be a whole number from 0 to {max}"))
                }),
        }
    };
    Ok((
        number("limit", 100, 1_000)?.max(1),
        number("offset", 0, i64::from(i32::MAX))?,
    ))
}

/// The optional `description`, at most 639 characters.
pub fn description(input: &PeachInput) -> Result<String, PeachError> {
    let text = input.text("description")?.unwrap_or_default();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(PeachError::invalid(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(text.to_string())
}

/// The optional `ntfn_url` (an http(s) URL).
pub fn webhook_override(input: &PeachInput) -> Result<Option<String>, PeachError> {
    match input.text("ntfn_url")?.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) if super::accounts::is_http_url(url) => Ok(Some(url.to_string())),
        Some(_) => Err(PeachError::invalid("ntfn_url must be an http(s) URL")),
    }
}
