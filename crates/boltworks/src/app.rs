//! Wiring: open the database, the chain and the nodes, start the event loops and the HTTP
//! server, and take it all down again in order on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use devchain::{Devchain, RpcAuth, RpcServer};
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::{ChainSourceConfig, Config};
use crate::dev::DemoNetwork;
use crate::node::chain_tip::ChainTip;
use crate::node::events::{spawn_event_loop, EventEffect, NodeEvent};
use crate::node::{ChainAccess, LightningNode, NodeSettings};
use crate::notify::Notifier;
use crate::services::gifts::GiftEffects;
use crate::services::lsp::{LspEffects, LspState};
use crate::services::merchant::{MerchantEffects, MerchantState};
use crate::store::Store;
use crate::treasury::{ChainRpc, Treasury};

/// How long shutdown waits for event loops and delivery workers to finish what they hold.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// Blocks the devchain mines on first start, so the faucet owns a mature coinbase.
const DEVCHAIN_PREMINE: u32 = 101;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The hub's Lightning node.
    pub node: Arc<LightningNode>,
    /// The clock every time-based rule reads.
    pub clock: Clock,
    /// Node events, after their effects committed.
    pub events: broadcast::Sender<NodeEvent>,
    /// The chain tip, for readiness.
    pub chain_tip: ChainTip,
    /// The demo network, on regtest with the devchain.
    pub dev: Option<Arc<DemoNetwork>>,
    /// Webhooks, emails and event streams.
    pub notifier: Arc<Notifier>,
    /// The operator token for `/admin`.
    pub admin_token: Arc<str>,
    /// Escrow's in-process state.
    pub escrow: Arc<crate::services::escrow::EscrowState>,
    /// The hub's public base URL, without a trailing slash (LNURLs and page links use it).
    pub public_url: Arc<str>,
    /// The LSP's configuration and worker signal.
    pub lsp: Arc<LspState>,
    /// The on-chain treasury (with a bitcoind RPC chain source, the devchain included).
    pub treasury: Option<Arc<Treasury>>,
    /// The merchant hub's signing and token keys.
    pub merchant: Arc<MerchantState>,
}

/// A running hub.
pub struct App {
    state: AppState,
    http_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    rpc: Option<RpcServer>,
}

impl App {
    /// Starts everything. Returns once HTTP is listening; the demo network keeps bootstrapping in
    /// the background (`/ready` says when it is done).
    pub async fn start(config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
        let store = Store::connect(&config.database)
            .await
            .context("opening the database")?;
        let clock = if config.network == bitcoin::Network::Regtest {
            Clock::adjustable()
        } else {
            Clock::system()
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (events, _) = broadcast::channel(1024);

        let (chain_access, chain_tip, devchain, rpc) = open_chain(&config).await?;
        let node_settings = |label: &str, listen: SocketAddr, alias: Option<String>| NodeSettings {
            label: label.to_string(),
            network: config.network,
            storage_dir: config.data_dir.join("nodes").join(label),
            listen,
            alias,
            chain: chain_access.clone(),
        };
        let hub = Arc::new(LightningNode::build(&node_settings(
            "hub",
            config.node_listen,
            Some(config.alias.clone()),
        ))?);
        hub.start().await?;
        let treasury = match &chain_access {
            _ if !config.treasury => None,
            ChainAccess::BitcoindRpc {
                host,
                port,
                user,
                password,
            } => {
                let rpc = ChainRpc::new(host, *port, user, password);
                let treasury = Treasury::open(
                    &config.data_dir,
                    store.clone(),
                    clock.clone(),
                    config.network,
                    rpc,
                    config.lsp.onchain_confirmations,
                )
                .await
                .context("opening the on-chain treasury")?;
                Some(Arc::new(treasury))
            }
            _ => {
                tracing::warn!("the on-chain treasury needs a bitcoind RPC chain source: on-chain payments are off");
                None
            }
        };
        let notifier = Notifier::new(config.notify.clone(), store.clone(), clock.clone());
        let lsp = Arc::new(LspState::new(config.lsp.clone(), clock.now_unix()));
        let merchant =
            Arc::new(MerchantState::load_or_create(&config.data_dir).context("merchant hub keys")?);
        let hub_effects: Vec<Arc<dyn EventEffect>> = vec![
            Arc::new(GiftEffects::new(clock.clone(), Arc::clone(&notifier))),
            Arc::new(MerchantEffects::new(
                Arc::clone(&hub),
                clock.clone(),
                Arc::clone(&notifier),
                Arc::clone(&merchant),
            )),
            Arc::new(LspEffects::new(
                Arc::clone(&hub),
                clock.clone(),
                Arc::clone(&lsp),
                Arc::clone(&notifier),
            )),
        ];
        let mut background = vec![spawn_event_loop(
            Arc::clone(&hub),
            store.clone(),
            clock.clone(),
            events.clone(),
            hub_effects,
            shutdown_rx.clone(),
        )];

        let dev = match devchain {
            Some(chain) if config.demo_nodes => {
                let [alice_listen, bob_listen] = config.demo_node_listen;
                // Aliases let alice and bob accept announced channels (ldk-node refuses them otherwise).
                let alice = Arc::new(LightningNode::build(&node_settings(
                    "alice",
                    alice_listen,
                    Some("alice".into()),
                ))?);
                let bob = Arc::new(LightningNode::build(&node_settings(
                    "bob",
                    bob_listen,
                    Some("bob".into()),
                ))?);
                for node in [&alice, &bob] {
                    node.start().await?;
                    background.push(spawn_event_loop(
                        Arc::clone(node),
                        store.clone(),
                        clock.clone(),
                        events.clone(),
                        Vec::new(),
                        shutdown_rx.clone(),
                    ));
                }
                let network = Arc::new(DemoNetwork::new(chain, alice, bob));
                let (bootstrap_network, bootstrap_hub) = (Arc::clone(&network), Arc::clone(&hub));
                // Not in `background`: on shutdown it is simply cancelled (it is idempotent).
                let mut shutdown = shutdown_rx.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        result = bootstrap_network.bootstrap(&bootstrap_hub) => {
                            if let Err(e) = result {
                                tracing::error!(error = %e, "demo network bootstrap failed");
                            }
                        }
                        _ = shutdown.wait_for(|stop| *stop) => {}
                    }
                });
                Some(network)
            }
            _ => None,
        };

        let admin_token = admin_token(&config)?;
        background.extend(crate::notify::worker::spawn_workers(
            Arc::clone(&notifier),
            shutdown_rx.clone(),
        )?);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let http_addr = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{http_addr}"));
        if config.network == bitcoin::Network::Regtest {
            crate::dev::arm_pause_points();
        }
        if let Some(treasury) = &treasury {
            background.push(
                Arc::clone(treasury)
                    .spawn_sync(std::time::Duration::from_secs(2), shutdown_rx.clone()),
            );
        }
        let state = AppState {
            merchant,
            treasury,
            lsp,
            public_url: public_url.into(),
            config: Arc::new(config.clone()),
            store,
            node: hub,
            clock,
            events,
            chain_tip,
            dev,
            notifier,
            admin_token: admin_token.into(),
            escrow: Arc::default(),
        };
        // Before any request: a payout interrupted by the last stop is settled or sent first.
        crate::services::gifts::payout::reconcile(&state)
            .await
            .context("reconciling gift payouts with the node")?;
        crate::services::merchant::reconcile(&state)
            .await
            .context("reconciling merchant payments with the node")?;
        background.extend(crate::services::merchant::spawn_workers(
            &state,
            &shutdown_rx,
        ));
        background.push(crate::services::lsp::engine::spawn_worker(
            state.clone(),
            shutdown_rx.clone(),
        ));
        background.push(crate::services::escrow::deadline_watch::spawn(
            state.clone(),
            config.escrow_deadline_warning_blocks,
            shutdown_rx.clone(),
        ));
        let router = crate::http::router(state.clone());
        let mut stop = shutdown_rx.clone();
        let server = tokio::spawn(async move {
            let graceful = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(graceful)
            .await
            {
                tracing::error!(error = %e, "HTTP server failed");
            }
        });
        tracing::info!(%http_addr, network = %config.network, "boltworks listening");
        Ok(App {
            state,
            http_addr,
            shutdown,
            server,
            background,
            rpc,
        })
    }

    /// Where HTTP listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The shared state (for in-process tools such as the benchmark).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops HTTP (letting requests in flight finish), the event loops and delivery workers, the
    /// nodes (persisting their state), the chain server and the database, in that order.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        // Event loops and delivery workers stop at their next step; a worker finishes and
        // records the deliveries it has in flight. Whatever is still running after the grace
        // period is cancelled (an unrecorded delivery is retried after its lease: at least once).
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        for mut task in self.background.drain(..) {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
        let mut nodes = vec![Arc::clone(&self.state.node)];
        if let Some(dev) = &self.state.dev {
            nodes.extend([Arc::clone(&dev.alice), Arc::clone(&dev.bob)]);
        }
        for node in nodes {
            if let Err(e) = node.stop().await {
                tracing::warn!(node = node.label(), error = %e, "stopping node");
            }
        }
        if let Some(rpc) = self.rpc.as_mut() {
            rpc.shutdown();
        }
        self.state.store.close().await;
        tracing::info!("boltworks stopped");
    }
}

/// The configured operator token, or the one kept in the data directory (made on first start,
/// readable by the owner only).
fn admin_token(config: &Config) -> anyhow::Result<String> {
    if let Some(token) = &config.admin_token {
        return Ok(token.clone());
    }
    let path = config.data_dir.join("admin.token");
    if let Ok(token) = std::fs::read_to_string(&path) {
        if token.trim().len() >= 16 {
            return Ok(token.trim().to_string());
        }
    }
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    crate::auth::write_secret_file(&path, &token)
        .with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "operator token created");
    Ok(token)
}

/// Resolves the chain source; for the devchain, opens it and serves its RPC on loopback with
/// fresh random credentials.
async fn open_chain(
    config: &Config,
) -> anyhow::Result<(ChainAccess, ChainTip, Option<Devchain>, Option<RpcServer>)> {
    Ok(match &config.chain_source {
        ChainSourceConfig::Devchain => {
            let dir = config.data_dir.join("devchain");
            let chain = tokio::task::spawn_blocking(move || -> anyhow::Result<Devchain> {
                let chain = Devchain::open(&dir)?;
                if chain.height() < DEVCHAIN_PREMINE {
                    chain.mine_to_faucet(DEVCHAIN_PREMINE - chain.height())?;
                }
                Ok(chain)
            })
            .await??;
            let mut secret = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut secret);
            let auth = RpcAuth {
                user: "boltworks".into(),
                password: hex::encode(secret),
            };
            let rpc = RpcServer::start(chain.clone(), "127.0.0.1:0".parse()?, auth.clone()).await?;
            let access = ChainAccess::BitcoindRpc {
                host: "127.0.0.1".into(),
                port: rpc.addr().port(),
                user: auth.user,
                password: auth.password,
            };
            (
                access,
                ChainTip::Devchain(chain.clone()),
                Some(chain),
                Some(rpc),
            )
        }
        ChainSourceConfig::BitcoindRpc {
            host,
            port,
            user,
            password,
        } => (
            ChainAccess::BitcoindRpc {
                host: host.clone(),
                port: *port,
                user: user.clone(),
                password: password.clone(),
            },
            ChainTip::BitcoindRpc {
                url: format!("http://{host}:{port}/"),
                user: user.clone(),
                password: password.clone(),
            },
            None,
            None,
        ),
        ChainSourceConfig::Esplora(url) => (
            ChainAccess::Esplora(url.clone()),
            ChainTip::Esplora(url.clone()),
            None,
            None,
        ),
        ChainSourceConfig::Electrum(url) => (
            ChainAccess::Electrum(url.clone()),
            ChainTip::Electrum,
            None,
            None,
        ),
    })
}
