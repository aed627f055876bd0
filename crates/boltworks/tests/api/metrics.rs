//! `/metrics`: the operator token opens it; an independent parser (the Prometheus project's
//! Python client, OpenMetrics) reads every line; request counters and payment gauges move when
//! requests and payments happen; every books check is there and holds.

use std::path::PathBuf;
use std::process::Stdio;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::harness::clients::gifts::funded_gift;
use crate::harness::serve_options::ADMIN_TOKEN;
use crate::harness::{Hub, ServeOptions, TestStack};

/// The venv scripts/test.sh makes, with prometheus-client.
fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv/bin/python");
    assert!(
        python.exists(),
        "scripts/test.sh makes {} (prometheus-client)",
        python.display()
    );
    python
}

/// Scrapes `/metrics` and parses it independently: every sample.
async fn scrape(hub: &Hub) -> Vec<Value> {
    let response = hub
        .request(Method::GET, "/metrics")
        .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("the hub answers");
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = response.text().await.expect("text");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/metrics/parse.py");
    let mut child = tokio::process::Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(text.as_bytes()).await.expect("write");
    drop(stdin);
    let output = child.wait_with_output().await.expect("parsed");
    assert!(
        output.status.success(),
        "the parser refused the text:\n{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON sample"))
        .collect()
}

/// The value of the sample `name` whose labels include `labels` (0 when there is none).
fn value(samples: &[Value], name: &str, labels: &Value) -> f64 {
    samples
        .iter()
        .filter(|s| s["name"] == name)
        .find(|s| {
            labels
                .as_object()
                .expect("labels")
                .iter()
                .all(|(k, v)| &s["labels"][k] == v)
        })
        .and_then(|s| s["value"].as_f64())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_are_read_by_prometheus_own_parser_and_move_with_requests_and_payments() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (status, _) = hub.get("/metrics").await;
    assert_eq!(status, 401, "the operator token is needed");

    let before = scrape(hub).await;
    let gift = funded_gift(hub, 1_500, None).await;
    let charge = gift["charge_id"].as_str().expect("charge");
    hub.gifts.status(charge).await;
    let after = scrape(hub).await;

    let create = json!({"route": "/gifts/create", "method": "POST", "status": "200"});
    assert_eq!(
        value(&after, "boltworks_http_requests_total", &create),
        value(&before, "boltworks_http_requests_total", &create) + 1.0
    );
    let status_route = json!({"route": "/gifts/status/{charge_id}", "method": "GET"});
    assert!(
        value(
            &after,
            "boltworks_http_request_duration_seconds_count",
            &status_route
        ) >= 2.0
    );
    // alice's payment of the gift invoice: one more inbound payment of the hub's node.
    let received = json!({"service": "node", "outcome": "inbound:succeeded"});
    assert!(
        value(&after, "boltworks_payments", &received)
            > value(&before, "boltworks_payments", &received),
        "the node's payments moved"
    );
    for check in [
        "ledger_balanced",
        "merchant_books",
        "gift_audit",
        "treasury",
    ] {
        assert_eq!(
            value(&after, "boltworks_books_check", &json!({"name": check})),
            1.0,
            "{check} holds"
        );
    }
    assert!(
        value(
            &after,
            "boltworks_node",
            &json!({"name": "usable_channels"})
        ) >= 2.0
    );
    assert_eq!(
        value(
            &after,
            "boltworks_node",
            &json!({"name": "sync_lag_blocks"})
        ),
        0.0
    );
    let families: std::collections::BTreeSet<&str> =
        after.iter().filter_map(|s| s["family"].as_str()).collect();
    for family in [
        "boltworks_outbox",
        "boltworks_treasury_sat",
        "boltworks_http_requests",
    ] {
        assert!(families.contains(family), "{family} in {families:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_open_needs_no_token() {
    let stack = TestStack::builder().metrics_open().build().await;
    let (status, _) = stack.hub.get("/metrics").await;
    assert_eq!(status, 200);
}
