//! A node's channels and peers: opening, closing, connecting, and what the hub needs to know of
//! each channel, as `ChannelInfo`.

use std::net::SocketAddr;

use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::{ChannelDetails, LightningBalance, Node, PendingSweepBalance};

use super::{socket_address, LightningNode, NodeError, UserChannelId};
use crate::money::{Msat, Sat};

/// A channel of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// ldk-node's id of the channel.
    pub user_channel_id: UserChannelId,
    /// The channel id (hex).
    pub channel_id: String,
    /// The peer.
    pub peer: PublicKey,
    /// The channel's size.
    pub capacity: Sat,
    /// What the node can send over it now.
    pub outbound: Msat,
    /// What the node can receive over it now.
    pub inbound: Msat,
    /// Ready and the peer connected: payments can use it.
    pub usable: bool,
    /// Announced to the network.
    pub public: bool,
    /// Opened by this node.
    pub outbound_opened: bool,
    /// Its short channel id, once confirmed.
    pub short_channel_id: Option<u64>,
    /// Its funding output, once the funding transaction is built.
    pub funding: Option<OutPoint>,
    /// Confirmations of the funding transaction.
    pub confirmations: Option<u32>,
    /// The peer's forwarding terms for this channel (its `channel_update`) have arrived: only
    /// then can an invoice name the channel in a route hint, as a private channel must be.
    pub peer_terms_known: bool,
    /// What the node charges to forward over it.
    pub fees: ForwardingFees,
}

/// A peer of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Its node id.
    pub node_id: PublicKey,
    /// Where it is reached.
    pub address: String,
    /// Connected now.
    pub connected: bool,
    /// Reconnected to after restarts.
    pub persisted: bool,
}

/// What of the node's is left in a closed (or closing) channel, as its channel monitor sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosingBalance {
    /// What the chain will pay the node: its own outputs (after their timelock on a force-close)
    /// and HTLCs it holds the preimage of.
    pub claimable: Sat,
    /// HTLCs still contested: the node's only if they time out or it learns the preimage.
    pub contested_htlcs: Sat,
}

/// What a node charges to forward a payment over one of its channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardingFees {
    /// A fixed part, per payment.
    pub base_msat: u32,
    /// A proportional part, in millionths of the amount forwarded.
    pub ppm: u32,
}

impl ForwardingFees {
    /// The fee for forwarding `amount` (rounded down, as BOLT 7 computes it).
    pub fn for_amount(&self, amount: Msat) -> Msat {
        let proportional = u128::from(amount.0) * u128::from(self.ppm) / 1_000_000;
        Msat(
            u64::from(self.base_msat)
                .saturating_add(u64::try_from(proportional).unwrap_or(u64::MAX)),
        )
    }
}

impl From<ChannelDetails> for ChannelInfo {
    fn from(c: ChannelDetails) -> Self {
        Self {
            user_channel_id: UserChannelId(c.user_channel_id.0),
            channel_id: c.channel_id.to_string(),
            peer: c.counterparty_node_id,
            capacity: Sat(c.channel_value_sats),
            outbound: Msat(c.outbound_capacity_msat),
            inbound: Msat(c.inbound_capacity_msat),
            usable: c.is_usable,
            public: c.is_announced,
            outbound_opened: c.is_outbound,
            short_channel_id: c.short_channel_id,
            funding: c.funding_txo,
            confirmations: c.confirmations,
            peer_terms_known: c.counterparty_forwarding_info_cltv_expiry_delta.is_some(),
            fees: ForwardingFees {
                base_msat: c.config.forwarding_fee_base_msat,
                ppm: c.config.forwarding_fee_proportional_millionths,
            },
        }
    }
}

impl LightningNode {
    /// Connects to `peer` and opens a channel of `capacity` with `push` given to the peer.
    /// An announced (`public`) channel is gossiped; a private one appears in invoice route hints.
    ///
    /// Syncs the wallet first: ldk-node's wallet learns that an earlier funding transaction spent
    /// a coin only when it next reads the mempool, and would otherwise fund this channel from the
    /// same coin (a double spend the chain refuses). The funding transaction itself is built when
    /// the peer accepts, after this returns: open channels one at a time, waiting for each
    /// funding transaction to be broadcast.
    pub async fn open_channel(
        &self,
        peer: PublicKey,
        address: SocketAddr,
        capacity: Sat,
        push: Msat,
        public: bool,
    ) -> Result<UserChannelId, NodeError> {
        self.sync().await?;
        let address = socket_address(address);
        let push = (push.0 > 0).then_some(push.0);
        let open = if public {
            Node::open_announced_channel
        } else {
            Node::open_channel
        };
        let id = open(self.ldk(), peer, address, capacity.0, push, None)?;
        Ok(UserChannelId(id.0))
    }

    /// Sets what this node charges to forward over `channel` (announced to the network in the
    /// channel's next update); the channel's other settings stay as they are.
    pub fn set_forwarding_fees(
        &self,
        channel: UserChannelId,
        peer: PublicKey,
        fees: ForwardingFees,
    ) -> Result<(), NodeError> {
        let id = ldk_node::UserChannelId(channel.0);
        let mut config = self
            .ldk()
            .list_channels()
            .into_iter()
            .find(|c| c.user_channel_id == id)
            .map(|c| c.config)
            .unwrap_or_default();
        config.forwarding_fee_base_msat = fees.base_msat;
        config.forwarding_fee_proportional_millionths = fees.ppm;
        Ok(self.ldk().update_channel_config(&id, peer, config)?)
    }

    /// Connects to a peer (persisting it for reconnection).
    pub fn connect(&self, peer: PublicKey, address: SocketAddr) -> Result<(), NodeError> {
        Ok(self.ldk().connect(peer, socket_address(address), true)?)
    }

    /// Disconnects from a peer (channels stay; a persisted peer is reconnected later).
    pub fn disconnect(&self, peer: PublicKey) -> Result<(), NodeError> {
        Ok(self.ldk().disconnect(peer)?)
    }

    /// Closes a channel cooperatively.
    pub fn close_channel(&self, channel: UserChannelId, peer: PublicKey) -> Result<(), NodeError> {
        Ok(self
            .ldk()
            .close_channel(&ldk_node::UserChannelId(channel.0), peer)?)
    }

    /// Force-closes a channel: broadcasts the latest commitment transaction.
    pub fn force_close_channel(
        &self,
        channel: UserChannelId,
        peer: PublicKey,
        reason: &str,
    ) -> Result<(), NodeError> {
        Ok(self.ldk().force_close_channel(
            &ldk_node::UserChannelId(channel.0),
            peer,
            Some(reason.to_string()),
        )?)
    }

    /// Whether the node's gossip graph holds channel `short_channel_id` with the update for the
    /// direction out of `from`, so it can route through `from` over it.
    pub fn can_route_over(&self, short_channel_id: u64, from: PublicKey) -> bool {
        let from = ldk_node::lightning::routing::gossip::NodeId::from_pubkey(&from);
        self.ldk()
            .network_graph()
            .channel(short_channel_id)
            .is_some_and(|c| {
                if c.node_one == from {
                    c.one_to_two.is_some()
                } else {
                    c.node_two == from && c.two_to_one.is_some()
                }
            })
    }

    /// The node's peers: connected ones, and persisted ones it reconnects to.
    pub fn peers(&self) -> Vec<Peer> {
        self.ldk()
            .list_peers()
            .into_iter()
            .map(|p| Peer {
                node_id: p.node_id,
                address: p.address.to_string(),
                connected: p.is_connected,
                persisted: p.is_persisted,
            })
            .collect()
    }

    /// The address a peer is known at (connected or persisted), if it has an IP address.
    pub fn peer_address(&self, peer: PublicKey) -> Option<SocketAddr> {
        self.ldk()
            .list_peers()
            .into_iter()
            .find(|p| p.node_id == peer)
            .and_then(|p| match p.address {
                SocketAddress::TcpIpV4 { addr, port } => Some(SocketAddr::from((addr, port))),
                SocketAddress::TcpIpV6 { addr, port } => Some(SocketAddr::from((addr, port))),
                _ => None,
            })
    }

    /// The channel ldk-node knows as `user_channel_id`, if it has it.
    pub fn channel(&self, user_channel_id: UserChannelId) -> Option<ChannelInfo> {
        self.channels()
            .into_iter()
            .find(|c| c.user_channel_id == user_channel_id)
    }

    /// Every channel of the node.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        self.ldk()
            .list_channels()
            .into_iter()
            .map(ChannelInfo::from)
            .collect()
    }

    /// What of the node's is left in channel `channel_id` (hex) once it closes: the monitor's
    /// balances for it and the swept outputs still on their way to the wallet.
    pub fn closing_balance(&self, channel_id: &str) -> ClosingBalance {
        let balances = self.ldk().list_balances();
        let mut closing = ClosingBalance::default();
        for balance in &balances.lightning_balances {
            let (id, amount, contested) = match balance {
                LightningBalance::ClaimableOnChannelClose {
                    channel_id,
                    amount_satoshis,
                    ..
                }
                | LightningBalance::ClaimableAwaitingConfirmations {
                    channel_id,
                    amount_satoshis,
                    ..
                }
                | LightningBalance::ContentiousClaimable {
                    channel_id,
                    amount_satoshis,
                    ..
                }
                | LightningBalance::CounterpartyRevokedOutputClaimable {
                    channel_id,
                    amount_satoshis,
                    ..
                } => (channel_id, *amount_satoshis, false),
                LightningBalance::MaybeTimeoutClaimableHTLC {
                    channel_id,
                    amount_satoshis,
                    ..
                }
                | LightningBalance::MaybePreimageClaimableHTLC {
                    channel_id,
                    amount_satoshis,
                    ..
                } => (channel_id, *amount_satoshis, true),
            };
            if id.to_string() != channel_id {
                continue;
            }
            let sum = if contested {
                &mut closing.contested_htlcs
            } else {
                &mut closing.claimable
            };
            sum.0 = sum.0.saturating_add(amount);
        }
        for sweep in &balances.pending_balances_from_channel_closures {
            let (id, amount) = match sweep {
                PendingSweepBalance::PendingBroadcast {
                    channel_id,
                    amount_satoshis,
                }
                | PendingSweepBalance::BroadcastAwaitingConfirmation {
                    channel_id,
                    amount_satoshis,
                    ..
                }
                | PendingSweepBalance::AwaitingThresholdConfirmations {
                    channel_id,
                    amount_satoshis,
                    ..
                } => (channel_id, *amount_satoshis),
            };
            if id.is_some_and(|id| id.to_string() == channel_id) {
                closing.claimable.0 = closing.claimable.0.saturating_add(amount);
            }
        }
        closing
    }
}
