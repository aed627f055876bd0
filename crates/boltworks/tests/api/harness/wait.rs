//! Waiting for something to become true: one patience for the whole suite, and the poll loop.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for anything before failing.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// Waits until `check` yields `Some`, polling, or panics after `PATIENCE` with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
