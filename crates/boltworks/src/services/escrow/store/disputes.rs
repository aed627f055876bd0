//! Escrow disputes (extension): opened by a party, which blocks the preimage's release, and
//! resolved once by an operator, releasing it to the seller or destroying it.

use sqlx::AnyConnection;

use crate::services::escrow::model::{Resolution, Status};

/// A dispute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// Who opened it.
    pub opened_by: i64,
    /// Why.
    pub reason: String,
    /// When.
    pub opened_at: i64,
    /// How the operator resolved it, once resolved.
    pub resolution: Option<Resolution>,
    /// The operator's note.
    pub note: Option<String>,
    /// When it was resolved.
    pub resolved_at: Option<i64>,
}

/// The dispute columns a transaction row joins, all `NULL` without a dispute.
#[derive(sqlx::FromRow)]
pub struct DisputeColumns {
    dispute_reason: Option<String>,
    dispute_opened_by: Option<i64>,
    dispute_opened_at: Option<i64>,
    dispute_resolution: Option<Resolution>,
    dispute_note: Option<String>,
    dispute_resolved_at: Option<i64>,
}

impl From<DisputeColumns> for Option<Dispute> {
    fn from(columns: DisputeColumns) -> Self {
        Some(Dispute {
            reason: columns.dispute_reason?,
            opened_by: columns.dispute_opened_by?,
            opened_at: columns.dispute_opened_at?,
            resolution: columns.dispute_resolution,
            note: columns.dispute_note,
            resolved_at: columns.dispute_resolved_at,
        })
    }
}

/// Opens a dispute unless one is open, one was already resolved (an operator's decision is
/// final), or the transaction is settled (preimage fetched or refunded). Returns whether it did.
pub async fn open_dispute(
    conn: &mut AnyConnection,
    tx_id: i64,
    user: i64,
    reason: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let [funded, refunded] = Status::SETTLED;
    let opened = sqlx::query(
        "UPDATE escrow_txs SET dispute_open = 1
         WHERE id = $1 AND dispute_open = 0 AND status NOT IN ($2, $3)
           AND NOT EXISTS (SELECT 1 FROM escrow_disputes WHERE tx_id = $1 AND resolution IS NOT NULL)",
    )
    .bind(tx_id)
    .bind(funded)
    .bind(refunded)
    .execute(&mut *conn)
    .await?;
    if opened.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO escrow_disputes (tx_id, opened_by, reason, opened_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tx_id) DO UPDATE SET opened_by = excluded.opened_by, reason = excluded.reason,
             opened_at = excluded.opened_at, resolution = NULL, note = NULL, resolved_at = NULL",
    )
    .bind(tx_id)
    .bind(user)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Resolves the open dispute of `tx_id`: `release` moves it to `goods received` (unless the
/// preimage was already fetched), `refund` to `refunded` and destroys the preimage. Returns
/// whether there was an open dispute.
pub async fn resolve_dispute(
    conn: &mut AnyConnection,
    tx_id: i64,
    resolution: Resolution,
    note: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let moved = match resolution {
        Resolution::Release => sqlx::query(
            "UPDATE escrow_txs SET dispute_open = 0,
                 status = CASE WHEN status = $2 THEN status ELSE $3 END
             WHERE id = $1 AND dispute_open = 1",
        )
        .bind(tx_id)
        .bind(Status::FundsReceived)
        .bind(Status::GoodsReceived),
        Resolution::Refund => sqlx::query(
            "UPDATE escrow_txs SET dispute_open = 0, status = $2 WHERE id = $1 AND dispute_open = 1",
        )
        .bind(tx_id)
        .bind(Status::Refunded),
    };
    if moved.execute(&mut *conn).await?.rows_affected() != 1 {
        return Ok(false);
    }
    if resolution == Resolution::Refund {
        // Destroyed: nobody, operator included, can ever release it.
        sqlx::query("DELETE FROM escrow_preimages WHERE tx_id = $1")
            .bind(tx_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "UPDATE escrow_disputes SET resolution = $1, note = $2, resolved_at = $3 WHERE tx_id = $4",
    )
    .bind(resolution)
    .bind(note)
    .bind(now)
    .bind(tx_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// An open dispute, as the operator's console lists it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct OpenDispute {
    /// The transaction.
    pub tx: i64,
    /// Its title.
    pub title: String,
    /// Its amount.
    pub amount_sat: i64,
    /// Its status.
    pub status: String,
    /// Why it was disputed.
    pub reason: String,
    /// When (unix seconds).
    pub opened_at: i64,
}

/// The open disputes, oldest first.
pub async fn open_disputes(store: &crate::store::Store) -> Result<Vec<OpenDispute>, sqlx::Error> {
    sqlx::query_as::<_, OpenDispute>(
        "SELECT t.id AS tx, t.title, t.amount_sat, t.status, d.reason, d.opened_at
         FROM escrow_disputes d JOIN escrow_txs t ON t.id = d.tx_id
         WHERE d.resolved_at IS NULL AND t.dispute_open = 1
         ORDER BY d.opened_at LIMIT 200",
    )
    .fetch_all(store.pool())
    .await
}
