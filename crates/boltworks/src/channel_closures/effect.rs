//! What a closure of one of the hub's channels does, in the event's own transaction: the closure
//! is recorded once; a forced one is logged as an error, booked (the hub's claimable side moves
//! from `assets:lightning` to `assets:onchain-in-transit`) and sent to the operator webhook.

use std::sync::Arc;

use serde::Serialize;
use sqlx::AnyConnection;

use crate::clock::Clock;
use crate::ledger::{self, Entry};
use crate::money::Sat;
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::{ClosingBalance, ClosureKind, LightningNode, NodeEvent, UserChannelId};
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};
use crate::notify::Notifier;

/// The operator webhook's event type for a forced close.
pub const FORCE_CLOSED_EVENT: &str = "channel.force_closed";

/// The operator webhook's body for a forced close.
#[derive(Serialize)]
struct ForceClosedWebhook<'a> {
    event: &'static str,
    channel_id: &'a str,
    user_channel_id: String,
    peer: Option<String>,
    kind: ClosureKind,
    reason: Option<&'a str>,
    claimable_sat: Sat,
    contested_htlc_sat: Sat,
    closed_at: i64,
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

    async fn closed(
        &self,
        conn: &mut AnyConnection,
        channel_id: &str,
        user_channel_id: UserChannelId,
        peer: Option<String>,
        kind: ClosureKind,
        reason: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock.now_unix();
        let balance = if kind.is_forced() {
            self.node.closing_balance(channel_id)
        } else {
            ClosingBalance::default()
        };
        let inserted = sqlx::query(
            "INSERT INTO channel_closures
                (channel_id, user_channel_id, peer, kind, reason, claimable_sat, contested_htlc_sat, closed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (channel_id) DO NOTHING",
        )
        .bind(channel_id)
        .bind(user_channel_id.to_string())
        .bind(peer.as_deref())
        .bind(kind)
        .bind(reason)
        .bind(balance.claimable)
        .bind(balance.contested_htlcs)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if !inserted || !kind.is_forced() {
            return Ok(());
        }
        tracing::error!(
            %channel_id,
            peer = peer.as_deref().unwrap_or("unknown"),
            %kind,
            reason = reason.unwrap_or("none given"),
            claimable_sat = balance.claimable.0,
            contested_htlc_sat = balance.contested_htlcs.0,
            "a channel of the hub was force-closed: its funds are on chain, locked until the timelock"
        );
        book_in_transit(conn, now, channel_id, balance.claimable).await?;
        let Some(url) = self.notifier.config.operator_webhook_url.as_deref() else {
            return Ok(());
        };
        let body = ForceClosedWebhook {
            event: FORCE_CLOSED_EVENT,
            channel_id,
            user_channel_id: user_channel_id.to_string(),
            peer,
            kind,
            reason,
            claimable_sat: balance.claimable,
            contested_htlc_sat: balance.contested_htlcs,
            closed_at: now,
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
    now: i64,
    channel_id: &str,
    claimable: Sat,
) -> Result<(), sqlx::Error> {
    let Some(msat) = claimable.to_msat().and_then(|m| m.to_db()) else {
        tracing::error!(%channel_id, claimable_sat = claimable.0, "closing balance beyond the books' range; not booked");
        return Ok(());
    };
    ledger::post_or_log(
        conn,
        now,
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
            let NodeEvent::ChannelClosed {
                channel_id,
                user_channel_id,
                peer,
                reason,
                kind,
            } = event
            else {
                return Ok(());
            };
            let peer = peer.map(|p| p.to_string());
            self.closed(
                conn,
                channel_id,
                *user_channel_id,
                peer,
                *kind,
                reason.as_deref(),
            )
            .await
        })
    }

    fn committed(&self) {
        self.notifier.outbox_committed();
    }
}
