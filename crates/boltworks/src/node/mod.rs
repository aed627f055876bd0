//! The Lightning adapter: the hub's (and the demo nodes') ldk-node, behind the small surface
//! services use: invoices, hold invoices, payments, on-chain funds, channels, node facts and
//! events, all in the hub's own types (`ids`, `invoice`, `records`, `events`). Services never
//! call ldk-node directly and never see one of its types.

pub mod chain_tip;
mod channels;
mod error;
pub mod event_loop;
pub mod events;
pub mod ids;
pub mod invoice;
mod invoice_records;
pub mod jit;
pub mod payment_listing;
pub mod payments;
pub mod peer_sockets;
pub mod record_pruning;
pub mod records;
mod store_journal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Address, Network, Txid};
use ldk_node::config::Config as LdkConfig;
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::lightning::routing::router::RouteParametersConfig;
use ldk_node::lightning_invoice::{Bolt11InvoiceDescription, Description};
use ldk_node::lightning_types::payment::{PaymentHash as LdkPaymentHash, PaymentPreimage};
use ldk_node::liquidity::LSPS2ServiceConfig;
use ldk_node::payment::{
    PaymentDirection as LdkDirection, PaymentKind, PaymentStatus as LdkStatus,
};
use ldk_node::Node;
use tokio::sync::mpsc;

pub use self::channels::{ChannelInfo, ClosingBalance, ForwardingFees, Peer};
pub use self::error::{NodeError, NodeErrorKind};
pub use self::events::{CommittedEvent, NodeEvent, PaymentFailure};
pub use self::ids::{PaymentHash, Preimage, UserChannelId};
pub use self::invoice::{Invoice, InvoiceProblem, NotAnInvoice};
pub use self::jit::{JitFailure, JitFailureKind, JitTerms};
pub use self::payments::{FeeLimit, OutcomeWatch, PaymentOutcome, Payments, SendError};
pub use self::records::{
    ClosureKind, NodePayment, NodePaymentStatus, PaymentDirection, PaymentRecord, PaymentStatus,
};
use crate::clock::Clock;
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
    /// The hub's clock: invoices are dated so that their expiry holds on it (see
    /// `LightningNode::invoice_expiry`).
    pub clock: Clock,
    /// A service node (the hub) takes payments up to a channel's whole capacity and forwards to
    /// private channels; a wallet (alice, bob) keeps LDK's defaults. See `set_service_node`.
    pub service_node: bool,
    /// A service node that sells JIT channels (LSPS2) on these terms.
    pub jit: Option<JitTerms>,
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
    alias: Option<String>,
    clock: Clock,
    inner: Arc<Node>,
    /// What the node's log reports of JIT opens it gave up on, until the LSP takes it.
    jit_failures: Mutex<Option<mpsc::UnboundedReceiver<JitFailure>>>,
    /// Sends hold it shared while the node takes a payment; removing a payment record holds it
    /// alone from its status check to the removal, so a record re-sent in between is never the
    /// one removed (`record_pruning`).
    record_lock: RwLock<()>,
}

impl LightningNode {
    /// Builds (but does not start) a node.
    pub fn build(settings: &NodeSettings) -> Result<Self, NodeError> {
        std::fs::create_dir_all(&settings.storage_dir).map_err(|e| {
            NodeError::setup(format!("creating {}: {e}", settings.storage_dir.display()))
        })?;
        store_journal::use_write_ahead_log(&settings.storage_dir)?;
        let config = LdkConfig {
            network: settings.network,
            storage_dir_path: settings.storage_dir.display().to_string(),
            listening_addresses: Some(vec![socket_address(settings.listen)]),
            ..Default::default()
        };
        let mut builder = ldk_node::Builder::from_config(config);
        let sells_jit = settings.service_node && settings.jit.is_some();
        let (log_writer, jit_failures) = jit::NodeLogWriter::new(sells_jit);
        builder.set_custom_logger(log_writer);
        if let Some(alias) = &settings.alias {
            builder
                .set_node_alias(alias.clone())
                .map_err(|e| NodeError::setup(format!("alias: {e}")))?;
        }
        builder.set_entropy_seed_path(settings.storage_dir.join("keys_seed").display().to_string());
        if settings.service_node {
            set_service_node(&mut builder, settings.jit.as_ref());
        }
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
            alias: settings.alias.clone(),
            clock: settings.clock.clone(),
            inner: Arc::new(inner),
            jit_failures: Mutex::new(jit_failures),
            record_lock: RwLock::new(()),
        })
    }

    /// The reports of JIT opens the node gave up on (once: the LSP's recorder takes them); `None`
    /// on a node that sells no JIT channels.
    pub fn take_jit_failures(&self) -> Option<mpsc::UnboundedReceiver<JitFailure>> {
        self.jit_failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
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
    fn ldk(&self) -> &Arc<Node> {
        &self.inner
    }

    /// The gossip alias, if the node has one.
    pub fn alias(&self) -> Option<&str> {
        self.alias.as_deref()
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

    /// A BOLT11 invoice for `amount`, expiring after `expiry_secs`. ldk-node stores the
    /// payment (a synced write under its store's lock) before answering: the call runs on a
    /// blocking thread, so the runtime's workers go on serving meanwhile.
    pub async fn create_invoice(
        &self,
        amount: Msat,
        description: &str,
        expiry_secs: u32,
    ) -> Result<Invoice, NodeError> {
        let description = invoice_description(description)?;
        let (inner, expiry) = (Arc::clone(&self.inner), self.invoice_expiry(expiry_secs));
        let invoice = blocking(move || {
            inner
                .bolt11_payment()
                .receive(amount.0, &description, expiry)
        })
        .await?;
        Ok(Invoice(invoice))
    }

    /// A hold invoice for `payment_hash`: an arriving payment is held (a `PaymentClaimable`
    /// event) until `claim_held` or `fail_held`. The caller keeps the preimage. On a blocking
    /// thread, as `create_invoice`.
    pub async fn create_hold_invoice(
        &self,
        amount: Msat,
        description: &str,
        expiry_secs: u32,
        payment_hash: PaymentHash,
    ) -> Result<Invoice, NodeError> {
        let description = invoice_description(description)?;
        let (inner, expiry) = (Arc::clone(&self.inner), self.invoice_expiry(expiry_secs));
        let invoice = blocking(move || {
            inner.bolt11_payment().receive_for_hash(
                amount.0,
                &description,
                expiry,
                LdkPaymentHash(payment_hash.0),
            )
        })
        .await?;
        Ok(Invoice(invoice))
    }

    /// The expiry to write into an invoice that should expire `expiry_secs` from the hub's now.
    /// ldk-node dates an invoice by the system clock; the hub's clock may run ahead of it (regtest
    /// `/dev/clock/advance`), and every rule that judges an invoice reads the hub's clock. Adding
    /// the offset makes `timestamp + expiry` equal `hub now + expiry_secs`; the payer's and the
    /// node's own checks, on system time, only see a longer life.
    fn invoice_expiry(&self, expiry_secs: u32) -> u32 {
        let offset = u32::try_from(self.clock.offset_secs().max(0)).unwrap_or(u32::MAX);
        expiry_secs.saturating_add(offset)
    }

    /// Settles a held payment with its preimage. `claimable` is the amount the
    /// `PaymentClaimable` event reported.
    pub fn claim_held(
        &self,
        payment_hash: PaymentHash,
        claimable: Msat,
        preimage: Preimage,
    ) -> Result<(), NodeError> {
        Ok(self.inner.bolt11_payment().claim_for_hash(
            LdkPaymentHash(payment_hash.0),
            claimable.0,
            PaymentPreimage(preimage.0),
        )?)
    }

    /// Fails a held payment back to the payer.
    pub fn fail_held(&self, payment_hash: PaymentHash) -> Result<(), NodeError> {
        Ok(self
            .inner
            .bolt11_payment()
            .fail_for_hash(LdkPaymentHash(payment_hash.0))?)
    }

    /// Sends a payment for `invoice`; `amount` is required for (and only allowed with) an
    /// amountless invoice. `max_fee` caps the total routing fee. Only `Payments` calls it: it
    /// records the payment before this side effect.
    fn pay(
        &self,
        invoice: &Invoice,
        amount: Option<Msat>,
        max_fee: Option<Msat>,
    ) -> Result<(), NodeError> {
        let route = RouteParametersConfig {
            max_total_routing_fee_msat: max_fee.map(|m| m.0),
            ..Default::default()
        };
        let _sending = self
            .record_lock
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bolt11 = self.inner.bolt11_payment();
        match amount {
            Some(amount) => bolt11.send_using_amount(&invoice.0, amount.0, Some(route))?,
            None => bolt11.send(&invoice.0, Some(route))?,
        };
        Ok(())
    }

    /// The node's own record of a payment, by hash.
    pub fn payment(&self, payment_hash: PaymentHash) -> Option<NodePayment> {
        let details = self.inner.payment(&PaymentId(payment_hash.0))?;
        let preimage = match details.kind {
            PaymentKind::Bolt11 { preimage, .. } | PaymentKind::Bolt11Jit { preimage, .. } => {
                preimage.map(|p| Preimage(p.0))
            }
            _ => None,
        };
        Some(NodePayment {
            direction: match details.direction {
                LdkDirection::Inbound => PaymentDirection::Inbound,
                LdkDirection::Outbound => PaymentDirection::Outbound,
            },
            status: match details.status {
                LdkStatus::Pending => NodePaymentStatus::Pending,
                LdkStatus::Succeeded => NodePaymentStatus::Succeeded,
                LdkStatus::Failed => NodePaymentStatus::Failed,
            },
            amount: details.amount_msat.map(Msat),
            fee_paid: details.fee_paid_msat.map(Msat),
            preimage,
        })
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

    /// What the node's wallet sent on chain: each transaction and the amount it paid out
    /// (channel fundings included; the fee not).
    pub fn onchain_sends(&self) -> Vec<(Txid, Sat)> {
        self.inner
            .list_payments_with_filter(|p| {
                p.direction == LdkDirection::Outbound
                    && matches!(p.kind, PaymentKind::Onchain { .. })
            })
            .into_iter()
            .filter_map(|p| match p.kind {
                PaymentKind::Onchain { txid, .. } => Some((txid, Sat(p.amount_msat? / 1000))),
                _ => None,
            })
            .collect()
    }

    /// The on-chain wallet's balance.
    pub fn onchain_balance(&self) -> OnchainBalance {
        let balances = self.inner.list_balances();
        OnchainBalance {
            total: Sat(balances.total_onchain_balance_sats),
            spendable: Sat(balances.spendable_onchain_balance_sats),
        }
    }
}

/// Makes the node a service node: it accepts inbound HTLCs up to 100% of a channel's value
/// (LDK's default is 10%, fixed per channel at its opening, so a 1,000,000-sat channel could not
/// carry a payment above 100,000 sat to the hub) and forwards to private channels. ldk-node 0.7
/// does not expose LDK's `UserConfig`; it sets both for an LSPS2 provider, so the hub registers
/// as one. With `jit` terms it sells JIT channels on them; without, the provider demands a random
/// token given to no one, so no client can buy a channel through it.
fn set_service_node(builder: &mut ldk_node::Builder, jit: Option<&JitTerms>) {
    let config = match jit {
        Some(terms) => terms.service_config(),
        None => {
            let mut token = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut token);
            LSPS2ServiceConfig {
                require_token: Some(hex::encode(token)),
                advertise_service: false,
                channel_opening_fee_ppm: 0,
                channel_over_provisioning_ppm: 0,
                min_channel_opening_fee_msat: 0,
                min_channel_lifetime: 0,
                max_client_to_self_delay: 0,
                min_payment_size_msat: 0,
                max_payment_size_msat: 0,
                client_trusts_lsp: false,
            }
        }
    };
    builder.set_liquidity_provider_lsps2(config);
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
