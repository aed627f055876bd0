//! The notification websockets: a client resumes from its last id without gaps or repeats,
//! and a slow one is cut off without holding up others, then resumes.

use serde_json::{json, Value};

use super::emit;
use crate::harness::{ServeOptions, TestStack};

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
