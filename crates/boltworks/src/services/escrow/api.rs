//! Escrow request input, read as leniently as the original read it: fields from the query
//! string and from a JSON object body (any content type), `tx` as an integer or a string,
//! `amount` as an integer or a string of digits. Every field is type-checked and bounded.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::EscrowError;
use crate::http::request_fields;

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
            .map_err(|_| EscrowError::refused("request body is too large or unreadable"))?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(object)) => fields.extend(object),
                Ok(_) => return Err(EscrowError::refused("request body must be a JSON object")),
                Err(e) => return Err(EscrowError::refused(format!("malformed JSON body: {e}"))),
            }
        }
        if fields
            .iter()
            .any(|(k, v)| k.contains('\0') || request_fields::has_nul(v))
        {
            return Err(EscrowError::refused(
                "request fields must not contain NUL characters",
            ));
        }
        Ok(EscrowInput(fields))
    }
}

impl EscrowInput {
    /// A text field, if present. Refuses other JSON types and overlong strings.
    pub fn text(&self, name: &str) -> Result<Option<String>, EscrowError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() > MAX_TEXT => Err(EscrowError::refused(format!(
                "{name} is longer than {MAX_TEXT} characters"
            ))),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(EscrowError::refused(format!("{name} must be a string"))),
        }
    }

    /// A required text field.
    pub fn required_text(&self, name: &str) -> Result<String, EscrowError> {
        self.text(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| EscrowError::refused(format!("{name} is required")))
    }

    /// A non-negative integer given as a JSON integer or a string of digits.
    fn integer(&self, name: &str) -> Result<Option<u64>, EscrowError> {
        let bad = || EscrowError::refused(format!("{name} must be a non-negative integer"));
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
    pub fn optional_height(&self, name: &str) -> Result<Option<i64>, EscrowError> {
        match self.integer(name)? {
            None => Ok(None),
            Some(h) if h > 0 && h < 10_000_000 => Ok(Some(h as i64)),
            Some(_) => Err(EscrowError::refused(format!(
                "{name} must be a block height"
            ))),
        }
    }

    /// The transaction id (`tx`), required.
    pub fn tx(&self) -> Result<i64, EscrowError> {
        let id = self
            .integer("tx")?
            .ok_or_else(|| EscrowError::refused("tx is required"))?;
        i64::try_from(id).map_err(|_| EscrowError::refused("transaction not found"))
    }

    /// The transaction id (`tx`), if given.
    pub fn optional_tx(&self) -> Result<Option<i64>, EscrowError> {
        match self.integer("tx")? {
            None => Ok(None),
            Some(id) => i64::try_from(id)
                .map(Some)
                .map_err(|_| EscrowError::refused("transaction not found")),
        }
    }

    /// The amount in sats: required, positive, at most 21 million BTC.
    pub fn amount_sat(&self) -> Result<i64, EscrowError> {
        const MAX_SAT: u64 = 21_000_000 * 100_000_000;
        match self.integer("amount")? {
            None => Err(EscrowError::refused(
                "amount is required (a positive integer of sats)",
            )),
            Some(0) => Err(EscrowError::refused("amount must be positive")),
            Some(n) if n > MAX_SAT => Err(EscrowError::refused(
                "amount is more than 21 million bitcoin",
            )),
            Some(n) => i64::try_from(n).map_err(|_| EscrowError::refused("amount is too large")),
        }
    }
}
