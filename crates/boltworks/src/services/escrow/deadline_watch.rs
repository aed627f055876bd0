//! Watches the chain for escrow deadlines: when the hub's node reaches `settle_by_height` minus
//! the configured number of blocks while a transaction's preimage is still unreleased, both
//! parties are warned (email and webhook), once.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

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

async fn warn(state: &EscrowService, warn_at_height: i64) -> Result<(), super::error::EscrowError> {
    let mut db = state.hub.store.pool().begin().await?;
    let due = store::claim_deadline_warnings(&mut db, warn_at_height).await?;
    for tx_id in &due {
        if let Some(tx) = store::fetch_tx(&mut db, *tx_id).await? {
            notices::enqueue(&mut db, &state.hub.clock, &tx, Notice::DeadlineNear).await?;
            tracing::warn!(
                tx = tx.id,
                settle_by_height = tx.settle_by_height,
                "escrow deadline near; both parties warned"
            );
        }
    }
    db.commit().await?;
    if !due.is_empty() {
        state.hub.notifier.outbox_committed();
    }
    Ok(())
}
