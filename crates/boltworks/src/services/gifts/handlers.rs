//! The gifts API handlers: thin, each reads its input, calls the rules and the store, and
//! answers in the original's shape.

use axum::extract::{RawQuery, State};
use axum::Json;
use rand::RngCore;
use serde_json::{json, Value};

use super::api::{self, GiftsInput};
use super::error::{GiftsError, LnurlError};
use super::model::{self, Refusal, MAX_SENDER_MESSAGE, MAX_SENDER_NAME};
use super::redeem::{self, Via};
use super::store::{self, Gift};
use super::GiftsService;
use super::{lnurl_of, withdraw_url, INVOICE_EXPIRY_SECS};
use crate::http::request_fields::QueryParams;
use crate::http::PathId;
use crate::money::Msat;

/// `POST /create`: a new gift and the invoice that funds it.
pub async fn create(
    State(state): State<GiftsService>,
    input: GiftsInput,
) -> Result<Json<Value>, GiftsError> {
    let gift = create_gift(&state, &input).await?;
    Ok(Json(api::created(&gift, &lnurl_of(&state, &gift.order_id))))
}

/// Validates the fields and creates the gift (also used by the create page).
pub async fn create_gift(state: &GiftsService, input: &GiftsInput) -> Result<Gift, GiftsError> {
    let amount_sat = model::gift_amount(input.get("amount", "amount"))?;
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
    let amount = Msat(amount_sat * 1_000);
    let invoice = state
        .hub
        .node
        .create_invoice(
            amount,
            &format!("Lightning gift for {amount_sat} sats"),
            INVOICE_EXPIRY_SECS,
        )
        .map_err(|e| GiftsError::Internal(format!("creating the gift invoice: {e}")))?;
    let payment_hash = invoice.payment_hash();
    let (now, nanos) = redeem::now_with_nanos(state);
    let gift = Gift {
        order_id: random_hex::<24>(),
        charge_id: uuid::Uuid::new_v4().to_string(),
        payment_hash: payment_hash.to_string(),
        payment_request: invoice.to_string(),
        invoice_expires_at: invoice.expires_at(),
        amount_sat: i64::try_from(amount_sat).unwrap_or(i64::MAX),
        k1: random_hex::<32>(),
        notify_url,
        sender_name,
        sender_message,
        charge_status: "unpaid".into(),
        spent: "false".into(),
        withdrawal_id: None,
        created_at: now,
        created_nanos: nanos,
    };
    store::insert_gift(&state.hub.store, &gift).await?;
    state
        .hub
        .payments
        .record_invoice(payment_hash, amount)
        .await?;
    tracing::info!(order_id = %gift.order_id, amount_sat, "gift created");
    Ok(gift)
}

fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A UUID in its canonical lowercase hyphenated form, or `None`.
fn canonical_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

/// `GET /status/{charge_id}`: whether the gift invoice is paid.
pub async fn status(
    State(state): State<GiftsService>,
    PathId(charge_id): PathId,
) -> Result<Json<Value>, GiftsError> {
    let id =
        canonical_uuid(charge_id.as_deref().unwrap_or_default()).ok_or(Refusal::ChargeNotFound)?;
    let status = store::charge_status(&state.hub.store, &id)
        .await?
        .ok_or(Refusal::ChargeNotFound)?;
    Ok(Json(json!({"status": status})))
}

/// `POST /redeem/{order_id}` with `invoice`: starts the payout.
pub async fn redeem(
    State(state): State<GiftsService>,
    PathId(order_id): PathId,
    input: GiftsInput,
) -> Result<Json<Value>, GiftsError> {
    let gift = redeem::find_gift(&state, order_id.as_deref().unwrap_or_default()).await?;
    let invoice = input.text("invoice", "invoice");
    let id = redeem::redeem(&state, &gift, invoice, Via::Redeem).await?;
    Ok(Json(json!({"withdrawal_id": id, "withdrawalId": id})))
}

/// `GET`/`POST /redeemStatus/{withdrawal_id}`.
pub async fn redeem_status(
    State(state): State<GiftsService>,
    PathId(withdrawal_id): PathId,
) -> Result<Json<Value>, GiftsError> {
    let id = canonical_uuid(withdrawal_id.as_deref().unwrap_or_default())
        .ok_or(Refusal::WithdrawalNotFound)?;
    let mut conn = state.hub.store.pool().acquire().await?;
    let withdrawal = store::withdrawal(&mut conn, &id)
        .await?
        .ok_or(Refusal::WithdrawalNotFound)?;
    Ok(Json(api::redeem_status(&withdrawal)))
}

/// `GET /gift/{order_id}`: the gift as stored, with its latest redemption.
pub async fn gift(
    State(state): State<GiftsService>,
    PathId(order_id): PathId,
) -> Result<Json<Value>, GiftsError> {
    let gift = match redeem::find_gift(&state, order_id.as_deref().unwrap_or_default()).await {
        Err(GiftsError::Refused(refusal)) => return Err(GiftsError::NotFound(refusal)),
        other => other?,
    };
    let mut conn = state.hub.store.pool().acquire().await?;
    let withdrawal = match &gift.withdrawal_id {
        Some(id) => store::withdrawal(&mut conn, id).await?,
        None => None,
    };
    Ok(Json(api::gift_view(
        &gift,
        withdrawal.as_ref(),
        &lnurl_of(&state, &gift.order_id),
    )))
}

/// `GET /lnurl/{order_id}`: LUD-03. Without `pr`, the withdraw request; with `k1` and `pr`,
/// the callback that starts the payout.
pub async fn lnurl(
    State(state): State<GiftsService>,
    PathId(order_id): PathId,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, LnurlError> {
    let params = QueryParams::parse(query);
    let param = |name: &str| params.get(name);
    let gift = redeem::find_gift(&state, order_id.as_deref().unwrap_or_default()).await?;
    let Some(pr) = param("pr") else {
        redeem::check_redeemable(&gift).map_err(LnurlError::Refused)?;
        let msat = gift.amount_msat();
        return Ok(Json(json!({
            "status": "OK",
            "tag": "withdrawRequest",
            "callback": withdraw_url(&state, &gift.order_id),
            "k1": gift.k1,
            "minWithdrawable": msat,
            "maxWithdrawable": msat,
            "defaultDescription": format!("lightning.gifts redeem {}", gift.order_id),
        })));
    };
    let k1_matches = param("k1").is_some_and(|k1| {
        k1.len() == gift.k1.len()
            && k1
                .bytes()
                .zip(gift.k1.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    });
    if !k1_matches {
        return Err(LnurlError::Refused(Refusal::BadK1));
    }
    redeem::redeem(&state, &gift, Some(pr), Via::Lnurl).await?;
    Ok(Json(json!({"status": "OK"})))
}
