//! Where the hub reads the chain from: the `--chain-source` flags and the resolved source.

use clap::Args;

use super::ConfigError;

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

/// The chain source flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct ChainArgs {
    /// Chain source: devchain (embedded, regtest), bitcoind, esplora or electrum.
    #[arg(long, env = "BOLTWORKS_CHAIN_SOURCE", default_value = "devchain", value_parser = ["devchain", "bitcoind", "esplora", "electrum"])]
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
}

impl ChainArgs {
    /// The source the flags name, with the URL it needs.
    pub fn source(&self) -> Result<ChainSourceConfig, ConfigError> {
        match self.chain_source.as_str() {
            "bitcoind" => {
                let url = self.bitcoind_rpc.as_deref().ok_or_else(|| {
                    ConfigError::new("bitcoind-rpc", "is required with --chain-source bitcoind")
                })?;
                parse_bitcoind_url(url)
            }
            "esplora" => self
                .esplora_url
                .clone()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .map(ChainSourceConfig::Esplora)
                .ok_or_else(|| {
                    ConfigError::new(
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
                    ConfigError::new(
                        "electrum-url",
                        "a tcp:// or ssl:// URL is required with --chain-source electrum",
                    )
                }),
            _ => Ok(ChainSourceConfig::Devchain),
        }
    }
}

/// Parses `http://user:pass@host:port`.
fn parse_bitcoind_url(url: &str) -> Result<ChainSourceConfig, ConfigError> {
    let bad = || {
        ConfigError::new(
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
