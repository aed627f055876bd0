//! Webhook targets: each URL's signing secret, made on first use and kept.

use rand::RngCore;

use crate::clock::Clock;
use crate::store::Store;

/// The webhook signing secret of `url`, made on first use.
pub async fn target_secret(store: &Store, clock: &Clock, url: &str) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    sqlx::query("INSERT INTO notify_targets (url, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (url) DO NOTHING")
        .bind(url)
        .bind(format!("whsec_{}", hex::encode(bytes)))
        .bind(clock.now_unix())
        .execute(store.pool())
        .await?;
    sqlx::query_scalar("SELECT secret FROM notify_targets WHERE url = $1")
        .bind(url)
        .fetch_one(store.pool())
        .await
}
