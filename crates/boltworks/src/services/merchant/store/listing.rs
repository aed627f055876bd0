//! Merchants for the operator's console: accounts with their balances, newest first a page at a
//! time, and one merchant's invoices, outgoing payments and withdrawals, newest first.

use serde::Serialize;

use crate::store::Store;

/// One merchant account, as the console lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MerchantRow {
    /// The PSS user id.
    pub merchant_id: String,
    /// Sign-in email.
    pub email: String,
    /// Spendable balance.
    pub balance_msat: i64,
    /// The key verifying its signatures, once set (hex SEC).
    pub pubkey: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
}

/// One received Lightning invoice.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InvoiceRow {
    /// Its payment hash.
    pub payment_hash: String,
    /// Its amount.
    pub amount_sat: i64,
    /// Its description.
    pub description: String,
    /// `lightning` or `internal` once paid.
    pub settled_by: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
}

/// One outgoing payment.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PaymentRow {
    /// Its id.
    pub payment_id: String,
    /// `internal`, `lightning` or `on_chain`.
    pub kind: String,
    /// What it pays.
    pub amount_msat: i64,
    /// The routing fee paid, once known.
    pub fee_paid_msat: Option<i64>,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
}

/// One withdrawal.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WithdrawalRow {
    /// Its id.
    pub withdrawal_id: String,
    /// What it pays out.
    pub amount_sat: i64,
    /// Where to.
    pub btc_address: String,
    /// `Pending`, `Processing`, `Withdrawn` or `Canceled`.
    pub status: String,
    /// The batch's transaction, once sent.
    pub txid: Option<String>,
    /// Created (unix milliseconds).
    pub created_at_ms: i64,
}

/// A merchant's recent activity.
#[derive(Debug, Clone, Serialize)]
pub struct MerchantActivity {
    /// The account.
    pub merchant: MerchantRow,
    /// Its latest invoices.
    pub invoices: Vec<InvoiceRow>,
    /// Its latest outgoing payments.
    pub payments: Vec<PaymentRow>,
    /// Its latest withdrawals.
    pub withdrawals: Vec<WithdrawalRow>,
}

const MERCHANT_COLUMNS: &str = "merchant_id, email, balance_msat, pubkey, created_at";

/// Up to `limit` merchants created before `before` (all when `None`), newest first.
pub async fn merchants(
    store: &Store,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<MerchantRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE created_at < $1
         ORDER BY created_at DESC, merchant_id LIMIT $2"
    ))
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await
}

/// Merchant `merchant_id` with its latest `limit` invoices, payments and withdrawals.
pub async fn activity(
    store: &Store,
    merchant_id: &str,
    limit: i64,
) -> Result<Option<MerchantActivity>, sqlx::Error> {
    let pool = store.pool();
    let merchant: Option<MerchantRow> = sqlx::query_as(&format!(
        "SELECT {MERCHANT_COLUMNS} FROM merchants WHERE merchant_id = $1"
    ))
    .bind(merchant_id)
    .fetch_optional(pool)
    .await?;
    let Some(merchant) = merchant else {
        return Ok(None);
    };
    let invoices = sqlx::query_as(
        "SELECT payment_hash, amount_sat, description, settled_by, created_at
         FROM merchant_invoices WHERE merchant_id = $1
         ORDER BY created_at DESC, payment_hash LIMIT $2",
    )
    .bind(merchant_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let payments = sqlx::query_as(
        "SELECT payment_id, kind, amount_msat, fee_paid_msat, status, failure_reason, created_at
         FROM merchant_payments WHERE merchant_id = $1
         ORDER BY created_at DESC, payment_id LIMIT $2",
    )
    .bind(merchant_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let withdrawals = sqlx::query_as(
        "SELECT withdrawal_id, amount_sat, btc_address, status, txid, created_at_ms
         FROM merchant_withdrawals WHERE merchant_id = $1
         ORDER BY created_at_ms DESC, withdrawal_id LIMIT $2",
    )
    .bind(merchant_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(Some(MerchantActivity {
        merchant,
        invoices,
        payments,
        withdrawals,
    }))
}
