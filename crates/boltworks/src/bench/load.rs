//! The load driver of the throughput figures: `count` requests made by a fixed number of
//! concurrent clients, each request timed; and what one such round measured.

use std::future::Future;
use std::time::Instant;

use super::Latencies;

/// Concurrent clients of the throughput figures (the 16 connections).
pub(super) const CLIENTS: usize = 16;

/// What one round measured: its rate, each request's latency, and the requests that failed
/// (only rounds that may fail count them; the others stop at the first failure).
pub(super) struct Measured {
    /// Requests that succeeded per second, over the whole round.
    pub per_second: f64,
    /// Each successful request's latency.
    pub latencies: Latencies,
    /// Requests that failed.
    pub failures: usize,
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} = {:.0}/s ({}",
            self.latencies.count, self.per_second, self.latencies
        )?;
        if self.failures > 0 {
            write!(f, ", {} failed", self.failures)?;
        }
        write!(f, ")")
    }
}

/// `count` requests (rounded down to a multiple of `clients`) made by `clients` tasks, each
/// awaiting its requests one after another; the first failure ends the round with its error.
pub(super) async fn concurrent<F, Fut, T>(
    clients: usize,
    count: usize,
    make: F,
) -> anyhow::Result<Measured>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let per_client = count / clients;
    anyhow::ensure!(
        per_client > 0,
        "fewer requests ({count}) than clients ({clients})"
    );
    let mut chunks: Vec<Vec<Fut>> = (0..clients).map(|_| Vec::new()).collect();
    for i in 0..clients * per_client {
        chunks[i % clients].push(make(i));
    }
    let started = Instant::now();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(chunk.len());
                for future in chunk {
                    let sent = Instant::now();
                    future.await?;
                    took.push(sent.elapsed());
                }
                anyhow::Ok(took)
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(count);
    for task in tasks {
        samples.extend(task.await??);
    }
    let elapsed = started.elapsed();
    Ok(Measured {
        per_second: samples.len() as f64 / elapsed.as_secs_f64(),
        latencies: Latencies::of(samples),
        failures: 0,
    })
}
