//! The preimage of each transaction, in its own table. It MUST NOT reach anyone but the seller,
//! and only once the buyer confirmed receipt (or an operator released it).

use sqlx::AnyConnection;

use crate::services::escrow::model::Status;

/// Stores a new transaction's preimage.
pub(super) async fn insert_preimage(
    conn: &mut AnyConnection,
    tx_id: i64,
    preimage: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO escrow_preimages (tx_id, preimage) VALUES ($1, $2)")
        .bind(tx_id)
        .bind(preimage)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Releases the preimage to the seller: only from `goods received` (moving to `funds received`)
/// or again once `funds received`, never while a dispute is open or without an invoice. Returns
/// the preimage, or `None` if not releasable.
pub async fn release_preimage(
    conn: &mut AnyConnection,
    tx_id: i64,
    seller_id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let [received, funded] = Status::RELEASABLE;
    let moved = sqlx::query(
        "UPDATE escrow_txs SET status = $3
         WHERE id = $1 AND seller_id = $2 AND dispute_open = 0 AND invoice IS NOT NULL
           AND status IN ($4, $5)",
    )
    .bind(tx_id)
    .bind(seller_id)
    .bind(Status::FundsReceived)
    .bind(received)
    .bind(funded)
    .execute(&mut *conn)
    .await?;
    if moved.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE escrow_preimages SET released_at = COALESCE(released_at, $1) WHERE tx_id = $2",
    )
    .bind(now)
    .bind(tx_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT preimage FROM escrow_preimages WHERE tx_id = $1")
        .bind(tx_id)
        .fetch_optional(&mut *conn)
        .await
}
