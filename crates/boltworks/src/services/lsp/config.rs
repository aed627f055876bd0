//! The LSP's settings and the `serve` flags that set them.

use clap::Args;

use super::jit::JitArgs;
use super::model::{DailyRate, LspLimits};
use crate::node::JitTerms;

/// The LSP's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LspConfig {
    /// Where the v0.0.1 API is mounted (default `/lsp/v1`).
    pub v1_base: String,
    /// Where the LSPS1 API is mounted (default `/`: its paths begin `/lsp/channels`).
    pub lsps1_base: String,
    /// Base path of the bLIP-51 API (its paths begin `/api/v1/`).
    pub blip51_base: String,
    /// Product limits and pricing.
    pub limits: LspLimits,
    /// Open attempts before an order gives up.
    pub max_open_attempts: u32,
    /// Resolve a held payment this many blocks before its claim deadline at the latest.
    pub settle_margin_blocks: u32,
    /// Close channels cooperatively once their lease is over.
    pub close_expired: bool,
    /// Confirmations before an on-chain payment counts.
    pub onchain_confirmations: u32,
    /// Smallest order total offered an on-chain address (sats).
    pub onchain_min_sat: u64,
    /// A configured USD price of one bitcoin, for display only.
    pub usd_per_btc: Option<u64>,
    /// The terms of JIT channels (LSPS2), when the hub sells them.
    pub jit: Option<JitTerms>,
    /// How long a JIT channel may stay unpaid for before it is closed.
    pub jit_unpaid_close_secs: i64,
}

/// The most sats there will ever be, the bound of every amount flag.
const MAX_SAT: u64 = 2_100_000_000_000_000;

/// The LSP flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct LspArgs {
    /// Base path of the LSP v0.0.1 API.
    #[arg(long, env = "BOLTWORKS_LSP_V1_BASE", default_value = "/lsp/v1", value_parser = crate::config::values::base_path)]
    pub lsp_v1_base: String,
    /// Base path of the LSPS1 API (its paths begin /lsp/channels).
    #[arg(long, env = "BOLTWORKS_LSPS1_BASE", default_value = "/", value_parser = crate::config::values::base_path)]
    pub lsps1_base: String,
    /// Base path of the bLIP-51 API (its paths begin /api/v1/: get_info, create_order, get_order).
    #[arg(long, env = "BOLTWORKS_BLIP51_BASE", default_value = "/", value_parser = crate::config::values::base_path)]
    pub blip51_base: String,
    /// LSP: the daily fee rate on the inbound liquidity sold (a decimal fraction).
    #[arg(long, env = "BOLTWORKS_LSP_DAILY_RATE", default_value = "0.0001", value_parser = daily_rate)]
    pub lsp_daily_rate: DailyRate,
    /// LSP: smallest channel advertised, in sats.
    #[arg(long, env = "BOLTWORKS_LSP_MIN_CHANNEL_SAT", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=MAX_SAT))]
    pub lsp_min_channel_sat: u64,
    /// LSP: largest channel sold (both sides), in sats.
    #[arg(long, env = "BOLTWORKS_LSP_MAX_CHANNEL_SAT", default_value_t = 100_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_SAT))]
    pub lsp_max_channel_sat: u64,
    /// LSP: longest lease, in weeks.
    #[arg(long, env = "BOLTWORKS_LSP_MAX_EXPIRY_WEEKS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=520))]
    pub lsp_max_expiry_weeks: u64,
    /// LSP: how long an order can be paid, in seconds.
    #[arg(long, env = "BOLTWORKS_LSP_ORDER_EXPIRY_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub lsp_order_expiry_secs: u64,
    /// LSP: channel open attempts before an order gives up.
    #[arg(long, env = "BOLTWORKS_LSP_OPEN_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub lsp_open_attempts: u32,
    /// LSP: a USD price of one bitcoin (whole dollars) for the v0.0.1 info's USD fields (none:
    /// they are null; the hub has no price oracle).
    #[arg(long, env = "BOLTWORKS_LSP_USD_PER_BTC", value_parser = clap::value_parser!(u64).range(1..=100_000_000_000))]
    pub lsp_usd_per_btc: Option<u64>,
    /// LSP: confirmations before an on-chain payment counts.
    #[arg(long, env = "BOLTWORKS_LSP_ONCHAIN_CONFIRMATIONS", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub lsp_onchain_confirmations: u32,
    /// LSP: smallest LSPS1 order total offered an on-chain address, in sats (advertised; every
    /// v0.0.1 order has one, as Blocktank's did).
    #[arg(long, env = "BOLTWORKS_LSP_ONCHAIN_MIN_SAT", default_value_t = 50_000, value_parser = clap::value_parser!(u64).range(330..=MAX_SAT))]
    pub lsp_onchain_min_sat: u64,
    /// LSP: close channels cooperatively once their lease (`channel_expiry_ts`) is over.
    #[arg(long, env = "BOLTWORKS_LSP_CLOSE_EXPIRED", default_value_t = true, action = clap::ArgAction::Set)]
    pub lsp_close_expired: bool,
    /// JIT channels (LSPS2).
    #[command(flatten)]
    pub jit: JitArgs,
}

impl LspArgs {
    /// The settings these flags give, or why they cannot hold.
    pub fn config(&self) -> Result<LspConfig, String> {
        Ok(LspConfig {
            v1_base: self.lsp_v1_base.clone(),
            lsps1_base: self.lsps1_base.clone(),
            blip51_base: self.blip51_base.clone(),
            limits: LspLimits {
                min_channel_sat: self.lsp_min_channel_sat,
                max_channel_sat: self.lsp_max_channel_sat,
                min_expiry_weeks: 1,
                max_expiry_weeks: self.lsp_max_expiry_weeks,
                daily_rate: self.lsp_daily_rate,
                order_expiry_secs: self.lsp_order_expiry_secs,
            },
            max_open_attempts: self.lsp_open_attempts,
            settle_margin_blocks: 18,
            close_expired: self.lsp_close_expired,
            onchain_confirmations: self.lsp_onchain_confirmations,
            onchain_min_sat: self.lsp_onchain_min_sat,
            usd_per_btc: self.lsp_usd_per_btc,
            jit: self.jit.terms()?,
            jit_unpaid_close_secs: self.jit.unpaid_close_secs(),
        })
    }
}

fn daily_rate(text: &str) -> Result<DailyRate, String> {
    DailyRate::parse(text)
        .ok_or_else(|| format!("'{text}' is not a decimal fraction such as 0.0001"))
}
