//! Webhooks: signed and retried with the same id until they succeed, the guard against
//! internal targets, redirects not followed, a slow target timed out and retried.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::emit;
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, ServeOptions, TestStack};

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
