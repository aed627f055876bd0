//! The gifts API handlers: thin, each reads its input, calls the rules and the store, and
//! answers with its typed reply (`api`).

use axum::extract::{RawQuery, State};
use axum::Json;

use super::api::{
    ChargeStatusReply, Created, GiftView, GiftsError, GiftsInput, LnurlOk, LnurlReply,
    RedeemStatus, Redeemed, WithdrawRequest, INTERNAL_ERROR,
};
use super::create::create_gift;
use super::model::{self, Refusal, Via};
use super::redeem;
use super::store;
use super::GiftsService;
use super::{lnurl_of, withdraw_url};
use crate::http::request_fields::QueryParams;
use crate::http::{KeyOfRequest, LnurlError, PathId};

/// `POST /create`: a new gift and the invoice that funds it.
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<GiftsService>,
    input: GiftsInput,
) -> Result<Json<Created>, GiftsError> {
    let gift = create_gift(&state, &input).await?;
    Ok(Json(Created::new(&gift, &lnurl_of(&state, &gift.order_id))))
}

/// A UUID in its canonical lowercase hyphenated form, or `None`.
fn canonical_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|id| id.hyphenated().to_string())
}

/// `GET /status/{charge_id}`: whether the gift invoice is paid.
#[tracing::instrument(skip_all, fields(charge_id = charge_id.as_str()))]
pub async fn status(
    State(state): State<GiftsService>,
    charge_id: PathId,
) -> Result<Json<ChargeStatusReply>, GiftsError> {
    let id = canonical_uuid(charge_id.as_str()).ok_or(Refusal::ChargeNotFound)?;
    let status = store::charge_status(&state.hub.store, &id)
        .await?
        .ok_or(Refusal::ChargeNotFound)?;
    Ok(Json(ChargeStatusReply { status }))
}

/// `POST /redeem/{order_id}` with `invoice`: starts the payout.
#[tracing::instrument(skip_all, fields(order_id = order_id.as_str()))]
pub async fn redeem(
    State(state): State<GiftsService>,
    order_id: PathId,
    key: KeyOfRequest,
    input: GiftsInput,
) -> Result<Json<Redeemed>, GiftsError> {
    let gift = redeem::find_gift(&state, order_id.as_str()).await?;
    let invoice = input.text("invoice", "invoice");
    let id = redeem::redeem(&state, &gift, invoice, Via::Redeem, &key).await?;
    Ok(Json(Redeemed::new(id)))
}

/// `GET`/`POST /redeemStatus/{withdrawal_id}`.
#[tracing::instrument(skip_all, fields(withdrawal_id = withdrawal_id.as_str()))]
pub async fn redeem_status(
    State(state): State<GiftsService>,
    withdrawal_id: PathId,
) -> Result<Json<RedeemStatus>, GiftsError> {
    let id = canonical_uuid(withdrawal_id.as_str()).ok_or(Refusal::WithdrawalNotFound)?;
    let mut conn = state.hub.store.pool().acquire().await?;
    let withdrawal = store::withdrawal(&mut conn, &id)
        .await?
        .ok_or(Refusal::WithdrawalNotFound)?;
    Ok(Json(RedeemStatus::new(&withdrawal)))
}

/// `GET /gift/{order_id}`: the gift as stored, with its latest redemption.
#[tracing::instrument(skip_all, fields(order_id = order_id.as_str()))]
pub async fn gift(
    State(state): State<GiftsService>,
    order_id: PathId,
) -> Result<Json<GiftView>, GiftsError> {
    let gift = match redeem::find_gift(&state, order_id.as_str()).await {
        Err(GiftsError::Refused(refusal)) => return Err(GiftsError::NotFound(refusal)),
        other => other?,
    };
    let mut conn = state.hub.store.pool().acquire().await?;
    let withdrawal = match &gift.withdrawal_id {
        Some(id) => store::withdrawal(&mut conn, id).await?,
        None => None,
    };
    Ok(Json(GiftView::new(
        &gift,
        withdrawal.as_ref(),
        &lnurl_of(&state, &gift.order_id),
    )))
}

/// `GET /lnurl/{order_id}`: LUD-03. Without `pr`, the withdraw request; with `k1` and `pr`,
/// the callback that starts the payout.
#[tracing::instrument(skip_all, fields(order_id = order_id.as_str()))]
pub async fn lnurl(
    State(state): State<GiftsService>,
    order_id: PathId,
    RawQuery(query): RawQuery,
) -> Result<Json<LnurlReply>, LnurlError> {
    let params = QueryParams::parse(query);
    let gift = redeem::find_gift(&state, order_id.as_str()).await?;
    let Some(pr) = params.get("pr") else {
        model::check_redeemable(gift.charge_status, gift.spent)?;
        let amount = gift.amount_msat().ok_or_else(|| {
            LnurlError::internal(
                format!("{} overflows msat", gift.amount_sat),
                INTERNAL_ERROR,
            )
        })?;
        let callback = withdraw_url(&state, &gift.order_id);
        let request = WithdrawRequest::new(&gift.order_id, amount, callback, gift.k1.clone());
        return Ok(Json(LnurlReply::Request(request)));
    };
    if !model::k1_matches(params.get("k1"), &gift.k1) {
        return Err(Refusal::BadK1.into());
    }
    redeem::redeem(&state, &gift, Some(pr), Via::Lnurl, &KeyOfRequest(None)).await?;
    Ok(Json(LnurlReply::Started(LnurlOk::new())))
}
