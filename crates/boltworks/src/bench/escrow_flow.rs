//! `boltworks bench escrow`: escrow transactions created per second, each a `settx` and a
//! `setinvoice` (with a real hold invoice from bob), sequential over HTTP. Only those two calls
//! are timed; making bob's invoice is setup.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use super::BenchHub;

/// Runs it and prints transactions per second.
pub async fn run(txs: usize, database_url: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=10_000).contains(&txs),
        "--txs must be between 1 and 10000"
    );
    let (hub, backend) = BenchHub::start_on(database_url).await?;
    let (base, client) = (hub.base.clone(), reqwest::Client::new());
    let post = |path: String, body: Value| {
        let client = client.clone();
        async move {
            let answer: Value = client.post(path).json(&body).send().await?.json().await?;
            anyhow::Ok(answer)
        }
    };
    let seller = post(
        format!("{base}/escrow/setuser/v2/"),
        json!({"email": "bench@example.com", "password": "bench-password"}),
    )
    .await?;
    let session = seller["session"]
        .as_str()
        .context("no session")?
        .to_string();
    let mut timed = Duration::ZERO;
    for _ in 0..txs {
        let start = Instant::now();
        let created = post(
            format!("{base}/escrow/settx/v2/"),
            json!({"session_id": session, "buyer_email": "buyer@example.com", "amount": 1000}),
        )
        .await?;
        timed += start.elapsed();
        let tx = created["data"]["id"]
            .as_str()
            .context("no tx id")?
            .to_string();
        let pmthash = created["data"]["pmthash"]
            .as_str()
            .context("no pmthash")?
            .to_string();
        let invoice = post(
            format!("{base}/dev/bob/invoice"),
            json!({"amount_msat": 1_000_000, "payment_hash": pmthash}),
        )
        .await?;
        let bolt11 = invoice["bolt11"]
            .as_str()
            .context("no invoice")?
            .to_string();
        let start = Instant::now();
        let set = post(
            format!("{base}/escrow/setinvoice/v2/"),
            json!({"session_id": session, "tx": tx, "invoice": bolt11}),
        )
        .await?;
        timed += start.elapsed();
        anyhow::ensure!(set["status"] == "success", "setinvoice failed: {set}");
    }
    println!(
        "{txs} escrow transactions (settx + setinvoice) on {backend}: {:.2} s, {:.0} transactions/s",
        timed.as_secs_f64(),
        txs as f64 / timed.as_secs_f64()
    );
    hub.stop().await;
    Ok(())
}
