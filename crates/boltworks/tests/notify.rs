//! Notifications end to end: signed webhooks retried with the same id and logged, the SSRF
//! guard, redirects not followed, delivery after a SIGKILL, exactly-once delivery by two hubs
//! on one PostgreSQL, websocket resumption, and email through SMTP or into the data dir.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::webhook_receiver::{hmac_hex, Receiver};
use common::{eventually, StackOptions, TestStack};
use serde_json::{json, Value};

async fn emit(stack: &TestStack, body: Value) -> Value {
    let (status, answer) = stack.hub.post("/dev/notify/emit", body).await;
    assert!(status.is_success(), "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_is_signed_and_retried_with_the_same_id_until_it_succeeds() {
    let stack = TestStack::with_demo_nodes().await;
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
    stack
        .hub
        .post("/dev/clock/advance", json!({"secs": 10}))
        .await;
    eventually("second attempt", || async {
        (receiver.seen().len() == 2).then_some(())
    })
    .await;
    stack
        .hub
        .post("/dev/clock/advance", json!({"secs": 60}))
        .await;
    eventually("third attempt", || async {
        (receiver.seen().len() == 3).then_some(())
    })
    .await;

    let seen = receiver.seen();
    let (_, secret) = stack
        .hub
        .admin_get(&format!("/admin/webhook-secret?url={url}"))
        .await;
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
        let (_, record) = stack
            .hub
            .admin_get(&format!("/admin/notifications/{event_id}"))
            .await;
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
        .get(&format!("/admin/notifications/{event_id}"))
        .await;
    assert_eq!(status, 401);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_guard_refuses_internal_targets_with_a_clear_error() {
    let options = StackOptions {
        demo_nodes: true,
        extra_flags: vec!["--webhook-allow-private".into(), "false".into()],
        ..Default::default()
    };
    let stack = TestStack::start(options).await;
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
            let (_, record) = stack
                .hub
                .admin_get(&format!("/admin/notifications/{id}"))
                .await;
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
    let (_, failed) = stack
        .hub
        .admin_get("/admin/notifications?status=failed")
        .await;
    assert_eq!(failed["notifications"].as_array().expect("list").len(), 4);
    let (status, _) = stack
        .hub
        .admin_post(&format!("/admin/notifications/{}/redeliver", ids[0]))
        .await;
    assert!(status.is_success());
    let (_, again) = stack
        .hub
        .admin_get(&format!("/admin/notifications/{}", ids[0]))
        .await;
    assert!(
        again["status"] == "pending" || again["log"].as_array().expect("log").len() == 2,
        "{again}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redirects_are_not_followed() {
    let stack = TestStack::with_demo_nodes().await;
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
        let (_, record) = stack
            .hub
            .admin_get(&format!("/admin/notifications/{id}"))
            .await;
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
    let url = common::fresh_postgres_url().await;
    let (receiver, hook) = Receiver::default().start().await;
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let mut hubs = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        // One treasury per database: the second process runs without one.
        let treasury = if i == 0 { "true" } else { "false" };
        let extra = ["--database-url", url.as_str(), "--treasury", treasury];
        hubs.push(spawn_ready_hub(&dir.path().join("data"), "2", &extra).await);
    }
    let (status, answer) = hubs[0]
        .1
        .post(
            "/dev/notify/emit",
            json!({"type": "bulk", "webhook": hook, "count": 1000}),
        )
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
        .1
        .admin_get("/admin/notifications?status=delivered&limit=500")
        .await;
    assert!(status.is_success(), "{listed}");
    for dir in &dirs {
        let log = std::fs::read_to_string(dir.path().join("data.log")).unwrap_or_default();
        assert!(
            !log.contains("WARN") && !log.contains("ERROR"),
            "hub log: {log}"
        );
    }
    assert_eq!(listed["notifications"].as_array().expect("list").len(), 500);
    for (mut child, _) in hubs {
        child.kill().expect("kill");
        child.wait().expect("reaped");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_websocket_client_resumes_from_its_last_id_without_gaps_or_repeats() {
    use futures_util::StreamExt;
    let stack = TestStack::with_demo_nodes().await;
    let ws_base = stack.hub.base.replace("http://", "ws://");
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

    let (mut socket, _) =
        tokio_tungstenite::connect_async(format!("{ws_base}/dev/notify/ws/orders"))
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

    let (mut socket, _) = tokio_tungstenite::connect_async(format!(
        "{ws_base}/dev/notify/ws/orders?last_id={last_seen}"
    ))
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

/// A received email: recipients and the raw message.
type Mail = (Vec<String>, String);

/// An SMTP sink on loopback that keeps each message's recipients and data.
#[derive(Clone, Default)]
struct SmtpSink {
    mails: Arc<Mutex<Vec<Mail>>>,
    current: Arc<Mutex<(Vec<String>, Vec<u8>)>>,
}

impl mailin_embedded::Handler for SmtpSink {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::response::Response {
        *self.current.lock().expect("lock") = (to.to_vec(), Vec::new());
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().expect("lock").1.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::response::Response {
        let (to, data) = std::mem::take(&mut *self.current.lock().expect("lock"));
        self.mails
            .lock()
            .expect("lock")
            .push((to, String::from_utf8_lossy(&data).to_string()));
        mailin_embedded::response::OK
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn emails_reach_an_smtp_server_or_the_data_dir() {
    let sink = SmtpSink::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let smtp_addr = listener.local_addr().expect("addr");
    let mut server = mailin_embedded::Server::new(sink.clone());
    server.with_name("sink.test").with_tcp_listener(listener);
    std::thread::spawn(move || {
        if let Err(e) = server.serve() {
            eprintln!("SMTP sink stopped: {e}");
        }
    });

    let options = StackOptions {
        demo_nodes: true,
        extra_flags: vec!["--smtp-url".into(), format!("smtp://{smtp_addr}")],
        ..Default::default()
    };
    let with_smtp = TestStack::start(options).await;
    emit(
        &with_smtp,
        json!({"type": "escrow.funded", "email": "buyer@example.com", "data": {"tx": 7}}),
    )
    .await;
    let (to, data) = eventually("mail at the SMTP sink", || async {
        sink.mails.lock().expect("lock").first().cloned()
    })
    .await;
    assert_eq!(to, vec!["buyer@example.com".to_string()]);
    assert!(data.contains("Subject: escrow.funded"), "{data}");
    with_smtp.stop().await;

    let without = TestStack::with_demo_nodes().await;
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
    let stack = TestStack::with_demo_nodes().await;
    let ws = format!(
        "{}/dev/notify/ws/firehose",
        stack.hub.base.replace("http://", "ws://")
    );
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

/// Starts the hub binary on fixed ports with `workers` delivery workers and `extra` flags.
fn spawn_hub(
    data: &std::path::Path,
    ports: &[String; 4],
    workers: &str,
    extra: &[&str],
) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_boltworks"))
        .args(["serve", "--data-dir"])
        .arg(data)
        .args([
            "--listen",
            &ports[0],
            "--node-listen",
            &ports[1],
            "--alice-listen",
            &ports[2],
            "--bob-listen",
            &ports[3],
        ])
        .args([
            "--notify-workers",
            workers,
            "--admin-token",
            common::ADMIN_TOKEN,
        ])
        .args(extra)
        .env("RUST_LOG", "info,lightning=warn,ldk_node=warn,tower_http=warn,sqlx_postgres::options::pgpass=error")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(data.with_extension("log")).expect("log file"))
        .spawn()
        .expect("spawn boltworks")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_committed_before_a_sigkill_is_delivered_after_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let ports: [String; 4] = std::array::from_fn(|_| {
        boltworks::dev::free_loopback_addr()
            .expect("port")
            .to_string()
    });
    let hub = common::HubClient::new(format!("http://{}", ports[0]));
    let (receiver, url) = Receiver::default().start().await;

    // No delivery workers: the event commits and is certainly not delivered before the kill.
    let mut first = spawn_hub(&data, &ports, "0", &[]);
    wait_for_hub(&hub, &data).await;
    let (status, answer) = hub
        .post(
            "/dev/notify/emit",
            json!({"type": "order.paid", "webhook": url}),
        )
        .await;
    assert!(status.is_success(), "{answer}");
    let event_id = answer["event_ids"][0].as_str().expect("id").to_string();
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    assert!(receiver.seen().is_empty());

    // Fresh ports: the killed process's may be taken by a parallel test meanwhile. The nodes
    // find each other at their new addresses (the demo bootstrap connects them).
    let ports: [String; 4] = std::array::from_fn(|_| {
        boltworks::dev::free_loopback_addr()
            .expect("port")
            .to_string()
    });
    let hub = common::HubClient::new(format!("http://{}", ports[0]));
    let mut second = spawn_hub(&data, &ports, "1", &[]);
    wait_for_hub(&hub, &data).await;
    let delivered = eventually("delivery after restart", || async {
        receiver.seen().first().cloned()
    })
    .await;
    assert_eq!(delivered.event_id, event_id);
    second.kill().expect("kill");
    second.wait().expect("reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_target_times_out_and_is_retried() {
    let options = StackOptions {
        demo_nodes: true,
        extra_flags: vec!["--webhook-timeout".into(), "1".into()],
        ..Default::default()
    };
    let stack = TestStack::start(options).await;
    let slow = Receiver {
        delay: Some(std::time::Duration::from_secs(3)),
        ..Default::default()
    };
    let (_receiver, url) = slow.start().await;
    let answer = emit(&stack, json!({"type": "probe", "webhook": url})).await;
    let id = answer["event_ids"][0].as_str().expect("id").to_string();
    let record = eventually("a timed-out attempt", || async {
        let (_, record) = stack
            .hub
            .admin_get(&format!("/admin/notifications/{id}"))
            .await;
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

/// Waits for a hub subprocess to be ready; if it never is, fails with the end of its log.
/// Starts the hub binary on fresh ports and waits until it is ready. One that exits first (a
/// parallel test took a port between its choice and the bind) is started again on others; one
/// that runs but is not ready in 60 s fails the test with its log.
async fn spawn_ready_hub(
    data: &std::path::Path,
    workers: &str,
    extra: &[&str],
) -> (std::process::Child, common::HubClient) {
    for _ in 0..3 {
        let ports: [String; 4] = std::array::from_fn(|_| {
            boltworks::dev::free_loopback_addr()
                .expect("port")
                .to_string()
        });
        let mut child = spawn_hub(data, &ports, workers, extra);
        let client = common::HubClient::new(format!("http://{}", ports[0]));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            if reqwest::get(format!("{}/ready", client.base))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return (child, client);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        if child.try_wait().expect("wait").is_none() {
            let _ = child.kill();
            panic!(
                "hub at {} not ready in 60 s; its log ends:\n{}",
                client.base,
                log_tail(data)
            );
        }
        eprintln!("hub exited before it was ready; starting it on other ports");
    }
    panic!("the hub exited before it was ready in three starts");
}

async fn wait_for_hub(hub: &common::HubClient, data: &std::path::Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let http = reqwest::Client::new();
    while std::time::Instant::now() < deadline {
        if http
            .get(format!("{}/ready", hub.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!(
        "hub at {} not ready in 60 s; its log ends:\n{}",
        hub.base,
        log_tail(data)
    );
}

/// The last 40 lines of the hub's log.
fn log_tail(data: &std::path::Path) -> String {
    let log = std::fs::read_to_string(data.with_extension("log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
