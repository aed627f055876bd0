//! `boltworks bench gifts`: gifts created per second over HTTP (sequential, then 8 clients at
//! once), and the latency of a redemption: from `POST /redeem` until the hub has committed the
//! payout's success (the gift is `spent: true` and `redeemStatus` says `confirmed` from then
//! on). Funding each gift (alice pays) and bob's invoices are setup, not timed.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::sync::broadcast;

use super::load::{concurrent, Measured, CLIENTS};
use super::payments::post;
use super::{BenchHub, Latencies};
use crate::node::{CommittedEvent, Invoice, NodeEvent};

/// Runs it and prints the figures.
pub async fn run(
    gifts: usize,
    redemptions: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=20_000).contains(&gifts),
        "--gifts must be between 1 and 20000"
    );
    anyhow::ensure!(
        (1..=400).contains(&redemptions),
        "--redemptions must be between 1 and 400"
    );
    let (hub, backend) = BenchHub::start_on(database_url).await?;
    let (base, client) = (hub.base.clone(), reqwest::Client::new());
    let create = format!("{base}/gifts/create");

    let rate = super::post_rate(&create, &json!({"amount": 1000}), gifts).await?;
    println!("gifts created on {backend}: {rate}");

    let mut events = hub.app.hub().events.subscribe();
    let mut latencies = Vec::with_capacity(redemptions);
    for _ in 0..redemptions {
        let gift = post(&client, &create, json!({"amount": 1000})).await?;
        let payreq = gift["lightning_invoice"]["payreq"]
            .as_str()
            .context("no payreq")?;
        let order_id = gift["order_id"]
            .as_str()
            .context("no order id")?
            .to_string();
        let funded = hash_of(payreq)?;
        post(
            &client,
            &format!("{base}/dev/alice/pay"),
            json!({"bolt11": payreq}),
        )
        .await?;
        wait_for(&mut events, |e| {
            matches!(e.event, NodeEvent::PaymentReceived { payment_hash, .. } if e.node == "hub" && payment_hash.to_string() == funded)
        })
        .await?;
        let invoice = post(
            &client,
            &format!("{base}/dev/bob/invoice"),
            json!({"amount_msat": 1_000_000}),
        )
        .await?;
        let bolt11 = invoice["bolt11"].as_str().context("no invoice")?;
        let payout = hash_of(bolt11)?;
        let sent = Instant::now();
        post(
            &client,
            &format!("{base}/gifts/redeem/{order_id}"),
            json!({"invoice": bolt11}),
        )
        .await?;
        wait_for(&mut events, |e| {
            matches!(e.event, NodeEvent::PaymentSucceeded { payment_hash, .. } if e.node == "hub" && payment_hash.to_string() == payout)
        })
        .await?;
        latencies.push(sent.elapsed());
    }
    let summary = Latencies::of(latencies);
    println!(
        "{} redemptions on {backend}, POST /redeem -> confirmed: {summary}",
        summary.count
    );
    hub.stop().await;
    Ok(())
}

/// `count` gifts of 1000 sat created by `CLIENTS` clients of the hub at `base`.
pub(super) async fn created(base: &str, count: usize) -> anyhow::Result<Measured> {
    let (client, url) = (reqwest::Client::new(), format!("{base}/gifts/create"));
    concurrent(CLIENTS, count, |_| {
        let (client, url) = (client.clone(), url.clone());
        async move { post(&client, &url, json!({"amount": 1000})).await }
    })
    .await
}

fn hash_of(bolt11: &str) -> anyhow::Result<String> {
    let invoice = Invoice::parse(bolt11).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(invoice.payment_hash().to_string())
}

async fn wait_for(
    events: &mut broadcast::Receiver<CommittedEvent>,
    wanted: impl Fn(&CommittedEvent) -> bool,
) -> anyhow::Result<()> {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
            .await
            .context("no such event within 60 s")??;
        if wanted(&event) {
            return Ok(());
        }
        if let NodeEvent::PaymentFailed { reason, .. } = &event.event {
            if event.node == "hub" {
                anyhow::bail!("a hub payment failed: {reason:?}");
            }
        }
    }
}
