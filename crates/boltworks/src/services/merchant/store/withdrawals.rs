//! Withdrawals of whole balances and the batches they go out in: pending until the batcher
//! takes them into a batch (processing), withdrawn once the batch's transaction is sent.

use sqlx::AnyConnection;

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

/// Marks a batch's withdrawals `Withdrawn` in `txid`.
pub async fn finish_batch(
    store: &Store,
    batch_id: &str,
    txid: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_withdrawals SET status = $4, txid = $2, withdrawn_at_ms = $3
         WHERE batch_id = $1 AND status = $5",
    )
    .bind(batch_id)
    .bind(txid)
    .bind(now_ms)
    .bind(WithdrawalStatus::Withdrawn)
    .bind(WithdrawalStatus::Processing)
    .execute(store.pool())
    .await?;
    Ok(())
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
