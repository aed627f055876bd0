//! The JIT opens the node gave up on: each report of the node's log is recorded (shown at
//! `GET /admin/lsp/jit`), logged as an error and, with `--operator-webhook-url`, sent to the
//! operator as a `jit_channel.open_failed` webhook. The payment that asked for the channel is
//! failed back by the node when its HTLC nears expiry: it costs the payer nothing.

use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::store;
use crate::node::JitFailure;
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};
use crate::services::lsp::LspService;

/// The operator webhook's event type.
const OPEN_FAILED_EVENT: &str = "jit_channel.open_failed";

/// Records each report until `shutdown`.
pub(super) fn spawn(
    lsp: LspService,
    mut reports: mpsc::UnboundedReceiver<JitFailure>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let failure = tokio::select! {
                report = reports.recv() => match report {
                    Some(failure) => failure,
                    None => return,
                },
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            tracing::error!(kind = failure.kind.as_str(), detail = %failure.detail, "the node gave up on a JIT channel");
            let mut delay = std::time::Duration::from_millis(100);
            while let Err(e) = record(&lsp, &failure).await {
                tracing::warn!(error = %e, "recording a JIT failure failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
            }
        }
    })
}

async fn record(lsp: &LspService, failure: &JitFailure) -> Result<(), sqlx::Error> {
    let now = lsp.hub.clock.now_unix();
    let mut tx = lsp.hub.store.pool().begin().await?;
    store::record_failure(&mut tx, failure, now).await?;
    if let Some(url) = lsp.hub.notifier.config.operator_webhook_url.as_deref() {
        let body = json!({
            "event": OPEN_FAILED_EVENT,
            "kind": failure.kind.as_str(),
            "detail": failure.detail,
            "at": now,
        });
        let event = WebhookEvent {
            service: "lsp",
            event_type: OPEN_FAILED_EVENT,
            url,
            body: &body,
        };
        enqueue_webhook_unless_invalid(&mut tx, &lsp.hub.clock, event).await?;
    }
    tx.commit().await?;
    lsp.hub.notifier.outbox_committed();
    Ok(())
}
