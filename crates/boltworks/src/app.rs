//! Start and shutdown: open the database, the chain and the nodes, build the hub context, start
//! each service (its node-event effects, its reconciliation and workers), serve the API, and take
//! it all down again in order.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use devchain::{Devchain, RpcAuth, RpcServer};
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::api::{AppState, HttpLimits, OperatorToken, Readiness};
use crate::channel_closures::ClosureEffects;
use crate::clock::Clock;
use crate::config::{ChainSourceConfig, Config};
use crate::dev::{DemoNetwork, DevState};
use crate::hub::{BlockWatch, HubContext};
use crate::node::chain_tip::ChainTip;
use crate::node::event_loop::{spawn_event_loop, EventEffect};
use crate::node::{ChainAccess, LightningNode, NodeSettings, Payments};
use crate::notify::Notifier;
use crate::services::escrow::EscrowService;
use crate::services::gifts::GiftsService;
use crate::services::lsp::LspService;
use crate::services::merchant::MerchantService;
use crate::store::Store;
use crate::treasury::{ChainRpc, Treasury};

/// How often idempotency keys older than their 24 hours are deleted (expired ones are ignored
/// in between).
const IDEMPOTENCY_EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// How long shutdown waits for event loops and delivery workers to finish what they hold.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// Blocks the devchain mines on first start, so the faucet owns a mature coinbase.
const DEVCHAIN_PREMINE: u32 = 101;

/// A running hub.
pub struct App {
    state: AppState,
    demo: Option<Arc<DemoNetwork>>,
    http_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    rpc: Option<RpcServer>,
    chain_access: ChainAccess,
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
            clock: clock.clone(),
            service_node: false,
            jit: None,
        };
        let node = Arc::new(LightningNode::build(&NodeSettings {
            service_node: true,
            jit: config.lsp.jit.clone(),
            ..node_settings("hub", config.node_listen, Some(config.alias.clone()))
        })?);
        node.start().await?;
        // Each step of a start is logged, so a start that hangs says where.
        tracing::info!(node_id = %node.node_id(), "hub node started");
        let treasury = open_treasury(&config, &chain_access, &store, &clock).await?;
        let notifier = Notifier::new(config.notify.clone(), store.clone(), clock.clone());
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let http_addr = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{http_addr}"));
        let hub = HubContext {
            payments: Payments::new(
                store.clone(),
                clock.clone(),
                config.network,
                Arc::clone(&node),
                events.clone(),
            ),
            store: store.clone(),
            node: Arc::clone(&node),
            clock: clock.clone(),
            notifier: Arc::clone(&notifier),
            events: events.clone(),
            network: config.network,
            public_url: public_url.into(),
            treasury: treasury.clone(),
            blocks: BlockWatch::new(),
            rate_limit: config.rate_limit,
        };
        let escrow = EscrowService::new(hub.clone(), config.escrow.clone());
        let gifts = GiftsService::new(hub.clone(), config.gifts.clone());
        let lsp = LspService::new(hub.clone(), config.lsp.clone());
        let merchant = MerchantService::new(hub.clone(), config.merchant.clone(), &config.data_dir)
            .context("merchant hub keys")?;
        let closures = Arc::new(ClosureEffects::new(
            Arc::clone(&node),
            clock.clone(),
            Arc::clone(&notifier),
        ));
        let node_actions = crate::node_actions::NodeActions::new(hub.clone());
        let effects: Vec<Arc<dyn EventEffect>> = vec![
            gifts.effects(),
            merchant.effects(),
            lsp.effects(),
            closures,
            node_actions.effects(),
        ];
        let mut background = vec![spawn_event_loop(
            Arc::clone(&node),
            store.clone(),
            clock.clone(),
            events.clone(),
            effects,
            shutdown_rx.clone(),
        )];
        let demo = match devchain {
            Some(chain) if config.demo_nodes => {
                let (demo, loops) = crate::dev::demo_start::start(
                    &config,
                    chain,
                    &node_settings,
                    &hub,
                    shutdown_rx.clone(),
                )
                .await?;
                background.extend(loops);
                Some(demo)
            }
            _ => None,
        };

        background.extend(crate::notify::worker::spawn_workers(
            Arc::clone(&notifier),
            shutdown_rx.clone(),
        )?);
        if config.network == bitcoin::Network::Regtest {
            crate::pause::arm();
        }
        if let Some(treasury) = &treasury {
            background.push(
                Arc::clone(treasury)
                    .spawn_sync(std::time::Duration::from_secs(2), shutdown_rx.clone()),
            );
        }
        // Before any request: what the last stop interrupted is settled or sent first.
        tracing::info!("reconciling what the last stop interrupted");
        gifts
            .start()
            .await
            .context("reconciling gift payouts with the node")?;
        background.extend(
            merchant
                .start(&shutdown_rx)
                .await
                .context("reconciling merchant payments with the node")?,
        );
        node_actions
            .start()
            .await
            .context("reconciling the operator's node actions")?;
        background.extend(lsp.start(shutdown_rx.clone()));
        background.extend(escrow.start(shutdown_rx.clone()));
        background.push(crate::node::record_pruning::spawn(
            Arc::clone(&node),
            store.clone(),
            clock.clone(),
            config.node_record_pruning,
            shutdown_rx.clone(),
        ));
        let mut lightning_nodes = vec![Arc::clone(&node)];
        if let Some(demo) = &demo {
            lightning_nodes.extend(demo.nodes().into_iter().map(Arc::clone));
        }
        background.push(crate::node::peer_sockets::spawn(
            lightning_nodes,
            shutdown_rx.clone(),
        ));
        background.push(crate::http::idempotency::spawn_expiry(
            store.clone(),
            clock.clone(),
            IDEMPOTENCY_EXPIRY_EVERY,
            shutdown_rx.clone(),
        ));
        let state = AppState {
            hub: hub.clone(),
            operator: OperatorToken(admin_token(&config)?.into()),
            readiness: Readiness {
                chain_tip,
                demo: demo.clone(),
            },
            escrow,
            gifts,
            lsp,
            merchant,
            node_actions,
            metrics: crate::api::MetricsEndpoint {
                metrics: Arc::new(crate::metrics::HubMetrics::new()),
                open: config.metrics_open,
            },
        };
        let dev = demo.clone().map(|demo| DevState {
            hub: hub.clone(),
            demo,
        });
        let limits = HttpLimits {
            body_limit_bytes: config.body_limit_bytes,
            request_timeout_secs: config.request_timeout_secs,
        };
        let router = crate::api::router(state.clone(), dev, limits);
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
            demo,
            http_addr,
            shutdown,
            server,
            background,
            rpc,
            chain_access,
        })
    }

    /// How the nodes reach the chain (for in-process tools: a test's own node joins the chain).
    pub fn chain_access(&self) -> &ChainAccess {
        &self.chain_access
    }

    /// Where HTTP listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The hub context (for in-process tools such as the benchmark).
    pub fn hub(&self) -> &HubContext {
        &self.state.hub
    }

    /// The operator token (for in-process tools such as the benchmark).
    pub fn operator_token(&self) -> &str {
        &self.state.operator.0
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
        let mut nodes = vec![Arc::clone(&self.state.hub.node)];
        if let Some(demo) = &self.demo {
            nodes.extend(demo.nodes().into_iter().map(Arc::clone));
        }
        for node in nodes {
            if let Err(e) = node.stop().await {
                tracing::warn!(node = node.label(), error = %e, "stopping node");
            }
        }
        if let Some(rpc) = self.rpc.as_mut() {
            rpc.shutdown();
        }
        self.state.hub.store.close().await;
        tracing::info!("boltworks stopped");
    }
}

/// The on-chain treasury, where this process runs it and the chain source is bitcoind RPC.
async fn open_treasury(
    config: &Config,
    chain: &ChainAccess,
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<Option<Arc<Treasury>>> {
    if !config.treasury {
        return Ok(None);
    }
    let ChainAccess::BitcoindRpc {
        host,
        port,
        user,
        password,
    } = chain
    else {
        tracing::warn!(
            "the on-chain treasury needs a bitcoind RPC chain source: on-chain payments are off"
        );
        return Ok(None);
    };
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
    Ok(Some(Arc::new(treasury)))
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
