//! Settle-by deadlines: the chain height by which the seller must settle a confirmed payment,
//! and whether both parties were warned that it is near.

use sqlx::AnyConnection;

use crate::services::escrow::model::Status;

/// Records the height by which the seller must settle (and that nobody was warned of it yet).
pub async fn set_settle_by(
    conn: &mut AnyConnection,
    tx_id: i64,
    height: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE escrow_txs SET settle_by_height = $1, deadline_warned = 0 WHERE id = $2")
        .bind(height)
        .bind(tx_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Transactions whose settle-by height is within reach of `warn_at_height` and which are not
/// settled, not yet warned about. Marks them warned in the caller's database transaction.
pub async fn claim_deadline_warnings(
    conn: &mut AnyConnection,
    warn_at_height: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let [funded, refunded] = Status::SETTLED;
    sqlx::query_scalar(
        "UPDATE escrow_txs SET deadline_warned = 1
         WHERE deadline_warned = 0 AND settle_by_height IS NOT NULL AND settle_by_height <= $1
           AND status NOT IN ($2, $3)
         RETURNING id",
    )
    .bind(warn_at_height)
    .bind(funded)
    .bind(refunded)
    .fetch_all(&mut *conn)
    .await
}
