//! `GET /admin/merchant/books`: what the hub owes merchants (balances, locked, in flight,
//! pending withdrawals), whether the balance columns match the ledger, and the hub's total
//! liabilities against what its node's channels and treasury hold.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::services::merchant::books::MerchantBooks;
use crate::services::merchant::MerchantService;

pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").get(
        "/admin/merchant/books",
        "Merchant liabilities, their check against the ledger, and the hub's liabilities against its holdings",
        books,
    )
}

/// The merchant books and the hub's liabilities against its holdings.
#[derive(Serialize)]
struct Books {
    /// What the hub owes merchants.
    merchant: MerchantBooks,
    /// Whether every ledger entry sums to zero.
    ledger_balanced: bool,
    /// Everything the hub owes (msat).
    liabilities_msat: i64,
    /// What the node's channels and the treasury hold.
    holdings_msat: Holdings,
    /// Whether the holdings cover the liabilities.
    covered: bool,
}

/// What the hub holds, msat.
#[derive(Serialize)]
struct Holdings {
    lightning: u64,
    treasury: u64,
    total: u64,
}

async fn books(
    _: Operator,
    State(state): State<HubContext>,
    State(merchants): State<MerchantService>,
) -> Result<Json<Books>, HubError> {
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
    Ok(Json(Books {
        merchant,
        ledger_balanced: total == 0,
        liabilities_msat: liabilities,
        holdings_msat: Holdings {
            lightning: lightning_msat,
            treasury: treasury_msat,
            total: holdings,
        },
        covered: i128::from(liabilities) <= i128::from(holdings),
    }))
}
