//! The merchant hub's ledger accounts and the postings that move merchant money. Each posting
//! that changes a merchant's spendable balance also changes `merchants.balance_msat`, in the
//! same transaction, so the two always agree (`trial_balance` checks it).

use sqlx::AnyConnection;

use super::store;
use crate::ledger::{self, Entry};
use crate::store::Store;

/// Fees the hub earned on incoming merchant payments.
pub const INCOME_MERCHANT_FEES: &str = "income:merchant-fees";
/// Withdrawals taken from balances and not yet sent.
pub const MERCHANT_WITHDRAWALS: &str = "liabilities:merchant-withdrawals";
/// The prefix of every merchant's spendable balance account.
pub const MERCHANT_PREFIX: &str = "liabilities:merchant:";

/// A merchant's spendable balance.
pub fn merchant_account(merchant_id: &str) -> String {
    format!("{MERCHANT_PREFIX}{merchant_id}")
}

/// What an outgoing payment holds while in flight (its amount and fee reserve).
pub fn payout_account(payment_id: &str) -> String {
    format!("liabilities:merchant-payouts:{payment_id}")
}

/// The prefix of a merchant's on-chain invoice accounts (locked balance).
pub fn locked_prefix(merchant_id: &str) -> String {
    format!("liabilities:merchant-onchain:{merchant_id}:")
}

/// What an on-chain invoice received and holds until settled (part of the locked balance).
pub fn onchain_invoice_account(merchant_id: &str, invoice_id: &str) -> String {
    format!("{}{invoice_id}", locked_prefix(merchant_id))
}

/// Posts `entries`, which credit the merchant's account by exactly `credit_msat`, and adds that
/// to the merchant's balance column. (Debits take from the column first, with
/// `store::take_balance`, which refuses to go below zero.) A refused posting is an error:
/// nothing of the caller's transaction may commit.
pub async fn post_crediting(
    conn: &mut AnyConnection,
    now: i64,
    kind: &str,
    reference: &str,
    merchant_id: &str,
    credit_msat: i64,
    entries: &[Entry],
) -> Result<(), ledger::LedgerError> {
    if credit_msat > 0 {
        store::credit_balance(conn, merchant_id, credit_msat).await?;
    }
    ledger::post(conn, now, kind, reference, entries).await?;
    Ok(())
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
    let columns = store::total_balances(store).await?;
    Ok(MerchantBooks {
        balances_msat: balances,
        balance_columns_msat: columns,
        locked_msat: -ledger::balance_under(store, "liabilities:merchant-onchain:").await?,
        payouts_in_flight_msat: -ledger::balance_under(store, "liabilities:merchant-payouts:")
            .await?,
        withdrawals_pending_msat: -ledger::account_balance(store, MERCHANT_WITHDRAWALS).await?,
        columns_match_ledger: balances == columns,
    })
}
