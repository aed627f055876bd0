//! Keeping ldk-node's payment store small. ldk-node holds every payment record in memory, so
//! expired unpaid invoices and long finished payments would grow the hub without bound. On a
//! schedule the node's records of invoices nobody paid (past their expiry and a grace) and of
//! payments final for a while are removed from the node's store, once the hub's own
//! `node_payments` rows say so; those rows stay (marked `node_record_removed_at`), and they are
//! what the hub reads. A payment in flight (pending outbound, or held, in the hub's rows) is
//! never touched: the hub's reconciliation asks the node about exactly those.
//!
//! A payment arriving for an invoice whose record is gone is still safe: LDK refuses expired
//! invoices, a plain invoice's preimage is derived statelessly (it is claimed as before), and a
//! hold invoice's payment is failed back to its payer.

use std::sync::Arc;
use std::time::Duration;

use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::payment::{PaymentDirection as LdkDirection, PaymentStatus as LdkStatus};
use sqlx::AnyPool;

use super::{LightningNode, NodeError, PaymentDirection, PaymentHash};
use crate::clock::Clock;
use crate::store::Store;

/// Rows looked at per query.
const BATCH: i64 = 1_000;
/// The most records one run removes (the rest wait for the next run).
const MAX_PER_RUN: usize = 50_000;

/// When records are removed (`--node-prune-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneSchedule {
    /// How often it runs.
    pub every: Duration,
    /// How long after its expiry an unpaid invoice's record stays.
    pub expired_grace_secs: i64,
    /// How long a payment's record stays after the hub recorded it final.
    pub finished_retention_secs: i64,
}

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Records of expired unpaid invoices.
    pub expired_invoices: usize,
    /// Records of finished payments.
    pub finished_payments: usize,
}

impl LightningNode {
    /// Removes the node's record of `hash` if it is in one of `statuses` (and inbound, with
    /// `inbound_only`): whether it removed it, `None` when the node has no record of it.
    fn forget_record(
        &self,
        hash: PaymentHash,
        inbound_only: bool,
        statuses: &[LdkStatus],
    ) -> Result<Option<bool>, NodeError> {
        let id = PaymentId(hash.0);
        let _alone = self
            .record_lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(details) = self.inner.payment(&id) else {
            return Ok(None);
        };
        if !statuses.contains(&details.status)
            || (inbound_only && details.direction != LdkDirection::Inbound)
        {
            return Ok(Some(false));
        }
        self.inner.remove_payment(&id)?;
        Ok(Some(true))
    }
}

/// Runs `prune_once` every `schedule.every` until shutdown.
pub fn spawn(
    node: Arc<LightningNode>,
    store: Store,
    clock: Clock,
    schedule: PruneSchedule,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(schedule.every) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            match prune_once(&node, &store, &clock, &schedule).await {
                Ok(pruned) if pruned == Pruned::default() => {}
                Ok(pruned) => {
                    // The records were freed in the node's store; give the pages back.
                    crate::memory::return_free_memory();
                    tracing::info!(
                        expired_invoices = pruned.expired_invoices,
                        finished_payments = pruned.finished_payments,
                        "node payment records removed"
                    )
                }
                Err(e) => tracing::warn!(error = %e, "removing node payment records"),
            }
        }
    })
}

/// Removes what is due now from the node's store and marks it in the hub's rows.
pub async fn prune_once(
    node: &Arc<LightningNode>,
    store: &Store,
    clock: &Clock,
    schedule: &PruneSchedule,
) -> Result<Pruned, sqlx::Error> {
    let now = clock.now_unix();
    let mut pruned = Pruned::default();
    let expired = Due::ExpiredInvoices {
        before: now - schedule.expired_grace_secs,
    };
    pruned.expired_invoices = prune_due(node, store, expired, now).await?;
    let finished = Due::Finished {
        before: now - schedule.finished_retention_secs,
    };
    pruned.finished_payments = prune_due(node, store, finished, now).await?;
    Ok(pruned)
}

/// Which rows' node records are due for removal.
#[derive(Debug, Clone, Copy)]
enum Due {
    /// Inbound, pending in the hub's rows, expired before `before`.
    ExpiredInvoices { before: i64 },
    /// Succeeded or failed in the hub's rows, last updated before `before`.
    Finished { before: i64 },
}

/// Removes the node records of every `due` row (up to `MAX_PER_RUN`), batch by batch; how many
/// the node had.
async fn prune_due(
    node: &Arc<LightningNode>,
    store: &Store,
    due: Due,
    now: i64,
) -> Result<usize, sqlx::Error> {
    let mut removed = 0;
    let mut looked_at = 0;
    loop {
        let rows = due_rows(store.pool(), node.label(), due).await?;
        if rows.is_empty() {
            return Ok(removed);
        }
        let count = rows.len();
        let hashes: Vec<(PaymentHash, PaymentDirection)> = rows
            .iter()
            .filter_map(|(h, d)| Some((h.parse().ok()?, *d)))
            .collect();
        let node_ref = Arc::clone(node);
        // ldk-node writes each removal to its own store: off the async workers.
        let gone = tokio::task::spawn_blocking(move || {
            let (inbound_only, statuses): (bool, &[LdkStatus]) = match due {
                // An invoice nobody paid: still pending at the node.
                Due::ExpiredInvoices { .. } => (true, &[LdkStatus::Pending]),
                Due::Finished { .. } => (false, &[LdkStatus::Succeeded, LdkStatus::Failed]),
            };
            let (mut gone, mut removed) = (Vec::new(), 0);
            for (hash, direction) in hashes {
                match node_ref.forget_record(hash, inbound_only, statuses) {
                    Ok(Some(true)) => {
                        removed += 1;
                        gone.push((hash.to_string(), direction));
                    }
                    // No record (removed before, or never made): nothing to remove, ever.
                    Ok(None) => gone.push((hash.to_string(), direction)),
                    // Not in a removable state now (re-sent, paid meanwhile): looked at again.
                    Ok(Some(false)) => {}
                    Err(e) => {
                        tracing::warn!(payment_hash = %hash, error = %e, "removing a node payment record")
                    }
                }
            }
            (gone, removed)
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("record removal task: {e}")))?;
        let (gone, removed_now) = gone;
        removed += removed_now;
        mark_removed(store.pool(), node.label(), due, &gone, now).await?;
        looked_at += count;
        if count < BATCH as usize || looked_at >= MAX_PER_RUN {
            return Ok(removed);
        }
    }
}

/// The next batch of due rows: (payment hash, direction).
async fn due_rows(
    pool: &AnyPool,
    node: &str,
    due: Due,
) -> Result<Vec<(String, PaymentDirection)>, sqlx::Error> {
    let (sql, before) = match due {
        Due::ExpiredInvoices { before } => (
            "SELECT payment_hash, direction FROM node_payments
             WHERE node = $1 AND node_record_removed_at IS NULL AND direction = 'inbound'
               AND status = 'pending' AND expires_at < $2
             ORDER BY expires_at LIMIT $3",
            before,
        ),
        Due::Finished { before } => (
            "SELECT payment_hash, direction FROM node_payments
             WHERE node = $1 AND node_record_removed_at IS NULL
               AND status IN ('succeeded', 'failed') AND updated_at < $2
             ORDER BY updated_at LIMIT $3",
            before,
        ),
    };
    sqlx::query_as(sql)
        .bind(node)
        .bind(before)
        .bind(BATCH)
        .fetch_all(pool)
        .await
}

/// Marks `rows` as having no node record any more, in one statement per direction: only rows
/// still in the state they were chosen in (a payment re-sent since is pending again, and keeps
/// its mark clear).
async fn mark_removed(
    pool: &AnyPool,
    node: &str,
    due: Due,
    rows: &[(String, PaymentDirection)],
    now: i64,
) -> Result<(), sqlx::Error> {
    let still_due = match due {
        Due::ExpiredInvoices { .. } => "status = 'pending'",
        Due::Finished { .. } => "status IN ('succeeded', 'failed')",
    };
    let mut tx = pool.begin().await?;
    for direction in [PaymentDirection::Inbound, PaymentDirection::Outbound] {
        let hashes: Vec<&str> = rows
            .iter()
            .filter(|(_, d)| *d == direction)
            .map(|(h, _)| h.as_str())
            .collect();
        if hashes.is_empty() {
            continue;
        }
        let placeholders: Vec<String> = (4..4 + hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "UPDATE node_payments SET node_record_removed_at = $1
             WHERE node = $2 AND direction = $3 AND {still_due} AND payment_hash IN ({})",
            placeholders.join(", ")
        );
        // Not prepared and cached per connection: the statement varies with the batch size.
        let mut query = sqlx::query(&sql)
            .persistent(false)
            .bind(now)
            .bind(node)
            .bind(direction);
        for hash in hashes {
            query = query.bind(hash);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}
