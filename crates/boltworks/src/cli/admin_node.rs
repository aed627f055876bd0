//! `boltworks admin node ...`: the node's operations through `/admin/node` (see
//! `api::admin::node_ops`), on any network.

use clap::Subcommand;
use reqwest::{Client, RequestBuilder};
use serde_json::json;

/// Node commands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// The node: id, sync state, wallet, channel count.
    Info,
    /// Its peers, connected or persisted.
    Peers,
    /// Connect to a peer.
    Connect {
        /// pubkey@ip:port
        uri: String,
    },
    /// Disconnect a peer (its channels stay).
    Disconnect {
        /// The peer's node id.
        node_id: String,
    },
    /// Its channels with their liquidity.
    Channels,
    /// Close a channel cooperatively, or force-close it with --force --yes.
    Close {
        /// The channel's user_channel_id.
        user_channel_id: String,
        /// Broadcast the latest commitment (the funds wait out its timelock).
        #[arg(long)]
        force: bool,
        /// Confirm a force close.
        #[arg(long)]
        yes: bool,
    },
    /// Set what the node charges to forward over a channel.
    Fees {
        /// The channel's user_channel_id.
        user_channel_id: String,
        /// Fixed part per payment, msat.
        base_msat: u32,
        /// Proportional part, millionths.
        ppm: u32,
    },
    /// Its payments, newest first.
    Payments {
        /// inbound or outbound.
        #[arg(long)]
        direction: Option<String>,
        /// pending, held, succeeded or failed.
        #[arg(long)]
        status: Option<String>,
        /// How many (up to 500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The node wallet's balance.
    Wallet,
    /// A new address of the node wallet.
    Address,
    /// Open a channel (once per key: a retry with the key opens nothing more).
    Open {
        /// A key of yours for this open.
        #[arg(long)]
        key: String,
        /// pubkey@ip:port
        peer: String,
        /// The channel's size, sats.
        capacity_sat: u64,
        /// Given to the peer at the open, msat.
        #[arg(long, default_value_t = 0)]
        push_msat: u64,
        /// Announce the channel to the network.
        #[arg(long)]
        public: bool,
    },
    /// Send from the node wallet (once per key).
    Send {
        /// A key of yours for this send.
        #[arg(long)]
        key: String,
        /// Where to.
        address: String,
        /// How much, sats.
        amount_sat: u64,
    },
    /// Move coins from the node wallet to the treasury (once per key).
    ToTreasury {
        /// A key of yours for this move.
        #[arg(long)]
        key: String,
        /// How much, sats.
        amount_sat: u64,
    },
    /// Move coins from the treasury to the node wallet (once per key).
    FromTreasury {
        /// A key of yours for this move.
        #[arg(long)]
        key: String,
        /// How much, sats.
        amount_sat: u64,
    },
    /// The node actions (opens, sends, moves), newest first, or one by its key.
    Actions {
        /// One action's key.
        key: Option<String>,
    },
}

/// The request of `command` against the hub at `base`.
pub fn request(client: &Client, base: &str, command: &NodeCommand) -> RequestBuilder {
    let node = format!("{base}/admin/node");
    match command {
        NodeCommand::Info => client.get(node),
        NodeCommand::Peers => client.get(format!("{node}/peers")),
        NodeCommand::Connect { uri } => client
            .post(format!("{node}/peers"))
            .json(&json!({"uri": uri})),
        NodeCommand::Disconnect { node_id } => client.delete(format!("{node}/peers/{node_id}")),
        NodeCommand::Channels => client.get(format!("{node}/channels")),
        NodeCommand::Close {
            user_channel_id,
            force,
            yes,
        } => client
            .post(format!("{node}/channels/{user_channel_id}/close"))
            .json(&json!({"force": force, "confirm": yes})),
        NodeCommand::Fees {
            user_channel_id,
            base_msat,
            ppm,
        } => client
            .put(format!("{node}/channels/{user_channel_id}/fees"))
            .json(&json!({"base_msat": base_msat, "ppm": ppm})),
        NodeCommand::Payments {
            direction,
            status,
            limit,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(direction.iter().map(|d| ("direction", d.clone())));
            query.extend(status.iter().map(|s| ("status", s.clone())));
            client.get(format!("{node}/payments")).query(&query)
        }
        NodeCommand::Wallet => client.get(format!("{node}/wallet")),
        NodeCommand::Address => client
            .post(format!("{node}/wallet/address"))
            .json(&json!({})),
        NodeCommand::Open {
            key,
            peer,
            capacity_sat,
            push_msat,
            public,
        } => client.post(format!("{node}/channels")).json(&json!({
            "key": key, "peer": peer, "capacity_sat": capacity_sat,
            "push_msat": push_msat, "public": public,
        })),
        NodeCommand::Send {
            key,
            address,
            amount_sat,
        } => client
            .post(format!("{node}/wallet/send"))
            .json(&json!({"key": key, "address": address, "amount_sat": amount_sat})),
        NodeCommand::ToTreasury { key, amount_sat } => client
            .post(format!("{node}/wallet/to-treasury"))
            .json(&json!({"key": key, "amount_sat": amount_sat})),
        NodeCommand::FromTreasury { key, amount_sat } => client
            .post(format!("{node}/wallet/from-treasury"))
            .json(&json!({"key": key, "amount_sat": amount_sat})),
        NodeCommand::Actions { key: Some(key) } => client.get(format!("{node}/actions/{key}")),
        NodeCommand::Actions { key: None } => client.get(format!("{node}/actions")),
    }
}
