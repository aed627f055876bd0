//! One validated `Config` for the hub, built from `serve` flags and their `BOLTWORKS_*`
//! environment variables (a flag wins over its variable). Every value is checked here, so a bad
//! one stops the process at start with a one-line message that names it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use bitcoin::Network;
use clap::Args;

/// Where the hub's node reads the chain from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainSourceConfig {
    /// The embedded devchain, in the data directory (regtest only).
    Devchain,
    /// A bitcoind JSON-RPC endpoint.
    BitcoindRpc {
        /// Host name or address.
        host: String,
        /// RPC port.
        port: u16,
        /// RPC user.
        user: String,
        /// RPC password.
        password: String,
    },
    /// An Esplora HTTP API base URL.
    Esplora(String),
    /// An Electrum server URL (`tcp://host:port` or `ssl://host:port`).
    Electrum(String),
}

/// Which database the hub uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

/// Where each service API is mounted. Under its base path, a service's paths are exactly its
/// seed's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceBases {
    /// Lightning Escrow (default `/escrow`).
    pub escrow: String,
    /// Lightning Gifts (default `/gifts`).
    pub gifts: String,
    /// LSP v0.0.1 (default `/lsp/v1`).
    pub lsp_v1: String,
    /// LSPS1 v0.0.2 (default `/`: its paths begin `/lsp/channels`).
    pub lsps1: String,
    /// Merchant hub (default `/`: its paths begin `/api/v2` and `/pss/api/v1`).
    pub merchant: String,
}

impl ServiceBases {
    /// `path` under `base`: `/escrow` + `/gettx` is `/escrow/gettx`; `/` + `/x` is `/x`.
    pub fn join(base: &str, path: &str) -> String {
        format!("{}{}", base.trim_end_matches('/'), path)
    }
}

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
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// Longest a request may take before the hub answers 408.
    pub request_timeout_secs: u64,
    /// Log as JSON lines.
    pub log_json: bool,
    /// Base path of each service.
    pub bases: ServiceBases,
    /// Notification delivery.
    pub notify: crate::notify::NotifyConfig,
    /// The operator token; `None` makes one on first start, kept in `DATA_DIR/admin.token`.
    pub admin_token: Option<String>,
    /// Escrow: warn both parties this many blocks before a held payment's settle-by height.
    pub escrow_deadline_warning_blocks: u32,
    /// Gifts: the routing-fee cap of a payout.
    pub gift_fee_limit: crate::node::payments::FeeLimit,
    /// The LSP's limits and pricing.
    pub lsp: crate::services::lsp::LspConfig,
    /// The merchant hub's fee reserve and withdrawal batching.
    pub merchant: crate::services::merchant::MerchantConfig,
}

/// Flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Bitcoin network: regtest, signet, testnet or bitcoin.
    #[arg(long, env = "BOLTWORKS_NETWORK", default_value = "regtest")]
    pub network: String,
    /// Data directory.
    #[arg(long, env = "BOLTWORKS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// HTTP listen address.
    #[arg(long, env = "BOLTWORKS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Lightning P2P listen address of the hub's node.
    #[arg(long, env = "BOLTWORKS_NODE_LISTEN", default_value = "127.0.0.1:9735")]
    pub node_listen: String,
    /// Node alias (at most 32 bytes).
    #[arg(long, env = "BOLTWORKS_ALIAS", default_value = "boltworks")]
    pub alias: String,
    /// Chain source: devchain (embedded, regtest), bitcoind, esplora or electrum.
    #[arg(long, env = "BOLTWORKS_CHAIN_SOURCE", default_value = "devchain")]
    pub chain_source: String,
    /// bitcoind RPC URL with credentials, e.g. http://user:pass@127.0.0.1:18443.
    #[arg(long, env = "BOLTWORKS_BITCOIND_RPC")]
    pub bitcoind_rpc: Option<String>,
    /// Esplora base URL.
    #[arg(long, env = "BOLTWORKS_ESPLORA_URL")]
    pub esplora_url: Option<String>,
    /// Electrum server URL.
    #[arg(long, env = "BOLTWORKS_ELECTRUM_URL")]
    pub electrum_url: Option<String>,
    /// Database URL: postgres://... or sqlite://...; default a SQLite file in the data dir.
    #[arg(long, env = "BOLTWORKS_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Public base URL of the hub; default http://LISTEN on regtest.
    #[arg(long, env = "BOLTWORKS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Do not run the demo nodes alice and bob.
    #[arg(long, env = "BOLTWORKS_NO_DEMO_NODES")]
    pub no_demo_nodes: bool,
    /// Lightning P2P listen address of demo node alice.
    #[arg(long, env = "BOLTWORKS_ALICE_LISTEN", default_value = "127.0.0.1:9736")]
    pub alice_listen: String,
    /// Lightning P2P listen address of demo node bob.
    #[arg(long, env = "BOLTWORKS_BOB_LISTEN", default_value = "127.0.0.1:9737")]
    pub bob_listen: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "BOLTWORKS_BODY_LIMIT", default_value = "1048576")]
    pub body_limit: String,
    /// Request timeout in seconds.
    #[arg(long, env = "BOLTWORKS_REQUEST_TIMEOUT", default_value = "30")]
    pub request_timeout: String,
    /// Log as JSON lines.
    #[arg(long, env = "BOLTWORKS_LOG_JSON")]
    pub log_json: bool,
    /// Base path of the escrow API.
    #[arg(long, env = "BOLTWORKS_ESCROW_BASE", default_value = "/escrow")]
    pub escrow_base: String,
    /// Base path of the gifts API.
    #[arg(long, env = "BOLTWORKS_GIFTS_BASE", default_value = "/gifts")]
    pub gifts_base: String,
    /// Base path of the LSP v0.0.1 API.
    #[arg(long, env = "BOLTWORKS_LSP_V1_BASE", default_value = "/lsp/v1")]
    pub lsp_v1_base: String,
    /// Base path of the LSPS1 API (its paths begin /lsp/channels).
    #[arg(long, env = "BOLTWORKS_LSPS1_BASE", default_value = "/")]
    pub lsps1_base: String,
    /// Base path of the merchant API (its paths begin /api/v2 and /pss/api/v1).
    #[arg(long, env = "BOLTWORKS_MERCHANT_BASE", default_value = "/")]
    pub merchant_base: String,
    /// Allow webhooks to loopback and private addresses: true or false (default: true on
    /// regtest, false elsewhere).
    #[arg(long, env = "BOLTWORKS_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: Option<String>,
    /// Seconds a webhook target may take to answer.
    #[arg(long, env = "BOLTWORKS_WEBHOOK_TIMEOUT", default_value = "10")]
    pub webhook_timeout: String,
    /// Delays between delivery attempts in seconds, comma-separated; the last repeats.
    #[arg(long, env = "BOLTWORKS_NOTIFY_RETRY", default_value = "10,60,600")]
    pub notify_retry: String,
    /// Seconds after an event during which failed deliveries are retried.
    #[arg(long, env = "BOLTWORKS_NOTIFY_RETRY_WINDOW", default_value = "86400")]
    pub notify_retry_window: String,
    /// Delivery workers in this process (0: only write to the outbox).
    #[arg(long, env = "BOLTWORKS_NOTIFY_WORKERS", default_value = "1")]
    pub notify_workers: String,
    /// SMTP server: smtp://host:port, smtp+starttls://user:pass@host, smtps://...; without it
    /// emails are written to DATA_DIR/mail.
    #[arg(long, env = "BOLTWORKS_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Sender address of emails.
    #[arg(
        long,
        env = "BOLTWORKS_SMTP_FROM",
        default_value = "boltworks@localhost"
    )]
    pub smtp_from: String,
    /// Escrow: warn both parties this many blocks before a held payment's settle-by height.
    #[arg(
        long,
        env = "BOLTWORKS_ESCROW_DEADLINE_WARNING_BLOCKS",
        default_value = "36"
    )]
    pub escrow_deadline_warning_blocks: String,
    /// Gifts: the most a payout may spend on routing fees, in parts per million of the gift...
    #[arg(long, env = "BOLTWORKS_GIFTS_FEE_LIMIT_PPM", default_value = "5000")]
    pub gifts_fee_limit_ppm: String,
    /// ... or this many millisatoshis, whichever is more.
    #[arg(
        long,
        env = "BOLTWORKS_GIFTS_FEE_LIMIT_BASE_MSAT",
        default_value = "1000"
    )]
    pub gifts_fee_limit_base_msat: String,
    /// LSP: the daily fee rate on the inbound liquidity sold (a decimal fraction).
    #[arg(long, env = "BOLTWORKS_LSP_DAILY_RATE", default_value = "0.0001")]
    pub lsp_daily_rate: String,
    /// LSP: smallest channel advertised, in sats.
    #[arg(long, env = "BOLTWORKS_LSP_MIN_CHANNEL_SAT", default_value = "20000")]
    pub lsp_min_channel_sat: String,
    /// LSP: largest channel sold (both sides), in sats.
    #[arg(
        long,
        env = "BOLTWORKS_LSP_MAX_CHANNEL_SAT",
        default_value = "100000000"
    )]
    pub lsp_max_channel_sat: String,
    /// LSP: longest lease, in weeks.
    #[arg(long, env = "BOLTWORKS_LSP_MAX_EXPIRY_WEEKS", default_value = "12")]
    pub lsp_max_expiry_weeks: String,
    /// LSP: how long an order can be paid, in seconds.
    #[arg(long, env = "BOLTWORKS_LSP_ORDER_EXPIRY_SECS", default_value = "900")]
    pub lsp_order_expiry_secs: String,
    /// LSP: channel open attempts before an order gives up.
    #[arg(long, env = "BOLTWORKS_LSP_OPEN_ATTEMPTS", default_value = "5")]
    pub lsp_open_attempts: String,
    /// Run the on-chain treasury in this process (`false` for further processes sharing the
    /// database: one treasury per database, with its seed in one data dir).
    #[arg(long, env = "BOLTWORKS_TREASURY", default_value = "true")]
    pub treasury: String,
    /// LSP: a USD price of one bitcoin (whole dollars) for the v0.0.1 info's USD fields (none:
    /// they are null; the hub has no price oracle).
    #[arg(long, env = "BOLTWORKS_LSP_USD_PER_BTC")]
    pub lsp_usd_per_btc: Option<String>,
    /// LSP: confirmations before an on-chain payment counts.
    #[arg(long, env = "BOLTWORKS_LSP_ONCHAIN_CONFIRMATIONS", default_value = "1")]
    pub lsp_onchain_confirmations: String,
    /// LSP: smallest order total offered an on-chain address, in sats.
    #[arg(long, env = "BOLTWORKS_LSP_ONCHAIN_MIN_SAT", default_value = "50000")]
    pub lsp_onchain_min_sat: String,
    /// LSP: close channels cooperatively once their lease (`channel_expiry_ts`) is over.
    #[arg(long, env = "BOLTWORKS_LSP_CLOSE_EXPIRED", default_value = "true")]
    pub lsp_close_expired: String,
    /// Merchant hub: seconds between withdrawal batches (on the hub's clock).
    #[arg(
        long,
        env = "BOLTWORKS_MERCHANT_WITHDRAW_INTERVAL_SECS",
        default_value = "600"
    )]
    pub merchant_withdraw_interval_secs: String,
    /// Merchant hub: the routing-fee reserve of an outgoing payment, in parts per million...
    #[arg(long, env = "BOLTWORKS_MERCHANT_FEE_LIMIT_PPM", default_value = "5000")]
    pub merchant_fee_limit_ppm: String,
    /// ... or this many millisatoshis, whichever is more.
    #[arg(
        long,
        env = "BOLTWORKS_MERCHANT_FEE_LIMIT_BASE_MSAT",
        default_value = "10000"
    )]
    pub merchant_fee_limit_base_msat: String,
    /// Operator token for /admin endpoints (default: made on first start, in DATA_DIR/admin.token).
    #[arg(long, env = "BOLTWORKS_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
}

/// A whole number from `min` to `max`; the message names the flag.
fn bounded(flag: &'static str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            invalid(
                flag,
                format!("'{value}' is not a whole number from {min} to {max}"),
            )
        })
}

/// A base path: starts with `/`, plain path characters only, no trailing `/` except for `/`.
fn parse_base(flag: &'static str, value: &str) -> Result<String, ConfigError> {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
    if !value.starts_with('/')
        || !plain
        || value.contains("//")
        || (value.len() > 1 && value.ends_with('/'))
    {
        return Err(invalid(
            flag,
            format!("'{value}' is not a base path like /escrow or /"),
        ));
    }
    Ok(value.to_string())
}

/// A configuration value that cannot be used; the message names the flag.
#[derive(Debug, thiserror::Error)]
#[error("invalid value for --{flag}: {reason}")]
pub struct ConfigError {
    /// The flag at fault, without dashes.
    pub flag: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// A whole number flag within `range`.
fn whole_flag(
    flag: &'static str,
    text: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    text.parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            invalid(
                flag,
                format!(
                    "'{text}' is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

fn lsp_config(args: &ServeArgs) -> Result<crate::services::lsp::LspConfig, ConfigError> {
    use crate::services::lsp::model::{DailyRate, LspLimits};
    let daily_rate = DailyRate::parse(&args.lsp_daily_rate).ok_or_else(|| {
        invalid(
            "lsp-daily-rate",
            format!(
                "'{}' is not a decimal fraction such as 0.0001",
                args.lsp_daily_rate
            ),
        )
    })?;
    let limits = LspLimits {
        min_channel_sat: whole_flag(
            "lsp-min-channel-sat",
            &args.lsp_min_channel_sat,
            1..=2_100_000_000_000_000,
        )?,
        max_channel_sat: whole_flag(
            "lsp-max-channel-sat",
            &args.lsp_max_channel_sat,
            1..=2_100_000_000_000_000,
        )?,
        min_expiry_weeks: 1,
        max_expiry_weeks: whole_flag("lsp-max-expiry-weeks", &args.lsp_max_expiry_weeks, 1..=520)?,
        daily_rate,
        order_expiry_secs: whole_flag(
            "lsp-order-expiry-secs",
            &args.lsp_order_expiry_secs,
            60..=86_400,
        )?,
    };
    let max_open_attempts = whole_flag("lsp-open-attempts", &args.lsp_open_attempts, 1..=100)?;
    Ok(crate::services::lsp::LspConfig {
        limits,
        max_open_attempts: u32::try_from(max_open_attempts).unwrap_or(100),
        settle_margin_blocks: 18,
        close_expired: parse_bool("lsp-close-expired", &args.lsp_close_expired)?,
        onchain_confirmations: u32::try_from(whole_flag(
            "lsp-onchain-confirmations",
            &args.lsp_onchain_confirmations,
            1..=1_000,
        )?)
        .unwrap_or(1),
        usd_per_btc: match &args.lsp_usd_per_btc {
            None => None,
            Some(price) => Some(whole_flag("lsp-usd-per-btc", price, 1..=100_000_000_000)?),
        },
        onchain_min_sat: whole_flag(
            "lsp-onchain-min-sat",
            &args.lsp_onchain_min_sat,
            330..=2_100_000_000_000_000,
        )?,
    })
}

fn parse_bool(flag: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(invalid(flag, format!("'{other}' is not true or false"))),
    }
}

fn invalid(flag: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        flag,
        reason: reason.into(),
    }
}

fn parse_addr(flag: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    SocketAddr::from_str(value).map_err(|_| {
        invalid(
            flag,
            format!("'{value}' is not an address like 127.0.0.1:8080"),
        )
    })
}

fn parse_positive(flag: &'static str, value: &str) -> Result<u64, ConfigError> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(
            flag,
            format!("'{value}' is not a positive integer"),
        )),
    }
}

impl ServeArgs {
    /// Checks every value and builds the configuration.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let network = match self.network.as_str() {
            "regtest" => Network::Regtest,
            "signet" => Network::Signet,
            "testnet" => Network::Testnet,
            "bitcoin" | "mainnet" => Network::Bitcoin,
            other => {
                return Err(invalid(
                    "network",
                    format!("'{other}' is not one of regtest, signet, testnet, bitcoin"),
                ))
            }
        };
        let listen = parse_addr("listen", &self.listen)?;
        let node_listen = parse_addr("node-listen", &self.node_listen)?;
        let demo_node_listen = [
            parse_addr("alice-listen", &self.alice_listen)?,
            parse_addr("bob-listen", &self.bob_listen)?,
        ];
        if self.alias.is_empty() || self.alias.len() > 32 {
            return Err(invalid("alias", "must be 1 to 32 bytes"));
        }
        let chain_source = self.chain_source()?;
        if chain_source == ChainSourceConfig::Devchain && network != Network::Regtest {
            return Err(invalid(
                "chain-source",
                "devchain runs only with --network regtest",
            ));
        }
        let demo_nodes = !self.no_demo_nodes && chain_source == ChainSourceConfig::Devchain;
        let database = match &self.database_url {
            None => DatabaseConfig::Sqlite(self.data_dir.join("boltworks.sqlite")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                DatabaseConfig::Postgres(url.clone())
            }
            Some(url) if url.starts_with("sqlite://") => {
                DatabaseConfig::Sqlite(PathBuf::from(url.trim_start_matches("sqlite://")))
            }
            Some(url) => {
                return Err(invalid(
                    "database-url",
                    format!("'{url}' must start with postgres://, postgresql:// or sqlite://"),
                ))
            }
        };
        let public_url = match &self.public_url {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                Some(url.trim_end_matches('/').to_string())
            }
            Some(url) => {
                return Err(invalid(
                    "public-url",
                    format!("'{url}' must start with http:// or https://"),
                ))
            }
            // Resolved from the bound address at start (the port may be 0 here).
            None if network == Network::Regtest => None,
            None => {
                return Err(invalid(
                    "public-url",
                    "is required on networks other than regtest",
                ))
            }
        };
        let body_limit_bytes = usize::try_from(parse_positive("body-limit", &self.body_limit)?)
            .map_err(|_| invalid("body-limit", "is too large"))?;
        let request_timeout_secs = parse_positive("request-timeout", &self.request_timeout)?;
        let bases = ServiceBases {
            escrow: parse_base("escrow-base", &self.escrow_base)?,
            gifts: parse_base("gifts-base", &self.gifts_base)?,
            lsp_v1: parse_base("lsp-v1-base", &self.lsp_v1_base)?,
            lsps1: parse_base("lsps1-base", &self.lsps1_base)?,
            merchant: parse_base("merchant-base", &self.merchant_base)?,
        };
        let notify = self.notify_config(network)?;
        let admin_token = match &self.admin_token {
            Some(token) if token.len() < 16 => {
                return Err(invalid("admin-token", "must be at least 16 characters"))
            }
            other => other.clone(),
        };
        let escrow_deadline_warning_blocks = self
            .escrow_deadline_warning_blocks
            .parse::<u32>()
            .ok()
            .filter(|b| (1..=2016).contains(b))
            .ok_or_else(|| {
                invalid(
                    "escrow-deadline-warning-blocks",
                    format!(
                        "'{}' is not a number of blocks from 1 to 2016",
                        self.escrow_deadline_warning_blocks
                    ),
                )
            })?;
        let gift_fee_limit = crate::node::payments::FeeLimit {
            ppm: self
                .gifts_fee_limit_ppm
                .parse::<u32>()
                .ok()
                .filter(|ppm| *ppm <= 1_000_000)
                .ok_or_else(|| {
                    invalid(
                        "gifts-fee-limit-ppm",
                        format!(
                            "'{}' is not a whole number of parts per million up to 1000000",
                            self.gifts_fee_limit_ppm
                        ),
                    )
                })?,
            base_msat: self
                .gifts_fee_limit_base_msat
                .parse::<u64>()
                .ok()
                .filter(|msat| *msat <= 100_000_000)
                .ok_or_else(|| {
                    invalid(
                        "gifts-fee-limit-base-msat",
                        format!(
                            "'{}' is not a number of millisatoshis up to 100000000",
                            self.gifts_fee_limit_base_msat
                        ),
                    )
                })?,
        };
        let lsp = lsp_config(self)?;
        let merchant = crate::services::merchant::MerchantConfig {
            fee_limit: crate::node::payments::FeeLimit {
                ppm: bounded(
                    "merchant-fee-limit-ppm",
                    &self.merchant_fee_limit_ppm,
                    0,
                    1_000_000,
                )? as u32,
                base_msat: bounded(
                    "merchant-fee-limit-base-msat",
                    &self.merchant_fee_limit_base_msat,
                    0,
                    100_000_000,
                )?,
            },
            withdraw_interval_secs: bounded(
                "merchant-withdraw-interval-secs",
                &self.merchant_withdraw_interval_secs,
                1,
                86_400,
            )? as i64,
        };
        Ok(Config {
            merchant,
            lsp,
            gift_fee_limit,
            escrow_deadline_warning_blocks,
            notify,
            admin_token,
            network,
            data_dir: self.data_dir.clone(),
            listen,
            node_listen,
            alias: self.alias.clone(),
            chain_source,
            database,
            public_url,
            demo_nodes,
            treasury: parse_bool("treasury", &self.treasury)?,
            demo_node_listen,
            body_limit_bytes,
            request_timeout_secs,
            log_json: self.log_json,
            bases,
        })
    }

    fn notify_config(&self, network: Network) -> Result<crate::notify::NotifyConfig, ConfigError> {
        let allow_private_targets = match self.webhook_allow_private.as_deref() {
            None => network == Network::Regtest,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(invalid(
                    "webhook-allow-private",
                    format!("'{other}' is not true or false"),
                ))
            }
        };
        let retry_delays_secs = self
            .notify_retry
            .split(',')
            .map(|d| d.trim().parse::<u64>().ok().filter(|d| *d > 0))
            .collect::<Option<Vec<u64>>>()
            .filter(|d| !d.is_empty())
            .ok_or_else(|| {
                invalid(
                    "notify-retry",
                    format!(
                        "'{}' is not a list of positive seconds like 10,60,600",
                        self.notify_retry
                    ),
                )
            })?;
        let workers = self
            .notify_workers
            .parse::<usize>()
            .ok()
            .filter(|w| *w <= 64)
            .ok_or_else(|| {
                invalid(
                    "notify-workers",
                    format!("'{}' is not a number from 0 to 64", self.notify_workers),
                )
            })?;
        if let Some(url) = &self.smtp_url {
            let scheme_ok = ["smtp://", "smtp+starttls://", "smtps://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !scheme_ok
                || url::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .is_none()
            {
                return Err(invalid(
                    "smtp-url",
                    format!("'{url}' is not like smtp://host:port"),
                ));
            }
        }
        if self.smtp_from.parse::<lettre::Address>().is_err() {
            return Err(invalid(
                "smtp-from",
                format!("'{}' is not an email address", self.smtp_from),
            ));
        }
        Ok(crate::notify::NotifyConfig {
            allow_private_targets,
            webhook_timeout_secs: parse_positive("webhook-timeout", &self.webhook_timeout)?,
            retry_delays_secs,
            retry_window_secs: parse_positive("notify-retry-window", &self.notify_retry_window)?,
            smtp_url: self.smtp_url.clone(),
            smtp_from: self.smtp_from.clone(),
            mail_dir: self.data_dir.join("mail"),
            workers,
        })
    }

    fn chain_source(&self) -> Result<ChainSourceConfig, ConfigError> {
        match self.chain_source.as_str() {
            "devchain" => Ok(ChainSourceConfig::Devchain),
            "bitcoind" => {
                let url = self.bitcoind_rpc.as_deref().ok_or_else(|| {
                    invalid("bitcoind-rpc", "is required with --chain-source bitcoind")
                })?;
                parse_bitcoind_url(url)
            }
            "esplora" => self
                .esplora_url
                .clone()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(ChainSourceConfig::Esplora)
                .ok_or_else(|| {
                    invalid(
                        "esplora-url",
                        "an http(s) URL is required with --chain-source esplora",
                    )
                }),
            "electrum" => self
                .electrum_url
                .clone()
                .filter(|u| u.starts_with("tcp://") || u.starts_with("ssl://"))
                .map(ChainSourceConfig::Electrum)
                .ok_or_else(|| {
                    invalid(
                        "electrum-url",
                        "a tcp:// or ssl:// URL is required with --chain-source electrum",
                    )
                }),
            other => Err(invalid(
                "chain-source",
                format!("'{other}' is not one of devchain, bitcoind, esplora, electrum"),
            )),
        }
    }
}

/// Parses `http://user:pass@host:port`.
fn parse_bitcoind_url(url: &str) -> Result<ChainSourceConfig, ConfigError> {
    let bad = || {
        invalid(
            "bitcoind-rpc",
            format!("'{url}' is not like http://user:pass@host:port"),
        )
    };
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (credentials, host_port) = rest.trim_end_matches('/').split_once('@').ok_or_else(bad)?;
    let (user, password) = credentials.split_once(':').ok_or_else(bad)?;
    let (host, port) = host_port.rsplit_once(':').ok_or_else(bad)?;
    let port = port.parse().map_err(|_| bad())?;
    Ok(ChainSourceConfig::BitcoindRpc {
        host: host.to_string(),
        port,
        user: user.to_string(),
        password: password.to_string(),
    })
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
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn validate(args: &[&str]) -> Result<Config, ConfigError> {
        let mut argv = vec!["boltworks"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect("flags parse")
            .serve
            .validate()
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
        ];
        for (args, flag) in cases {
            let error = validate(args).expect_err("must be refused");
            assert_eq!(error.flag, *flag, "{args:?}");
            assert!(!error.to_string().contains('\n'));
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
