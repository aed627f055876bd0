//! `boltworks bench` with no sub-benchmark: every throughput and latency figure in one run, on
//! SQLite and (with `--database-url`) PostgreSQL, each the median of `--rounds` rounds, with the
//! host's core count, so runs before and after a change compare line by line.
//!
//! Each backend gets one hub (regtest devchain, demo nodes) for all its rounds; a round measures
//! every figure once, in the same order, so no figure always runs on the freshest database.

use clap::Args;

use super::gifts_flow;
use super::lightning_load;
use super::load::Measured;
use super::merchant_flow::MerchantPair;
use super::BenchHub;

/// Flags of the whole benchmark.
#[derive(Debug, Clone, Args)]
pub struct SuiteArgs {
    /// Rounds of each figure; each figure printed is their median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=15))]
    pub rounds: u32,
    /// Requests per round of each HTTP figure (status reads: four times as many).
    #[arg(long, default_value_t = 4_000, value_parser = clap::value_parser!(u32).range(64..=50_000))]
    pub count: u32,
    /// Lightning payments per round and payer count (sequential: a quarter as many).
    #[arg(long, default_value_t = 640, value_parser = clap::value_parser!(u32).range(64..=10_000))]
    pub lightning_payments: u32,
    /// Amount of each Lightning payment, in millisatoshis (above the dust limit: LDK caps the
    /// dust in flight on a channel).
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1_000_000..=10_000_000))]
    pub amount_msat: u64,
    /// PostgreSQL URL for the PostgreSQL figures (without it they are skipped).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Concurrent payers of the Lightning figures.
const PAYER_COUNTS: [usize; 2] = [16, 64];

/// One figure's rounds.
struct Figure {
    name: String,
    /// Whether its median is by p50 latency rather than by rate.
    by_latency: bool,
    rounds: Vec<Measured>,
}

impl Figure {
    /// The round of median rate (of median p50 for a latency figure): its line.
    fn line(&mut self) -> String {
        if self.by_latency {
            self.rounds.sort_by_key(|round| round.latencies.p50);
        } else {
            self.rounds
                .sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
        }
        let rates: Vec<String> = self
            .rounds
            .iter()
            .map(|round| format!("{:.0}", round.per_second))
            .collect();
        let median = &self.rounds[self.rounds.len() / 2];
        format!(
            "{:<52} {median}   [rounds /s: {}]",
            self.name,
            rates.join(", ")
        )
    }
}

/// The figures of one backend, measured round after round.
#[derive(Default)]
struct Figures(Vec<Figure>);

impl Figures {
    /// Adds a round of the rate figure `name`.
    fn record(&mut self, name: String, measured: Measured) {
        self.add(name, false, measured);
    }

    /// Adds a round of the latency figure `name`.
    fn record_latency(&mut self, name: String, measured: Measured) {
        self.add(name, true, measured);
    }

    fn add(&mut self, name: String, by_latency: bool, measured: Measured) {
        match self.0.iter_mut().find(|figure| figure.name == name) {
            Some(figure) => figure.rounds.push(measured),
            None => self.0.push(Figure {
                name,
                by_latency,
                rounds: vec![measured],
            }),
        }
    }

    fn print(mut self) {
        for figure in &mut self.0 {
            println!("  {}", figure.line());
        }
    }
}

/// Runs every figure and prints them.
pub async fn run(args: SuiteArgs) -> anyhow::Result<()> {
    // Alice's outbound liquidity: two channels of 10 M sat, half pushed to the hub.
    let spent = u64::from(args.rounds)
        * u64::from(args.lightning_payments)
        * (PAYER_COUNTS.len() as u64 + 1)
        * (args.amount_msat + 10_000);
    anyhow::ensure!(
        spent < 9_000_000_000,
        "the Lightning payments of every round ({} sat) exceed alice's liquidity: fewer rounds, payments or a smaller amount",
        spent / 1000
    );
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) {
        "debug build: figures are not meaningful, build with --release"
    } else {
        "release build"
    };
    println!(
        "boltworks bench: {cores} cores, {build}, median of {} rounds",
        args.rounds
    );
    backend(&args, None, true).await?;
    match args.database_url.clone() {
        Some(url) => backend(&args, Some(url), false).await?,
        None => println!("PostgreSQL: skipped (no --database-url)"),
    }
    Ok(())
}

/// Every figure on one backend; the Lightning figures only with `lightning`.
async fn backend(
    args: &SuiteArgs,
    database_url: Option<String>,
    lightning: bool,
) -> anyhow::Result<()> {
    // Two channels each from alice and bob, as 64 payments in flight exceed LDK's 50 per
    // channel; of 10 M sat each, so every round's payments fit in alice's outbound liquidity.
    let flags: &[&str] = if lightning {
        &["--demo-channels", "2", "--demo-channel-sat", "10000000"]
    } else {
        &[]
    };
    let (hub, backend) = BenchHub::start_on_with(database_url, flags).await?;
    let channels: Vec<String> = hub
        .app
        .hub()
        .node
        .channels()
        .iter()
        .map(|channel| format!("{} sat", channel.capacity.0))
        .collect();
    println!(
        "{backend} (serve -> ready in {:.2} s; the hub's channels: {}):",
        hub.to_ready.as_secs_f64(),
        channels.join(", ")
    );
    // The hub is stopped whatever the figures did: a hub dropped running aborts the process.
    let measured = rounds(args, &hub, backend, lightning).await;
    hub.stop().await;
    measured?.print();
    Ok(())
}

/// `args.rounds` rounds of every figure on `hub`.
async fn rounds(
    args: &SuiteArgs,
    hub: &BenchHub,
    backend: &str,
    lightning: bool,
) -> anyhow::Result<Figures> {
    let count = args.count as usize;
    let pair = MerchantPair::sign_up(&hub.base).await?;
    pair.fund_payer(2 * count as u64 * u64::from(args.rounds) + 100)
        .await?;
    let mut figures = Figures::default();
    for round in 1..=args.rounds {
        eprintln!("{backend}: round {round} of {}", args.rounds);
        figures.record(
            "merchant invoices created, 16 clients".into(),
            pair.invoices(count).await?,
        );
        figures.record(
            "gifts created, 16 clients".into(),
            gifts_flow::created(&hub.base, count).await?,
        );
        figures.record(
            "internal payments, 16 clients".into(),
            pair.internal_payments(count).await?,
        );
        figures.record(
            "invoice status reads, 16 clients".into(),
            pair.status_reads(count * 4).await?,
        );
        if lightning {
            lightning_figures(args, hub, &mut figures).await?;
        }
    }
    pair.books_balance(hub.app.operator_token()).await?;
    Ok(figures)
}

/// One round of the Lightning figures: sequential payments, then each payer count.
async fn lightning_figures(
    args: &SuiteArgs,
    hub: &BenchHub,
    figures: &mut Figures,
) -> anyhow::Result<()> {
    let payments = args.lightning_payments as usize;
    let events = || hub.app.hub().events.subscribe();
    figures.record_latency(
        "Lightning payments alice->hub->bob, sequential".into(),
        lightning_load::round(&hub.base, events(), 1, payments / 4, args.amount_msat).await?,
    );
    for payers in PAYER_COUNTS {
        figures.record(
            format!("Lightning payments alice->hub->bob, {payers} payers"),
            lightning_load::round(&hub.base, events(), payers, payments, args.amount_msat).await?,
        );
    }
    Ok(())
}
