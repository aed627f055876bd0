//! Request fields read as the original services read them: query parameters, then a JSON
//! object body (any content type) or a form-urlencoded body. Each service wraps this in its own
//! extractor so a rejection answers in that service's error format.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

/// Why the fields could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldsRejection {
    /// The body is over the size limit or could not be read.
    Unreadable,
    /// The body is neither a JSON object nor a form, or a value holds a NUL character (which
    /// no field may hold, and PostgreSQL cannot store).
    Malformed,
}

/// Whether a value holds a NUL character anywhere.
pub fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(fields) => fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// The query parameters and body fields of `req` (body fields win).
pub async fn read<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Map<String, Value>, FieldsRejection> {
    let fields = read_unchecked(req, state).await?;
    if fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v)) {
        return Err(FieldsRejection::Malformed);
    }
    Ok(fields)
}

async fn read_unchecked<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Map<String, Value>, FieldsRejection> {
    let mut fields = Map::new();
    if let Some(query) = req.uri().query() {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            fields.insert(key.into_owned(), Value::String(value.into_owned()));
        }
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|_| FieldsRejection::Unreadable)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(fields);
    }
    if is_form {
        for (key, value) in url::form_urlencoded::parse(&body) {
            fields.insert(key.into_owned(), Value::String(value.into_owned()));
        }
        return Ok(fields);
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(object)) => {
            fields.extend(object);
            Ok(fields)
        }
        _ => Err(FieldsRejection::Malformed),
    }
}

/// The parameters of a raw query string, in order, for endpoints that read them one by one
/// (LNURL's steps): the first of a repeated name wins.
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Parses `raw` (absent: no parameters).
    pub fn parse(raw: Option<String>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
