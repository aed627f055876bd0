//! One validated `Config` for the hub, built from `serve` flags and their `BOLTWORKS_*`
//! environment variables (a flag wins over its variable). Each value is parsed into its type by
//! its flag's value parser (the hub's here, each service's beside that service, notifications'
//! in `notify`), and what depends on several flags is checked in `ServeArgs::validate`, so a bad
//! value stops the process at start with a one-line message that names it.

mod chain;
pub mod values;

use std::net::SocketAddr;
use std::path::PathBuf;

use bitcoin::Network;
use clap::Args;

pub use self::chain::{ChainArgs, ChainSourceConfig};
use crate::http::RateLimit;
use crate::node::record_pruning::PruneSchedule;
use crate::notify::{NotifyArgs, NotifyConfig};
use crate::services::escrow::{EscrowArgs, EscrowConfig};
use crate::services::gifts::{GiftsArgs, GiftsConfig};
use crate::services::lsp::{LspArgs, LspConfig};
use crate::services::merchant::{MerchantArgs, MerchantConfig};
pub use crate::store::DatabaseConfig;

/// The validated hub configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bitcoin network.
    pub network: Network,
    /// Directory for the database file, node state and devchain blocks.
    pub data_dir: PathBuf,
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Lightning P2P listen address of the hub's node.
    pub node_listen: SocketAddr,
    /// Node alias.
    pub alias: String,
    /// Chain source.
    pub chain_source: ChainSourceConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Public base URL of the hub (LNURLs and links are built from it). `None` on regtest
    /// without `--public-url`: the hub uses `http://` and the address it bound.
    pub public_url: Option<String>,
    /// Whether to run the demo nodes alice and bob (regtest with devchain only).
    pub demo_nodes: bool,
    /// Whether this process runs the on-chain treasury (one per database: further API
    /// processes sharing it run without).
    pub treasury: bool,
    /// Lightning P2P listen addresses for alice and bob (port 0: pick free ports).
    pub demo_node_listen: [SocketAddr; 2],
    /// Where demo node carol listens, when she runs (`--demo-carol`): behind bob, so payments
    /// to her take a routing hop that charges a fee.
    pub demo_carol_listen: Option<SocketAddr>,
    /// The channels each of alice and bob opens to the hub.
    pub demo_channels: crate::dev::DemoChannels,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take before the hub answers 408.
    pub request_timeout_secs: u64,
    /// The limit on each service's public creation routes, per client address.
    pub rate_limit: RateLimit,
    /// Log as JSON lines.
    pub log_json: bool,
    /// Whether `/metrics` may be scraped without the operator token.
    pub metrics_open: bool,
    /// When the node's records of expired invoices and finished payments are removed.
    pub node_record_pruning: PruneSchedule,
    /// Notification delivery.
    pub notify: NotifyConfig,
    /// The operator token; `None` makes one on first start, kept in `DATA_DIR/admin.token`.
    pub admin_token: Option<String>,
    /// Escrow.
    pub escrow: EscrowConfig,
    /// Gifts.
    pub gifts: GiftsConfig,
    /// The LSP.
    pub lsp: LspConfig,
    /// The merchant hub.
    pub merchant: MerchantConfig,
}

/// Flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Bitcoin network: regtest, signet, testnet or bitcoin.
    #[arg(long, env = "BOLTWORKS_NETWORK", default_value = "regtest", value_parser = values::network)]
    pub network: Network,
    /// Data directory.
    #[arg(long, env = "BOLTWORKS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// HTTP listen address.
    #[arg(long, env = "BOLTWORKS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Lightning P2P listen address of the hub's node.
    #[arg(long, env = "BOLTWORKS_NODE_LISTEN", default_value = "127.0.0.1:9735")]
    pub node_listen: SocketAddr,
    /// Node alias (at most 32 bytes).
    #[arg(long, env = "BOLTWORKS_ALIAS", default_value = "boltworks", value_parser = values::alias)]
    pub alias: String,
    /// Where the chain comes from.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Database URL: postgres://... or sqlite://...; default a SQLite file in the data dir.
    #[arg(long, env = "BOLTWORKS_DATABASE_URL", value_parser = values::database_url)]
    pub database_url: Option<DatabaseConfig>,
    /// Public base URL of the hub; default http://LISTEN on regtest.
    #[arg(long, env = "BOLTWORKS_PUBLIC_URL", value_parser = values::public_url)]
    pub public_url: Option<String>,
    /// Do not run the demo nodes alice and bob.
    #[arg(long, env = "BOLTWORKS_NO_DEMO_NODES")]
    pub no_demo_nodes: bool,
    /// Lightning P2P listen address of demo node alice.
    #[arg(long, env = "BOLTWORKS_ALICE_LISTEN", default_value = "127.0.0.1:9736")]
    pub alice_listen: SocketAddr,
    /// Lightning P2P listen address of demo node bob.
    #[arg(long, env = "BOLTWORKS_BOB_LISTEN", default_value = "127.0.0.1:9737")]
    pub bob_listen: SocketAddr,
    /// Also run demo node carol, reached only through bob (a public bob-carol channel where bob
    /// charges a forwarding fee): payments with a real routing hop.
    #[arg(long, env = "BOLTWORKS_DEMO_CAROL")]
    pub demo_carol: bool,
    /// Lightning P2P listen address of demo node carol.
    #[arg(long, env = "BOLTWORKS_CAROL_LISTEN", default_value = "127.0.0.1:9738")]
    pub carol_listen: SocketAddr,
    /// Channels each of alice and bob opens to the hub. LDK accepts at most 50 HTLCs in flight
    /// on a channel, so more than 50 payments at once between them need a second channel.
    #[arg(long, env = "BOLTWORKS_DEMO_CHANNELS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub demo_channels: u8,
    /// Capacity of each demo channel, in satoshis (the demo node pushes half of it to the hub).
    #[arg(long, env = "BOLTWORKS_DEMO_CHANNEL_SAT", default_value_t = crate::dev::DEMO_CHANNEL_SAT, value_parser = clap::value_parser!(u64).range(100_000..=16_000_000))]
    pub demo_channel_sat: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "BOLTWORKS_BODY_LIMIT", default_value_t = 1_048_576, value_parser = clap::value_parser!(u32).range(1..))]
    pub body_limit: u32,
    /// Request timeout in seconds (at most 60: an idempotency key left running twice as long is
    /// taken over, which must never meet a request still running).
    #[arg(long, env = "BOLTWORKS_REQUEST_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub request_timeout: u64,
    /// Requests per minute one client address may make, on average, to each service's public
    /// creation routes (gifts, channel orders, escrow and merchant sign-ups and sign-ins); 0
    /// turns the limit off.
    #[arg(long, env = "BOLTWORKS_RATE_LIMIT_PER_MINUTE", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate_limit_per_minute: u32,
    /// How many such requests one client address may make at once.
    #[arg(long, env = "BOLTWORKS_RATE_LIMIT_BURST", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit_burst: u32,
    /// Log as JSON lines.
    #[arg(long, env = "BOLTWORKS_LOG_JSON")]
    pub log_json: bool,
    /// Let anyone scrape `/metrics` (default: the operator token is needed).
    #[arg(long, env = "BOLTWORKS_METRICS_OPEN")]
    pub metrics_open: bool,
    /// Seconds between removals of node payment records nobody needs (ldk-node keeps each in
    /// memory): expired unpaid invoices and long finished payments. The hub's rows keep them.
    #[arg(long, env = "BOLTWORKS_NODE_PRUNE_EVERY_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub node_prune_every_secs: u64,
    /// Seconds an unpaid invoice's node record stays after its expiry.
    #[arg(long, env = "BOLTWORKS_NODE_PRUNE_EXPIRED_GRACE_SECS", default_value_t = 30, value_parser = clap::value_parser!(i64).range(0..=604_800))]
    pub node_prune_expired_grace_secs: i64,
    /// Seconds a payment's node record stays after the hub recorded it succeeded or failed.
    #[arg(long, env = "BOLTWORKS_NODE_PRUNE_FINISHED_AFTER_SECS", default_value_t = 3_600, value_parser = clap::value_parser!(i64).range(0..=31_536_000))]
    pub node_prune_finished_after_secs: i64,
    /// Run the on-chain treasury in this process (`false` for further processes sharing the
    /// database: one treasury per database, with its seed in one data dir).
    #[arg(long, env = "BOLTWORKS_TREASURY", default_value_t = true, action = clap::ArgAction::Set)]
    pub treasury: bool,
    /// Operator token for /admin endpoints (default: made on first start, in DATA_DIR/admin.token).
    #[arg(long, env = "BOLTWORKS_ADMIN_TOKEN", value_parser = values::admin_token)]
    pub admin_token: Option<String>,
    /// Notifications.
    #[command(flatten)]
    pub notify: NotifyArgs,
    /// Escrow.
    #[command(flatten)]
    pub escrow: EscrowArgs,
    /// Gifts.
    #[command(flatten)]
    pub gifts: GiftsArgs,
    /// The LSP.
    #[command(flatten)]
    pub lsp: LspArgs,
    /// The merchant hub.
    #[command(flatten)]
    pub merchant: MerchantArgs,
}

/// A configuration that cannot be used (values that disagree with each other); the message
/// names the flag.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for --{flag}: {reason}")]
pub struct ConfigError {
    /// The flag at fault, without dashes.
    pub flag: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    fn new(flag: &'static str, reason: impl Into<String>) -> Self {
        Self {
            flag,
            reason: reason.into(),
        }
    }
}

impl ServeArgs {
    /// Checks what depends on several values and builds the configuration.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let network = self.network;
        let chain_source = self.chain.source()?;
        if chain_source == ChainSourceConfig::Devchain && network != Network::Regtest {
            return Err(ConfigError::new(
                "chain-source",
                "devchain runs only with --network regtest",
            ));
        }
        if self.public_url.is_none() && network != Network::Regtest {
            return Err(ConfigError::new(
                "public-url",
                "is required on networks other than regtest",
            ));
        }
        let demo_nodes = !self.no_demo_nodes && chain_source == ChainSourceConfig::Devchain;
        if self.demo_carol && !demo_nodes {
            return Err(ConfigError::new(
                "demo-carol",
                "needs the demo nodes (the devchain, without --no-demo-nodes)",
            ));
        }
        let database = self
            .database_url
            .clone()
            .unwrap_or_else(|| DatabaseConfig::Sqlite(self.data_dir.join("boltworks.sqlite")));
        Ok(Config {
            network,
            data_dir: self.data_dir.clone(),
            listen: self.listen,
            node_listen: self.node_listen,
            alias: self.alias.clone(),
            demo_nodes,
            chain_source,
            database,
            // Resolved from the bound address at start on regtest (the port may be 0 here).
            public_url: self.public_url.clone(),
            treasury: self.treasury,
            demo_node_listen: [self.alice_listen, self.bob_listen],
            demo_carol_listen: self.demo_carol.then_some(self.carol_listen),
            demo_channels: crate::dev::DemoChannels {
                per_peer: self.demo_channels,
                capacity: crate::money::Sat(self.demo_channel_sat),
            },
            body_limit_bytes: usize::try_from(self.body_limit).unwrap_or(usize::MAX),
            request_timeout_secs: self.request_timeout,
            rate_limit: RateLimit::new(self.rate_limit_per_minute, self.rate_limit_burst),
            log_json: self.log_json,
            metrics_open: self.metrics_open,
            node_record_pruning: PruneSchedule {
                every: std::time::Duration::from_secs(self.node_prune_every_secs),
                expired_grace_secs: self.node_prune_expired_grace_secs,
                finished_retention_secs: self.node_prune_finished_after_secs,
            },
            notify: self.notify.config(network, &self.data_dir),
            admin_token: self.admin_token.clone(),
            escrow: self.escrow.config(),
            gifts: self.gifts.config(),
            lsp: self
                .lsp
                .config()
                .map_err(|e| ConfigError::new("jit-channels", e))?,
            merchant: self.merchant.config(),
        })
    }
}

/// Parses `serve` flags from an argument list (without the program name), for the benchmark and
/// the test harness, which start hubs in-process.
pub fn parse_serve_flags<I: IntoIterator<Item = String>>(
    flags: I,
) -> Result<ServeArgs, clap::Error> {
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }
    let argv = std::iter::once("boltworks".to_string()).chain(flags);
    <Serve as clap::Parser>::try_parse_from(argv).map(|s| s.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(args: &[&str]) -> Result<Config, String> {
        let args = parse_serve_flags(args.iter().map(|s| s.to_string()))
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())?;
        args.validate().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_dev_mode() {
        let config = validate(&[]).expect("defaults");
        assert_eq!(config.network, Network::Regtest);
        assert_eq!(config.chain_source, ChainSourceConfig::Devchain);
        assert!(config.demo_nodes);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, None);
        assert_eq!(
            config.database,
            DatabaseConfig::Sqlite(PathBuf::from("./data/boltworks.sqlite"))
        );
    }

    #[test]
    fn each_bad_value_names_its_flag() {
        let cases: &[(&[&str], &str)] = &[
            (&["--network", "moon"], "network"),
            (&["--listen", "nowhere"], "listen"),
            (&["--database-url", "mysql://x"], "database-url"),
            (&["--network", "signet"], "chain-source"),
            (&["--chain-source", "bitcoind"], "bitcoind-rpc"),
            (
                &[
                    "--chain-source",
                    "bitcoind",
                    "--bitcoind-rpc",
                    "http://host",
                ],
                "bitcoind-rpc",
            ),
            (&["--body-limit", "0"], "body-limit"),
            (&["--request-timeout=-3"], "request-timeout"),
            (&["--public-url", "ftp://x"], "public-url"),
            (&["--escrow-base", "escrow"], "escrow-base"),
            (&["--gifts-base", "/gifts/"], "gifts-base"),
            (&["--merchant-base", "/a b"], "merchant-base"),
            (
                &["--webhook-allow-private", "maybe"],
                "webhook-allow-private",
            ),
            (&["--notify-retry", "10,x"], "notify-retry"),
            (&["--notify-workers", "many"], "notify-workers"),
            (&["--smtp-url", "http://mail"], "smtp-url"),
            (&["--smtp-from", "nobody"], "smtp-from"),
            (&["--admin-token", "short"], "admin-token"),
            (&["--demo-carol", "--no-demo-nodes"], "demo-carol"),
        ];
        for (args, flag) in cases {
            let error = validate(args).expect_err("must be refused");
            assert!(
                error.contains(&format!("--{flag}")),
                "{args:?}: {error:?} does not name --{flag}"
            );
            assert!(!error.contains('\n'));
        }
    }

    #[test]
    fn bitcoind_url_parses() {
        let config = validate(&[
            "--network",
            "signet",
            "--chain-source",
            "bitcoind",
            "--bitcoind-rpc",
            "http://u:p@10.0.0.2:38332",
            "--public-url",
            "https://hub.example",
        ])
        .expect("valid");
        assert_eq!(
            config.chain_source,
            ChainSourceConfig::BitcoindRpc {
                host: "10.0.0.2".into(),
                port: 38332,
                user: "u".into(),
                password: "p".into()
            }
        );
        assert!(!config.demo_nodes);
        assert!(
            !config.notify.allow_private_targets,
            "other networks refuse private targets by default"
        );
    }
}
