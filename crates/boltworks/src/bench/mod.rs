//! `boltworks bench`: the hub's speed figures, printed. Build with `--release`.
//!
//! - `boltworks bench`: every throughput and latency figure (invoices, gifts, internal
//!   payments, status reads, Lightning payments sequential and by 16 and 64 payers) on SQLite
//!   and PostgreSQL, each the median of several rounds (`suite`).
//! - `boltworks bench payments`: time from `serve` on an empty data dir to `/ready`, and
//!   latency of sequential alice -> hub -> bob payments.
//! - `boltworks bench notify`: webhook events delivered per second to a loopback receiver, on
//!   SQLite or (with `--database-url`) PostgreSQL.
//! - `boltworks bench escrow`: escrow transactions (settx + setinvoice) created per second.
//! - `boltworks bench gifts`: gifts created per second, and redeem-to-confirmed latency.
//! - `boltworks bench merchant`: merchant invoices and internal payments per second, by 16
//!   clients.
//! - `boltworks bench signins`: the hub's RSS before and after 50 sign-ups and rounds of 50
//!   concurrent sign-ins (password hashing is bounded).
//! - `boltworks bench invoice-memory`: the hub's RSS every 15,000 merchant invoices while
//!   short-lived ones (60 s) are created at a steady rate, most expiring during the run (the
//!   node's records of them are removed on a schedule).
//! - `boltworks bench lsp`: LSPS1 quotes created per second, and the time from a buyer's
//!   payment to the channel's funding broadcast.

mod escrow_flow;
mod fresh_database;
mod gifts_flow;
mod invoice_memory;
mod lightning_load;
mod load;
mod lsp_flow;
mod merchant_flow;
mod notify_delivery;
mod payments;
mod signins;
mod suite;

use clap::{Args, Subcommand};

/// Flags of `boltworks bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// One sub-benchmark (default: every figure, see `suite`).
    #[command(subcommand)]
    pub what: Option<BenchKind>,
    /// Flags of the whole benchmark.
    #[command(flatten)]
    pub suite: suite::SuiteArgs,
}

/// The measurements.
#[derive(Debug, Clone, Subcommand)]
pub enum BenchKind {
    /// Time from start to `/ready`, and sequential alice -> hub -> bob payments.
    Payments {
        /// How many sequential payments to time.
        #[arg(long, default_value_t = 200)]
        payments: usize,
        /// Amount of each payment, in millisatoshis.
        #[arg(long, default_value_t = 1_000_000)]
        amount_msat: u64,
    },
    /// Escrow transactions (settx + setinvoice) created per second.
    Escrow {
        /// Transactions to create.
        #[arg(long, default_value_t = 300)]
        txs: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Gifts created per second, and the latency from a redemption request to its payout
    /// confirmed.
    Gifts {
        /// Gifts to create (timed).
        #[arg(long, default_value_t = 500)]
        gifts: usize,
        /// Gifts to fund and redeem (latency samples).
        #[arg(long, default_value_t = 100)]
        redemptions: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// LSPS1 quotes created per second, and payment -> channel OPENING.
    Lsp {
        /// Quotes to create (timed).
        #[arg(long, default_value_t = 500)]
        quotes: usize,
        /// Orders to pay and open (latency samples).
        #[arg(long, default_value_t = 10)]
        opens: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Merchant invoices created and internal payments made per second, by 16 clients.
    Merchant {
        /// Requests of each kind (timed).
        #[arg(long, default_value_t = 2_000)]
        count: usize,
        /// PostgreSQL URL (default: SQLite in a temporary directory).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The hub's resident memory around password hashing: 50 sign-ups at once, then rounds of
    /// 50 concurrent sign-ins, twice.
    Signins {
        /// Rounds of 50 sign-ins in each of the two batches.
        #[arg(long, default_value_t = 4)]
        rounds: usize,
    },
    /// The hub's resident memory every `--report-every` merchant invoices while invoices
    /// expiring after `--expiry` seconds are created at `--rate` per second.
    InvoiceMemory {
        /// Invoices to create in all.
        #[arg(long, default_value_t = 150_000)]
        invoices: usize,
        /// Invoices per second (a steady rate; lower if the hub cannot keep up).
        #[arg(long, default_value_t = 500)]
        rate: u32,
        /// Each invoice's expiry, seconds (the merchant API allows 10 to 3600).
        #[arg(long, default_value_t = 60)]
        expiry: u32,
        /// Print RSS after every this many invoices.
        #[arg(long, default_value_t = 15_000)]
        report_every: usize,
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
    // Quiet by default, so the figures stand out; `RUST_LOG` shows the hub's logs.
    if std::env::var_os("RUST_LOG").is_some() {
        crate::init_logging(false);
    }
    match args.what.clone() {
        None => suite::run(args.suite).await,
        Some(BenchKind::Payments {
            payments,
            amount_msat,
        }) => payments::run(payments, amount_msat).await,
        Some(BenchKind::Signins { rounds }) => signins::run(rounds).await,
        Some(BenchKind::InvoiceMemory {
            invoices,
            rate,
            expiry,
            report_every,
            database_url,
        }) => {
            let plan = invoice_memory::Plan {
                invoices,
                rate,
                expiry,
                report_every,
            };
            invoice_memory::run(plan, database_url).await
        }
        Some(BenchKind::Notify {
            events,
            database_url,
            workers,
        }) => notify_delivery::run(events, database_url, workers).await,
        Some(BenchKind::Escrow { txs, database_url }) => escrow_flow::run(txs, database_url).await,
        Some(BenchKind::Lsp {
            quotes,
            opens,
            database_url,
        }) => lsp_flow::run(quotes, opens, database_url).await,
        Some(BenchKind::Merchant {
            count,
            database_url,
        }) => merchant_flow::run(count, database_url).await,
        Some(BenchKind::Gifts {
            gifts,
            redemptions,
            database_url,
        }) => gifts_flow::run(gifts, redemptions, database_url).await,
    }
}

/// A hub started for a benchmark: a fresh temporary data directory, free loopback ports, and
/// the given extra `serve` flags; started and waited for until `/ready`.
struct BenchHub {
    app: crate::app::App,
    base: String,
    dir: std::path::PathBuf,
    to_ready: std::time::Duration,
    /// The PostgreSQL database made for this hub, if it runs on one.
    database: Option<fresh_database::FreshDatabase>,
}

impl BenchHub {
    async fn start(extra: &[String]) -> anyhow::Result<Self> {
        use crate::dev::free_loopback_addr;
        let dir = std::env::temp_dir().join(format!("boltworks-bench-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut flags = vec![
            "--data-dir".to_string(),
            dir.display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            // Every benchmark client is on loopback: one address, which the limit would stop.
            "--rate-limit-per-minute".into(),
            "0".into(),
        ];
        for flag in ["--node-listen", "--alice-listen", "--bob-listen"] {
            flags.extend([flag.to_string(), free_loopback_addr()?.to_string()]);
        }
        flags.extend(extra.iter().cloned());
        let config = crate::config::parse_serve_flags(flags)?.validate()?;
        let started = std::time::Instant::now();
        let app = crate::app::App::start(config).await?;
        let base = format!("http://{}", app.http_addr());
        let client = reqwest::Client::new();
        while !client
            .get(format!("{base}/ready"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            anyhow::ensure!(
                started.elapsed() < std::time::Duration::from_secs(300),
                "hub not ready after 300 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(Self {
            app,
            base,
            dir,
            to_ready: started.elapsed(),
            database: None,
        })
    }

    /// A hub on PostgreSQL at `database_url`, or on SQLite without one; and that backend's name.
    async fn start_on(database_url: Option<String>) -> anyhow::Result<(Self, &'static str)> {
        Self::start_on_with(database_url, &[]).await
    }

    /// `start_on` with `more` flags.
    async fn start_on_with(
        database_url: Option<String>,
        more: &[&str],
    ) -> anyhow::Result<(Self, &'static str)> {
        let backend = if database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let database = match database_url {
            Some(url) => Some(fresh_database::FreshDatabase::create(&url).await?),
            None => None,
        };
        let mut extra: Vec<String> = database
            .iter()
            .flat_map(|database| ["--database-url".to_string(), database.url()])
            .collect();
        extra.extend(more.iter().map(|flag| flag.to_string()));
        let mut hub = match Self::start(&extra).await {
            Ok(hub) => hub,
            Err(e) => {
                if let Some(database) = database {
                    database.drop_database().await;
                }
                return Err(e);
            }
        };
        hub.database = database;
        Ok((hub, backend))
    }

    /// Counts the payments whose record the hub's node still keeps.
    fn records_probe(&self) -> RecordsProbe {
        let hub = self.app.hub();
        RecordsProbe {
            store: hub.store.clone(),
            node: hub.node.label().to_string(),
        }
    }

    async fn stop(self) {
        self.app.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(database) = self.database {
            database.drop_database().await;
        }
    }
}

/// How many of the hub's payment rows still have a record in ldk-node's store.
struct RecordsProbe {
    store: crate::store::Store,
    node: String,
}

impl RecordsProbe {
    async fn node_records(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM node_payments WHERE node = $1 AND node_record_removed_at IS NULL",
        )
        .bind(&self.node)
        .fetch_one(self.store.pool())
        .await
        .unwrap_or(-1)
    }
}

/// The process's resident memory in MiB (Linux), or 0 where it cannot be read.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Concurrent clients in the second run of `post_rate`.
const CLIENTS: usize = 8;

/// How fast `url` takes POSTs of `body`: `count` one after another, then about as many from
/// eight clients at once. A line to print.
async fn post_rate(url: &str, body: &serde_json::Value, count: usize) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    for _ in 0..count {
        payments::post(&client, url, body.clone()).await?;
    }
    let sequential = started.elapsed();
    let per_client = count.div_ceil(CLIENTS);
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.to_string(), body.clone());
            tokio::spawn(async move {
                for _ in 0..per_client {
                    payments::post(&client, &url, body.clone()).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let concurrent = started.elapsed();
    Ok(format!(
        "{count} sequential in {:.2} s = {:.0}/s; {} by {CLIENTS} clients in {:.2} s = {:.0}/s",
        sequential.as_secs_f64(),
        count as f64 / sequential.as_secs_f64(),
        per_client * CLIENTS,
        concurrent.as_secs_f64(),
        (per_client * CLIENTS) as f64 / concurrent.as_secs_f64(),
    ))
}

/// A latency sample summarised: count, p50, p99 and max.
struct Latencies {
    count: usize,
    p50: std::time::Duration,
    p99: std::time::Duration,
    max: std::time::Duration,
}

impl Latencies {
    /// Summarises `samples` (at least one).
    fn of(mut samples: Vec<std::time::Duration>) -> Self {
        samples.sort_unstable();
        let count = samples.len();
        let at = |p: f64| samples[((count as f64 * p).ceil() as usize).clamp(1, count.max(1)) - 1];
        Self {
            count,
            p50: at(0.50),
            p99: at(0.99),
            max: samples[count.saturating_sub(1)],
        }
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.max.as_secs_f64() * 1e3
        )
    }
}
