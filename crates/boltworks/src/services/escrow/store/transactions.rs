//! Escrow transactions: the row (with its invoice and its dispute, read in one query), their
//! creation with the next sequential id, and the conditional updates of their status.

use sqlx::{Any, AnyConnection, Executor};

use super::disputes::{Dispute, DisputeColumns};
use super::preimages;
use crate::money::{Msat, Sat};
use crate::services::escrow::model::{AcceptedInvoice, Status};
use crate::store::{OnUniqueViolation, Store};

/// An escrow transaction as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscrowTx {
    /// Id.
    pub id: i64,
    /// Seller's user id.
    pub seller_id: i64,
    /// Buyer's user id, once attached.
    pub buyer_id: Option<i64>,
    /// Buyer's email as given at creation.
    pub buyer_email: String,
    /// `goods` or `services` (not validated, as in the original).
    pub goods_or_services: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `buyer` or `seller` (informational).
    pub fee_payer: String,
    /// Price.
    pub amount_sat: Sat,
    /// Status.
    pub status: Status,
    /// Payment hash the seller's invoice must use.
    pub pmthash: String,
    /// The seller's invoice, once set.
    #[sqlx(flatten, try_from = "InvoiceColumns")]
    pub invoice: Option<SellerInvoice>,
    /// Created (unix seconds).
    pub created_at: i64,
    /// Informational expiry (unix seconds).
    pub expires_at: i64,
    /// The chain height by which the seller must settle, once payment is confirmed.
    pub settle_by_height: Option<i64>,
    /// Its dispute, if one was opened.
    #[sqlx(flatten, try_from = "DisputeColumns")]
    pub dispute: Option<Dispute>,
}

/// The seller's invoice and what the hub decoded of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellerInvoice {
    /// The BOLT11 string.
    pub bolt11: String,
    /// Its amount.
    pub amount_msat: Option<Msat>,
    /// Its expiry (unix seconds).
    pub expires_at: Option<i64>,
    /// Its min_final_cltv_expiry_delta.
    pub min_final_cltv_expiry_delta: Option<i64>,
    /// Its payee's node id.
    pub payee_node_id: Option<String>,
}

/// The invoice columns of a transaction row, all `NULL` until an invoice is set.
#[derive(sqlx::FromRow)]
pub struct InvoiceColumns {
    invoice: Option<String>,
    invoice_amount_msat: Option<Msat>,
    invoice_expires_at: Option<i64>,
    min_final_cltv_expiry_delta: Option<i64>,
    payee_node_id: Option<String>,
}

impl From<InvoiceColumns> for Option<SellerInvoice> {
    fn from(columns: InvoiceColumns) -> Self {
        Some(SellerInvoice {
            bolt11: columns.invoice?,
            amount_msat: columns.invoice_amount_msat,
            expires_at: columns.invoice_expires_at,
            min_final_cltv_expiry_delta: columns.min_final_cltv_expiry_delta,
            payee_node_id: columns.payee_node_id,
        })
    }
}

/// A transaction with its dispute, if any.
const TX_SELECT: &str = "SELECT t.id, t.seller_id, t.buyer_id, t.buyer_email, t.goods_or_services, t.title, t.description, t.fee_payer, t.amount_sat, t.status, t.pmthash, t.invoice, t.invoice_amount_msat, t.invoice_expires_at, t.min_final_cltv_expiry_delta, t.payee_node_id, t.settle_by_height, t.created_at, t.expires_at, d.reason AS dispute_reason, d.opened_by AS dispute_opened_by, d.opened_at AS dispute_opened_at, d.resolution AS dispute_resolution, d.note AS dispute_note, d.resolved_at AS dispute_resolved_at FROM escrow_txs t LEFT JOIN escrow_disputes d ON d.tx_id = t.id";

/// What `settx` stores.
pub struct NewTx<'a> {
    /// Seller.
    pub seller_id: i64,
    /// Buyer email.
    pub buyer_email: &'a str,
    /// Kind.
    pub goods_or_services: &'a str,
    /// Title.
    pub title: &'a str,
    /// Description.
    pub description: &'a str,
    /// Fee payer.
    pub fee_payer: &'a str,
    /// Price.
    pub amount: Sat,
    /// sha256(preimage), hex.
    pub pmthash: &'a str,
    /// The secret, hex.
    pub preimage: &'a str,
    /// Now.
    pub created_at: i64,
    /// Informational expiry.
    pub expires_at: i64,
}

/// Creates a transaction (`needs invoice`) and its preimage within the caller's database
/// transaction; returns its id. `None` when the next id was taken meanwhile (two PostgreSQL
/// writers at once): roll back and retry.
pub async fn create_tx(
    conn: &mut AnyConnection,
    new: &NewTx<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO escrow_txs (id, seller_id, buyer_email, goods_or_services, title,
             description, fee_payer, amount_sat, status, pmthash, created_at, expires_at)
         SELECT COALESCE(MAX(id) + 1, 0), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
         FROM escrow_txs RETURNING id",
    )
    .bind(new.seller_id)
    .bind(new.buyer_email)
    .bind(new.goods_or_services)
    .bind(new.title)
    .bind(new.description)
    .bind(new.fee_payer)
    .bind(new.amount)
    .bind(Status::NeedsInvoice)
    .bind(new.pmthash)
    .bind(new.created_at)
    .bind(new.expires_at)
    .fetch_one(&mut *conn)
    .await
    .on_unique_violation(|| ())?;
    let Ok(id) = inserted else {
        return Ok(None);
    };
    preimages::insert_preimage(conn, id, new.preimage).await?;
    Ok(Some(id))
}

/// One transaction, read from the pool or within a database transaction.
pub async fn get_tx<'e>(
    db: impl Executor<'e, Database = Any>,
    id: i64,
) -> Result<Option<EscrowTx>, sqlx::Error> {
    let sql = format!("{TX_SELECT} WHERE t.id = $1");
    sqlx::query_as(&sql).bind(id).fetch_optional(db).await
}

/// The transactions where `user_id` is seller or buyer, oldest first.
pub async fn txs_of_user(store: &Store, user_id: i64) -> Result<Vec<EscrowTx>, sqlx::Error> {
    let sql = format!("{TX_SELECT} WHERE t.seller_id = $1 OR t.buyer_id = $1 ORDER BY t.id");
    sqlx::query_as(&sql)
        .bind(user_id)
        .fetch_all(store.pool())
        .await
}

/// Up to `limit` transactions with an id below `before` (all when `None`), in `status` if
/// given, newest first (for the operator's console).
pub async fn txs_page(
    store: &Store,
    status: Option<Status>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<EscrowTx>, sqlx::Error> {
    let sql = format!(
        "{TX_SELECT} WHERE ($1 = '' OR t.status = $1) AND t.id < $2 ORDER BY t.id DESC LIMIT $3"
    );
    sqlx::query_as(&sql)
        .bind(status.map_or("", Status::as_str))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(store.pool())
        .await
}

/// Attaches a buyer if the transaction has none. Returns whether it did.
pub async fn attach_buyer(store: &Store, tx_id: i64, user_id: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE escrow_txs SET buyer_id = $1 WHERE id = $2 AND buyer_id IS NULL")
            .bind(user_id)
            .bind(tx_id)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the invoice and moves to `needs paid`, if no invoice is stored yet, no dispute is
/// open and the transaction is not past taking one. Returns whether it did.
pub async fn set_invoice(
    conn: &mut AnyConnection,
    tx_id: i64,
    seller_id: i64,
    invoice: &AcceptedInvoice,
) -> Result<bool, sqlx::Error> {
    let [received, funded, refunded] = Status::PAST_INVOICE;
    let done = sqlx::query(
        "UPDATE escrow_txs SET invoice = $1, invoice_amount_msat = $2, invoice_expires_at = $3,
                min_final_cltv_expiry_delta = $4, payee_node_id = $5, status = $6
         WHERE id = $7 AND seller_id = $8 AND invoice IS NULL AND dispute_open = 0
           AND status NOT IN ($9, $10, $11)",
    )
    .bind(&invoice.bolt11)
    .bind(invoice.amount)
    .bind(invoice.expires_at)
    .bind(invoice.min_final_cltv_expiry_delta)
    .bind(&invoice.payee_node_id)
    .bind(Status::NeedsPaid)
    .bind(tx_id)
    .bind(seller_id)
    .bind(received)
    .bind(funded)
    .bind(refunded)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the status from `from` to `to`. Returns whether the row still had `from`.
pub async fn transition(
    conn: &mut AnyConnection,
    tx_id: i64,
    from: Status,
    to: Status,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE escrow_txs SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to)
        .bind(tx_id)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
