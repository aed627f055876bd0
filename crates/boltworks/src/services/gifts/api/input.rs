//! The gifts request input. Requests are read as the original read them: a JSON object or a
//! form-urlencoded body, plus query parameters, with snake_case or camelCase names.

use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::GiftsError;
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
