//! Lightning payments alice -> hub -> bob under load: `payers` concurrent clients, each making
//! payments one after another over the HTTP dev API (bob's invoice, alice's pay), each timed
//! from the pay request until the hub has committed alice's `PaymentSuccessful`. A payment the
//! node reports failed is counted, not retried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};
use tokio::sync::{broadcast, oneshot};

use super::load::Measured;
use super::payments::post;
use super::Latencies;
use crate::node::{CommittedEvent, NodeEvent};

/// Longest one payment may take before the round is abandoned.
const PAYMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The outcome of one payment, as alice's node reported it.
type Outcome = Result<(), String>;

/// Hands alice's payment outcomes to the payers waiting for them, by payment hash.
#[derive(Clone, Default)]
struct OutcomeWaiters(Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>);

impl OutcomeWaiters {
    /// Starts forwarding the outcomes of `payer`'s payments in `events` to the waiters; stops
    /// when the hub's sender closes.
    fn listen(
        &self,
        mut events: broadcast::Receiver<CommittedEvent>,
        payer: &'static str,
    ) -> tokio::task::JoinHandle<()> {
        let waiters = self.clone();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::error!(missed, "bench: payment outcomes lost");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if event.node != payer {
                    continue;
                }
                let (hash, outcome) = match &event.event {
                    NodeEvent::PaymentSucceeded { payment_hash, .. } => (payment_hash, Ok(())),
                    NodeEvent::PaymentFailed {
                        payment_hash: Some(payment_hash),
                        reason,
                    } => (payment_hash, Err(format!("{reason:?}"))),
                    _ => continue,
                };
                let waiter = waiters.0.lock().expect("waiters").remove(&hash.to_string());
                if let Some(waiter) = waiter {
                    let _ = waiter.send(outcome);
                }
            }
        })
    }

    /// Registers interest in the payment with `hash`, before it is sent.
    fn expect(&self, hash: String) -> oneshot::Receiver<Outcome> {
        let (sender, receiver) = oneshot::channel();
        self.0.lock().expect("waiters").insert(hash, sender);
        receiver
    }
}

/// `payments` payments of `amount_msat` by `payers` concurrent payers.
pub(super) async fn round(
    base: &str,
    events: broadcast::Receiver<CommittedEvent>,
    payers: usize,
    payments: usize,
    amount_msat: u64,
) -> anyhow::Result<Measured> {
    anyhow::ensure!(
        payers > 0 && payments >= payers,
        "need at least one payment per payer"
    );
    let waiters = OutcomeWaiters::default();
    let listener = waiters.listen(events, "alice");
    let client = reqwest::Client::new();
    let per_payer = payments / payers;
    let started = Instant::now();
    let tasks: Vec<_> = (0..payers)
        .map(|_| {
            let (client, base, waiters) = (client.clone(), base.to_string(), waiters.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_payer);
                let mut failures = 0;
                for _ in 0..per_payer {
                    match pay_once(&client, &base, &waiters, amount_msat).await? {
                        Ok(took) => latencies.push(took),
                        Err(reason) => {
                            tracing::warn!(%reason, "bench: a payment failed");
                            failures += 1;
                        }
                    }
                }
                anyhow::Ok((latencies, failures))
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::with_capacity(payments), 0);
    for task in tasks {
        let (took, failed) = task.await??;
        latencies.extend(took);
        failures += failed;
    }
    let elapsed = started.elapsed();
    listener.abort();
    anyhow::ensure!(!latencies.is_empty(), "every payment failed");
    Ok(Measured {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies: Latencies::of(latencies),
        failures,
    })
}

/// One payment: bob's invoice (not timed), alice's pay request, alice's outcome.
async fn pay_once(
    client: &reqwest::Client,
    base: &str,
    waiters: &OutcomeWaiters,
    amount_msat: u64,
) -> anyhow::Result<Result<Duration, String>> {
    let invoice: Value = post(
        client,
        &format!("{base}/dev/bob/invoice"),
        json!({"amount_msat": amount_msat, "description": "bench"}),
    )
    .await?;
    let bolt11 = invoice["bolt11"]
        .as_str()
        .context("invoice without bolt11")?;
    let hash = invoice["payment_hash"]
        .as_str()
        .context("invoice without hash")?;
    let outcome = waiters.expect(hash.to_string());
    let sent = Instant::now();
    let response = client
        .post(format!("{base}/dev/alice/pay"))
        .json(&json!({"bolt11": bolt11}))
        .send()
        .await?;
    // The node refusing to send (no route with room for another HTLC) is a failed payment.
    if response.status().is_client_error() {
        return Ok(Err(response.text().await?));
    }
    anyhow::ensure!(
        response.status().is_success(),
        "pay answered {}",
        response.status()
    );
    let outcome = tokio::time::timeout(PAYMENT_TIMEOUT, outcome)
        .await
        .context("a payment did not complete in 60 s")?
        .context("the hub stopped")?;
    Ok(outcome.map(|()| sent.elapsed()))
}
