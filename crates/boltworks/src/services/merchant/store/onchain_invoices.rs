//! Incoming on-chain invoices, each with its own treasury address: pending while its receipts
//! are counted (a PARTIAL notice for each new part), then settled, or cancelled and refunded.

use sqlx::AnyConnection;

use crate::money::Sat;
use crate::store::columns::stored_enum;
use crate::store::Store;

stored_enum! {
    /// Where an on-chain invoice stands (the wire's `status` too).
    pub enum OnchainInvoiceStatus {
        /// Waiting for (the rest of) its amount.
        Pending = "Pending",
        /// Paid and credited.
        Settled = "Settled",
        /// Cancelled; what it received is refunded.
        Canceled = "Canceled",
    }
}

/// An incoming on-chain invoice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OnchainInvoice {
    /// 48 hex.
    pub invoice_id: String,
    /// Whose.
    pub merchant_id: String,
    /// Its own treasury address.
    pub btc_address: String,
    /// Asked; `None` for an open amount.
    pub amount_sat: Option<Sat>,
    /// Memo.
    pub description: String,
    /// Webhook override.
    pub ntfn_url: Option<String>,
    /// Where it stands.
    pub status: OnchainInvoiceStatus,
    /// Confirmed sats received.
    pub paid_sat: Sat,
    /// Sats a PARTIAL notice was last sent for.
    pub notified_partial_sat: Sat,
    /// The hub's fee, once settled.
    pub fee_sat: Option<Sat>,
    /// Refund transaction, once cancelled.
    pub refund_txid: Option<String>,
    /// Created (unix seconds).
    pub created_at: i64,
    /// The transaction of the withdrawal that took what it paid, once sent.
    pub withdraw_tx: Option<String>,
}

const COLUMNS: &str = "invoice_id, merchant_id, btc_address, amount_sat, description, \
     ntfn_url, status, paid_sat, notified_partial_sat, fee_sat, refund_txid, created_at, withdraw_tx";

/// Records a new on-chain invoice (in its status, `Pending`).
pub async fn insert(store: &Store, i: &OnchainInvoice) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_onchain_invoices (invoice_id, merchant_id, btc_address, amount_sat,
            description, ntfn_url, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&i.invoice_id)
    .bind(&i.merchant_id)
    .bind(&i.btc_address)
    .bind(i.amount_sat)
    .bind(&i.description)
    .bind(&i.ntfn_url)
    .bind(i.status)
    .bind(i.created_at)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// On-chain invoices in `status`.
pub async fn in_status(
    store: &Store,
    status: OnchainInvoiceStatus,
) -> Result<Vec<OnchainInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_onchain_invoices WHERE status = $1"
    ))
    .bind(status)
    .fetch_all(store.pool())
    .await
}

/// A merchant's on-chain invoices, newest first.
pub async fn of_merchant(
    store: &Store,
    merchant_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<OnchainInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_onchain_invoices WHERE merchant_id = $1
         ORDER BY created_at DESC, invoice_id LIMIT $2 OFFSET $3"
    ))
    .bind(merchant_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await
}

/// A merchant's on-chain invoice by address.
pub async fn by_address(
    store: &Store,
    merchant_id: &str,
    address: &str,
) -> Result<Option<OnchainInvoice>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_onchain_invoices
         WHERE merchant_id = $1 AND btc_address = $2"
    ))
    .bind(merchant_id)
    .bind(address)
    .fetch_optional(store.pool())
    .await
}

/// Records what a pending invoice has received and the PARTIAL notice sent for it. `false` when
/// it is no longer pending.
pub async fn note_partial(
    conn: &mut AnyConnection,
    invoice_id: &str,
    paid: Sat,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_onchain_invoices SET paid_sat = $2, notified_partial_sat = $2, updated_at = $3
         WHERE invoice_id = $1 AND status = $4",
    )
    .bind(invoice_id)
    .bind(paid)
    .bind(now)
    .bind(OnchainInvoiceStatus::Pending)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a pending invoice to `Settled` (with what it received and the fee) or `Canceled`.
/// `false` when it is no longer pending.
pub async fn end(
    conn: &mut AnyConnection,
    invoice_id: &str,
    status: OnchainInvoiceStatus,
    paid: Sat,
    fee: Option<Sat>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchant_onchain_invoices SET status = $2, paid_sat = $3, fee_sat = $4, updated_at = $5
         WHERE invoice_id = $1 AND status = $6",
    )
    .bind(invoice_id)
    .bind(status)
    .bind(paid)
    .bind(fee)
    .bind(now)
    .bind(OnchainInvoiceStatus::Pending)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records the refund transaction of a cancelled invoice.
pub async fn set_refund_txid(
    store: &Store,
    invoice_id: &str,
    txid: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchant_onchain_invoices SET refund_txid = $2 WHERE invoice_id = $1")
        .bind(invoice_id)
        .bind(txid)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Puts a cancelled invoice whose refund could not be sent back to `Pending`.
pub async fn reopen(store: &Store, invoice_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchant_onchain_invoices SET status = $2
         WHERE invoice_id = $1 AND status = $3 AND refund_txid IS NULL",
    )
    .bind(invoice_id)
    .bind(OnchainInvoiceStatus::Pending)
    .bind(OnchainInvoiceStatus::Canceled)
    .execute(store.pool())
    .await?;
    Ok(())
}
