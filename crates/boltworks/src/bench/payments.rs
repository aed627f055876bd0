//! `boltworks bench` (payments): starts a hub on an empty temporary data
//! directory (regtest, devchain, SQLite, demo nodes), measures the time from start to `/ready`,
//! then the latency of sequential alice -> hub -> bob payments driven over the HTTP dev API,
//! each timed from the pay request until the hub has committed alice's `PaymentSuccessful`.
//! Build with `--release` for meaningful numbers.

use std::time::{Duration, Instant};

use anyhow::Context;
use ldk_node::Event;
use serde_json::{json, Value};

use super::tempfile_dir;
use crate::app::App;
use crate::config::parse_serve_flags;
use crate::dev::free_loopback_addr;

/// Runs the benchmark and prints its figures.
pub async fn run(args: super::BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.payments > 0 && args.payments <= 10_000,
        "--payments must be between 1 and 10000"
    );
    let dir = tempfile_dir()?;
    let flags = vec![
        "--data-dir".to_string(),
        dir.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--node-listen".into(),
        free_loopback_addr()?.to_string(),
        "--alice-listen".into(),
        free_loopback_addr()?.to_string(),
        "--bob-listen".into(),
        free_loopback_addr()?.to_string(),
    ];
    let config = parse_serve_flags(flags)?.validate()?;
    let started = Instant::now();
    let app = App::start(config).await?;
    let base = format!("http://{}", app.http_addr());
    let client = reqwest::Client::new();
    while !client
        .get(format!("{base}/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "hub not ready after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to_ready = started.elapsed();
    println!(
        "serve on an empty data dir -> ready: {:.2} s",
        to_ready.as_secs_f64()
    );

    let mut events = app.state().events.subscribe();
    let mut latencies = Vec::with_capacity(args.payments);
    for _ in 0..args.payments {
        let invoice: Value = post(
            &client,
            &format!("{base}/dev/bob/invoice"),
            json!({"amount_msat": args.amount_msat, "description": "bench"}),
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
                Event::PaymentSuccessful { payment_hash, .. }
                    if event.node == "alice" && hex::encode(payment_hash.0) == hash =>
                {
                    break
                }
                Event::PaymentFailed {
                    payment_hash: Some(payment_hash),
                    reason,
                    ..
                } if event.node == "alice" && hex::encode(payment_hash.0) == hash => {
                    anyhow::bail!("payment failed: {reason:?}")
                }
                _ => {}
            }
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "{} sequential alice->hub->bob payments of {} msat: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        args.amount_msat,
        percentile(0.50).as_secs_f64() * 1e3,
        percentile(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3,
    );
    app.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn post(client: &reqwest::Client, url: &str, body: Value) -> anyhow::Result<Value> {
    let response = client.post(url).json(&body).send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "POST {url} answered {status}: {body}");
    Ok(body)
}
