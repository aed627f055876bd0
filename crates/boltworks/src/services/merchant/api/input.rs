//! The request extractor: a request's fields are its JSON object (or form) body plus query
//! parameters, read by proto field name. Amounts are whole satoshis given as a JSON integer or
//! a decimal string (grpc-gateway's int64 mapping).

use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::PeachError;
use crate::http::request_fields::{self, FieldsRejection};
use crate::money::Sat;
use crate::services::merchant::model::{self, Refusal};

/// The merged request fields.
pub struct PeachInput(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for PeachInput {
    type Rejection = PeachError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match request_fields::read(req, state).await {
            Ok(fields) => Ok(PeachInput(fields)),
            Err(FieldsRejection::Unreadable) => Err(Refusal::BodyTooLarge.into()),
            Err(FieldsRejection::Malformed) => Err(Refusal::MalformedBody.into()),
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
    pub fn text(&self, name: &'static str) -> Result<Option<&str>, Refusal> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(Refusal::NotText(name)),
        }
    }

    /// A text field that must be present and non-empty.
    pub fn required_text(&self, name: &'static str) -> Result<&str, Refusal> {
        match self.text(name)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(Refusal::Required(name)),
        }
    }

    /// A required amount in sats, 1 to 21e14, and the exact text it was given as (signatures
    /// cover the amount as sent).
    pub fn amount(&self, name: &'static str) -> Result<(Sat, String), Refusal> {
        let value = self.get(name).ok_or(Refusal::Required(name))?;
        model::parse_amount(name, value)
    }

    /// An optional whole number (an integer or a decimal string).
    pub fn integer(&self, name: &'static str) -> Result<Option<i64>, Refusal> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let number = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        number.map(Some).ok_or(Refusal::NotWholeNumber(name))
    }

    /// The optional `description` (at most 639 characters).
    pub fn description(&self) -> Result<String, Refusal> {
        model::description(self.text("description")?)
    }

    /// The optional `ntfn_url` (an http(s) URL).
    pub fn webhook_override(&self) -> Result<Option<String>, Refusal> {
        model::webhook_override(self.text("ntfn_url")?)
    }
}
