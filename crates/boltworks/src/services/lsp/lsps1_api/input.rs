//! LSPS1 request bodies: a JSON object, read field by field with LSPS1's strict types.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::Lsps1Error;
use crate::http::request_fields::has_nul;

/// A JSON object body.
pub struct Lsps1Body(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for Lsps1Body {
    type Rejection = Lsps1Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| Lsps1Error::bad("the request body is too large or unreadable"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(fields)) if has_nul(&Value::Object(fields.clone())) => Err(
                Lsps1Error::bad("the request body must not contain NUL characters"),
            ),
            Ok(Value::Object(fields)) => Ok(Lsps1Body(fields)),
            _ => Err(Lsps1Error::bad("the request body must be a JSON object")),
        }
    }
}

impl Lsps1Body {
    /// An optional non-negative integer field (JSON integers only: no strings, no fractions).
    pub fn whole(&self, name: &str) -> Result<Option<u64>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(_) => Err(Lsps1Error::bad(format!(
                "{name} must be a non-negative integer"
            ))),
        }
    }

    /// An optional string field.
    pub fn text(&self, name: &str) -> Result<Option<&str>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be a string"))),
        }
    }

    /// An optional boolean field.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be true or false"))),
        }
    }

    /// An optional number field of at least `min` (not money: a fee rate).
    pub fn number_at_least(&self, name: &str, min: f64) -> Result<Option<f64>, Lsps1Error> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() && x >= min && x <= 1_000_000.0 => Ok(Some(x)),
                _ => Err(Lsps1Error::bad(format!(
                    "{name} must be a number from {min} to 1000000"
                ))),
            },
            Some(_) => Err(Lsps1Error::bad(format!("{name} must be a number"))),
        }
    }
}
