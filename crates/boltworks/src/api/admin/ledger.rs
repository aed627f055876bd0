//! `GET /admin/ledger`: the trial balance, for operators. Every account with its balance, and
//! whether all entries sum to zero (they must).

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::ledger::AccountBalance;

/// The trial balance.
#[derive(Serialize)]
struct TrialBalance {
    accounts: Vec<AccountBalance>,
    /// The sum of every account (saturated to `i64`; zero when balanced).
    total_msat: i64,
    balanced: bool,
}

/// The operator's ledger routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/ledger",
        "Trial balance: every ledger account and the total (zero when balanced)",
        trial_balance,
    )
}

#[tracing::instrument(skip_all)]
async fn trial_balance(
    _: Operator,
    State(hub): State<HubContext>,
) -> Result<Json<TrialBalance>, HubError> {
    let accounts = crate::ledger::balances(&hub.store).await?;
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    Ok(Json(TrialBalance {
        total_msat: i64::try_from(total).unwrap_or(i64::MAX),
        balanced: total == 0,
        accounts,
    }))
}
