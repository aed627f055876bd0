//! The `node_actions` table: each money-moving request of the operator to the node, by its key.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::store::Store;

/// One action, as stored and shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NodeAction {
    /// The operator's key.
    #[sqlx(rename = "action_key")]
    pub key: String,
    /// `channel_open`, `wallet_send` or `to_treasury`.
    pub kind: String,
    /// The request as given (JSON).
    #[serde(skip)]
    pub request: String,
    /// Where it stands (see the migration).
    pub state: String,
    /// The channel's peer.
    pub peer: Option<String>,
    /// Where coins go.
    pub address: Option<String>,
    /// The channel's capacity or the amount sent, in sats.
    pub amount_sat: i64,
    /// The node's id of the channel.
    pub user_channel_id: Option<String>,
    /// The transaction that sent the coins.
    pub txid: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked (unix seconds).
    pub created_at: i64,
    /// When it last changed.
    pub updated_at: i64,
}

const COLUMNS: &str = "action_key, kind, request, state, peer, address, amount_sat, user_channel_id, txid, error, created_at, updated_at";

/// A new action to record.
pub struct NewAction<'a> {
    /// The operator's key.
    pub key: &'a str,
    /// The node asked.
    pub hub_node_id: &'a str,
    /// What kind of action.
    pub kind: &'a str,
    /// The request as given (JSON).
    pub request: &'a str,
    /// The channel's peer.
    pub peer: Option<&'a str>,
    /// Where coins go.
    pub address: Option<&'a str>,
    /// Capacity or amount, in sats.
    pub amount_sat: i64,
}

/// Records `action` as requested; `false` if its key is taken (by it or another request).
pub async fn begin(store: &Store, action: &NewAction<'_>, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO node_actions (action_key, hub_node_id, kind, request, state, peer, address, amount_sat, created_at, updated_at)
         VALUES ($1, $8, $2, $3, 'requested', $4, $5, $6, $7, $7) ON CONFLICT (action_key) DO NOTHING",
    )
    .bind(action.key)
    .bind(action.kind)
    .bind(action.request)
    .bind(action.peer)
    .bind(action.address)
    .bind(action.amount_sat)
    .bind(now)
    .bind(action.hub_node_id)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The action of `key`.
pub async fn get<'c, E>(executor: E, key: &str) -> Result<Option<NodeAction>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query_as::<_, NodeAction>(&format!(
        "SELECT {COLUMNS} FROM node_actions WHERE action_key = $1"
    ))
    .bind(key)
    .fetch_optional(executor)
    .await
}

/// The newest actions first, at most `limit`.
pub async fn list(store: &Store, limit: u32) -> Result<Vec<NodeAction>, sqlx::Error> {
    sqlx::query_as::<_, NodeAction>(&format!(
        "SELECT {COLUMNS} FROM node_actions ORDER BY created_at DESC, action_key LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await
}

/// Actions of `hub_node_id` the last stop left `requested`.
pub async fn interrupted(store: &Store, hub_node_id: &str) -> Result<Vec<NodeAction>, sqlx::Error> {
    sqlx::query_as::<_, NodeAction>(&format!(
        "SELECT {COLUMNS} FROM node_actions WHERE hub_node_id = $1 AND state = 'requested' ORDER BY created_at"
    ))
    .bind(hub_node_id)
    .fetch_all(store.pool())
    .await
}

/// Moves `key` from `from` to `to` with its channel, txid or error; whether it moved.
pub async fn advance(
    conn: &mut AnyConnection,
    key: &str,
    from: &[&str],
    to: &str,
    outcome: Outcome<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let states: Vec<String> = from.iter().map(|s| format!("'{s}'")).collect();
    let done = sqlx::query(&format!(
        "UPDATE node_actions SET state = $1, user_channel_id = COALESCE($2, user_channel_id),
                txid = COALESCE($3, txid), error = COALESCE($4, error), updated_at = $5
         WHERE action_key = $6 AND state IN ({})",
        states.join(", ")
    ))
    .bind(to)
    .bind(outcome.user_channel_id)
    .bind(outcome.txid)
    .bind(outcome.error)
    .bind(now)
    .bind(key)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What an action came to.
#[derive(Default, Clone, Copy)]
pub struct Outcome<'a> {
    /// The node's id of the channel.
    pub user_channel_id: Option<&'a str>,
    /// The transaction that sent the coins.
    pub txid: Option<&'a str>,
    /// Why it failed.
    pub error: Option<&'a str>,
}

/// The key of the channel-open action whose channel is `user_channel_id`.
pub async fn open_of_channel(
    conn: &mut AnyConnection,
    user_channel_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT action_key FROM node_actions WHERE kind = 'channel_open' AND user_channel_id = $1",
    )
    .bind(user_channel_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Whether channel `user_channel_id` (to `peer`) is, or may be, an operator's open: recorded
/// as one, or an open to that peer asked of `hub_node_id` whose channel is not yet recorded (its
/// funding may come before the hub recorded the node's answer). One statement, so it reads one
/// snapshot of the open's row whatever commits meanwhile.
pub async fn is_operator_open(
    conn: &mut AnyConnection,
    hub_node_id: &str,
    user_channel_id: &str,
    peer: &str,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM node_actions
         WHERE kind = 'channel_open' AND hub_node_id = $1
           AND (user_channel_id = $2 OR (peer = $3 AND state = 'requested'))",
    )
    .bind(hub_node_id)
    .bind(user_channel_id)
    .bind(peer)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count > 0)
}

/// Whether `txid` or `user_channel_id` is some action's already.
pub async fn is_known(
    store: &Store,
    txid: Option<&str>,
    ucid: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM node_actions WHERE txid = $1 OR user_channel_id = $2",
    )
    .bind(txid)
    .bind(ucid)
    .fetch_one(store.pool())
    .await?;
    Ok(count > 0)
}
