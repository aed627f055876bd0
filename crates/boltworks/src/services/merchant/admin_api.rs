//! `GET /admin/merchant/books`: what the hub owes merchants (balances, locked, in flight,
//! pending withdrawals), whether the balance columns match the ledger, and the hub's total
//! liabilities against what its node's channels and treasury hold.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::notify::admin_api::authorize;

pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/merchant/books",
        "Merchant liabilities, their check against the ledger, and the hub's liabilities against its holdings",
        books,
    )
}

async fn books(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, HubError> {
    authorize(&state, &headers)?;
    let merchant = super::books::merchant_books(&state.store).await?;
    let liabilities = -crate::ledger::balance_under(&state.store, "liabilities:").await?;
    let accounts = crate::ledger::balances(&state.store).await?;
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    let lightning_msat: u64 = state
        .node
        .channels()
        .iter()
        .map(|c| c.outbound_capacity_msat)
        .sum();
    let treasury_msat = match &state.treasury {
        Some(t) => {
            let b = t.balance().await;
            (b.confirmed.0 + b.own_pending.0).saturating_mul(1_000)
        }
        None => 0,
    };
    let holdings = lightning_msat.saturating_add(treasury_msat);
    Ok(Json(json!({
        "merchant": merchant,
        "ledger_balanced": total == 0,
        "liabilities_msat": liabilities,
        "holdings_msat": {"lightning": lightning_msat, "treasury": treasury_msat, "total": holdings},
        "covered": i128::from(liabilities) <= i128::from(holdings),
    })))
}
