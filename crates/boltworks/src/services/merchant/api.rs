//! Merchant hub request input and response shapes. A request's fields are its JSON object (or
//! form) body plus query parameters, read by proto field name. Amounts are whole satoshis given
//! as a JSON integer or a decimal string (grpc-gateway's int64 mapping); the answer shapes follow
//! the seed's examples, numbers where they show numbers and strings where they show strings.

use axum::extract::{FromRequest, Request};
use serde_json::{json, Map, Value};

use super::error::PeachError;
use super::store::{LightningInvoice, OnchainInvoice, Withdrawal};
use crate::http::request_fields::{self, FieldsRejection};

/// The most sats any amount may be: all the bitcoin there will ever be.
pub const MAX_AMOUNT_SAT: u64 = 21_000_000 * 100_000_000;

/// The merged request fields.
pub struct PeachInput(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for PeachInput {
    type Rejection = PeachError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match request_fields::read(req, state).await {
            Ok(fields) => Ok(PeachInput(fields)),
            Err(FieldsRejection::Unreadable) => Err(PeachError::invalid("request body too large")),
            Err(FieldsRejection::Malformed) => Err(PeachError::invalid(
                "request body must be a JSON object without NUL characters",
            )),
        }
    }
}

impl PeachInput {
    /// No fields.
    pub fn empty() -> Self {
        PeachInput(Map::new())
    }

    /// A field's raw value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// An optional text field; any other JSON type is refused.
    pub fn text(&self, name: &str) -> Result<Option<&str>, PeachError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(PeachError::invalid(format!("{name} must be a string"))),
        }
    }

    /// A text field that must be present and non-empty.
    pub fn required_text(&self, name: &str) -> Result<&str, PeachError> {
        match self.text(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(PeachError::invalid(format!("{name} is required"))),
        }
    }

    /// A required amount in sats, 1 to 21e14, and the exact text it was given as (signatures
    /// cover the amount as sent).
    pub fn amount(&self, name: &str) -> Result<(u64, String), PeachError> {
        let Some(value) = self.get(name) else {
            return Err(PeachError::invalid(format!("{name} is required")));
        };
        parse_amount(name, value)
    }

    /// An optional whole number (an integer or a decimal string).
    pub fn integer(&self, name: &str) -> Result<Option<i64>, PeachError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let number = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        number
            .map(Some)
            .ok_or_else(|| PeachError::invalid(format!("{name} must be a whole number")))
    }
}

/// An amount of whole sats from JSON: a positive integer, or a string of decimal digits.
pub fn parse_amount(name: &str, value: &Value) -> Result<(u64, String), PeachError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(PeachError::invalid(format!(
                "{name} must be a whole number of satoshis"
            )))
        }
    };
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PeachError::invalid(format!(
            "{name} must be a whole number of satoshis, got: {}",
            text.chars().take(40).collect::<String>()
        )));
    }
    match text.parse::<u64>() {
        Ok(0) => Err(PeachError::invalid(format!("{name} must be positive"))),
        Ok(sat) if sat <= MAX_AMOUNT_SAT => Ok((sat, text)),
        _ => Err(PeachError::invalid(format!(
            "{name} is more than 21 million bitcoin"
        ))),
    }
}

/// The hub's fee on an incoming payment: 1% of the amount, at least 1 sat.
pub fn incoming_fee_sat(amount_sat: u64) -> u64 {
    (amount_sat / 100).max(1)
}

/// A Lightning payment object (REST and webhook shape: numbers).
pub fn lightning_payment(invoice: &LightningInvoice) -> Value {
    let mut object = json!({
        "amount": invoice.amount_sat,
        "description": invoice.description,
        "creation_date": invoice.created_at,
        "expiry": invoice.expiry,
        "settled": invoice.settled,
        "payment_request": invoice.payment_request,
        "r_hash": invoice.payment_hash,
        "withdraw_tx": "",
        "fee": invoice.fee_sat,
        "amount_without_fee": invoice.amount_sat - invoice.fee_sat,
    });
    if let Some(date) = invoice.settle_date {
        object["settle_date"] = json!(date);
    }
    if let Some(url) = &invoice.ntfn_url {
        object["ntfn_url"] = json!(url);
    }
    object
}

/// The same object as a websocket frame carries it: every number a string.
pub fn lightning_payment_frame(invoice: &LightningInvoice) -> Value {
    json!({"result": {"ntfn_type": "lightning", "lightning_payment_status": {
        "amount": invoice.amount_sat.to_string(),
        "description": invoice.description,
        "creation_date": invoice.created_at.to_string(),
        "expiry": invoice.expiry.to_string(),
        "settle_date": invoice.settle_date.unwrap_or_default().to_string(),
        "settled": invoice.settled,
        "payment_request": invoice.payment_request,
        "r_hash": invoice.payment_hash,
        "fee": invoice.fee_sat.to_string(),
        "amount_without_fee": (invoice.amount_sat - invoice.fee_sat).to_string(),
    }}})
}

/// An on-chain invoice in `GET /payments/on_chain` (every value a string, as the example).
pub fn onchain_payment(invoice: &OnchainInvoice) -> Value {
    let amount = invoice.amount_sat.unwrap_or(invoice.paid_sat);
    let fee = invoice.fee_sat.unwrap_or(0);
    json!({
        "payment_id": invoice.invoice_id,
        "amount": amount.to_string(),
        "description": invoice.description,
        "merchant_id": invoice.merchant_id,
        "status": invoice.status,
        "fee": fee.to_string(),
        "amount_without_fee": (amount - fee).to_string(),
        "withdraw_tx": invoice.refund_txid.clone().unwrap_or_default(),
        "btc_address": invoice.btc_address,
        "ntfn_url": invoice.ntfn_url.clone().unwrap_or_default(),
        "paid_amount": invoice.paid_sat.to_string(),
    })
}

/// A withdrawal (`GET /merchant/withdraw/{id}`), times as ISO-8601 with milliseconds.
pub fn withdrawal(w: &Withdrawal) -> Value {
    json!({
        "id": w.withdrawal_id,
        "merchant_id": w.merchant_id,
        "sent_amount": w.amount_sat.to_string(),
        "sent_tx": w.txid.clone().unwrap_or_default(),
        "btc_address": w.btc_address,
        "status": w.status,
        "withdrawn_at": w.withdrawn_at_ms.map(iso_time).unwrap_or_default(),
        "created_at": iso_time(w.created_at_ms),
    })
}

/// Unix milliseconds as `2019-09-20T08:22:35.661Z`.
pub fn iso_time(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1_000);
    let millis = unix_ms.rem_euclid(1_000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_positive_sats_as_numbers_or_strings() {
        assert_eq!(parse_amount("amount", &json!(20000)).expect("ok").0, 20000);
        assert_eq!(
            parse_amount("amount", &json!("20000")).expect("ok").1,
            "20000"
        );
        for bad in [
            json!(0),
            json!(-5),
            json!(1.5),
            json!("1e3"),
            json!(" 5"),
            json!("-1"),
            json!(true),
            json!("99999999999999999999999"),
            json!(MAX_AMOUNT_SAT + 1),
        ] {
            assert!(parse_amount("amount", &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fee_is_one_percent_or_one_sat() {
        assert_eq!(incoming_fee_sat(20_000), 200);
        assert_eq!(incoming_fee_sat(100), 1);
        assert_eq!(incoming_fee_sat(1), 1);
        assert_eq!(incoming_fee_sat(199), 1);
    }

    #[test]
    fn times_are_iso_8601_with_milliseconds() {
        assert_eq!(iso_time(1_568_967_755_661), "2019-09-20T08:22:35.661Z");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    }
}
