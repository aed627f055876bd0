//! Escrow's settings and the `serve` flags that set them.

use clap::Args;

/// Escrow's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscrowConfig {
    /// Where the API is mounted (default `/escrow`).
    pub base: String,
    /// Warn both parties this many blocks before a held payment's settle-by height.
    pub deadline_warning_blocks: u32,
}

/// Escrow's flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct EscrowArgs {
    /// Base path of the escrow API.
    #[arg(long, env = "BOLTWORKS_ESCROW_BASE", default_value = "/escrow", value_parser = crate::config::values::base_path)]
    pub escrow_base: String,
    /// Escrow: warn both parties this many blocks before a held payment's settle-by height.
    #[arg(long, env = "BOLTWORKS_ESCROW_DEADLINE_WARNING_BLOCKS", default_value_t = 36, value_parser = clap::value_parser!(u32).range(1..=2016))]
    pub escrow_deadline_warning_blocks: u32,
}

impl EscrowArgs {
    /// The settings these flags give.
    pub fn config(&self) -> EscrowConfig {
        EscrowConfig {
            base: self.escrow_base.clone(),
            deadline_warning_blocks: self.escrow_deadline_warning_blocks,
        }
    }
}
