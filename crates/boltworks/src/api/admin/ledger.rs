//! `GET /admin/ledger`: the trial balance, for operators. Every account with its balance, and
//! whether all entries sum to zero (they must); and one account's entries, newest first.

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::ledger::{AccountBalance, AccountEntry, EntryFilter};

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
    ApiRoutes::new("admin")
        .get(
            "/admin/ledger",
            "Trial balance: every ledger account and the total (zero when balanced)",
            trial_balance,
        )
        .get(
            "/admin/ledger/entries",
            "An account's entries, newest first (?account=, ?kind= a posting kind, ?before= an entry id, ?limit= up to 500)",
            account_entries,
        )
}

/// The most entries one listing returns.
const MAX_LISTED: u32 = 500;

/// `?account=&kind=&before=&limit=`, read as text so a bad value gets the hub's own error.
#[derive(Deserialize)]
struct EntriesQuery {
    account: Option<String>,
    kind: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct EntriesReply {
    account: String,
    entries: Vec<AccountEntry>,
}

async fn account_entries(
    _: Operator,
    State(hub): State<HubContext>,
    Query(query): Query<EntriesQuery>,
) -> Result<Json<EntriesReply>, HubError> {
    let account = query
        .account
        .filter(|a| !a.is_empty())
        .ok_or_else(|| HubError::BadRequest("account is required".into()))?;
    let before = query
        .before
        .as_deref()
        .map(|b| b.parse::<i64>())
        .transpose()
        .map_err(|_| HubError::BadRequest("before must be an entry id".into()))?;
    let filter = EntryFilter {
        kind: query.kind.filter(|k| !k.is_empty()),
        before,
        limit: super::list_limit(query.limit.as_deref(), MAX_LISTED)?.into(),
    };
    let entries = crate::ledger::entries(&hub.store, &account, &filter).await?;
    Ok(Json(EntriesReply { account, entries }))
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
