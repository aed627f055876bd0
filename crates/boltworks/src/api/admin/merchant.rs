//! `GET /admin/merchant/books`: what the hub owes merchants (balances, locked, in flight,
//! pending withdrawals), whether the balance columns match the ledger, and the hub's total
//! liabilities against what its node's channels and treasury hold.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::services::merchant::MerchantService;

pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/merchant/books",
        "Merchant liabilities, their check against the ledger, and the hub's liabilities against its holdings",
        books,
    )
}

async fn books(
    _: Operator,
    State(state): State<HubContext>,
    State(merchants): State<MerchantService>,
) -> Result<Json<Value>, HubError> {
    let merchant = merchants.books().await?;
    let liabilities = -crate::ledger::balance_under(&state.store, "liabilities:").await?;
    let accounts = crate::ledger::balances(&state.store).await?;
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    let lightning_msat: u64 = state.node.channels().iter().map(|c| c.outbound.0).sum();
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
