//! `GET /admin/gifts/audit`: checks the gift liabilities in the ledger against the gifts
//! themselves. They must be equal: the hub owes exactly the paid, unredeemed gifts.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use super::effects::LIABILITY_PREFIX;
use crate::app::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::notify::admin_api::authorize;

pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/gifts/audit",
        "Gift liabilities in the ledger against the value of paid, unredeemed gifts",
        audit,
    )
}

async fn audit(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, HubError> {
    authorize(&state, &headers)?;
    // Liabilities are credits (negative balances).
    let owed = -crate::ledger::balance_under(&state.store, LIABILITY_PREFIX).await?;
    let unredeemed = super::store::unredeemed_msat(&state.store).await?;
    Ok(Json(json!({
        "liabilities_msat": owed,
        "unredeemed_msat": unredeemed,
        "matches": owed == unredeemed,
    })))
}
