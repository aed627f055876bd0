//! Delivery that outlives a process: two hub processes on one PostgreSQL deliver each event
//! once, an event committed before a SIGKILL is delivered after the restart; and email.

use std::collections::HashMap;

use serde_json::json;

use super::{emit, PROCESS_LOG};
use crate::harness::mail::SmtpSink;
use crate::harness::postgres::fresh_database_url;
use crate::harness::process::HubProcess;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hub_processes_on_one_postgres_deliver_each_event_exactly_once() {
    let url = fresh_database_url().await;
    let (receiver, hook) = Receiver::default().start().await;
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let mut hubs = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        // One treasury per database: the second process runs without one.
        let hub = HubProcess::builder(&dir.path().join("data"))
            .demo_nodes()
            .database_url(&url)
            .treasury(i == 0)
            .notify_workers(2)
            .log_filter(PROCESS_LOG)
            // The log checked below is stderr's: the tracing log has the 503s of `/ready`
            // while the hub starts.
            .discard_stdout()
            .start()
            .await;
        hubs.push(hub);
    }
    let (status, answer) = hubs[0]
        .hub
        .dev
        .notify_emit(&json!({"type": "bulk", "webhook": hook, "count": 1000}))
        .await;
    assert!(status.is_success(), "{answer}");
    eventually("1000 deliveries", || async {
        (receiver.seen().len() >= 1000).then_some(())
    })
    .await;
    // Give any duplicate a moment to show up before counting.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for request in receiver.seen() {
        *per_event.entry(request.event_id).or_default() += 1;
    }
    assert_eq!(per_event.len(), 1000);
    assert!(
        per_event.values().all(|n| *n == 1),
        "an event was delivered twice"
    );
    // The other process reads the same delivery log.
    let (status, listed) = hubs[1]
        .hub
        .admin
        .notifications("delivered", Some(500))
        .await;
    assert!(status.is_success(), "{listed}");
    for hub in &hubs {
        let log = hub.log();
        assert!(
            !log.contains("WARN") && !log.contains("ERROR"),
            "hub log: {log}"
        );
    }
    assert_eq!(listed["notifications"].as_array().expect("list").len(), 500);
    for hub in hubs {
        hub.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_committed_before_a_sigkill_is_delivered_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let hub = || {
        HubProcess::builder(&data)
            .demo_nodes()
            .log_filter(PROCESS_LOG)
    };
    let (receiver, url) = Receiver::default().start().await;

    // No delivery workers: the event commits and is certainly not delivered before the kill.
    let first = hub().notify_workers(0).start().await;
    let (status, answer) = first
        .hub
        .dev
        .notify_emit(&json!({"type": "order.paid", "webhook": url}))
        .await;
    assert!(status.is_success(), "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("id").to_string();
    first.kill();
    assert!(receiver.seen().is_empty());

    // Fresh ports: the killed process's may be taken by a parallel test meanwhile. The nodes
    // find each other at their new addresses (the demo bootstrap connects them).
    let second = hub().notify_workers(1).start().await;
    let delivered = eventually("delivery after restart", || async {
        receiver.seen().first().cloned()
    })
    .await;
    assert_eq!(delivered.event_id, event_id);
    second.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn emails_reach_an_smtp_server_or_the_data_dir() {
    let (sink, smtp_addr) = SmtpSink::start();
    let with_smtp = TestStack::builder()
        .demo_nodes()
        .smtp(smtp_addr)
        .build()
        .await;
    emit(
        &with_smtp,
        json!({"type": "escrow.funded", "email": "buyer@example.com", "data": {"tx": 7}}),
    )
    .await;
    let (to, data) = eventually("mail at the SMTP sink", || async { sink.first() }).await;
    assert_eq!(to, vec!["buyer@example.com".to_string()]);
    assert!(data.contains("Subject: escrow.funded"), "{data}");
    with_smtp.stop().await;

    let without = TestStack::builder().demo_nodes().build().await;
    let answer = emit(
        &without,
        json!({"type": "gift.redeemed", "email": "friend@example.com"}),
    )
    .await;
    let id = answer["event_ids"][0].as_str().expect("id").to_string();
    let path = without.data_dir().join("mail").join(format!("{id}.eml"));
    let mail = eventually("mail in the data dir", || async {
        std::fs::read_to_string(&path).ok()
    })
    .await;
    assert!(
        mail.contains("To: friend@example.com") && mail.contains("Subject: gift.redeemed"),
        "{mail}"
    );
    without.stop().await;
}
