//! The answer to `GET /node/info`: the LSP's node, its public capacity, and its one product,
//! channel liquidity, with the original's quirks (`max_chan_receiving` and `max_chan_spending`
//! are strings of digits, as is `max_chan_receiving_usd`; `max_chan_spending_usd` is a number).

use std::collections::BTreeMap;

use serde::Serialize;

/// The answer to `GET /node/info`.
#[derive(Debug, Serialize)]
pub struct NodeInfo {
    /// The hub's node.
    pub node_info: NodeSummary,
    /// What its usable public channels hold.
    pub capacity: Capacity,
    /// The products: channel liquidity.
    pub services: Vec<ChannelService>,
}

/// The hub's node.
#[derive(Debug, Serialize)]
pub struct NodeSummary {
    /// Its alias, if it has one.
    pub alias: Option<String>,
    /// Its usable channels.
    pub active_channels_count: usize,
    /// `pubkey@host:port`.
    pub uris: Vec<String>,
    /// Its node id.
    pub public_key: String,
}

/// Balances of the node's usable public channels, in sats.
#[derive(Debug, Serialize)]
pub struct Capacity {
    /// The node's side.
    pub local_balance: u64,
    /// The peers' side.
    pub remote_balance: u64,
}

/// The channel-liquidity product.
#[derive(Debug, Serialize)]
pub struct ChannelService {
    /// Whether the node's wallet could fund a channel now.
    pub available: bool,
    /// Always `Channel Liquidity`.
    pub description: &'static str,
    /// The product id (24 hex).
    pub product_id: String,
    /// Smallest channel, in sats.
    pub min_channel_size: u64,
    /// Largest channel, in sats.
    pub max_channel_size: u64,
    /// Shortest lease, in weeks.
    pub min_chan_expiry: u64,
    /// Longest lease, in weeks.
    pub max_chan_expiry: u64,
    /// Always null.
    pub max_node_usd_capacity: Option<u64>,
    /// Every order state's number, by its name.
    pub order_states: BTreeMap<&'static str, i64>,
    /// The largest channel, in sats, as a string.
    pub max_chan_receiving: String,
    /// Its whole-dollar value as a string, with a configured price (else null).
    pub max_chan_receiving_usd: Option<String>,
    /// What the buyer may push, in sats, as a string.
    pub max_chan_spending: String,
    /// Its whole-dollar value as a number, with a configured price (else null).
    pub max_chan_spending_usd: Option<u64>,
}

/// One exchange rate of `GET /rate`, in Bitfinex's ticker form that Blocktank's client reads:
/// `["tBTCUSD", 30000]` (the pair, and the price of one bitcoin).
#[derive(Debug, Serialize)]
pub struct Rate(pub &'static str, pub u64);
