//! The double-entry ledger every custodial balance lives in. A posting is a set of entries in
//! millisatoshis that sum to zero (debits positive, credits negative), written inside the
//! caller's database transaction together with the state change it accounts for. Each posting
//! names the business event it records (`reference`), and a reference is posted at most once,
//! so replaying an event after a crash cannot count money twice.

use sqlx::AnyConnection;

use crate::store::Store;

/// What the hub holds in its Lightning channels.
pub const ASSETS_LIGHTNING: &str = "assets:lightning";
/// Routing fees the hub paid for payouts.
pub const EXPENSES_ROUTING_FEES: &str = "expenses:routing-fees";
/// Money received above what an invoice asked for.
pub const INCOME_OVERPAYMENTS: &str = "income:overpayments";
/// The treasury's on-chain coins (confirmed receipts less what it sent).
pub const ASSETS_TREASURY: &str = "assets:treasury";
/// Net flows of the node's on-chain wallet that the hub's business caused (top-ups from the
/// treasury in, balances pushed to channel buyers out); its starting capital is not booked.
pub const ASSETS_NODE_WALLET: &str = "assets:node-wallet";
/// On-chain network fees the hub paid.
pub const EXPENSES_ONCHAIN_FEES: &str = "expenses:onchain-fees";
/// The hub's side of channels that were force-closed: on chain, locked until the commitment's
/// timelock expires and the node sweeps it to its wallet.
pub const ASSETS_ONCHAIN_IN_TRANSIT: &str = "assets:onchain-in-transit";
/// The LSP's fees for channels delivered.
pub const INCOME_LSP_FEES: &str = "income:lsp-fees";
/// Coins the operator put into the treasury (receipts at addresses of no service).
pub const EQUITY_TREASURY_DEPOSITS: &str = "equity:treasury-deposits";
/// Coins the operator sent out of the treasury.
pub const EQUITY_TREASURY_WITHDRAWALS: &str = "equity:treasury-withdrawals";
/// Coins the operator sent out of the node wallet (`POST /admin/node/wallet/send`).
pub const EQUITY_NODE_WALLET_WITHDRAWALS: &str = "equity:node-wallet-withdrawals";

/// What the hub holds for channel order `order_id` (paid on chain, not yet delivered, or
/// refundable).
pub fn lsp_order_liability(order_id: &str) -> String {
    format!("liabilities:lsp:{order_id}")
}

/// One line of a posting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Account name, `kind:...` (`assets:`, `liabilities:`, `income:`, `expenses:`).
    pub account: String,
    /// Debit (positive) or credit (negative), in millisatoshis.
    pub amount_msat: i64,
}

impl Entry {
    /// A debit of `amount_msat` to `account`.
    pub fn debit(account: impl Into<String>, amount_msat: i64) -> Self {
        Self {
            account: account.into(),
            amount_msat,
        }
    }

    /// A credit of `amount_msat` to `account`.
    pub fn credit(account: impl Into<String>, amount_msat: i64) -> Self {
        Self {
            account: account.into(),
            amount_msat: -amount_msat,
        }
    }
}

/// Why a posting was refused.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The entries do not sum to zero (or overflow): a bug in the caller, nothing was written.
    #[error("unbalanced posting {reference}: entries sum to {sum:?}")]
    Unbalanced {
        /// The posting's reference.
        reference: String,
        /// Their sum, if it did not overflow.
        sum: Option<i64>,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

/// Records a posting within the caller's transaction. Zero entries are dropped. Returns
/// `false` when `reference` was already posted (nothing is written again).
pub async fn post(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    entries: &[Entry],
) -> Result<bool, LedgerError> {
    let sum = entries
        .iter()
        .try_fold(0i64, |sum, entry| sum.checked_add(entry.amount_msat));
    if sum != Some(0) {
        return Err(LedgerError::Unbalanced {
            reference: reference.to_string(),
            sum,
        });
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO ledger_transactions (reference, kind, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (reference) DO NOTHING RETURNING id",
    )
    .bind(reference)
    .bind(kind)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(false);
    };
    for entry in entries.iter().filter(|e| e.amount_msat != 0) {
        sqlx::query(
            "INSERT INTO ledger_entries (transaction_id, account, amount_msat, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&entry.account)
        .bind(entry.amount_msat)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Posts as `post`, for callers whose entries balance by construction (a node event's effect, a
/// committed send): a refused posting is a bug to log, not a reason to refuse the event (which
/// would only replay it forever). Database errors still fail the caller.
pub async fn post_or_log(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    entries: &[Entry],
) -> Result<(), sqlx::Error> {
    match post(conn, now, kind, reference, entries).await {
        Ok(_) => Ok(()),
        Err(LedgerError::Store(e)) => Err(e),
        Err(e) => {
            tracing::error!(%reference, error = %e, "ledger posting refused");
            Ok(())
        }
    }
}

/// An account and its balance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AccountBalance {
    /// Account name.
    pub account: String,
    /// Sum of its entries (debits positive), in millisatoshis.
    pub balance_msat: i64,
}

/// Every account with its balance, by name.
pub async fn balances(store: &Store) -> Result<Vec<AccountBalance>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account, CAST(SUM(amount_msat) AS BIGINT) AS balance_msat
         FROM ledger_entries GROUP BY account ORDER BY account",
    )
    .fetch_all(store.pool())
    .await
}

/// The balance of one account (msat; 0 for an account with no entries).
pub async fn account_balance(store: &Store, account: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_msat) AS BIGINT) FROM ledger_entries WHERE account = $1",
    )
    .bind(account)
    .fetch_one(store.pool())
    .await?;
    Ok(sum.unwrap_or(0))
}

/// The summed balance of every account whose name starts with `prefix`.
pub async fn balance_under(store: &Store, prefix: &str) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_msat) AS BIGINT) FROM ledger_entries
         WHERE substr(account, 1, CAST($1 AS INTEGER)) = $2",
    )
    .bind(i64::try_from(prefix.len()).unwrap_or(i64::MAX))
    .bind(prefix)
    .fetch_one(store.pool())
    .await?;
    Ok(sum.unwrap_or(0))
}

/// One entry of an account, with the posting it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AccountEntry {
    /// The entry's id (later entries have larger ids).
    pub id: i64,
    /// The posting's reference (the business event).
    pub reference: String,
    /// The posting's kind.
    pub kind: String,
    /// Debit (positive) or credit (negative), in millisatoshis.
    pub amount_msat: i64,
    /// When (unix seconds).
    pub created_at: i64,
}

/// Which entries of an account to read: of one posting kind if given, with ids below `before`
/// if given (the next page), at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Only postings of this kind.
    pub kind: Option<String>,
    /// Only entries with an id below this.
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// The entries of `account` that `filter` names, newest first.
pub async fn entries(
    store: &Store,
    account: &str,
    filter: &EntryFilter,
) -> Result<Vec<AccountEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, t.reference, t.kind, e.amount_msat, e.created_at
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
         WHERE e.account = $1 AND ($2 = '' OR t.kind = $2) AND e.id < $3
         ORDER BY e.id DESC LIMIT $4",
    )
    .bind(account)
    .bind(filter.kind.as_deref().unwrap_or(""))
    .bind(filter.before.unwrap_or(i64::MAX))
    .bind(filter.limit)
    .fetch_all(store.pool())
    .await
}

/// Money into and out of the hub's Lightning holdings per posting kind and day since `since`
/// (unix seconds): (kind, day number since the epoch, received msat, paid msat).
pub async fn lightning_flows(
    store: &Store,
    since: i64,
) -> Result<Vec<(String, i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.kind, CAST(e.created_at / 86400 AS BIGINT) AS day,
                CAST(SUM(CASE WHEN e.amount_msat > 0 THEN e.amount_msat ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN e.amount_msat < 0 THEN -e.amount_msat ELSE 0 END) AS BIGINT)
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
         WHERE e.account = $1 AND e.created_at >= $2
         GROUP BY t.kind, CAST(e.created_at / 86400 AS BIGINT)
         ORDER BY day",
    )
    .bind(ASSETS_LIGHTNING)
    .bind(since)
    .fetch_all(store.pool())
    .await
}
