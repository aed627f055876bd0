//! `boltworks bench notify`: enqueue N webhook events in one transaction, then time how long
//! the delivery workers take until a loopback receiver has answered 200 to all of them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::BenchHub;
use crate::notify::outbox::{enqueue_webhook, WebhookEvent};

/// Runs it and prints events per second.
pub async fn run(
    events: usize,
    database_url: Option<String>,
    workers: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=100_000).contains(&events),
        "--events must be between 1 and 100000"
    );
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let backend = if database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut extra = vec![
        "--no-demo-nodes".to_string(),
        "--notify-workers".into(),
        workers.to_string(),
    ];
    extra.extend(
        database_url
            .into_iter()
            .flat_map(|url| ["--database-url".to_string(), url]),
    );
    let hub = BenchHub::start(&extra).await?;
    let app = &hub.app;
    let state = app.hub();
    let body = json!({"type": "bench", "data": {"padding": "x".repeat(200)}});
    let mut tx = state.store.pool().begin().await?;
    for _ in 0..events {
        enqueue_webhook(
            &mut tx,
            &state.clock,
            WebhookEvent {
                service: "bench",
                event_type: "bench",
                url: &url,
                body: &body,
            },
        )
        .await?;
    }
    tx.commit().await?;
    let started = Instant::now();
    state.notifier.outbox_committed();
    while received.load(Ordering::SeqCst) < events {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "deliveries did not finish in 600 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{events} webhook events on {backend} with {workers} workers: {:.2} s, {:.0} events/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
    hub.stop().await;
    Ok(())
}
