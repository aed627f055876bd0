//! `GET /admin/gifts/audit`: checks the gift liabilities in the ledger against the gifts
//! themselves. They must be equal: the hub owes exactly the paid, unredeemed gifts.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::services::gifts::GiftsService;

pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/gifts/audit",
        "Gift liabilities in the ledger against the value of paid, unredeemed gifts",
        audit,
    )
}

/// The gift audit.
#[derive(Serialize)]
struct GiftAudit {
    /// What the ledger says the hub owes for gifts (msat).
    liabilities_msat: i64,
    /// The value of paid, unredeemed gifts (msat).
    unredeemed_msat: i64,
    /// Whether the two agree.
    matches: bool,
}

async fn audit(
    _: Operator,
    State(gifts): State<GiftsService>,
) -> Result<Json<GiftAudit>, HubError> {
    let (owed, unredeemed) = gifts.audit().await?;
    Ok(Json(GiftAudit {
        liabilities_msat: owed,
        unredeemed_msat: unredeemed,
        matches: owed == unredeemed,
    }))
}
