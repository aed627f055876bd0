//! LNURL's error answer (LUD-01), for every service that serves LNURL endpoints (gifts'
//! withdraw links, the LSP's channel requests): `{"status":"ERROR","reason":"..."}` with HTTP 200,
//! since wallets read the body, not the status. Failures of ours are logged with their detail and
//! answered with the service's own generic reason.

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error answer on an LNURL route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LnurlError {
    reason: String,
}

impl LnurlError {
    /// A refusal the wallet shows its user.
    pub fn refused(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// A failure of ours: `detail` is logged, `reason` answered.
    pub fn internal(detail: impl std::fmt::Display, reason: &str) -> Self {
        tracing::error!(%detail, "LNURL internal error");
        Self::refused(reason)
    }

    /// The reason answered.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl IntoResponse for LnurlError {
    fn into_response(self) -> Response {
        Json(json!({"status": "ERROR", "reason": self.reason})).into_response()
    }
}
