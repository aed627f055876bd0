//! The `serve` flags of JIT channels (`--jit-*`), read into the node's `JitTerms`.

use clap::Args;

use crate::money::Sat;
use crate::node::JitTerms;

/// The most sats there will ever be, the bound of every amount flag.
const MAX_SAT: u64 = 2_100_000_000_000_000;

/// The JIT-channel flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct JitArgs {
    /// Sell JIT channels (LSPS2, bLIP-52) to clients that ask over their Lightning connection.
    #[arg(long, env = "BOLTWORKS_JIT_CHANNELS", default_value_t = false, action = clap::ArgAction::Set)]
    pub jit_channels: bool,
    /// JIT: the opening fee, in parts per million of the payment that opens the channel.
    #[arg(long, env = "BOLTWORKS_JIT_OPENING_FEE_PPM", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub jit_opening_fee_ppm: u32,
    /// JIT: the smallest opening fee, in sats.
    #[arg(long, env = "BOLTWORKS_JIT_MIN_OPENING_FEE_SAT", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(0..=MAX_SAT))]
    pub jit_min_opening_fee_sat: u64,
    /// JIT: the smallest payment that opens a channel, in sats (above the smallest fee).
    #[arg(long, env = "BOLTWORKS_JIT_MIN_PAYMENT_SAT", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=MAX_SAT))]
    pub jit_min_payment_sat: u64,
    /// JIT: the largest payment that opens a channel, in sats (the node wallet is kept able to
    /// fund its channel).
    #[arg(long, env = "BOLTWORKS_JIT_MAX_PAYMENT_SAT", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=MAX_SAT))]
    pub jit_max_payment_sat: u64,
    /// JIT: capacity added on top of the forwarded amount, in parts per million of it.
    #[arg(long, env = "BOLTWORKS_JIT_OVER_PROVISIONING_PPM", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub jit_over_provisioning_ppm: u32,
    /// JIT: blocks after confirmation the hub promises to keep a JIT channel open.
    #[arg(long, env = "BOLTWORKS_JIT_CHANNEL_LIFETIME_BLOCKS", default_value_t = 4_032, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub jit_channel_lifetime_blocks: u32,
    /// JIT: the token a client must send to buy (none: anyone may).
    #[arg(long, env = "BOLTWORKS_JIT_TOKEN")]
    pub jit_token: Option<String>,
    /// JIT: seconds after its funding a channel whose payment never came is closed.
    #[arg(long, env = "BOLTWORKS_JIT_UNPAID_CLOSE_SECS", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=604_800))]
    pub jit_unpaid_close_secs: u32,
}

/// The longest `to_self_delay` a JIT client may ask for (LDK's own default bound).
const MAX_CLIENT_TO_SELF_DELAY: u32 = 2016;

impl JitArgs {
    /// How long a JIT channel may stay unpaid for.
    pub fn unpaid_close_secs(&self) -> i64 {
        i64::from(self.jit_unpaid_close_secs)
    }

    /// The terms these flags give (`None` unless `--jit-channels`), or why they cannot hold.
    pub fn terms(&self) -> Result<Option<JitTerms>, String> {
        if !self.jit_channels {
            return Ok(None);
        }
        if self.jit_min_payment_sat > self.jit_max_payment_sat {
            return Err("--jit-min-payment-sat is above --jit-max-payment-sat".into());
        }
        if self.jit_min_payment_sat <= self.jit_min_opening_fee_sat {
            return Err("--jit-min-payment-sat must be above --jit-min-opening-fee-sat: a smaller payment could not pay its fee".into());
        }
        let msat = |sat: u64, flag: &str| {
            Sat(sat)
                .to_msat()
                .ok_or_else(|| format!("{flag} does not fit in millisatoshis"))
        };
        Ok(Some(JitTerms {
            token: self.jit_token.clone().filter(|t| !t.is_empty()),
            opening_fee_ppm: self.jit_opening_fee_ppm,
            min_opening_fee: msat(self.jit_min_opening_fee_sat, "--jit-min-opening-fee-sat")?,
            min_payment: msat(self.jit_min_payment_sat, "--jit-min-payment-sat")?,
            max_payment: msat(self.jit_max_payment_sat, "--jit-max-payment-sat")?,
            over_provisioning_ppm: self.jit_over_provisioning_ppm,
            channel_lifetime_blocks: self.jit_channel_lifetime_blocks,
            max_client_to_self_delay: MAX_CLIENT_TO_SELF_DELAY,
        }))
    }
}
