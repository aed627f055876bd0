//! Watches the chain for escrow deadlines: when the hub's node reaches `settle_by_height` minus
//! the configured number of blocks while a transaction's preimage is still unreleased, both
//! parties are warned (email and webhook), once.

use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::api::EscrowError;
use super::notices::{self, Notice};
use super::store;
use super::EscrowService;

/// How often the chain height is checked.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Starts the watcher.
pub fn spawn(
    state: EscrowService,
    warning_blocks: u32,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last_height = None;
        loop {
            let height = state.hub.node.synced_height();
            if last_height != Some(height) {
                match warn(&state, i64::from(height) + i64::from(warning_blocks)).await {
                    Ok(()) => last_height = Some(height),
                    Err(e) => tracing::warn!(error = %e, "escrow deadline check failed; retrying"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(CHECK_EVERY) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// One step: claims every transaction whose deadline is within reach of `warn_at_height` and
/// warns its parties, all in one database transaction.
#[tracing::instrument(skip_all, fields(warn_at_height = warn_at_height))]
async fn warn(state: &EscrowService, warn_at_height: i64) -> Result<(), EscrowError> {
    let mut db = state.hub.store.pool().begin().await?;
    let due = store::claim_deadline_warnings(&mut db, warn_at_height).await?;
    for tx_id in &due {
        warn_parties(state, &mut db, *tx_id).await?;
    }
    db.commit().await?;
    if !due.is_empty() {
        state.hub.notifier.outbox_committed();
    }
    Ok(())
}

/// Writes the deadline notice of one transaction to the outbox.
#[tracing::instrument(skip_all, fields(tx = tx_id))]
async fn warn_parties(
    state: &EscrowService,
    db: &mut AnyConnection,
    tx_id: i64,
) -> Result<(), EscrowError> {
    if let Some(tx) = store::get_tx(&mut *db, tx_id).await? {
        notices::enqueue(db, &state.hub.clock, &tx, Notice::DeadlineNear).await?;
        tracing::warn!(
            settle_by_height = tx.settle_by_height,
            "escrow deadline near; both parties warned"
        );
    }
    Ok(())
}
