//! `boltworks bench invoice-memory`: the hub's resident memory (RSS) while merchant invoices
//! that expire after a minute are created at a steady rate, by 16 clients over HTTP, far longer
//! than they live: ldk-node keeps each payment record in memory, and the hub removes the records
//! of expired unpaid invoices on a schedule, so RSS should level off instead of growing with the
//! count. Printed after every `report_every` invoices, and while the last ones expire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::merchant_flow::{send, sign_up};
use super::{rss_mib, BenchHub};

/// Concurrent clients.
const CLIENTS: usize = 16;

/// What to create.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Invoices in all.
    pub invoices: usize,
    /// Invoices per second.
    pub rate: u32,
    /// Each invoice's expiry, seconds.
    pub expiry: u32,
    /// Print after every this many.
    pub report_every: usize,
}

/// Runs it and prints RSS as it goes.
pub async fn run(plan: Plan, database_url: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1_000..=1_000_000).contains(&plan.invoices),
        "--invoices must be between 1000 and 1000000"
    );
    anyhow::ensure!(
        (1..=20_000).contains(&plan.rate),
        "--rate must be between 1 and 20000"
    );
    anyhow::ensure!(
        (10..=3_600).contains(&plan.expiry),
        "--expiry must be between 10 and 3600"
    );
    anyhow::ensure!(plan.report_every > 0, "--report-every must be positive");
    let (hub, backend) = BenchHub::start_on_with(database_url, &["--no-demo-nodes"]).await?;
    let client = reqwest::Client::new();
    let merchant = Arc::new(sign_up(&client, &hub.base, "memory").await?);
    let url = Arc::new(format!("{}/api/v2/payment/lightning", hub.base));
    println!(
        "invoice-memory on {backend}: {} invoices at {}/s, {} s expiry; RSS at start {:.0} MiB",
        plan.invoices,
        plan.rate,
        plan.expiry,
        rss_mib()
    );
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / f64::from(plan.rate));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (client, url, merchant) = (client.clone(), Arc::clone(&url), Arc::clone(&merchant));
        let (next, done, hub_ref) = (Arc::clone(&next), Arc::clone(&done), hub.records_probe());
        clients.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= plan.invoices {
                    return anyhow::Ok(());
                }
                // A steady rate: invoice n is due n intervals after the start.
                let due = started + interval.mul_f64(n as f64);
                tokio::time::sleep_until(due.into()).await;
                let body = json!({"amount": 1000, "expiry": plan.expiry});
                send(&client, &url, &merchant.token, None, body).await?;
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished % plan.report_every == 0 {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "  {finished:>7} invoices, {secs:>5.0} s ({:.0}/s): RSS {:.0} MiB, node records {}",
                        finished as f64 / secs,
                        rss_mib(),
                        hub_ref.node_records().await
                    );
                }
            }
        });
    }
    while let Some(result) = clients.join_next().await {
        result??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  all {} created in {secs:.0} s ({:.0}/s)",
        plan.invoices,
        plan.invoices as f64 / secs
    );
    // The last invoices expire, then their records go (the grace, then the next run).
    let settle = Duration::from_secs(u64::from(plan.expiry) + 90);
    let until = Instant::now() + settle;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(30)).await;
        println!(
            "  {:>5.0} s after the last: RSS {:.0} MiB, node records {}",
            (settle - until.saturating_duration_since(Instant::now())).as_secs_f64(),
            rss_mib(),
            hub.records_probe().node_records().await
        );
    }
    hub.stop().await;
    Ok(())
}
