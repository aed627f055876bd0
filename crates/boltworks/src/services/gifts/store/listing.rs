//! Gifts for the operator's console: newest first, by status, a page at a time.

use serde::Serialize;

use crate::store::Store;

/// One gift, as the console lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GiftRow {
    /// The gift's order id.
    pub order_id: String,
    /// Its amount.
    pub amount_sat: i64,
    /// `unpaid` or `paid`.
    pub charge_status: String,
    /// `false`, `pending` (a redemption in flight) or `true`.
    pub spent: String,
    /// Who gave it.
    pub sender_name: Option<String>,
    /// When it was made (unix seconds).
    pub created_at: i64,
}

/// What a gift's listing can be narrowed to.
pub const STATUSES: [&str; 4] = ["unpaid", "paid", "redeeming", "redeemed"];

/// Up to `limit` gifts made before `before`, with `status` (one of `STATUSES`) if given.
pub async fn list(
    store: &Store,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<GiftRow>, sqlx::Error> {
    let (charge, spent) = match status {
        Some("unpaid") => (Some("unpaid"), None),
        Some("paid") => (Some("paid"), Some("false")),
        Some("redeeming") => (Some("paid"), Some("pending")),
        Some("redeemed") => (Some("paid"), Some("true")),
        _ => (None, None),
    };
    sqlx::query_as::<_, GiftRow>(
        "SELECT order_id, amount_sat, charge_status, spent, sender_name, created_at FROM gifts
         WHERE ($1 = '' OR charge_status = $1) AND ($2 = '' OR spent = $2) AND created_at < $3
         ORDER BY created_at DESC, order_id LIMIT $4",
    )
    .bind(charge.unwrap_or(""))
    .bind(spent.unwrap_or(""))
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(store.pool())
    .await
}
