//! The demo network's routing hop: carol, reached only through bob, over a public bob-carol
//! channel on which bob charges a forwarding fee. The hub learns that channel by gossip from
//! bob, so its payments to carol take a real route and pay a real fee: what the services' fee
//! reserves and fee caps are tested against. Runs only with `--demo-carol`.

use std::time::{Duration, Instant};

use super::demo_network::{DemoNetwork, DEMO_CHANNEL_SAT, DEMO_PUSH_MSAT, STEP_TIMEOUT};
use crate::money::{Msat, Sat};
use crate::node::{ForwardingFees, LightningNode};

/// What bob charges to forward over his channel to carol: 1 sat plus 0.1 %.
pub const BOB_FORWARDING_FEES: ForwardingFees = ForwardingFees {
    base_msat: 1_000,
    ppm: 1_000,
};

/// How often a lagging step reconnects the nodes involved.
const NUDGE_EVERY: Duration = Duration::from_secs(3);

impl DemoNetwork {
    /// Opens bob's public channel to carol where it is missing (bob funds it and pushes half)
    /// and sets bob's fee on it; after a restart, connects bob to carol's new address.
    pub(super) async fn open_routing_hop(&self) -> anyhow::Result<()> {
        let Some(carol) = &self.carol else {
            return Ok(());
        };
        let bob = &self.bob;
        let channel = match bob
            .channels()
            .into_iter()
            .find(|c| c.peer == carol.node_id())
        {
            Some(channel) => {
                connect_or_log(bob, carol);
                channel.user_channel_id
            }
            None => {
                let id = bob
                    .open_channel(
                        carol.node_id(),
                        carol.listen_address(),
                        Sat(DEMO_CHANNEL_SAT),
                        Msat(DEMO_PUSH_MSAT),
                        true,
                    )
                    .await?;
                self.wait(
                    || self.fundings_in_mempool(bob, carol) > 0,
                    "bob-carol funding broadcast",
                )
                .await?;
                id
            }
        };
        // Before the channel is announced, so its first update carries the fee; again on
        // every start (idempotent), in case a crash came in between.
        bob.set_forwarding_fees(channel, carol.node_id(), BOB_FORWARDING_FEES)?;
        Ok(())
    }

    /// Whether bob's channel to carol waits in the mempool.
    pub(super) fn routing_hop_in_mempool(&self) -> bool {
        self.carol
            .as_ref()
            .is_some_and(|carol| self.fundings_in_mempool(&self.bob, carol) > 0)
    }

    /// Waits until bob's channel to carol is usable and the hub's graph holds it with bob's
    /// side, learnt by gossip, so the hub can route to carol. LDK sends gossip only to peers that
    /// asked for it when they connected, so an announcement can miss the hub; reconnecting asks
    /// again, and bob answers with his whole graph.
    pub(super) async fn wait_routing_hop(&self, hub: &LightningNode) -> anyhow::Result<()> {
        let Some(carol) = &self.carol else {
            return Ok(());
        };
        let bob = &self.bob;
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut last_nudge = Instant::now();
        loop {
            let Some(channel) = bob
                .channels()
                .into_iter()
                .find(|c| c.peer == carol.node_id())
            else {
                anyhow::bail!("bob's channel to carol closed");
            };
            let known = channel
                .short_channel_id
                .is_some_and(|scid| hub.can_route_over(scid, bob.node_id()));
            if channel.usable && known {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "timed out waiting for the hub to learn bob's channel to carol"
            );
            if last_nudge.elapsed() >= NUDGE_EVERY {
                connect_or_log(bob, carol);
                if channel.usable {
                    tracing::info!("demo network: reconnecting the hub to bob to fetch his gossip");
                    let _ = hub.disconnect(bob.node_id());
                    connect_or_log(hub, bob);
                }
                last_nudge = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Reconnects bob to carol when their channel is not usable (a watchdog step).
    pub(super) fn keep_routing_hop(&self) {
        if let Some(carol) = &self.carol {
            let usable = self
                .bob
                .channels()
                .iter()
                .any(|c| c.peer == carol.node_id() && c.usable);
            if !usable {
                connect_or_log(&self.bob, carol);
            }
        }
    }
}

/// Connects `from` to `to` at its current address; a failure is logged and retried by the
/// caller's loop.
fn connect_or_log(from: &LightningNode, to: &LightningNode) {
    if let Err(error) = from.connect(to.node_id(), to.listen_address()) {
        tracing::warn!(from = from.label(), to = to.label(), %error, "demo network: connecting failed");
    }
}
