//! Gifts request input and response shapes. Requests are read as the original read them: a
//! JSON object or a form-urlencoded body, plus query parameters, with snake_case or camelCase
//! names. Responses carry the seed's snake_case keys and their camelCase twins.

use axum::extract::{FromRequest, Request};
use serde_json::{json, Map, Value};

use super::error::GiftsError;
use super::model::spent_json;
use super::store::{Gift, Withdrawal};
use crate::http::request_fields::{self, FieldsRejection};

/// The merged request fields.
pub struct GiftsInput(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for GiftsInput {
    type Rejection = GiftsError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match request_fields::read(req, state).await {
            Ok(fields) => Ok(GiftsInput(fields)),
            Err(FieldsRejection::Unreadable) => Err(GiftsError::BadBody("BODY_TOO_LARGE")),
            Err(FieldsRejection::Malformed) => Err(GiftsError::BadBody("MALFORMED_BODY")),
        }
    }
}

impl GiftsInput {
    /// A field by either of its names (`sender_name` or `senderName`).
    pub fn get(&self, snake: &str, camel: &str) -> Option<&Value> {
        self.0.get(snake).or_else(|| self.0.get(camel))
    }

    /// A text field; anything but a string counts as absent.
    pub fn text(&self, snake: &str, camel: &str) -> Option<&str> {
        self.get(snake, camel).and_then(Value::as_str)
    }
}

/// The answer to `POST /create`.
pub fn created(gift: &Gift, lnurl: &str) -> Value {
    let invoice = json!({"payreq": gift.payment_request, "expires_at": gift.invoice_expires_at});
    json!({
        "order_id": gift.order_id,
        "orderId": gift.order_id,
        "charge_id": gift.charge_id,
        "chargeId": gift.charge_id,
        "status": gift.charge_status,
        "lightning_invoice": invoice,
        "lightningInvoice": invoice,
        "amount": gift.amount_sat,
        "lnurl": lnurl,
        "senderName": gift.sender_name,
        "senderMessage": gift.sender_message,
    })
}

/// A Firestore-style timestamp, as the original's `createdAt`.
fn timestamp(seconds: i64, nanos: i64) -> Value {
    json!({"_seconds": seconds, "_nanoseconds": nanos})
}

/// The answer to `GET /gift/{order_id}`: the stored gift as the original returned it.
pub fn gift_view(gift: &Gift, withdrawal: Option<&Withdrawal>, lnurl: &str) -> Value {
    let mut view = json!({
        "id": gift.order_id,
        "orderId": gift.order_id,
        "amount": gift.amount_sat,
        "notify": gift.notify_url,
        "createdAt": timestamp(gift.created_at, gift.created_nanos),
        "chargeStatus": gift.charge_status,
        "chargeInfo": {"chargeId": gift.charge_id, "chargeInvoice": gift.payment_request},
        "spent": spent_json(&gift.spent),
        "lnurl": lnurl,
        "senderName": gift.sender_name,
        "senderMessage": gift.sender_message,
    });
    if let Some(w) = withdrawal {
        let mut info = json!({
            "withdrawalId": w.withdrawal_id,
            "withdrawalInvoice": w.payment_request,
            "createdAt": timestamp(w.created_at, w.created_nanos),
            "status": w.status,
            "fee": w.fee_msat.map(|msat| msat.div_euclid(1_000) + i64::from(msat.rem_euclid(1_000) > 0)).unwrap_or(0).to_string(),
            "feeMsat": w.fee_msat.unwrap_or(0),
        });
        if let Some(error) = &w.error {
            info["error"] = Value::String(error.clone());
        }
        view["withdrawalInfo"] = info;
    }
    view
}

/// The answer to `/redeemStatus/{withdrawal_id}`.
pub fn redeem_status(w: &Withdrawal) -> Value {
    let mut view = json!({"reference": w.payment_request, "status": w.status});
    if let Some(error) = &w.error {
        view["error"] = Value::String(error.clone());
    }
    view
}
