//! The Lightning adapter: the hub's (and the demo nodes') ldk-node, behind the small surface
//! services use: invoices, hold invoices, payments, on-chain funds, channels, node facts and
//! events. Services never call ldk-node directly.

pub mod chain_tip;
mod error;
pub mod events;
pub mod invoice;
pub mod payments;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Address, Network, Txid};
use ldk_node::config::Config as LdkConfig;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::lightning::routing::router::RouteParametersConfig;
use ldk_node::lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};
use ldk_node::lightning_types::payment::{PaymentHash, PaymentPreimage};
use ldk_node::payment::PaymentDetails;
use ldk_node::{ChannelDetails, Node, UserChannelId};

pub use self::error::{NodeError, NodeErrorKind};
use crate::money::{Msat, Sat};

/// Where a node reads the chain from, resolved to an endpoint.
#[derive(Debug, Clone)]
pub enum ChainAccess {
    /// bitcoind JSON-RPC (also how nodes reach the embedded devchain).
    BitcoindRpc {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// User.
        user: String,
        /// Password.
        password: String,
    },
    /// Esplora base URL.
    Esplora(String),
    /// Electrum server URL.
    Electrum(String),
}

/// How to build one node.
#[derive(Debug, Clone)]
pub struct NodeSettings {
    /// Name in logs and records: `hub`, `alice` or `bob`.
    pub label: String,
    /// Bitcoin network.
    pub network: Network,
    /// Directory for the node's own state (keys, channel monitors, its SQLite store).
    pub storage_dir: PathBuf,
    /// Lightning P2P listen address.
    pub listen: SocketAddr,
    /// Gossip alias (announced only with public channels).
    pub alias: Option<String>,
    /// Chain endpoint.
    pub chain: ChainAccess,
}

/// On-chain funds of a node's wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnchainBalance {
    /// Everything the wallet holds, confirmed or not.
    pub total: Sat,
    /// What can be spent now (excluding the anchor-channel reserve).
    pub spendable: Sat,
}

/// One running ldk-node instance.
pub struct LightningNode {
    label: String,
    listen: SocketAddr,
    inner: Arc<Node>,
}

impl LightningNode {
    /// Builds (but does not start) a node.
    pub fn build(settings: &NodeSettings) -> Result<Self, NodeError> {
        std::fs::create_dir_all(&settings.storage_dir).map_err(|e| {
            NodeError::setup(format!("creating {}: {e}", settings.storage_dir.display()))
        })?;
        let config = LdkConfig {
            network: settings.network,
            storage_dir_path: settings.storage_dir.display().to_string(),
            listening_addresses: Some(vec![socket_address(settings.listen)]),
            ..Default::default()
        };
        let mut builder = ldk_node::Builder::from_config(config);
        builder.set_log_facade_logger();
        if let Some(alias) = &settings.alias {
            builder
                .set_node_alias(alias.clone())
                .map_err(|e| NodeError::setup(format!("alias: {e}")))?;
        }
        builder.set_entropy_seed_path(settings.storage_dir.join("keys_seed").display().to_string());
        match &settings.chain {
            ChainAccess::BitcoindRpc {
                host,
                port,
                user,
                password,
            } => {
                builder.set_chain_source_bitcoind_rpc(
                    host.clone(),
                    *port,
                    user.clone(),
                    password.clone(),
                );
            }
            ChainAccess::Esplora(url) => {
                builder.set_chain_source_esplora(url.clone(), None);
            }
            ChainAccess::Electrum(url) => {
                builder.set_chain_source_electrum(url.clone(), None);
            }
        }
        let inner = builder
            .build()
            .map_err(|e| NodeError::setup(format!("building node {}: {e}", settings.label)))?;
        Ok(Self {
            label: settings.label.clone(),
            listen: settings.listen,
            inner: Arc::new(inner),
        })
    }

    /// Starts the node (connects to the chain source, begins syncing, listens for peers).
    pub async fn start(&self) -> Result<(), NodeError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.start()).await?;
        tracing::info!(node = %self.label, node_id = %self.node_id(), listen = %self.listen, "node started");
        Ok(())
    }

    /// Stops the node cleanly, persisting its state.
    pub async fn stop(&self) -> Result<(), NodeError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.stop()).await?;
        tracing::info!(node = %self.label, "node stopped");
        Ok(())
    }

    /// Polls the chain source now rather than at the next background interval.
    pub async fn sync(&self) -> Result<(), NodeError> {
        let inner = Arc::clone(&self.inner);
        blocking(move || inner.sync_wallets()).await
    }

    /// The node's label (`hub`, `alice`, `bob`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The underlying ldk-node, for the event loop.
    pub(crate) fn ldk(&self) -> &Arc<Node> {
        &self.inner
    }

    /// The node's public key.
    pub fn node_id(&self) -> PublicKey {
        self.inner.node_id()
    }

    /// The P2P listen address.
    pub fn listen_address(&self) -> SocketAddr {
        self.listen
    }

    /// Whether the node is running.
    pub fn is_running(&self) -> bool {
        self.inner.status().is_running
    }

    /// The chain height the node has processed.
    pub fn synced_height(&self) -> u32 {
        self.inner.status().current_best_block.height
    }

    /// Whether the node has completed a wallet sync since starting.
    pub fn has_synced(&self) -> bool {
        self.inner
            .status()
            .latest_lightning_wallet_sync_timestamp
            .is_some()
    }

    /// A BOLT11 invoice for `amount`, expiring after `expiry_secs`.
    pub fn create_invoice(
        &self,
        amount: Msat,
        description: &str,
        expiry_secs: u32,
    ) -> Result<Bolt11Invoice, NodeError> {
        let description = invoice_description(description)?;
        Ok(self
            .inner
            .bolt11_payment()
            .receive(amount.0, &description, expiry_secs)?)
    }

    /// A hold invoice for `payment_hash`: an arriving payment is held (a `PaymentClaimable`
    /// event) until `claim_held` or `fail_held`. The caller keeps the preimage.
    pub fn create_hold_invoice(
        &self,
        amount: Msat,
        description: &str,
        expiry_secs: u32,
        payment_hash: [u8; 32],
    ) -> Result<Bolt11Invoice, NodeError> {
        let description = invoice_description(description)?;
        Ok(self.inner.bolt11_payment().receive_for_hash(
            amount.0,
            &description,
            expiry_secs,
            PaymentHash(payment_hash),
        )?)
    }

    /// Settles a held payment with its preimage. `claimable` is the amount the
    /// `PaymentClaimable` event reported.
    pub fn claim_held(
        &self,
        payment_hash: [u8; 32],
        claimable: Msat,
        preimage: [u8; 32],
    ) -> Result<(), NodeError> {
        Ok(self.inner.bolt11_payment().claim_for_hash(
            PaymentHash(payment_hash),
            claimable.0,
            PaymentPreimage(preimage),
        )?)
    }

    /// Fails a held payment back to the payer.
    pub fn fail_held(&self, payment_hash: [u8; 32]) -> Result<(), NodeError> {
        Ok(self
            .inner
            .bolt11_payment()
            .fail_for_hash(PaymentHash(payment_hash))?)
    }

    /// Sends a payment for `invoice`; `amount` is required for (and only allowed with) an
    /// amountless invoice. `max_fee` caps the total routing fee. Use `payments::send` from
    /// services: it records the payment before this side effect.
    pub(crate) fn pay(
        &self,
        invoice: &Bolt11Invoice,
        amount: Option<Msat>,
        max_fee: Option<Msat>,
    ) -> Result<(), NodeError> {
        let route = RouteParametersConfig {
            max_total_routing_fee_msat: max_fee.map(|m| m.0),
            ..Default::default()
        };
        let bolt11 = self.inner.bolt11_payment();
        match amount {
            Some(amount) => bolt11.send_using_amount(invoice, amount.0, Some(route))?,
            None => bolt11.send(invoice, Some(route))?,
        };
        Ok(())
    }

    /// The node's own record of a payment, by hash.
    pub fn payment(&self, payment_hash: [u8; 32]) -> Option<PaymentDetails> {
        self.inner
            .payment(&ldk_node::lightning::ln::channelmanager::PaymentId(
                payment_hash,
            ))
    }

    /// A fresh address of the node's on-chain wallet.
    pub fn new_onchain_address(&self) -> Result<Address, NodeError> {
        Ok(self.inner.onchain_payment().new_address()?)
    }

    /// Sends `amount` on-chain from the node's wallet.
    pub fn send_onchain(&self, address: &Address, amount: Sat) -> Result<Txid, NodeError> {
        Ok(self
            .inner
            .onchain_payment()
            .send_to_address(address, amount.0, None)?)
    }

    /// The on-chain wallet's balance.
    pub fn onchain_balance(&self) -> OnchainBalance {
        let balances = self.inner.list_balances();
        OnchainBalance {
            total: Sat(balances.total_onchain_balance_sats),
            spendable: Sat(balances.spendable_onchain_balance_sats),
        }
    }

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
        Ok(open(&self.inner, peer, address, capacity.0, push, None)?)
    }

    /// Connects to a peer (persisting it for reconnection).
    pub fn connect(&self, peer: PublicKey, address: SocketAddr) -> Result<(), NodeError> {
        Ok(self.inner.connect(peer, socket_address(address), true)?)
    }

    /// Disconnects from a peer (channels stay; a persisted peer is reconnected later).
    pub fn disconnect(&self, peer: PublicKey) -> Result<(), NodeError> {
        Ok(self.inner.disconnect(peer)?)
    }

    /// Closes a channel cooperatively.
    pub fn close_channel(&self, channel: &UserChannelId, peer: PublicKey) -> Result<(), NodeError> {
        Ok(self.inner.close_channel(channel, peer)?)
    }

    /// Force-closes a channel: broadcasts the latest commitment transaction.
    pub fn force_close_channel(
        &self,
        channel: &UserChannelId,
        peer: PublicKey,
        reason: &str,
    ) -> Result<(), NodeError> {
        Ok(self
            .inner
            .force_close_channel(channel, peer, Some(reason.to_string()))?)
    }

    /// Whether the node's gossip graph holds channel `short_channel_id` with the update for the
    /// direction out of `from`, so it can route through `from` over it.
    pub fn can_route_over(&self, short_channel_id: u64, from: PublicKey) -> bool {
        let from = ldk_node::lightning::routing::gossip::NodeId::from_pubkey(&from);
        self.inner
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

    /// The address a peer is known at (connected or persisted), if it has an IP address.
    pub fn peer_address(&self, peer: PublicKey) -> Option<SocketAddr> {
        self.inner
            .list_peers()
            .into_iter()
            .find(|p| p.node_id == peer)
            .and_then(|p| match p.address {
                SocketAddress::TcpIpV4 { addr, port } => Some(SocketAddr::from((addr, port))),
                SocketAddress::TcpIpV6 { addr, port } => Some(SocketAddr::from((addr, port))),
                _ => None,
            })
    }

    /// The channel ldk-node knows as `user_channel_id` (its decimal text), if it has it.
    pub fn channel(&self, user_channel_id: &str) -> Option<ChannelDetails> {
        self.channels()
            .into_iter()
            .find(|c| c.user_channel_id.0.to_string() == user_channel_id)
    }

    /// Every channel of the node.
    pub fn channels(&self) -> Vec<ChannelDetails> {
        self.inner.list_channels()
    }
}

/// Runs a blocking ldk-node call off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ldk_node::NodeError> + Send + 'static,
) -> Result<T, NodeError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => Ok(result?),
        Err(e) => Err(NodeError::setup(format!("node task failed: {e}"))),
    }
}

fn socket_address(addr: SocketAddr) -> SocketAddress {
    match addr {
        SocketAddr::V4(v4) => SocketAddress::TcpIpV4 {
            addr: v4.ip().octets(),
            port: v4.port(),
        },
        SocketAddr::V6(v6) => SocketAddress::TcpIpV6 {
            addr: v6.ip().octets(),
            port: v6.port(),
        },
    }
}

fn invoice_description(text: &str) -> Result<Bolt11InvoiceDescription, NodeError> {
    let description = Description::new(text.to_string())
        .map_err(|_| NodeError::invalid("description is longer than 639 bytes"))?;
    Ok(Bolt11InvoiceDescription::Direct(description))
}

/// Parses a BOLT11 string.
pub fn parse_invoice(text: &str) -> Result<Bolt11Invoice, NodeError> {
    Bolt11Invoice::from_str(text.trim())
        .map_err(|e| NodeError::invalid(format!("invalid invoice: {e}")))
}
