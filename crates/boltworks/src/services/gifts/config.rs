//! The gifts service's settings and the `serve` flags that set them.

use clap::Args;

use crate::node::FeeLimit;

/// The gifts service's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftsConfig {
    /// Where the API and its pages are mounted (default `/gifts`).
    pub base: String,
    /// The routing-fee cap of a payout.
    pub fee_limit: FeeLimit,
}

/// The gifts flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct GiftsArgs {
    /// Base path of the gifts API.
    #[arg(long, env = "BOLTWORKS_GIFTS_BASE", default_value = "/gifts", value_parser = crate::config::values::base_path)]
    pub gifts_base: String,
    /// Gifts: the most a payout may spend on routing fees, in parts per million of the gift...
    #[arg(long, env = "BOLTWORKS_GIFTS_FEE_LIMIT_PPM", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub gifts_fee_limit_ppm: u32,
    /// ... or this many millisatoshis, whichever is more.
    #[arg(long, env = "BOLTWORKS_GIFTS_FEE_LIMIT_BASE_MSAT", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    pub gifts_fee_limit_base_msat: u64,
}

impl GiftsArgs {
    /// The settings these flags give.
    pub fn config(&self) -> GiftsConfig {
        GiftsConfig {
            base: self.gifts_base.clone(),
            fee_limit: FeeLimit {
                ppm: self.gifts_fee_limit_ppm,
                base_msat: self.gifts_fee_limit_base_msat,
            },
        }
    }
}
