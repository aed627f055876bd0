//! v0.0.1 requests: the merged fields of the query string and a JSON (or form) body, numbers and
//! flags accepted as strings, and the buyer's node as `pubkey[@ip:port]`.

use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::V1Error;
use crate::http::request_fields::{self, FieldsRejection};

/// The merged request fields.
pub struct V1Input(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for V1Input {
    type Rejection = V1Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match request_fields::read(req, state).await {
            Ok(fields) => Ok(V1Input(fields)),
            Err(FieldsRejection::Unreadable | FieldsRejection::Malformed) => {
                Err(V1Error::Refused("Invalid params"))
            }
        }
    }
}

impl V1Input {
    /// A field by any of its names.
    pub fn get(&self, names: &[&str]) -> Option<&Value> {
        names.iter().find_map(|name| self.0.get(*name))
    }

    /// A text field.
    pub fn text(&self, names: &[&str]) -> Option<&str> {
        self.get(names).and_then(Value::as_str)
    }

    /// A non-negative whole number (a JSON integer or a string of digits); `None` when absent
    /// or anything else.
    pub fn whole(&self, names: &[&str]) -> Option<u64> {
        match self.get(names)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s)
                if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().ok()
            }
            _ => None,
        }
    }

    /// A boolean given as `true`/`false`, `1`/`0` or their strings; absent is `false`.
    pub fn flag(&self, names: &[&str]) -> Option<bool> {
        match self.get(names) {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A node given as `pubkey` or `pubkey@ip:port`: the lowercase pubkey and the address.
pub fn parse_node_uri(text: &str) -> Option<(String, Option<std::net::SocketAddr>)> {
    let (key, address) = match text.trim().split_once('@') {
        Some((key, address)) => (key, Some(address.parse().ok()?)),
        None => (text.trim(), None),
    };
    let key = key.to_ascii_lowercase();
    let valid = key.len() == 66
        && (key.starts_with("02") || key.starts_with("03"))
        && key.bytes().all(|b| b.is_ascii_hexdigit())
        && key.parse::<bitcoin::secp256k1::PublicKey>().is_ok();
    valid.then_some((key, address))
}
