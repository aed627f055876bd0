//! Escrow webhooks (extension): one URL per user, told of every status change of the user's
//! transactions.

use sqlx::AnyConnection;

use super::EscrowTx;
use crate::store::Store;

/// Sets (or, with `None`, clears) a user's webhook URL.
pub async fn set_webhook(store: &Store, user: i64, url: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE escrow_users SET webhook_url = $1 WHERE id = $2")
        .bind(url)
        .bind(user)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The webhook URLs of a transaction's seller and buyer.
pub async fn webhook_urls(
    conn: &mut AnyConnection,
    tx: &EscrowTx,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT webhook_url FROM escrow_users
         WHERE (id = $1 OR id = $2) AND webhook_url IS NOT NULL",
    )
    .bind(tx.seller_id)
    .bind(tx.buyer_id.unwrap_or(-1))
    .fetch_all(&mut *conn)
    .await
}
