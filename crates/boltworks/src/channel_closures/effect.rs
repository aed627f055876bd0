//! What a closure of one of the hub's channels does, in the event's own transaction: the closure
//! is recorded once; a forced one is logged as an error, booked (the hub's claimable side moves
//! from `assets:lightning` to `assets:onchain-in-transit`) and sent to the operator webhook.

use std::sync::Arc;

use serde::Serialize;
use sqlx::AnyConnection;

use super::{record, ChannelClosure};
use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::{ClosingBalance, LightningNode, NodeEvent};
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};
use crate::notify::Notifier;

/// The operator webhook's event type for a forced close.
pub const FORCE_CLOSED_EVENT: &str = "channel.force_closed";

/// The operator webhook's body for a forced close: the closure as `/admin/node/closures` lists
/// it, with the event's name.
#[derive(Serialize)]
struct ForceClosedWebhook<'a> {
    event: &'static str,
    #[serde(flatten)]
    closure: &'a ChannelClosure,
}

/// The hub node's reaction to its channels closing.
pub struct ClosureEffects {
    node: Arc<LightningNode>,
    clock: Clock,
    notifier: Arc<Notifier>,
}

impl ClosureEffects {
    /// The effect for the hub's `node`, stamping with `clock`, alerting through `notifier`.
    pub fn new(node: Arc<LightningNode>, clock: Clock, notifier: Arc<Notifier>) -> Self {
        Self {
            node,
            clock,
            notifier,
        }
    }

    /// The closure `event` reports, with what of the hub's a forced one left in the channel.
    fn closure_of(&self, event: &NodeEvent) -> Option<ChannelClosure> {
        let NodeEvent::ChannelClosed {
            channel_id,
            user_channel_id,
            peer,
            reason,
            kind,
        } = event
        else {
            return None;
        };
        let balance = if kind.is_forced() {
            self.node.closing_balance(channel_id)
        } else {
            ClosingBalance::default()
        };
        Some(ChannelClosure {
            channel_id: channel_id.clone(),
            user_channel_id: user_channel_id.to_string(),
            peer: peer.map(|p| p.to_string()),
            kind: *kind,
            reason: reason.clone(),
            claimable_sat: balance.claimable,
            contested_htlc_sat: balance.contested_htlcs,
            closed_at: self.clock.now_unix(),
        })
    }

    /// Records `closure`; the first time, a forced one is logged, booked and alerted.
    async fn closed(
        &self,
        conn: &mut AnyConnection,
        closure: &ChannelClosure,
    ) -> Result<(), sqlx::Error> {
        if !record(conn, closure).await? || !closure.kind.is_forced() {
            return Ok(());
        }
        tracing::error!(
            channel_id = %closure.channel_id,
            peer = closure.peer.as_deref().unwrap_or("unknown"),
            kind = %closure.kind,
            reason = closure.reason.as_deref().unwrap_or("none given"),
            claimable_sat = closure.claimable_sat.0,
            contested_htlc_sat = closure.contested_htlc_sat.0,
            "a channel of the hub was force-closed: its funds are on chain, locked until the timelock"
        );
        book_in_transit(conn, closure).await?;
        let Some(url) = self.notifier.config.operator_webhook_url.as_deref() else {
            return Ok(());
        };
        let body = ForceClosedWebhook {
            event: FORCE_CLOSED_EVENT,
            closure,
        };
        let body = serde_json::to_value(&body).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        enqueue_webhook_unless_invalid(
            conn,
            &self.clock,
            WebhookEvent {
                service: "node",
                event_type: FORCE_CLOSED_EVENT,
                url,
                body: &body,
            },
        )
        .await?;
        Ok(())
    }
}

/// Moves the hub's claimable side of a force-closed channel from its Lightning holdings to
/// on-chain funds in transit, once per channel.
async fn book_in_transit(
    conn: &mut AnyConnection,
    closure: &ChannelClosure,
) -> Result<(), sqlx::Error> {
    let (channel_id, claimable) = (&closure.channel_id, closure.claimable_sat);
    let Some(msat) = claimable.to_msat().and_then(|m| m.to_db()) else {
        tracing::error!(%channel_id, claimable_sat = claimable.0, "closing balance beyond the books' range; not booked");
        return Ok(());
    };
    ledger::post_or_log(
        conn,
        closure.closed_at,
        "channel_force_closed",
        &format!("channel-closure:{channel_id}"),
        &[
            Entry::debit(ledger::ASSETS_ONCHAIN_IN_TRANSIT, msat),
            Entry::credit(ledger::ASSETS_LIGHTNING, msat),
        ],
    )
    .await
}

impl EventEffect for ClosureEffects {
    #[tracing::instrument(name = "closure_effects", skip_all)]
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(async move {
            match self.closure_of(event) {
                Some(closure) => self.closed(conn, &closure).await,
                None => Ok(()),
            }
        })
    }

    fn committed(&self) {
        self.notifier.outbox_committed();
    }
}
