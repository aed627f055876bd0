//! The hub context: what every service may use, and nothing of any other service. Built once by
//! `app`, cloned into each service (every field is a cheap handle).

use std::sync::Arc;

use bitcoin::Network;
use tokio::sync::{broadcast, watch};

use crate::clock::Clock;
use crate::http::RateLimit;
use crate::node::{CommittedEvent, LightningNode, Payments};
use crate::notify::Notifier;
use crate::store::Store;
use crate::treasury::Treasury;

/// The shared parts of the hub below the services.
#[derive(Clone)]
pub struct HubContext {
    /// The database.
    pub store: Store,
    /// The hub's Lightning node.
    pub node: Arc<LightningNode>,
    /// Sending and recording the node's payments, and waiting for their outcomes.
    pub payments: Payments,
    /// The clock every time-based rule reads.
    pub clock: Clock,
    /// Webhooks, emails and event streams (the outbox).
    pub notifier: Arc<Notifier>,
    /// Node events, after their effects committed.
    pub events: broadcast::Sender<CommittedEvent>,
    /// The Bitcoin network.
    pub network: Network,
    /// The hub's public base URL, without a trailing slash (LNURLs and page links use it).
    pub public_url: Arc<str>,
    /// The on-chain treasury (with a bitcoind RPC chain source, the devchain included).
    pub treasury: Option<Arc<Treasury>>,
    /// Tells who waits on block heights that blocks arrived.
    pub blocks: BlockWatch,
    /// The limit each service puts on its public creation routes.
    pub rate_limit: RateLimit,
}

/// A signal that new blocks were processed (mined on the devchain, or seen by the treasury), so
/// work counted in blocks is looked at now instead of at the next poll.
#[derive(Clone)]
pub struct BlockWatch(Arc<watch::Sender<u64>>);

impl BlockWatch {
    /// A new signal.
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }

    /// Blocks arrived: wakes every subscriber.
    pub fn arrived(&self) {
        self.0.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver whose `changed()` completes when blocks arrive.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

impl Default for BlockWatch {
    fn default() -> Self {
        Self::new()
    }
}
