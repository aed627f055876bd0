//! The demo network: alice and bob, funded on-chain and each with an announced channel to the
//! hub (half the capacity pushed to them), so any service can be used end to end on one machine.
//! The channels are announced because LDK forwards only over announced channels unless
//! configured otherwise, which ldk-node 0.7 does not expose; the hub is a routing node.
//! Bootstrapping is idempotent: a restart finds the channels and only waits for them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::Amount;
use devchain::Devchain;

use crate::money::{Msat, Sat};
use crate::node::LightningNode;

/// Capacity of each demo channel.
pub const DEMO_CHANNEL_SAT: u64 = 1_000_000;
/// What the hub pushes to the demo node when opening: half the channel.
pub const DEMO_PUSH_MSAT: u64 = 500_000_000;
/// Confirmations mined after a funding broadcast (LDK's default minimum depth).
const FUNDING_CONFIRMATIONS: u32 = 6;
/// Longest the bootstrap waits for one step (sync, funding broadcast, channel ready).
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// The embedded chain and the demo nodes.
pub struct DemoNetwork {
    /// The chain.
    pub devchain: Devchain,
    /// Demo node alice.
    pub alice: Arc<LightningNode>,
    /// Demo node bob.
    pub bob: Arc<LightningNode>,
    ready: AtomicBool,
}

impl DemoNetwork {
    /// Wraps started nodes; call `bootstrap` to fund and connect them.
    pub fn new(devchain: Devchain, alice: Arc<LightningNode>, bob: Arc<LightningNode>) -> Self {
        Self {
            devchain,
            alice,
            bob,
            ready: AtomicBool::new(false),
        }
    }

    /// A demo node by name.
    pub fn node(&self, name: &str) -> Option<&Arc<LightningNode>> {
        match name {
            "alice" => Some(&self.alice),
            "bob" => Some(&self.bob),
            _ => None,
        }
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
        for node in [hub, &self.alice, &self.bob] {
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

    /// Funds the nodes and opens the demo channels where missing, then waits until they are
    /// usable. Safe to run on every start.
    pub async fn bootstrap(&self, hub: &LightningNode) -> anyhow::Result<()> {
        let started = Instant::now();
        self.sync_all(hub).await?;
        self.fund(hub).await?;
        // One channel at a time (see `LightningNode::open_channel`).
        for peer in [&self.alice, &self.bob] {
            if hub.channels().iter().any(|c| c.peer == peer.node_id()) {
                // After a restart the peer may listen on a new address: connect there (and keep
                // trying in `wait_usable`) rather than wait for the persisted, stale one.
                connect_or_log(hub, peer);
                continue;
            }
            hub.open_channel(
                peer.node_id(),
                peer.listen_address(),
                Sat(DEMO_CHANNEL_SAT),
                Msat(DEMO_PUSH_MSAT),
                true,
            )
            .await?;
            self.wait(|| self.funding_in_mempool(hub, peer), "funding broadcast")
                .await?;
        }
        // Confirm any demo channel whose funding still waits in the mempool (also after a crash
        // between broadcast and mining).
        if [&self.alice, &self.bob]
            .into_iter()
            .any(|peer| self.funding_in_mempool(hub, peer))
        {
            self.mine(hub, FUNDING_CONFIRMATIONS).await?;
        }
        self.wait_usable(hub).await?;
        self.wait_for_gossip(hub).await?;
        self.ready.store(true, Ordering::SeqCst);
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "demo network ready"
        );
        Ok(())
    }

    /// Waits until alice and bob have each learnt, by gossip, the hub's side of every hub
    /// channel, so either can pay the other through the hub. LDK forwards gossip only to peers
    /// that asked for it when connecting, so an announcement can miss a peer; reconnecting asks
    /// again and the hub replies with its whole graph.
    async fn wait_for_gossip(&self, hub: &LightningNode) -> anyhow::Result<()> {
        const RECONNECT_EVERY: Duration = Duration::from_secs(3);
        let scids: Vec<u64> = hub
            .channels()
            .iter()
            .filter_map(|c| c.short_channel_id)
            .collect();
        let knows_all = |node: &LightningNode| {
            scids
                .iter()
                .all(|scid| node.can_route_over(*scid, hub.node_id()))
        };
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut last_nudge = Instant::now();
        loop {
            let lagging: Vec<&Arc<LightningNode>> = [&self.alice, &self.bob]
                .into_iter()
                .filter(|n| !knows_all(n))
                .collect();
            if lagging.is_empty() {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "timed out waiting for demo channel gossip"
            );
            if last_nudge.elapsed() >= RECONNECT_EVERY {
                for node in lagging {
                    tracing::info!(
                        node = node.label(),
                        "demo network: reconnecting to the hub to fetch its gossip"
                    );
                    let _ = node.disconnect(hub.node_id());
                    let _ = node.connect(hub.node_id(), hub.listen_address());
                }
                last_nudge = Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the hub's channels to alice and bob are usable, reconnecting to a peer whose
    /// channel is not: a first connect can race the peer's listener coming up.
    async fn wait_usable(&self, hub: &LightningNode) -> anyhow::Result<()> {
        const RECONNECT_EVERY: Duration = Duration::from_secs(2);
        tracing::info!("demo network: waiting for the demo channels to be usable");
        let usable_to = |peer: &LightningNode| {
            hub.channels()
                .iter()
                .any(|c| c.peer == peer.node_id() && c.usable)
        };
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut last_try = Instant::now();
        loop {
            let waiting: Vec<&Arc<LightningNode>> = [&self.alice, &self.bob]
                .into_iter()
                .filter(|peer| !usable_to(peer))
                .collect();
            if waiting.is_empty() {
                return Ok(());
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

    /// Whether the hub's channel to `peer` has its funding transaction in the mempool.
    fn funding_in_mempool(&self, hub: &LightningNode, peer: &LightningNode) -> bool {
        hub.channels().iter().any(|c| {
            c.peer == peer.node_id()
                && c.funding
                    .is_some_and(|txo| self.devchain.mempool_entry(&txo.txid).is_some())
        })
    }

    /// Sends coins from the faucet to any node whose wallet is empty, and confirms them.
    async fn fund(&self, hub: &LightningNode) -> anyhow::Result<()> {
        let wanted = [
            (hub, Amount::from_int_btc(5)),
            (&*self.alice, Amount::from_int_btc(1)),
            (&*self.bob, Amount::from_int_btc(1)),
        ];
        let mut funded = Vec::new();
        for (node, amount) in wanted {
            if node.onchain_balance().total.0 == 0 {
                let address = node.new_onchain_address()?;
                self.devchain.send_to_address(&address, amount)?;
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

    async fn wait(&self, done: impl Fn() -> bool, what: &str) -> anyhow::Result<()> {
        tracing::info!(step = what, "demo network: waiting");
        let deadline = Instant::now() + STEP_TIMEOUT;
        while !done() {
            anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// Connects the hub to a demo peer at its current address; a failure is logged, and retried by
/// the caller's loop.
fn connect_or_log(hub: &LightningNode, peer: &LightningNode) {
    if let Err(error) = hub.connect(peer.node_id(), peer.listen_address()) {
        tracing::warn!(peer = peer.label(), %error, "demo network: connecting to a demo peer failed");
    }
}
