//! The operator routes under `/admin`: the ledger, notifications, the treasury, escrow disputes,
//! the gift audit, the merchant books and the node's channel closures. Every one requires the operator token
//! (`Authorization: Bearer ...`), checked by the `Operator` extractor before anything else.

mod escrow;
mod gifts;
mod ledger;
mod merchant;
mod node;
mod notify;
mod treasury;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::{AppState, OperatorToken};
use crate::http::{ApiRoutes, HubError};

/// Every operator route.
pub fn routes() -> ApiRoutes<AppState> {
    notify::routes()
        .merge(escrow::routes())
        .merge(gifts::routes())
        .merge(merchant::routes())
        .merge(ledger::routes())
        .merge(treasury::routes())
        .merge(node::routes())
}

/// A request that carried the operator token.
pub struct Operator;

impl<S> FromRequestParts<S> for Operator
where
    OperatorToken: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = HubError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let expected = OperatorToken::from_ref(state);
        let given = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(given.as_bytes(), expected.0.as_bytes()) {
            Ok(Operator)
        } else {
            Err(HubError::Unauthorized(
                "a valid operator token is required (Authorization: Bearer ...)".into(),
            ))
        }
    }
}

/// Compares in time that depends on the lengths only.
fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
