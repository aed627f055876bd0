//! The node event loop: for each ldk-node event, commit its effect to the database (the event
//! log, the payment records, and what each service makes of it through its `EventEffect`) in
//! one transaction, only then acknowledge it with `event_handled()`, and only then tell
//! in-process subscribers. A crash before the commit replays the event; a crash after it
//! replays an idempotent effect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::events::{CommittedEvent, NodeEvent};
use super::ids::PaymentHash;
use super::records::{PaymentDirection, PaymentStatus};
use super::LightningNode;
use crate::clock::Clock;
use crate::money::Msat;
use crate::store::Store;

/// The future an `EventEffect` returns.
pub type EffectFuture<'a> = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;

/// What a service makes of a node event, committed in the same transaction as the event's
/// record, before the event is acknowledged.
pub trait EventEffect: Send + Sync {
    /// Applies the effect of `event` within `conn` (an open transaction). It MUST be
    /// idempotent: an event is delivered again if the hub stops before acknowledging it. An
    /// error rolls the whole transaction back and the event is retried.
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a>;

    /// Called after the transaction committed (to wake notification workers, say).
    fn committed(&self) {}
}

/// Longest wait between attempts to commit an event's effect while the database is down.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Runs the loop for `node` until `shutdown` turns true.
pub fn spawn_event_loop(
    node: Arc<LightningNode>,
    store: Store,
    clock: Clock,
    subscribers: broadcast::Sender<CommittedEvent>,
    effects: Vec<Arc<dyn EventEffect>>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let ldk_event = tokio::select! {
                event = node.ldk().next_event_async() => event,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            let event = NodeEvent::from_ldk(&ldk_event);
            let mut delay = Duration::from_millis(50);
            while let Err(e) = commit_effect(&store, &clock, &node, &effects, &event).await {
                tracing::warn!(node = node.label(), error = %e, "recording a node event failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                delay = (delay * 2).min(MAX_RETRY_DELAY);
            }
            if let Err(e) = node.ldk().event_handled() {
                // The event stays queued and is delivered again; its effect is idempotent.
                tracing::error!(node = node.label(), error = %e, "acknowledging a node event failed");
                continue;
            }
            for effect in &effects {
                effect.committed();
            }
            tracing::debug!(node = node.label(), ?event, "node event handled");
            let _ = subscribers.send(CommittedEvent {
                node: node.label().to_string(),
                event,
            });
        }
    })
}

/// Writes the event and its effect on payment records in one transaction.
async fn commit_effect(
    store: &Store,
    clock: &Clock,
    node: &LightningNode,
    effects: &[Arc<dyn EventEffect>],
    event: &NodeEvent,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let label = node.label();
    let (kind, detail) = event.describe();
    let mut tx = store.pool().begin().await?;
    sqlx::query("INSERT INTO node_events (node, kind, payment_hash, detail, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(label)
        .bind(kind)
        .bind(event.payment_hash().map(|h| h.to_string()))
        .bind(detail.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    match event {
        NodeEvent::PaymentClaimable {
            payment_hash,
            amount,
            claim_deadline,
        } => {
            sqlx::query(
                "INSERT INTO node_payments (node, payment_hash, direction, status, amount_msat, claim_deadline, created_at, updated_at)
                 VALUES ($1, $2, 'inbound', 'held', $3, $4, $5, $5)
                 ON CONFLICT (node, payment_hash, direction) DO UPDATE
                    SET status = 'held', amount_msat = excluded.amount_msat,
                        claim_deadline = excluded.claim_deadline, updated_at = excluded.updated_at
                    WHERE node_payments.status IN ('pending', 'held')",
            )
            .bind(label)
            .bind(payment_hash.to_string())
            .bind(capped(*amount))
            .bind(claim_deadline.map(i64::from))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        NodeEvent::PaymentReceived {
            payment_hash,
            amount,
        } => {
            let outcome = FinalOutcome {
                direction: PaymentDirection::Inbound,
                status: PaymentStatus::Succeeded,
                amount: Some(*amount),
                fee_paid: None,
                preimage: known_preimage(node, *payment_hash),
                failure_reason: None,
            };
            upsert_final(&mut tx, label, *payment_hash, outcome, now).await?;
        }
        NodeEvent::PaymentSucceeded {
            payment_hash,
            preimage,
            fee_paid,
        } => {
            let outcome = FinalOutcome {
                direction: PaymentDirection::Outbound,
                status: PaymentStatus::Succeeded,
                amount: None,
                fee_paid: *fee_paid,
                preimage: preimage.map(|p| p.to_string()),
                failure_reason: None,
            };
            upsert_final(&mut tx, label, *payment_hash, outcome, now).await?;
        }
        NodeEvent::PaymentFailed {
            payment_hash: Some(payment_hash),
            reason,
        } => {
            let outcome = FinalOutcome {
                direction: PaymentDirection::Outbound,
                status: PaymentStatus::Failed,
                amount: None,
                fee_paid: None,
                preimage: None,
                failure_reason: Some(
                    reason
                        .map(|r| format!("{r:?}"))
                        .unwrap_or_else(|| "unknown".into()),
                ),
            };
            upsert_final(&mut tx, label, *payment_hash, outcome, now).await?;
        }
        _ => {}
    }
    for effect in effects {
        effect.apply(&mut tx, event).await?;
    }
    tx.commit().await
}

/// How a payment ended, as an event reports it.
struct FinalOutcome {
    direction: PaymentDirection,
    status: PaymentStatus,
    amount: Option<Msat>,
    fee_paid: Option<Msat>,
    preimage: Option<String>,
    failure_reason: Option<String>,
}

async fn upsert_final(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    node: &str,
    payment_hash: PaymentHash,
    outcome: FinalOutcome,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO node_payments (node, payment_hash, direction, status, amount_msat, fee_paid_msat, preimage, failure_reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (node, payment_hash, direction) DO UPDATE
            SET status = excluded.status,
                amount_msat = COALESCE(excluded.amount_msat, node_payments.amount_msat),
                fee_paid_msat = COALESCE(excluded.fee_paid_msat, node_payments.fee_paid_msat),
                preimage = COALESCE(excluded.preimage, node_payments.preimage),
                failure_reason = excluded.failure_reason,
                updated_at = excluded.updated_at
            WHERE node_payments.status <> 'succeeded'",
    )
    .bind(node)
    .bind(payment_hash.to_string())
    .bind(outcome.direction)
    .bind(outcome.status)
    .bind(outcome.amount.map(capped))
    .bind(outcome.fee_paid.map(capped))
    .bind(outcome.preimage)
    .bind(outcome.failure_reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An amount the node reported, as stored: no real amount reaches `i64::MAX` msat.
fn capped(amount: Msat) -> Msat {
    Msat(amount.0.min(crate::money::MAX_STORED))
}

fn known_preimage(node: &LightningNode, payment_hash: PaymentHash) -> Option<String> {
    node.payment(payment_hash)?.preimage.map(|p| p.to_string())
}
