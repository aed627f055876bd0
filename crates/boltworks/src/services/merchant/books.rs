//! The merchant hub's ledger accounts and the postings that move merchant money. Each posting
//! that changes a merchant's spendable balance also changes `merchants.balance_msat`, in the
//! same transaction, so the two always agree (`merchant_books` checks it).

use sqlx::AnyConnection;

use super::store;
use crate::ledger::{self, Entry};
use crate::money::{Msat, Sat};
use crate::store::Store;

/// Fees the hub earned on incoming merchant payments.
pub const INCOME_MERCHANT_FEES: &str = "income:merchant-fees";
/// Withdrawals taken from balances and not yet sent.
pub const MERCHANT_WITHDRAWALS: &str = "liabilities:merchant-withdrawals";
/// The prefix of every merchant's spendable balance account.
pub const MERCHANT_PREFIX: &str = "liabilities:merchant:";
/// The prefix of every on-chain invoice account.
const ONCHAIN_PREFIX: &str = "liabilities:merchant-onchain:";
/// The prefix of every outgoing payment's account.
const PAYOUTS_PREFIX: &str = "liabilities:merchant-payouts:";

/// A merchant's spendable balance.
pub fn merchant_account(merchant_id: &str) -> String {
    format!("{MERCHANT_PREFIX}{merchant_id}")
}

/// What an outgoing payment holds while in flight (its amount and fee reserve).
pub fn payout_account(payment_id: &str) -> String {
    format!("{PAYOUTS_PREFIX}{payment_id}")
}

/// The prefix of a merchant's on-chain invoice accounts (locked balance).
pub fn locked_prefix(merchant_id: &str) -> String {
    format!("{ONCHAIN_PREFIX}{merchant_id}:")
}

/// What an on-chain invoice received and holds until settled (part of the locked balance).
pub fn onchain_invoice_account(merchant_id: &str, invoice_id: &str) -> String {
    format!("{}{invoice_id}", locked_prefix(merchant_id))
}

/// `amount` as a ledger entry's signed BIGINT. Every merchant amount fits (amounts are at most
/// 21 million bitcoin, stored ones fit BIGINT); one that did not is an encoding error, as
/// binding it would be, never a wrap.
pub fn ledger_msat(amount: Msat) -> Result<i64, sqlx::Error> {
    amount
        .to_db()
        .ok_or_else(|| sqlx::Error::Encode(format!("{amount} does not fit the ledger").into()))
}

/// The whole sats an account of the hub's liabilities holds (none for an account in debit).
pub async fn liability_sat(store: &Store, account: &str) -> Result<Sat, sqlx::Error> {
    let held = -ledger::account_balance(store, account).await?;
    Ok(Sat(u64::try_from(held / 1_000).unwrap_or(0)))
}

/// Posts `entries`, which credit the merchant's account by exactly `credit`, and adds that to
/// the merchant's balance column. (Debits take from the column first, with
/// `store::merchants::take_balance`, which refuses to go below zero.) A refused posting is an
/// error: nothing of the caller's transaction may commit.
pub async fn post_crediting(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    merchant_id: &str,
    credit: Msat,
    entries: &[Entry],
) -> Result<(), ledger::LedgerError> {
    if credit.0 > 0 {
        store::merchants::credit_balance(conn, merchant_id, credit).await?;
    }
    ledger::post(conn, now, kind, reference, entries).await?;
    Ok(())
}

/// Posts as `post_crediting`, for postings that balance by construction (a node event's
/// effect, the end of a payment): a refused posting is a bug that fails the transaction
/// rather than commit a balance change without its entries.
pub async fn post_crediting_or_fail(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    merchant_id: &str,
    credit: Msat,
    entries: &[Entry],
) -> Result<(), sqlx::Error> {
    post_crediting(conn, now, kind, reference, merchant_id, credit, entries)
        .await
        .map_err(|e| match e {
            ledger::LedgerError::Store(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
}

/// The hub's merchant books at a glance: what it owes merchants and whether the balance
/// columns match the ledger.
#[derive(Debug, serde::Serialize)]
pub struct MerchantBooks {
    /// Spendable balances, by the ledger (msat).
    pub balances_msat: i64,
    /// The same by the balance columns (msat).
    pub balance_columns_msat: i64,
    /// Held for on-chain invoices not yet settled (msat).
    pub locked_msat: i64,
    /// Outgoing payments in flight (msat).
    pub payouts_in_flight_msat: i64,
    /// Withdrawals not yet sent (msat).
    pub withdrawals_pending_msat: i64,
    /// Whether the columns match the ledger.
    pub columns_match_ledger: bool,
}

/// Sums the merchant liabilities.
pub async fn merchant_books(store: &Store) -> Result<MerchantBooks, sqlx::Error> {
    let balances = -ledger::balance_under(store, MERCHANT_PREFIX).await?;
    let columns = store::merchants::total_balances(store).await?;
    Ok(MerchantBooks {
        balances_msat: balances,
        balance_columns_msat: columns,
        locked_msat: -ledger::balance_under(store, ONCHAIN_PREFIX).await?,
        payouts_in_flight_msat: -ledger::balance_under(store, PAYOUTS_PREFIX).await?,
        withdrawals_pending_msat: -ledger::account_balance(store, MERCHANT_WITHDRAWALS).await?,
        columns_match_ledger: balances == columns,
    })
}
