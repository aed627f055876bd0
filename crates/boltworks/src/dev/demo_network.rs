//! The demo network: alice and bob, funded on-chain and each with a private channel to the hub
//! (opened by them, half the capacity pushed to the hub), so any service can be used end to end
//! on one machine, with payments up to a whole channel. The hub forwards to private channels as
//! a service node (see `node::set_service_node`). Bootstrapping is idempotent and retried until
//! it succeeds: a restart finds the channels and only reconnects them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::Amount;
use devchain::Devchain;

use crate::money::{Msat, Sat};
use crate::node::LightningNode;

/// Capacity of each demo channel (bob-carol's too).
pub const DEMO_CHANNEL_SAT: u64 = 1_000_000;
/// What the demo node pushes to the hub when opening: half the channel.
pub const DEMO_PUSH_MSAT: u64 = 500_000_000;
/// Confirmations mined after a funding broadcast (LDK's default minimum depth, and what an
/// announced channel needs before it is gossiped).
const FUNDING_CONFIRMATIONS: u32 = 6;
/// Longest the bootstrap waits for one step (sync, funding broadcast, channel ready) before it
/// starts over.
pub(super) const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// Pause before a failed bootstrap starts over.
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// How often the hub reconnects to a demo peer whose channel is not usable.
const RECONNECT_EVERY: Duration = Duration::from_secs(2);

/// The channels each of alice and bob opens to the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoChannels {
    /// How many (LDK takes at most 50 HTLCs in flight on one).
    pub per_peer: u8,
    /// Capacity of each; the demo node pushes half of it to the hub.
    pub capacity: Sat,
}

/// The embedded chain and the demo nodes.
pub struct DemoNetwork {
    /// The chain.
    pub devchain: Devchain,
    /// Demo node alice.
    pub alice: Arc<LightningNode>,
    /// Demo node bob.
    pub bob: Arc<LightningNode>,
    /// Demo node carol, when she runs: reached only through bob (see `routing_hop`).
    pub carol: Option<Arc<LightningNode>>,
    /// Channels each of alice and bob opens to the hub.
    channels: DemoChannels,
    ready: AtomicBool,
}

impl DemoNetwork {
    /// Wraps started nodes; call `run` to fund and connect them, with `channels` from each of
    /// alice and bob to the hub.
    pub fn new(
        devchain: Devchain,
        alice: Arc<LightningNode>,
        bob: Arc<LightningNode>,
        carol: Option<Arc<LightningNode>>,
        channels: DemoChannels,
    ) -> Self {
        Self {
            devchain,
            alice,
            bob,
            carol,
            channels,
            ready: AtomicBool::new(false),
        }
    }

    /// A demo node by name.
    pub fn node(&self, name: &str) -> Option<&Arc<LightningNode>> {
        match name {
            "alice" => Some(&self.alice),
            "bob" => Some(&self.bob),
            "carol" => self.carol.as_ref(),
            _ => None,
        }
    }

    /// Every demo node, carol last when she runs.
    pub fn nodes(&self) -> Vec<&Arc<LightningNode>> {
        let mut nodes = vec![&self.alice, &self.bob];
        nodes.extend(&self.carol);
        nodes
    }

    /// Whether the demo channels are open and usable.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// Mines `blocks` and makes every node process them before returning.
    pub async fn mine(&self, hub: &LightningNode, blocks: u32) -> anyhow::Result<u32> {
        let devchain = self.devchain.clone();
        tokio::task::spawn_blocking(move || devchain.mine_to_faucet(blocks)).await??;
        self.sync_all(hub).await?;
        Ok(self.devchain.height())
    }

    /// Polls the chain now on every node, until each has processed the tip.
    pub async fn sync_all(&self, hub: &LightningNode) -> anyhow::Result<()> {
        let tip = self.devchain.height();
        let deadline = Instant::now() + STEP_TIMEOUT;
        let demo = self.nodes();
        for node in std::iter::once(hub).chain(demo.iter().map(|n| n.as_ref())) {
            loop {
                node.sync().await?;
                if node.synced_height() >= tip {
                    break;
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "{} did not sync to height {tip}",
                    node.label()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// Bootstraps until it succeeds, then keeps the demo channels connected. A failed step (a
    /// slow sync, a peer not listening yet) is logged and the whole idempotent bootstrap runs
    /// again: it never gives up for good while a demo channel is not usable. Runs until the
    /// process stops (the caller cancels it on shutdown).
    pub async fn run(&self, hub: &LightningNode) {
        let mut attempt = 0u32;
        while let Err(error) = self.bootstrap(hub).await {
            attempt = attempt.saturating_add(1);
            tracing::warn!(attempt, error = %error, "demo network bootstrap failed; trying again");
            tokio::time::sleep(RETRY_AFTER).await;
        }
        loop {
            tokio::time::sleep(RECONNECT_EVERY).await;
            for peer in self.peers() {
                if usable_to(hub, peer) < self.channels_per_peer() {
                    connect_or_log(hub, peer);
                }
            }
            self.keep_routing_hop();
        }
    }

    /// Funds the nodes and opens the demo channels where missing, then waits until they are
    /// usable. Safe to run on every start: a restart finds the channels and only reconnects.
    pub async fn bootstrap(&self, hub: &LightningNode) -> anyhow::Result<()> {
        let started = Instant::now();
        self.sync_all(hub).await?;
        self.fund(hub).await?;
        for peer in self.peers() {
            let open = hub
                .channels()
                .iter()
                .filter(|c| c.peer == peer.node_id())
                .count();
            if open > 0 {
                // After a restart the peer may listen on a new address: connect there (and keep
                // trying in `wait_usable`) rather than wait for the persisted, stale one.
                connect_or_log(hub, peer);
            }
            let pending = self.fundings_in_mempool(peer, hub);
            for opened in open..self.channels_per_peer() {
                // The demo node opens a private channel to the hub and pushes half of it: the
                // hub (a service node) then takes payments up to the whole channel, the demo
                // node (which opened it privately) too, and payments between alice and bob
                // route through the hub by invoice route hints, with no gossip to wait for.
                peer.open_channel(
                    hub.node_id(),
                    hub.listen_address(),
                    self.channels.capacity,
                    Msat(self.channels.capacity.0 * 1000 / 2),
                    false,
                )
                .await?;
                self.wait(
                    || self.fundings_in_mempool(peer, hub) > pending + (opened - open),
                    "funding broadcast",
                )
                .await?;
            }
        }
        self.open_routing_hop().await?;
        // Confirm any demo channel whose funding still waits in the mempool (also after a crash
        // between broadcast and mining).
        if self
            .peers()
            .into_iter()
            .any(|peer| self.fundings_in_mempool(peer, hub) > 0)
            || self.routing_hop_in_mempool()
        {
            self.mine(hub, FUNDING_CONFIRMATIONS).await?;
        }
        // The routing hop first: fetching bob's gossip may reconnect the hub to bob.
        self.wait_routing_hop(hub).await?;
        self.wait_usable(hub).await?;
        self.ready.store(true, Ordering::SeqCst);
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo network ready"
        );
        Ok(())
    }

    /// How many channels each of alice and bob should have to the hub (at least one).
    fn channels_per_peer(&self) -> usize {
        usize::from(self.channels.per_peer.max(1))
    }

    /// The demo nodes with a channel to the hub.
    fn peers(&self) -> [&LightningNode; 2] {
        [&self.alice, &self.bob]
    }

    /// Waits until the hub's channels to alice and bob are usable, reconnecting to a peer whose
    /// channel is not: a first connect can race the peer's listener coming up.
    async fn wait_usable(&self, hub: &LightningNode) -> anyhow::Result<()> {
        tracing::info!("demo network: waiting for the demo channels to be usable");
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut last_try = Instant::now();
        loop {
            let waiting: Vec<&LightningNode> = self
                .peers()
                .into_iter()
                .filter(|peer| usable_to(hub, peer) < self.channels_per_peer())
                .collect();
            if waiting.is_empty() {
                return Ok(());
            }
            // A channel closed meanwhile (a force-close at start, after a crash) never becomes
            // usable: start over, which opens a new one.
            if let Some(peer) = waiting
                .iter()
                .find(|peer| !hub.channels().iter().any(|c| c.peer == peer.node_id()))
            {
                anyhow::bail!("the demo channel to {} closed", peer.label());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "timed out waiting for the demo channels to be usable"
            );
            if last_try.elapsed() >= RECONNECT_EVERY {
                for peer in waiting {
                    connect_or_log(hub, peer);
                }
                last_try = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many of `opener`'s channels to `peer` have their funding transaction in the mempool.
    pub(super) fn fundings_in_mempool(
        &self,
        opener: &LightningNode,
        peer: &LightningNode,
    ) -> usize {
        opener
            .channels()
            .iter()
            .filter(|c| {
                c.peer == peer.node_id()
                    && c.funding
                        .is_some_and(|txo| self.devchain.mempool_entry(&txo.txid).is_some())
            })
            .count()
    }

    /// Sends coins from the faucet to any node whose wallet is empty, and confirms them.
    async fn fund(&self, hub: &LightningNode) -> anyhow::Result<()> {
        // One coin per channel a demo node opens, so no open waits for another's change.
        let coins = self.channels_per_peer();
        let mut wanted = vec![
            (hub, Amount::from_int_btc(5), 1),
            (&*self.alice, Amount::from_int_btc(1), coins),
            (&*self.bob, Amount::from_int_btc(1), coins),
        ];
        wanted.extend(
            self.carol
                .as_deref()
                .map(|c| (c, Amount::from_int_btc(1), 1)),
        );
        let mut funded = Vec::new();
        for (node, amount, coins) in wanted {
            if node.onchain_balance().total.0 == 0 {
                for _ in 0..coins {
                    let address = node.new_onchain_address()?;
                    self.devchain.send_to_address(&address, amount)?;
                }
                funded.push((node, amount));
            }
        }
        if funded.is_empty() {
            return Ok(());
        }
        self.mine(hub, 1).await?;
        for (node, amount) in funded {
            self.wait(
                || node.onchain_balance().spendable.0 >= amount.to_sat() / 2,
                "wallet funded",
            )
            .await?;
        }
        Ok(())
    }

    /// Waits until `done`, for at most one step's time.
    pub(super) async fn wait(&self, done: impl Fn() -> bool, what: &str) -> anyhow::Result<()> {
        tracing::info!(step = what, "demo network: waiting");
        let deadline = Instant::now() + STEP_TIMEOUT;
        while !done() {
            anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// How many of the hub's channels to `peer` are ready and connected, with `peer` knowing the
/// hub's forwarding terms for them, so its invoices carry the route hints payments follow.
fn usable_to(hub: &LightningNode, peer: &LightningNode) -> usize {
    let peer_side = peer.channels();
    hub.channels()
        .into_iter()
        .filter(|c| c.peer == peer.node_id() && c.usable)
        // The two ends name a channel alike only by its channel id.
        .filter(|channel| {
            peer_side
                .iter()
                .any(|c| c.channel_id == channel.channel_id && c.usable && c.peer_terms_known)
        })
        .count()
}

/// Connects the hub to a demo peer at its current address; a failure is logged, and retried by
/// the caller's loop.
fn connect_or_log(hub: &LightningNode, peer: &LightningNode) {
    if let Err(error) = hub.connect(peer.node_id(), peer.listen_address()) {
        tracing::warn!(peer = peer.label(), %error, "demo network: connecting to a demo peer failed");
    }
}
