//! The closures of the hub's channels: each recorded once from the node's `ChannelClosed` event
//! (`effect`), a forced one reported to the operator (an error in the log, `/admin/node/closures`,
//! the operator webhook) and the hub's side of it booked as on-chain funds in transit.

mod effect;

use serde::Serialize;

pub use self::effect::ClosureEffects;
use crate::money::Sat;
use crate::node::ClosureKind;
use crate::store::Store;

/// The most closures one listing returns.
pub const MAX_LISTED: u32 = 500;

/// One closed channel, as recorded when it closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ChannelClosure {
    /// The channel id (hex).
    pub channel_id: String,
    /// ldk-node's id of the channel.
    pub user_channel_id: String,
    /// The peer's node id.
    pub peer: Option<String>,
    /// How it closed.
    pub kind: ClosureKind,
    /// Why, as the node words it.
    pub reason: Option<String>,
    /// What the chain will pay the hub from it.
    pub claimable_sat: Sat,
    /// HTLCs still contested on chain when it closed.
    pub contested_htlc_sat: Sat,
    /// When it closed (unix seconds, the hub's clock).
    pub closed_at: i64,
}

/// Records `closure` unless its channel's closure is recorded already (an event delivered
/// again); whether it was new.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    closure: &ChannelClosure,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO channel_closures
            (channel_id, user_channel_id, peer, kind, reason, claimable_sat, contested_htlc_sat, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (channel_id) DO NOTHING",
    )
    .bind(&closure.channel_id)
    .bind(&closure.user_channel_id)
    .bind(closure.peer.as_deref())
    .bind(closure.kind)
    .bind(closure.reason.as_deref())
    .bind(closure.claimable_sat)
    .bind(closure.contested_htlc_sat)
    .bind(closure.closed_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest closures first, at most `limit`; only forced ones when `forced_only`.
pub async fn list(
    store: &Store,
    forced_only: bool,
    limit: u32,
) -> Result<Vec<ChannelClosure>, sqlx::Error> {
    let kinds: Vec<&str> = ClosureKind::ALL
        .iter()
        .filter(|kind| !forced_only || kind.is_forced())
        .map(|kind| kind.as_str())
        .collect();
    let placeholders: Vec<String> = (1..=kinds.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT channel_id, user_channel_id, peer, kind, reason, claimable_sat, contested_htlc_sat, closed_at
         FROM channel_closures WHERE kind IN ({}) ORDER BY closed_at DESC, channel_id LIMIT ${}",
        placeholders.join(", "),
        kinds.len() + 1
    );
    let mut query = sqlx::query_as::<_, ChannelClosure>(&sql);
    for kind in kinds {
        query = query.bind(kind);
    }
    query
        .bind(i64::from(limit.min(MAX_LISTED)))
        .fetch_all(store.pool())
        .await
}
