//! The console's ledger page: the trial balance, and one account's entries newest first,
//! narrowed to a posting kind and a page at a time (`?account=&kind=&before=`).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::failed;
use super::render::page;
use super::session::Session;
use crate::api::AppState;
use crate::ledger::EntryFilter;

/// Entries a page shows.
const PAGE: i64 = 100;

#[derive(Deserialize)]
pub(super) struct LedgerQuery {
    account: Option<String>,
    kind: Option<String>,
    before: Option<i64>,
}

/// `GET /console/ledger`.
pub(super) async fn ledger(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LedgerQuery>,
) -> Response {
    let store = &state.hub.store;
    let accounts = match crate::ledger::balances(store).await {
        Ok(accounts) => accounts,
        Err(e) => return failed(e),
    };
    let total: i128 = accounts.iter().map(|a| i128::from(a.balance_msat)).sum();
    let account = query.account.filter(|a| !a.is_empty());
    let kind = query.kind.filter(|k| !k.is_empty());
    let entries = match &account {
        Some(account) => {
            let filter = EntryFilter {
                kind: kind.clone(),
                before: query.before,
                limit: PAGE,
            };
            match crate::ledger::entries(store, account, &filter).await {
                Ok(entries) => Some(entries),
                Err(e) => return failed(e),
            }
        }
        None => None,
    };
    let next = entries
        .as_ref()
        .filter(|e| e.len() as i64 == PAGE)
        .and_then(|e| e.last().map(|last| last.id));
    let body = context! {
        title => "Ledger",
        csrf => &session.csrf,
        accounts => Value::from_serialize(&accounts),
        total_msat => total.to_string(),
        account => account,
        kind => kind,
        entries => Value::from_serialize(&entries),
        next => next,
    };
    page(StatusCode::OK, "ledger.html", body)
}
