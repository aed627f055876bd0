//! `boltworks bench` (payments): starts a hub on an empty temporary data
//! directory (regtest, devchain, SQLite, demo nodes), measures the time from start to `/ready`,
//! then the latency of sequential alice -> hub -> bob payments driven over the HTTP dev API,
//! each timed from the pay request until the hub has committed alice's `PaymentSuccessful`.
//! Build with `--release` for meaningful numbers.

use serde_json::Value;

use super::{lightning_load, BenchHub};

/// Runs the benchmark and prints its figures.
pub async fn run(payments: usize, amount_msat: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        payments > 0 && payments <= 10_000,
        "--payments must be between 1 and 10000"
    );
    let hub = BenchHub::start(&[]).await?;
    println!(
        "serve on an empty data dir -> ready: {:.2} s",
        hub.to_ready.as_secs_f64()
    );
    let events = hub.app.hub().events.subscribe();
    // The hub is stopped whatever the payments did: a hub dropped running aborts the process.
    let measured = lightning_load::round(&hub.base, events, 1, payments, amount_msat).await;
    hub.stop().await;
    let measured = measured?;
    println!(
        "{} sequential alice->hub->bob payments of {amount_msat} msat: {}, {} failed",
        measured.latencies.count, measured.latencies, measured.failures
    );
    Ok(())
}

pub(super) async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = client.post(url).json(&body).send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "POST {url} answered {status}: {body}");
    Ok(body)
}
