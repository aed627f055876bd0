//! Catching up with the chain source: new blocks (following reorgs) and the mempool, then the
//! receipts that became deep enough are booked and committed sends the chain source does not
//! have yet are broadcast again. A background task syncs on a period and wakes waiters.

use std::sync::Arc;
use std::time::Duration;

use bdk_wallet::chain::BlockId;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{store, SendError, Treasury, WalletState};

impl Treasury {
    /// Catches up with the chain source: new blocks (following reorgs) and the mempool. Then
    /// rebroadcasts committed sends the chain source does not have yet.
    pub async fn sync(&self) -> Result<(), SendError> {
        let mut state = self.state.lock().await;
        self.sync_locked(&mut state).await?;
        self.persist_now(&mut state).await?;
        self.book_receipts(&mut state).await?;
        // Under the lock: no send builds from coins a committed send spends meanwhile.
        self.rebroadcast().await
    }

    /// Applies the blocks and mempool transactions the wallet has not seen (the caller holds
    /// the wallet's lock and persists).
    pub(super) async fn sync_locked(&self, state: &mut WalletState) -> Result<(), SendError> {
        let tip = self.rpc.block_count().await?;
        // Walk back from our tip to the last block still on the best chain.
        let mut agreed = state.wallet.latest_checkpoint();
        loop {
            if agreed.height() <= tip
                && self.rpc.block_hash(agreed.height()).await? == agreed.hash()
            {
                break;
            }
            match agreed.prev() {
                Some(prev) => agreed = prev,
                None => {
                    return Err(SendError::Wallet(
                        "the chain source has another genesis block".into(),
                    ))
                }
            }
        }
        let mut connected = agreed.block_id();
        for height in connected.height + 1..=tip {
            let hash = self.rpc.block_hash(height).await?;
            let block = self.rpc.block(&hash).await?;
            state
                .wallet
                .apply_block_connected_to(&block, height, connected)
                .map_err(|e| SendError::Wallet(format!("block {height}: {e}")))?;
            connected = BlockId { height, hash };
        }
        let mut unconfirmed = Vec::new();
        let mempool = self.rpc.mempool().await?;
        let now = u64::try_from(self.clock.now_unix()).unwrap_or(0);
        for txid in &mempool {
            if state.seen_mempool.contains(txid) {
                continue;
            }
            if let Some(tx) = self.rpc.transaction(txid).await? {
                unconfirmed.push((tx, now));
            }
        }
        state.seen_mempool = mempool.into_iter().collect();
        state.wallet.apply_unconfirmed_txs(unconfirmed);
        Ok(())
    }

    /// Broadcasts every committed send the chain source has not taken yet.
    pub(super) async fn rebroadcast(&self) -> Result<(), SendError> {
        for unsent in store::unbroadcast(&self.store).await? {
            let id = &unsent.send_key;
            let tx: bitcoin::Transaction =
                bitcoin::consensus::encode::deserialize_hex(&unsent.raw_tx)
                    .map_err(|e| SendError::Wallet(format!("stored send {id}: {e}")))?;
            match self.rpc.broadcast(&tx).await {
                Ok(_) => store::mark_broadcast(&self.store, id, self.clock.now_unix()).await?,
                Err(e) => tracing::warn!(send = %id, error = %e, "treasury rebroadcast refused"),
            }
        }
        Ok(())
    }

    /// Syncs every `every` (and logs what fails) until shutdown.
    pub fn spawn_sync(
        self: Arc<Self>,
        every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.sync().await {
                    Ok(()) => self.synced.notify_waiters(),
                    Err(e) => tracing::warn!(error = %e, "treasury sync failed; retrying"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.wait_for(|stop| *stop) => break,
                }
            }
        })
    }

    /// Waits for the next completed background sync (at most `timeout`).
    pub async fn next_sync(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.synced.notified()).await;
    }
}
