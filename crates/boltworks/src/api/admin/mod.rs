//! The operator routes under `/admin`: the ledger, notifications, the treasury, escrow disputes,
//! the gift audit, the merchant books, the LSP's JIT channels, the node's channel closures and the node's operations.
//! Every one requires the operator token (`Authorization: Bearer ...`), checked by the
//! `Operator` extractor before anything else.

mod escrow;
mod gifts;
mod ledger;
mod lsp;
mod merchant;
mod node;
mod node_money;
mod node_ops;
mod notify;
mod treasury;

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::{AppState, OperatorToken};
use crate::http::idempotency::{CallerOf, Idempotency};
use crate::http::{key_refused, ApiRoutes, HubError};

/// Every operator route; the POSTs take an `Idempotency-Key` (the operator's own).
pub fn routes(state: &AppState) -> ApiRoutes<AppState> {
    let token = state.operator.clone();
    let caller: CallerOf = Arc::new(move |parts: &Parts| {
        carries_token(&parts.headers, &token).then(|| "operator".to_string())
    });
    let keys = Idempotency::new(
        state.hub.store.clone(),
        state.hub.clock.clone(),
        "admin",
        caller,
        key_refused,
    );
    notify::routes()
        .merge(escrow::routes())
        .merge(gifts::routes())
        .merge(merchant::routes())
        .merge(ledger::routes())
        .merge(lsp::routes())
        .merge(treasury::routes())
        .merge(node::routes())
        .merge(node_ops::routes())
        .merge(node_money::routes())
        .idempotent(&keys)
}

/// The `?limit=` of a listing: 50 by default, else 1 to `max`.
fn list_limit(given: Option<&str>, max: u32) -> Result<u32, HubError> {
    match given {
        None => Ok(50),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| HubError::BadRequest(format!("limit must be 1 to {max}"))),
    }
}

/// Whether `headers` carry the operator token (`Authorization: Bearer ...`).
pub(super) fn carries_token(headers: &HeaderMap, expected: &OperatorToken) -> bool {
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    constant_time_eq(given.as_bytes(), expected.0.as_bytes())
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
        if carries_token(&parts.headers, &OperatorToken::from_ref(state)) {
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
