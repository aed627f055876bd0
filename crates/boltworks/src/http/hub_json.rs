//! A JSON body extractor whose rejections use the hub's error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

use super::HubError;

/// Like `axum::Json`, but a malformed body is a `HubError::BadRequest` naming the problem.
pub struct HubJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for HubJson<T> {
    type Rejection = HubError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(HubJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(HubError::BadRequest(
                "expected Content-Type: application/json".into(),
            )),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(HubError::TooLarge(rejection.body_text()))
            }
            Err(rejection) => Err(HubError::BadRequest(rejection.body_text())),
        }
    }
}
