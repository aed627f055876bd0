//! Escrow request input, read as leniently as the original read it: fields from the query
//! string and from a JSON object body (any content type), `tx` as an integer or a string,
//! `amount` as an integer or a string of digits. Every field is type-checked and bounded.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::EscrowError;
use crate::http::request_fields;
use crate::money::Sat;
use crate::services::escrow::model::{Refusal, MAX_SAT};

/// Longest accepted text field (titles, descriptions, emails, invoices...).
const MAX_TEXT: usize = 10_000;

/// The merged request fields.
pub struct EscrowInput(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for EscrowInput {
    type Rejection = EscrowError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut fields = Map::new();
        if let Some(query) = req.uri().query() {
            for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
                fields.insert(key.into_owned(), Value::String(value.into_owned()));
            }
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| Refusal::BodyUnreadable)?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(object)) => fields.extend(object),
                Ok(_) => return Err(Refusal::BodyNotObject.into()),
                Err(e) => return Err(Refusal::MalformedBody(e.to_string()).into()),
            }
        }
        if fields
            .iter()
            .any(|(k, v)| k.contains('\0') || request_fields::has_nul(v))
        {
            return Err(Refusal::NulInField.into());
        }
        Ok(EscrowInput(fields))
    }
}

impl EscrowInput {
    /// A text field, if present. Refuses other JSON types and overlong strings.
    pub fn text(&self, name: &'static str) -> Result<Option<String>, Refusal> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() > MAX_TEXT => Err(Refusal::TooLong {
                field: name,
                max: MAX_TEXT,
            }),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Refusal::NotText(name)),
        }
    }

    /// A required text field.
    pub fn required_text(&self, name: &'static str) -> Result<String, Refusal> {
        self.text(name)?
            .filter(|s| !s.is_empty())
            .ok_or(Refusal::Missing(name))
    }

    /// A text field, or `n/a` when absent (as the original defaulted its descriptive fields).
    pub fn text_or_na(&self, name: &'static str) -> Result<String, Refusal> {
        Ok(self.text(name)?.unwrap_or_else(|| "n/a".into()))
    }

    /// A non-negative integer given as a JSON integer or a string of digits.
    fn integer(&self, name: &'static str) -> Result<Option<u64>, Refusal> {
        let bad = || Refusal::NotInteger(name);
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(Value::String(s))
                if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().map(Some).map_err(|_| bad())
            }
            Some(_) => Err(bad()),
        }
    }

    /// An optional block height.
    pub fn optional_height(&self, name: &'static str) -> Result<Option<i64>, Refusal> {
        match self.integer(name)? {
            None => Ok(None),
            Some(h) if h > 0 && h < 10_000_000 => i64::try_from(h)
                .map(Some)
                .map_err(|_| Refusal::NotHeight(name)),
            Some(_) => Err(Refusal::NotHeight(name)),
        }
    }

    /// The transaction id (`tx`), required.
    pub fn tx(&self) -> Result<i64, Refusal> {
        self.optional_tx()?.ok_or(Refusal::Missing("tx"))
    }

    /// The transaction id (`tx`), if given.
    pub fn optional_tx(&self) -> Result<Option<i64>, Refusal> {
        match self.integer("tx")? {
            None => Ok(None),
            Some(id) => i64::try_from(id).map(Some).map_err(|_| Refusal::TxNotFound),
        }
    }

    /// The amount in sats: required, positive, at most 21 million BTC.
    pub fn amount(&self) -> Result<Sat, Refusal> {
        match self.integer("amount")? {
            None => Err(Refusal::AmountMissing),
            Some(0) => Err(Refusal::AmountZero),
            Some(n) if n > MAX_SAT => Err(Refusal::AmountOverSupply),
            Some(n) => Ok(Sat(n)),
        }
    }
}
