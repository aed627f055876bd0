//! The end of a lease: a channel past `channel_expiry_ts` is closed cooperatively (CLOSING is
//! committed and announced first), asked again every minute while the peer is away, and
//! force-closed after a day of that. CLOSED follows from the node's event.

use bitcoin::secp256k1::PublicKey;

use super::model::OrderState;
use super::order_webhook;
use super::store::{self, Order};
use super::LspService;
use crate::node::UserChannelId;

/// How long a cooperative close may take before it is asked for again.
pub(super) const CLOSE_RETRY_SECS: i64 = 60;

/// Cooperative closes asked for before a force close (a day at one a minute).
const COOPERATIVE_CLOSE_ATTEMPTS: i64 = 1_440;

/// Closes the channel of an order whose lease is over.
#[tracing::instrument(skip_all, fields(order_id = %order.id, user_channel_id = order.channel.user_channel_id.as_deref()))]
pub(super) async fn close_expired(state: &LspService, order: &Order) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::mark_closing(&mut tx, &order.id, now).await? {
        return Ok(());
    }
    if order.state == OrderState::Open {
        order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    let channel = order
        .channel
        .user_channel_id
        .as_deref()
        .and_then(|id| id.parse::<UserChannelId>().ok());
    let peer = order
        .channel
        .node_pubkey
        .as_deref()
        .and_then(|k| k.parse::<PublicKey>().ok());
    let (Some(channel), Some(peer)) = (channel, peer) else {
        tracing::error!(order_id = %order.id, "a leased channel without its id or peer; not closed");
        return Ok(());
    };
    let force = order.channel.close_attempts >= COOPERATIVE_CLOSE_ATTEMPTS;
    let result = if force {
        state.hub.node.force_close_channel(
            channel,
            peer,
            "lease over; the peer did not close cooperatively",
        )
    } else {
        state.hub.node.close_channel(channel, peer)
    };
    match result {
        Ok(()) => tracing::info!(order_id = %order.id, %peer, force, "lease over: channel closing"),
        Err(e) => {
            tracing::warn!(order_id = %order.id, error = %e, force, "closing a leased channel failed; retrying")
        }
    }
    Ok(())
}
