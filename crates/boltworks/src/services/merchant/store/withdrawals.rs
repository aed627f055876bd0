//! Withdrawals of whole balances and the batches they go out in: pending until the batcher
//! takes them into a batch (processing), withdrawn once the batch's transaction is sent.

use sqlx::AnyConnection;

use super::{InvoiceState, OnchainInvoiceStatus};
use crate::money::Sat;
use crate::store::columns::stored_enum;
use crate::store::Store;

stored_enum! {
    /// Where a withdrawal stands (the wire's `status` too).
    pub enum WithdrawalStatus {
        /// Waiting for the next batch.
        Pending = "Pending",
        /// In a batch being sent.
        Processing = "Processing",
        /// Sent.
        Withdrawn = "Withdrawn",
        /// Cancelled (the schema allows it; the hub does not cancel withdrawals).
        Canceled = "Canceled",
    }
}

/// A withdrawal of the whole balance.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Withdrawal {
    /// UUID.
    pub withdrawal_id: String,
    /// Whose.
    pub merchant_id: String,
    /// What it sends.
    pub amount_sat: Sat,
    /// Destination.
    pub btc_address: String,
    /// Where it stands.
    pub status: WithdrawalStatus,
    /// The batch it went out in.
    pub batch_id: Option<String>,
    /// The batch transaction.
    pub txid: Option<String>,
    /// Unix ms.
    pub created_at_ms: i64,
    /// Unix ms.
    pub withdrawn_at_ms: Option<i64>,
}

const COLUMNS: &str = "withdrawal_id, merchant_id, amount_sat, btc_address, status, \
     batch_id, txid, created_at_ms, withdrawn_at_ms";

/// Records a new withdrawal (in its status, `Pending`).
pub async fn insert(conn: &mut AnyConnection, w: &Withdrawal) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_withdrawals (withdrawal_id, merchant_id, amount_sat, btc_address, status, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&w.withdrawal_id)
    .bind(&w.merchant_id)
    .bind(w.amount_sat)
    .bind(&w.btc_address)
    .bind(w.status)
    .bind(w.created_at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ties every paid invoice of the merchant that no withdrawal took yet to `withdrawal_id`: the
/// withdrawal of the whole balance takes what they paid. Within the withdrawal's transaction.
pub async fn take_paid_invoices(
    conn: &mut AnyConnection,
    merchant_id: &str,
    withdrawal_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_invoices SET withdrawal_id = $2
         WHERE merchant_id = $1 AND settled = $3 AND withdrawal_id IS NULL",
    )
    .bind(merchant_id)
    .bind(withdrawal_id)
    .bind(InvoiceState::Paid)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE merchant_onchain_invoices SET withdrawal_id = $2
         WHERE merchant_id = $1 AND status = $3 AND withdrawal_id IS NULL",
    )
    .bind(merchant_id)
    .bind(withdrawal_id)
    .bind(OnchainInvoiceStatus::Settled)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A withdrawal by id.
pub async fn by_id(store: &Store, withdrawal_id: &str) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_withdrawals WHERE withdrawal_id = $1"
    ))
    .bind(withdrawal_id)
    .fetch_optional(store.pool())
    .await
}

/// Puts every pending withdrawal into batch `batch_id` (`Processing`); returns how many.
pub async fn start_batch(conn: &mut AnyConnection, batch_id: &str) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("UPDATE merchant_withdrawals SET status = $2, batch_id = $1 WHERE status = $3")
            .bind(batch_id)
            .bind(WithdrawalStatus::Processing)
            .bind(WithdrawalStatus::Pending)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// Marks a batch's withdrawals `Withdrawn` in `txid`, and the invoices they took withdrawn in it
/// too (their `withdraw_tx`), in one transaction.
pub async fn finish_batch(
    store: &Store,
    batch_id: &str,
    txid: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE merchant_withdrawals SET status = $4, txid = $2, withdrawn_at_ms = $3
         WHERE batch_id = $1 AND status = $5",
    )
    .bind(batch_id)
    .bind(txid)
    .bind(now_ms)
    .bind(WithdrawalStatus::Withdrawn)
    .bind(WithdrawalStatus::Processing)
    .execute(&mut *tx)
    .await?;
    for table in ["merchant_invoices", "merchant_onchain_invoices"] {
        sqlx::query(&format!(
            "UPDATE {table} SET withdraw_tx = $2
             WHERE withdraw_tx IS NULL AND withdrawal_id IN
                (SELECT withdrawal_id FROM merchant_withdrawals WHERE batch_id = $1)"
        ))
        .bind(batch_id)
        .bind(txid)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Batches that were being sent when the hub stopped (each is sent again under its key).
pub async fn processing_batches(store: &Store) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT batch_id FROM merchant_withdrawals WHERE status = $1 AND batch_id IS NOT NULL",
    )
    .bind(WithdrawalStatus::Processing)
    .fetch_all(store.pool())
    .await
}

/// The withdrawals of a batch.
pub async fn batch(store: &Store, batch_id: &str) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_withdrawals WHERE batch_id = $1
         ORDER BY created_at_ms, withdrawal_id"
    ))
    .bind(batch_id)
    .fetch_all(store.pool())
    .await
}

/// Puts a batch's withdrawals back to `Pending` (its transaction could not be built).
pub async fn unbatch(store: &Store, batch_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_withdrawals SET status = $2, batch_id = NULL WHERE batch_id = $1 AND status = $3",
    )
    .bind(batch_id)
    .bind(WithdrawalStatus::Pending)
    .bind(WithdrawalStatus::Processing)
    .execute(store.pool())
    .await?;
    Ok(())
}
