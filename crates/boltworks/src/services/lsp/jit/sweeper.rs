//! Closing JIT channels whose payment never came. A client may refuse the payment its channel
//! was opened for (ldk-node 0.7.1's client refuses variable-amount ones), leaving the hub a funded
//! channel nobody paid for, its coins locked and an anchor reserve held against it. After
//! `--jit-unpaid-close-secs` such a channel is closed, cooperatively, or by force when the client
//! is not there to agree; it holds nothing of the client's, so the close costs the client nothing.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::store;
use crate::services::lsp::LspService;

/// How often unpaid channels are looked for.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Runs the sweeper until `shutdown`.
pub(super) fn spawn(
    lsp: LspService,
    unpaid_close_secs: i64,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = sweep(&lsp, unpaid_close_secs).await {
                tracing::warn!(error = %e, "closing unpaid JIT channels failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(CHECK_EVERY) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

async fn sweep(lsp: &LspService, unpaid_close_secs: i64) -> Result<(), sqlx::Error> {
    let now = lsp.hub.clock.now_unix();
    let due = store::unpaid_before(&lsp.hub.store, now - unpaid_close_secs).await?;
    for (channel_id, user_channel_id, client) in due {
        let (Some(ucid), Some(peer)) = (
            user_channel_id.and_then(|u| u.parse().ok()),
            client.and_then(|c| c.parse().ok()),
        ) else {
            continue;
        };
        let node = &lsp.hub.node;
        let closed = node
            .close_channel(ucid, peer)
            .or_else(|_| node.force_close_channel(ucid, peer, "JIT channel never paid for"));
        match closed {
            Ok(()) => {
                tracing::warn!(%channel_id, client = %peer, "closing a JIT channel its payment never came for");
                store::record_close_requested(&lsp.hub.store, &channel_id, now).await?;
            }
            Err(e) => {
                tracing::warn!(%channel_id, error = %e, "closing an unpaid JIT channel");
            }
        }
    }
    Ok(())
}
