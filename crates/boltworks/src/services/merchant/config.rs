//! The merchant hub's settings and the `serve` flags that set them.

use clap::Args;

use crate::node::FeeLimit;

/// The merchant hub's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantConfig {
    /// Where the API is mounted (default `/`: its paths begin `/api/v2` and `/pss/api/v1`).
    pub base: String,
    /// Routing-fee reserve of an outgoing Lightning payment (the merchant pays the actual fee).
    pub fee_limit: FeeLimit,
    /// Seconds between withdrawal batches.
    pub withdraw_interval_secs: i64,
}

/// The merchant flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct MerchantArgs {
    /// Base path of the merchant API (its paths begin /api/v2 and /pss/api/v1).
    #[arg(long, env = "BOLTWORKS_MERCHANT_BASE", default_value = "/", value_parser = crate::config::values::base_path)]
    pub merchant_base: String,
    /// Merchant hub: seconds between withdrawal batches (on the hub's clock).
    #[arg(long, env = "BOLTWORKS_MERCHANT_WITHDRAW_INTERVAL_SECS", default_value_t = 600, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub merchant_withdraw_interval_secs: i64,
    /// Merchant hub: the routing-fee reserve of an outgoing payment, in parts per million...
    #[arg(long, env = "BOLTWORKS_MERCHANT_FEE_LIMIT_PPM", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub merchant_fee_limit_ppm: u32,
    /// ... or this many millisatoshis, whichever is more.
    #[arg(long, env = "BOLTWORKS_MERCHANT_FEE_LIMIT_BASE_MSAT", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub merchant_fee_limit_base_msat: u64,
}

impl MerchantArgs {
    /// The settings these flags give.
    pub fn config(&self) -> MerchantConfig {
        MerchantConfig {
            base: self.merchant_base.clone(),
            fee_limit: FeeLimit {
                ppm: self.merchant_fee_limit_ppm,
                base_msat: self.merchant_fee_limit_base_msat,
            },
            withdraw_interval_secs: self.merchant_withdraw_interval_secs,
        }
    }
}
