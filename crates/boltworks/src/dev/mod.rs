//! Regtest-only: the embedded devchain, the demo nodes alice and bob (each with a confirmed,
//! balanced channel to the hub), the `/dev` API and the `boltworks dev` client.

pub mod api;
pub mod client;
mod demo_network;
pub mod notify_api;

pub use self::demo_network::{DemoNetwork, DEMO_CHANNEL_SAT, DEMO_PUSH_MSAT};

/// A loopback address with a port that was free a moment ago (for nodes, which must be told
/// their listening port before they bind it).
pub fn free_loopback_addr() -> std::io::Result<std::net::SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Test hook for crash tests, honoured only on regtest (`arm_pause_points`): when the
/// environment variable `BOLTWORKS_DEV_PAUSE_AT` names `point`, the task stops here for good,
/// after creating the file named by `BOLTWORKS_DEV_PAUSE_MARKER`, so a test can SIGKILL the
/// process at exactly this step. Anywhere else it returns at once.
pub async fn pause_point(point: &str) {
    if !PAUSE_POINTS_ARMED.load(std::sync::atomic::Ordering::Relaxed)
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

static PAUSE_POINTS_ARMED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Lets `pause_point` act; the hub calls it on regtest only.
pub fn arm_pause_points() {
    PAUSE_POINTS_ARMED.store(true, std::sync::atomic::Ordering::Relaxed);
}
