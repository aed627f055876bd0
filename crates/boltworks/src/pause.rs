//! Pause points for crash tests, honoured only on regtest (`arm`): when the environment
//! variable `BOLTWORKS_DEV_PAUSE_AT` names `point`, the task stops there for good, after
//! creating the file named by `BOLTWORKS_DEV_PAUSE_MARKER`, so a test can SIGKILL the process
//! at exactly that step. Anywhere else `pause_point` returns at once.

use std::sync::atomic::{AtomicBool, Ordering};

static ARMED: AtomicBool = AtomicBool::new(false);

/// Lets `pause_point` act; the hub calls it on regtest only.
pub fn arm() {
    ARMED.store(true, Ordering::Relaxed);
}

/// Stops here for good if the crash test asked for `point` (see the module docs).
pub async fn pause_point(point: &str) {
    if !ARMED.load(Ordering::Relaxed)
        || std::env::var("BOLTWORKS_DEV_PAUSE_AT").ok().as_deref() != Some(point)
    {
        return;
    }
    tracing::warn!(
        point,
        "paused at a dev pause point (BOLTWORKS_DEV_PAUSE_AT)"
    );
    if let Some(marker) = std::env::var_os("BOLTWORKS_DEV_PAUSE_MARKER") {
        if let Err(e) = std::fs::write(&marker, point) {
            tracing::error!(error = %e, "writing the pause marker");
        }
    }
    std::future::pending::<()>().await;
}
