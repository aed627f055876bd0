//! The JIT tables: channels opened and paid for, the forwards that paid their fees, the opens the
//! node gave up on, and the node wallet's top-ups.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::money::Msat;
use crate::node::JitFailure;
use crate::store::Store;

/// A forward that paid (part of) a JIT channel's opening fee.
#[derive(Debug, Clone)]
pub struct FeeForward {
    /// The same forward, replayed, has the same key.
    pub key: String,
    /// The JIT channel it went out on.
    pub channel_id: String,
    /// What reached the client.
    pub forwarded: Msat,
    /// What the hub withheld.
    pub opening_fee: Msat,
}

/// A JIT channel as the hub first saw it (funded, or paid for).
#[derive(Debug, Clone)]
pub struct OpenedChannel<'a> {
    /// The channel id (hex).
    pub channel_id: &'a str,
    /// ldk-node's id of it, when known (to close it).
    pub user_channel_id: Option<String>,
    /// The client, when the node said.
    pub client_node_id: Option<String>,
    /// Its size, when the node still has it.
    pub capacity_sat: i64,
    /// Its funding output.
    pub funding_txo: Option<String>,
}

/// Records `forward` and, the first time, its channel. Returns `false` for a forward recorded
/// before (a replayed event): nothing is written again.
pub async fn record_fee_forward(
    conn: &mut AnyConnection,
    forward: &FeeForward,
    channel: &OpenedChannel<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let amount = |m: Msat| i64::try_from(m.0).unwrap_or(i64::MAX);
    let done = sqlx::query(
        "INSERT INTO lsp_jit_forwards (forward_key, channel_id, forwarded_msat, opening_fee_msat, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (forward_key) DO NOTHING",
    )
    .bind(&forward.key)
    .bind(&forward.channel_id)
    .bind(amount(forward.forwarded))
    .bind(amount(forward.opening_fee))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    record_opened(conn, channel, now).await?;
    sqlx::query(
        "UPDATE lsp_jit_channels SET paid_at = $1 WHERE channel_id = $2 AND paid_at IS NULL",
    )
    .bind(now)
    .bind(channel.channel_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Records a JIT channel the node funded (once).
pub async fn record_opened(
    conn: &mut AnyConnection,
    channel: &OpenedChannel<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lsp_jit_channels (channel_id, user_channel_id, client_node_id, capacity_sat, funding_txo, opened_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (channel_id) DO NOTHING",
    )
    .bind(channel.channel_id)
    .bind(channel.user_channel_id.as_deref())
    .bind(channel.client_node_id.as_deref())
    .bind(channel.capacity_sat)
    .bind(channel.funding_txo.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// JIT channels opened before `before`, never paid for, not closed and not asked to close:
/// (channel id, user channel id, client).
pub async fn unpaid_before(
    store: &Store,
    before: i64,
) -> Result<Vec<(String, Option<String>, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel_id, user_channel_id, client_node_id FROM lsp_jit_channels
         WHERE paid_at IS NULL AND closed_at IS NULL AND close_requested_at IS NULL AND opened_at < $1
         ORDER BY opened_at LIMIT 100",
    )
    .bind(before)
    .fetch_all(store.pool())
    .await
}

/// Records that the hub asked the node to close an unpaid JIT channel.
pub async fn record_close_requested(
    store: &Store,
    channel_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE lsp_jit_channels SET close_requested_at = $1 WHERE channel_id = $2")
        .bind(now)
        .bind(channel_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// When top-up `key` was committed.
pub async fn top_up_created_at(store: &Store, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM lsp_jit_top_ups WHERE treasury_key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await
}

/// Marks a JIT channel closed (once; other channels are not JIT channels and stay untouched).
pub async fn record_closed(
    conn: &mut AnyConnection,
    channel_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE lsp_jit_channels SET closed_at = $1 WHERE channel_id = $2 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(channel_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a JIT open the node gave up on.
pub async fn record_failure(
    conn: &mut AnyConnection,
    failure: &JitFailure,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO lsp_jit_failures (kind, detail, created_at) VALUES ($1, $2, $3)")
        .bind(failure.kind.as_str())
        .bind(&failure.detail)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A JIT channel, as the operator sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JitChannel {
    /// The channel id (hex).
    pub channel_id: String,
    /// The client's node.
    pub client_node_id: Option<String>,
    /// Its size.
    pub capacity_sat: i64,
    /// Its funding output.
    pub funding_txo: Option<String>,
    /// What reached the client in the payments that paid the fee.
    pub forwarded_msat: i64,
    /// The opening fee the hub kept.
    pub opening_fee_msat: i64,
    /// When its funding was broadcast, or its first payment forwarded (unix seconds).
    pub opened_at: i64,
    /// When its first payment paid the opening fee (none: never paid for).
    pub paid_at: Option<i64>,
    /// When the hub asked to close it, unpaid.
    pub close_requested_at: Option<i64>,
    /// When it closed.
    pub closed_at: Option<i64>,
}

/// A JIT open the node gave up on, as the operator sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JitFailureRecord {
    /// Its number.
    pub id: i64,
    /// `client_offline`, `wallet_short`, `open_refused` or `buy_refused`.
    pub kind: String,
    /// The node's own words.
    pub detail: String,
    /// When (unix seconds).
    pub created_at: i64,
}

/// The newest JIT channels first, at most `limit`.
pub async fn channels(store: &Store, limit: u32) -> Result<Vec<JitChannel>, sqlx::Error> {
    sqlx::query_as::<_, JitChannel>(
        "SELECT c.channel_id, c.client_node_id, c.capacity_sat, c.funding_txo,
                CAST(COALESCE(SUM(f.forwarded_msat), 0) AS BIGINT) AS forwarded_msat,
                CAST(COALESCE(SUM(f.opening_fee_msat), 0) AS BIGINT) AS opening_fee_msat,
                c.opened_at, c.paid_at, c.close_requested_at, c.closed_at
         FROM lsp_jit_channels c LEFT JOIN lsp_jit_forwards f ON f.channel_id = c.channel_id
         GROUP BY c.channel_id, c.client_node_id, c.capacity_sat, c.funding_txo, c.opened_at,
                  c.paid_at, c.close_requested_at, c.closed_at
         ORDER BY c.opened_at DESC, c.channel_id LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await
}

/// The newest failures first, at most `limit`.
pub async fn failures(store: &Store, limit: u32) -> Result<Vec<JitFailureRecord>, sqlx::Error> {
    sqlx::query_as::<_, JitFailureRecord>(
        "SELECT id, kind, detail, created_at FROM lsp_jit_failures ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await
}

/// The last top-up: its number and treasury key.
pub async fn last_top_up(store: &Store) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT seq, treasury_key FROM lsp_jit_top_ups ORDER BY seq DESC LIMIT 1")
        .fetch_optional(store.pool())
        .await
}

/// Commits top-up `seq` under `key` before it is sent. Returns `false` if another process took
/// the number first.
pub async fn begin_top_up(
    store: &Store,
    seq: i64,
    key: &str,
    amount_sat: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO lsp_jit_top_ups (seq, treasury_key, amount_sat, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(seq)
    .bind(key)
    .bind(amount_sat)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The amount of top-up `key`.
pub async fn top_up_amount(store: &Store, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT amount_sat FROM lsp_jit_top_ups WHERE treasury_key = $1")
        .bind(key)
        .fetch_optional(store.pool())
        .await
}
