//! `boltworks bench`: the hub's speed figures, printed. Build with `--release`.
//!
//! - `boltworks bench`: time from `serve` on an empty data dir to `/ready`, and latency of
//!   sequential alice -> hub -> bob payments.
//! - `boltworks bench notify`: webhook events delivered per second to a loopback receiver, on
//!   SQLite or (with `--database-url`) PostgreSQL.
//! - `boltworks bench escrow`: escrow transactions (settx + setinvoice) created per second.

mod escrow_flow;
mod notify_delivery;
mod payments;

use clap::{Args, Subcommand};

/// Flags of `boltworks bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// What to measure (default: start-up and payments).
    #[command(subcommand)]
    pub what: Option<BenchKind>,
    /// How many sequential payments to time.
    #[arg(long, default_value_t = 200)]
    pub payments: usize,
    /// Amount of each payment, in millisatoshis.
    #[arg(long, default_value_t = 1_000_000)]
    pub amount_msat: u64,
}

/// The measurements.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchKind {
    /// Escrow transactions (settx + setinvoice) created per second.
    Escrow {
        /// Transactions to create.
        #[arg(long, default_value_t = 300)]
        txs: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Webhook deliveries per second to a loopback receiver.
    Notify {
        /// Events to deliver.
        #[arg(long, default_value_t = 5_000)]
        events: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
        /// Delivery workers.
        #[arg(long, default_value_t = 2)]
        workers: usize,
    },
}

/// Runs the chosen benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what.clone() {
        None => payments::run(args).await,
        Some(BenchKind::Notify {
            events,
            database_url,
            workers,
        }) => notify_delivery::run(events, database_url, workers).await,
        Some(BenchKind::Escrow { txs, database_url }) => escrow_flow::run(txs, database_url).await,
    }
}

/// A fresh temporary directory for one run.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("boltworks-bench-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
