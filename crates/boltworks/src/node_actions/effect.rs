//! What the hub node's channel events mean for the operator's opens, in the event's
//! transaction: the funding broadcast makes an open `funded`, the channel becoming usable
//! `ready`, its close `closed` (or `failed` before it was funded).

use sqlx::AnyConnection;

use super::store::{self, Outcome};
use crate::clock::Clock;
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::NodeEvent;

/// The effect on operator opens.
pub struct NodeActionEffects {
    clock: Clock,
}

impl NodeActionEffects {
    /// The effect, dated by `clock`.
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }

    async fn apply_event(
        &self,
        conn: &mut AnyConnection,
        event: &NodeEvent,
    ) -> Result<(), sqlx::Error> {
        let (ucid, from, to, error): (_, &[&str], _, _) = match event {
            NodeEvent::ChannelPending {
                user_channel_id, ..
            } => (user_channel_id, &["opening"], "funded", None),
            NodeEvent::ChannelReady {
                user_channel_id, ..
            } => (user_channel_id, &["opening", "funded"], "ready", None),
            NodeEvent::ChannelClosed {
                user_channel_id,
                reason,
                ..
            } => {
                let ucid = user_channel_id.to_string();
                let Some(key) = store::open_of_channel(conn, &ucid).await? else {
                    return Ok(());
                };
                let now = self.clock.now_unix();
                let why = reason.clone().unwrap_or_else(|| "closed".into());
                let failed = Outcome {
                    error: Some(&why),
                    ..Outcome::default()
                };
                store::advance(conn, &key, &["opening"], "failed", failed, now).await?;
                let closed = Outcome::default();
                store::advance(conn, &key, &["funded", "ready"], "closed", closed, now).await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        let Some(key) = store::open_of_channel(conn, &ucid.to_string()).await? else {
            return Ok(());
        };
        let outcome = Outcome {
            error,
            ..Outcome::default()
        };
        store::advance(conn, &key, from, to, outcome, self.clock.now_unix()).await?;
        Ok(())
    }
}

impl EventEffect for NodeActionEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(self.apply_event(conn, event))
    }
}
