//! `boltworks bench lsp`: LSPS1 quotes created per second over HTTP (sequential, then 8 clients
//! at once; each is a fee computation, a hold invoice and a committed order), and the time from
//! a buyer's payment to the channel's funding broadcast: alice pays the hold invoice, the bench
//! calls `/open` as soon as the order shows PAID, and the clock stops when `/open` answers 201
//! (which it does once the funding transaction is out, state OPENING). Mining a block between
//! opens is setup, not timed.

use std::time::Instant;

use anyhow::Context;
use serde_json::{json, Value};

use super::payments::post;
use super::{BenchHub, Latencies};

/// Runs it and prints the figures.
pub async fn run(quotes: usize, opens: usize, database_url: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=20_000).contains(&quotes),
        "--quotes must be between 1 and 20000"
    );
    anyhow::ensure!(
        (1..=50).contains(&opens),
        "--opens must be between 1 and 50"
    );
    let (hub, backend) = BenchHub::start_on(database_url).await?;
    let (base, client) = (hub.base.clone(), reqwest::Client::new());
    let create = format!("{base}/lsp/channels");
    let order = json!({"remote_balance": 100_000, "channel_expiry": 4});

    let rate = super::post_rate(&create, &order, quotes).await?;
    println!("LSPS1 quotes on {backend}: {rate}");

    let nodes: Value = client
        .get(format!("{base}/dev/nodes"))
        .send()
        .await?
        .json()
        .await?;
    let alice = format!(
        "{}@{}",
        nodes["alice"]["node_id"].as_str().context("alice")?,
        nodes["alice"]["address"]
            .as_str()
            .context("alice's address")?
    );
    let mut to_opening = Vec::with_capacity(opens);
    let mut open_call = Vec::with_capacity(opens);
    for _ in 0..opens {
        let created = post(&client, &create, json!({"remote_balance": 100_000})).await?;
        let id = created["id"].as_str().context("order id")?.to_string();
        let invoice = created["ln_invoice"].as_str().context("invoice")?;
        let paid_at = Instant::now();
        post(
            &client,
            &format!("{base}/dev/alice/pay"),
            json!({"bolt11": invoice}),
        )
        .await?;
        loop {
            let order: Value = client
                .get(format!("{base}/lsp/channels/{id}"))
                .send()
                .await?
                .json()
                .await?;
            if order["payment"]["state"] == "PAID" {
                break;
            }
            anyhow::ensure!(
                paid_at.elapsed().as_secs() < 60,
                "order {id} not paid in 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let called = Instant::now();
        let response = client
            .post(format!("{base}/lsp/channels/{id}/open"))
            .json(&json!({"announce_channel": false, "node_connection_string": alice}))
            .send()
            .await?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.as_u16() == 201, "/open answered {status}: {answer}");
        open_call.push(called.elapsed());
        to_opening.push(paid_at.elapsed());
        post(&client, &format!("{base}/dev/mine"), json!({"blocks": 1})).await?;
    }
    let summary = Latencies::of(to_opening);
    println!(
        "{} orders on {backend}, alice pays -> funding broadcast (OPENING): {summary}",
        summary.count
    );
    println!("  of which POST /open -> 201: {}", Latencies::of(open_call));
    hub.stop().await;
    Ok(())
}
