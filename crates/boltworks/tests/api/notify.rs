//! Notifications end to end: signed webhooks retried with the same id and logged, the SSRF
//! guard, redirects not followed, delivery after a SIGKILL, exactly-once delivery by two hubs
//! on one PostgreSQL, websocket resumption, and email through SMTP or into the data dir.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::harness::mail::SmtpSink;
use crate::harness::postgres::fresh_database_url;
use crate::harness::process::HubProcess;
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, ServeOptions, TestStack};

/// The log filter of the hub processes here: only what should never show is left at warn.
const PROCESS_LOG: &str =
    "info,lightning=warn,ldk_node=warn,tower_http=warn,sqlx_postgres::options::pgpass=error";

async fn emit(stack: &TestStack, body: Value) -> Value {
    let (status, answer) = stack.hub.dev.notify_emit(&body).await;
    assert!(status.is_success(), "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_is_signed_and_retried_with_the_same_id_until_it_succeeds() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let (receiver, url) = Receiver {
        statuses: Arc::new(Mutex::new(vec![500, 500])),
        ..Default::default()
    }
    .start()
    .await;
    let answer = emit(
        &stack,
        json!({"type": "order.paid", "data": {"amount": 21}, "webhook": url}),
    )
    .await;
    let event_id = answer["event_ids"][0].as_str().expect("id").to_string();

    // Retries wait 10 s, then 60 s, on the hub's clock: move it instead of sleeping.
    eventually("first attempt", || async {
        (receiver.seen().len() == 1).then_some(())
    })
    .await;
    stack.hub.dev.advance_clock(10).await;
    eventually("second attempt", || async {
        (receiver.seen().len() == 2).then_some(())
    })
    .await;
    stack.hub.dev.advance_clock(60).await;
    eventually("third attempt", || async {
        (receiver.seen().len() == 3).then_some(())
    })
    .await;

    let seen = receiver.seen();
    let (_, secret) = stack.hub.admin.webhook_secret(&url).await;
    let secret = secret["secret"].as_str().expect("secret");
    for (n, request) in seen.iter().enumerate() {
        assert_eq!(request.event_id, event_id, "same id on every attempt");
        assert_eq!(request.attempt as usize, n + 1, "attempt numbers increase");
        assert_eq!(
            request.signature,
            hmac_hex(secret, &request.body),
            "valid signature"
        );
        let body: Value = serde_json::from_slice(&request.body).expect("json body");
        assert_eq!(body["data"]["amount"], 21);
    }

    let record = eventually("delivered", || async {
        let (_, record) = stack.hub.admin.notification(&event_id).await;
        (record["status"] == "delivered").then_some(record)
    })
    .await;
    let log = record["log"].as_array().expect("log");
    let codes: Vec<i64> = log
        .iter()
        .map(|a| a["status_code"].as_i64().expect("code"))
        .collect();
    assert_eq!(codes, vec![500, 500, 200]);
    let outcomes: Vec<&str> = log
        .iter()
        .map(|a| a["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(outcomes, vec!["retry", "retry", "delivered"]);

    // Operators need the token.
    let (status, _) = stack
        .hub
        .admin
        .without_token()
        .notification(&event_id)
        .await;
    assert_eq!(status, 401);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_guard_refuses_internal_targets_with_a_clear_error() {
    let stack = TestStack::builder()
        .demo_nodes()
        .webhook_allow_private(false)
        .build()
        .await;
    let (receiver, url) = Receiver::default().start().await;
    let port = url
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/hook")
        .to_string();
    // Only loopback forms here: this machine may send traffic nowhere else. The private and
    // link-local literals (10.0.0.1, 169.254.169.254) go through the same check, before any
    // connection, in the guard's unit tests.
    let targets = [
        (format!("http://127.0.0.1:{port}/hook"), "loopback"),
        (format!("http://[::1]:{port}/hook"), "loopback"),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            "IPv4-mapped",
        ),
        (format!("http://localhost:{port}/hook"), "loopback"),
    ];
    let mut ids = Vec::new();
    for (target, _) in &targets {
        let answer = emit(&stack, json!({"type": "probe", "webhook": target})).await;
        ids.push(answer["event_ids"][0].as_str().expect("id").to_string());
    }
    for ((target, reason), id) in targets.iter().zip(&ids) {
        let record = eventually("refusal", || async {
            let (_, record) = stack.hub.admin.notification(id).await;
            (record["status"] == "failed").then_some(record)
        })
        .await;
        let error = record["last_error"].as_str().expect("error");
        assert!(
            error.contains("refused webhook target") && error.contains(reason),
            "{target}: {error}"
        );
    }
    assert!(receiver.seen().is_empty(), "nothing reached the receiver");

    // Failed deliveries are listed for operators, and can be redelivered.
    let (_, failed) = stack.hub.admin.notifications("failed", None).await;
    assert_eq!(failed["notifications"].as_array().expect("list").len(), 4);
    let (status, _) = stack.hub.admin.redeliver(&ids[0]).await;
    assert!(status.is_success());
    let (_, again) = stack.hub.admin.notification(&ids[0]).await;
    assert!(
        again["status"] == "pending" || again["log"].as_array().expect("log").len() == 2,
        "{again}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redirects_are_not_followed() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let (elsewhere, elsewhere_url) = Receiver::default().start().await;
    let (redirector, url) = Receiver {
        redirect_to: Some(elsewhere_url),
        ..Default::default()
    }
    .start()
    .await;
    let answer = emit(&stack, json!({"type": "probe", "webhook": url})).await;
    let id = answer["event_ids"][0].as_str().expect("id").to_string();
    let record = eventually("first attempt logged", || async {
        let (_, record) = stack.hub.admin.notification(&id).await;
        (!record["log"].as_array()?.is_empty()).then_some(record)
    })
    .await;
    assert_eq!(record["log"][0]["status_code"], 302);
    assert!(record["last_error"]
        .as_str()
        .expect("error")
        .contains("redirects are not followed"));
    assert_eq!(redirector.seen().len(), 1);
    assert!(
        elsewhere.seen().is_empty(),
        "the redirect target was not called"
    );
    stack.stop().await;
}

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
async fn a_websocket_client_resumes_from_its_last_id_without_gaps_or_repeats() {
    use futures_util::StreamExt;
    let stack = TestStack::builder().demo_nodes().build().await;
    let orders = stack.hub.dev.notify_ws_url("orders");
    let first_batch = emit(
        &stack,
        json!({"type": "tick", "topic": "orders", "count": 5}),
    )
    .await;
    let ids: Vec<i64> = first_batch["stream_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_i64().expect("id"))
        .collect();

    let (mut socket, _) = tokio_tungstenite::connect_async(orders.as_str())
        .await
        .expect("connect");
    let mut received = Vec::new();
    while received.len() < 3 {
        let message = socket.next().await.expect("message").expect("ok");
        let event: Value = serde_json::from_str(message.to_text().expect("text")).expect("json");
        received.push(event["id"].as_i64().expect("id"));
    }
    socket.close(None).await.expect("close");
    let last_seen = received[2];

    let second_batch = emit(
        &stack,
        json!({"type": "tick", "topic": "orders", "count": 5}),
    )
    .await;
    let mut expected: Vec<i64> = ids[3..].to_vec();
    expected.extend(
        second_batch["stream_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_i64().expect("id")),
    );
    // Events on another topic are not part of this stream.
    emit(
        &stack,
        json!({"type": "tick", "topic": "other", "count": 2}),
    )
    .await;

    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{orders}?last_id={last_seen}"))
        .await
        .expect("reconnect");
    let mut resumed = Vec::new();
    while resumed.len() < expected.len() {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("in time")
            .expect("message")
            .expect("ok");
        let event: Value = serde_json::from_str(message.to_text().expect("text")).expect("json");
        assert_eq!(event["topic"], "orders");
        resumed.push(event["id"].as_i64().expect("id"));
    }
    assert_eq!(&received[..], &ids[..3]);
    assert_eq!(resumed, expected, "every missed event once, in order");
    let extra = tokio::time::timeout(std::time::Duration::from_millis(700), socket.next()).await;
    assert!(extra.is_err(), "nothing more: {extra:?}");
    stack.stop().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_websocket_client_is_cut_off_without_holding_up_others_and_resumes() {
    use futures_util::StreamExt;
    let stack = TestStack::builder().demo_nodes().build().await;
    let ws = stack.hub.dev.notify_ws_url("firehose");
    // The slow client connects and then reads nothing.
    let (mut slow, _) = tokio_tungstenite::connect_async(&ws)
        .await
        .expect("slow client");
    let (mut fast, _) = tokio_tungstenite::connect_async(&ws)
        .await
        .expect("fast client");
    let padding = "x".repeat(4096);
    let total = 4000;
    let emitted = emit(
        &stack,
        json!({"type": "tick", "topic": "firehose", "count": total, "data": {"padding": padding}}),
    )
    .await;
    let ids: Vec<i64> = emitted["stream_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_i64().expect("id"))
        .collect();

    let mut fast_ids = Vec::with_capacity(total);
    while fast_ids.len() < total {
        let message = tokio::time::timeout(std::time::Duration::from_secs(20), fast.next())
            .await
            .expect("fast client is not held up")
            .expect("message")
            .expect("ok");
        let event: Value = serde_json::from_str(message.to_text().expect("text")).expect("json");
        fast_ids.push(event["id"].as_i64().expect("id"));
    }
    assert_eq!(fast_ids, ids);

    // Once the hub has given up on it, the slow client finds its stream ended early.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let mut slow_ids = Vec::new();
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(std::time::Duration::from_secs(5), slow.next()).await
    {
        if let Ok(text) = message.to_text() {
            if let Ok(event) = serde_json::from_str::<Value>(text) {
                slow_ids.push(event["id"].as_i64().expect("id"));
            }
        }
    }
    assert!(
        slow_ids.len() < total,
        "the slow client was disconnected before the end"
    );
    assert_eq!(
        &slow_ids[..],
        &ids[..slow_ids.len()],
        "what it got was in order"
    );

    // It resumes from its last id and gets the rest.
    let last = slow_ids.last().copied().unwrap_or(0);
    let (mut resumed, _) = tokio_tungstenite::connect_async(format!("{ws}?last_id={last}"))
        .await
        .expect("resume");
    let mut rest = Vec::new();
    while slow_ids.len() + rest.len() < total {
        let message = tokio::time::timeout(std::time::Duration::from_secs(20), resumed.next())
            .await
            .expect("in time")
            .expect("message")
            .expect("ok");
        let event: Value = serde_json::from_str(message.to_text().expect("text")).expect("json");
        rest.push(event["id"].as_i64().expect("id"));
    }
    assert_eq!(&rest[..], &ids[slow_ids.len()..]);
    stack.stop().await;
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
async fn a_slow_target_times_out_and_is_retried() {
    let stack = TestStack::builder()
        .demo_nodes()
        .webhook_timeout_secs(1)
        .build()
        .await;
    let slow = Receiver {
        delay: Some(std::time::Duration::from_secs(3)),
        ..Default::default()
    };
    let (_receiver, url) = slow.start().await;
    let answer = emit(&stack, json!({"type": "probe", "webhook": url})).await;
    let id = answer["event_ids"][0].as_str().expect("id").to_string();
    let record = eventually("a timed-out attempt", || async {
        let (_, record) = stack.hub.admin.notification(&id).await;
        (!record["log"].as_array()?.is_empty()).then_some(record)
    })
    .await;
    assert_eq!(
        record["status"], "pending",
        "a timeout is retried, not failed"
    );
    assert_eq!(record["log"][0]["outcome"], "retry");
    assert!(record["log"][0]["status_code"].is_null());
    let error = record["last_error"].as_str().expect("error");
    assert!(
        error.contains("timed out") || error.contains("timeout"),
        "{error}"
    );
    assert!(record["log"][0]["latency_ms"].as_i64().expect("latency") >= 900);
    stack.stop().await;
}
