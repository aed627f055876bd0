//! The node event loop: for each ldk-node event, commit its effect to the database (the event
//! log, the payment records, and what each service makes of it through its `EventEffect`) in
//! one transaction, only then acknowledge it with `event_handled()`, and only then tell
//! in-process subscribers. A crash before the commit replays the event; a crash after it
//! replays an idempotent effect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ldk_node::payment::PaymentKind;
use ldk_node::Event;
use serde_json::{json, Value};
use sqlx::AnyConnection;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::LightningNode;
use crate::clock::Clock;
use crate::store::Store;

/// An event after its effect committed, as subscribers receive it.
#[derive(Debug, Clone)]
pub struct NodeEvent {
    /// Which node emitted it: `hub`, `alice` or `bob`.
    pub node: String,
    /// The event.
    pub event: Event,
}

/// The future an `EventEffect` returns.
pub type EffectFuture<'a> = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;

/// What a service makes of a node event, committed in the same transaction as the event's
/// record, before the event is acknowledged.
pub trait EventEffect: Send + Sync {
    /// Applies the effect of `event` within `conn` (an open transaction). It MUST be
    /// idempotent: an event is delivered again if the hub stops before acknowledging it. An
    /// error rolls the whole transaction back and the event is retried.
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a Event) -> EffectFuture<'a>;

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
    subscribers: broadcast::Sender<NodeEvent>,
    effects: Vec<Arc<dyn EventEffect>>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                event = node.ldk().next_event_async() => event,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
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
            let _ = subscribers.send(NodeEvent {
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
    event: &Event,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    let label = node.label();
    let (kind, payment_hash, detail) = describe(event);
    let mut tx = store.pool().begin().await?;
    sqlx::query("INSERT INTO node_events (node, kind, payment_hash, detail, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(label)
        .bind(kind)
        .bind(payment_hash.as_deref())
        .bind(detail.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    match event {
        Event::PaymentClaimable {
            payment_hash,
            claimable_amount_msat,
            claim_deadline,
            ..
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
            .bind(hex::encode(payment_hash.0))
            .bind(db_amount(*claimable_amount_msat))
            .bind(claim_deadline.map(i64::from))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Event::PaymentReceived {
            payment_hash,
            amount_msat,
            ..
        } => {
            let preimage = known_preimage(node, payment_hash.0);
            upsert_final(
                &mut tx,
                label,
                payment_hash.0,
                "inbound",
                "succeeded",
                Some(*amount_msat),
                None,
                preimage,
                None,
                now,
            )
            .await?;
        }
        Event::PaymentSuccessful {
            payment_hash,
            payment_preimage,
            fee_paid_msat,
            ..
        } => {
            let preimage = payment_preimage.map(|p| hex::encode(p.0));
            upsert_final(
                &mut tx,
                label,
                payment_hash.0,
                "outbound",
                "succeeded",
                None,
                *fee_paid_msat,
                preimage,
                None,
                now,
            )
            .await?;
        }
        Event::PaymentFailed {
            payment_hash: Some(payment_hash),
            reason,
            ..
        } => {
            let reason = reason
                .map(|r| format!("{r:?}"))
                .unwrap_or_else(|| "unknown".into());
            upsert_final(
                &mut tx,
                label,
                payment_hash.0,
                "outbound",
                "failed",
                None,
                None,
                None,
                Some(reason),
                now,
            )
            .await?;
        }
        _ => {}
    }
    for effect in effects {
        effect.apply(&mut tx, event).await?;
    }
    tx.commit().await
}

#[allow(clippy::too_many_arguments)]
async fn upsert_final(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    node: &str,
    payment_hash: [u8; 32],
    direction: &str,
    status: &str,
    amount_msat: Option<u64>,
    fee_paid_msat: Option<u64>,
    preimage: Option<String>,
    failure_reason: Option<String>,
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
    .bind(hex::encode(payment_hash))
    .bind(direction)
    .bind(status)
    .bind(amount_msat.map(db_amount))
    .bind(fee_paid_msat.map(db_amount))
    .bind(preimage)
    .bind(failure_reason)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn db_amount(msat: u64) -> i64 {
    i64::try_from(msat).unwrap_or(i64::MAX)
}

fn known_preimage(node: &LightningNode, payment_hash: [u8; 32]) -> Option<String> {
    match node.payment(payment_hash)?.kind {
        PaymentKind::Bolt11 { preimage, .. } | PaymentKind::Bolt11Jit { preimage, .. } => {
            preimage.map(|p| hex::encode(p.0))
        }
        _ => None,
    }
}

/// The event's kind, payment hash and a JSON description for the event log.
fn describe(event: &Event) -> (&'static str, Option<String>, Value) {
    match event {
        Event::PaymentSuccessful {
            payment_hash,
            fee_paid_msat,
            ..
        } => (
            "payment_successful",
            Some(hex::encode(payment_hash.0)),
            json!({"fee_paid_msat": fee_paid_msat}),
        ),
        Event::PaymentFailed {
            payment_hash,
            reason,
            ..
        } => (
            "payment_failed",
            payment_hash.map(|h| hex::encode(h.0)),
            json!({"reason": reason.map(|r| format!("{r:?}"))}),
        ),
        Event::PaymentReceived {
            payment_hash,
            amount_msat,
            ..
        } => (
            "payment_received",
            Some(hex::encode(payment_hash.0)),
            json!({"amount_msat": amount_msat}),
        ),
        Event::PaymentClaimable {
            payment_hash,
            claimable_amount_msat,
            claim_deadline,
            ..
        } => (
            "payment_claimable",
            Some(hex::encode(payment_hash.0)),
            json!({"claimable_amount_msat": claimable_amount_msat, "claim_deadline": claim_deadline}),
        ),
        Event::PaymentForwarded {
            total_fee_earned_msat,
            outbound_amount_forwarded_msat,
            ..
        } => (
            "payment_forwarded",
            None,
            json!({"fee_earned_msat": total_fee_earned_msat, "amount_forwarded_msat": outbound_amount_forwarded_msat}),
        ),
        Event::ChannelPending {
            channel_id,
            counterparty_node_id,
            funding_txo,
            ..
        } => (
            "channel_pending",
            None,
            json!({"channel_id": channel_id.to_string(), "peer": counterparty_node_id.to_string(), "funding_txo": funding_txo.to_string()}),
        ),
        Event::ChannelReady {
            channel_id,
            counterparty_node_id,
            ..
        } => (
            "channel_ready",
            None,
            json!({"channel_id": channel_id.to_string(), "peer": counterparty_node_id.map(|p| p.to_string())}),
        ),
        Event::ChannelClosed {
            channel_id,
            counterparty_node_id,
            reason,
            ..
        } => (
            "channel_closed",
            None,
            json!({"channel_id": channel_id.to_string(), "peer": counterparty_node_id.map(|p| p.to_string()), "reason": reason.as_ref().map(|r| r.to_string())}),
        ),
        other => ("other", None, json!({"debug": format!("{other:?}")})),
    }
}
