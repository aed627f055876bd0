//! `boltworks bench` (payments): starts a hub on an empty temporary data
//! directory (regtest, devchain, SQLite, demo nodes), measures the time from start to `/ready`,
//! then the latency of sequential alice -> hub -> bob payments driven over the HTTP dev API,
//! each timed from the pay request until the hub has committed alice's `PaymentSuccessful`.
//! Build with `--release` for meaningful numbers.

use std::time::{Duration, Instant};

use crate::node::NodeEvent;
use anyhow::Context;
use serde_json::{json, Value};

use super::BenchHub;

/// Runs the benchmark and prints its figures.
pub async fn run(payments: usize, amount_msat: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        payments > 0 && payments <= 10_000,
        "--payments must be between 1 and 10000"
    );
    let hub = BenchHub::start(&[]).await?;
    let (app, base, client) = (&hub.app, hub.base.clone(), reqwest::Client::new());
    println!(
        "serve on an empty data dir -> ready: {:.2} s",
        hub.to_ready.as_secs_f64()
    );

    let mut events = app.hub().events.subscribe();
    let mut latencies = Vec::with_capacity(payments);
    for _ in 0..payments {
        let invoice: Value = post(
            &client,
            &format!("{base}/dev/bob/invoice"),
            json!({"amount_msat": amount_msat, "description": "bench"}),
        )
        .await?;
        let bolt11 = invoice["bolt11"]
            .as_str()
            .context("invoice without bolt11")?
            .to_string();
        let hash = invoice["payment_hash"]
            .as_str()
            .context("invoice without hash")?
            .to_string();
        let sent = Instant::now();
        post(
            &client,
            &format!("{base}/dev/alice/pay"),
            json!({"bolt11": bolt11}),
        )
        .await?;
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
                .await
                .context("payment did not complete in 60 s")??;
            match &event.event {
                NodeEvent::PaymentSucceeded { payment_hash, .. }
                    if event.node == "alice" && payment_hash.to_string() == hash =>
                {
                    break
                }
                NodeEvent::PaymentFailed {
                    payment_hash: Some(payment_hash),
                    reason,
                } if event.node == "alice" && payment_hash.to_string() == hash => {
                    anyhow::bail!("payment failed: {reason:?}")
                }
                _ => {}
            }
        }
        latencies.push(sent.elapsed());
    }
    let summary = super::Latencies::of(latencies);
    println!(
        "{} sequential alice->hub->bob payments of {} msat: {summary}",
        summary.count, amount_msat,
    );
    hub.stop().await;
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
