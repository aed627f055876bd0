//! A hub killed with SIGKILL in the middle of a channel open (the attempt committed, before or
//! after the node was asked) opens exactly one channel for the order after a restart: the
//! node's channel is adopted when it has one, and the attempt is retried when it has none.

use serde_json::{json, Value};

use crate::harness::process::Scene;
use crate::harness::{eventually, Hub};

async fn order(hub: &Hub, id: &str) -> Value {
    hub.lsp_v1.order(id).await.1
}

/// Buys a 700,000-sat channel, alice pays it and finalises to herself: the worker starts the
/// open (and stops at the pause point). The order id and alice's payment hash.
async fn bought_and_finalised(hub: &Hub) -> (String, String) {
    let (_, info) = hub.lsp_v1.node_info().await;
    let product = info["services"][0]["product_id"].as_str().expect("product");
    let (_, quote) = hub
        .lsp_v1.buy(&json!({"product_id": product, "local_balance": 700_000, "remote_balance": 0, "channel_expiry": 1}))
        .await;
    let id = quote["order_id"].as_str().expect("id").to_string();
    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    eventually("paid", || async {
        (order(hub, &id).await["state"] == 100).then_some(())
    })
    .await;
    let alice = hub.dev.nodes().await.alice;
    let (_, answer) = hub
        .lsp_v1
        .manual_finalise(
            &json!({"order_id": id, "node_uri": format!("{}@{}", alice.node_id, alice.address)}),
        )
        .await;
    assert!(answer.get("error").is_none(), "{answer}");
    (id, hash)
}

/// After the restart: the order opens, alice's payment settles, and alice has exactly one
/// channel of the order's size.
async fn ends_with_one_channel(hub: &Hub, id: &str, hash: &str) {
    let opening = eventually("the order opening", || async {
        // Skip the stalled attempt's deadline and the retry's backoff on the hub's clock.
        hub.dev.advance_clock(61).await;
        let o = order(hub, id).await;
        (o["state"].as_i64() >= Some(300)).then_some(o)
    })
    .await;
    assert!(
        opening["channel_open_tx"]["transaction_id"].is_string(),
        "{opening}"
    );
    hub.dev.wait_payment("alice", hash, "succeeded").await;
    hub.dev.mine(6).await;
    eventually("open", || async {
        (order(hub, id).await["state"] == 500).then_some(())
    })
    .await;
    // A moment for a second (wrong) open to show, if there were one.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let channels: Vec<_> = hub
        .dev
        .nodes()
        .await
        .alice
        .channels
        .into_iter()
        .filter(|c| c.capacity_sat == 700_000)
        .collect();
    assert_eq!(channels.len(), 1, "exactly one channel: {channels:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_the_node_was_asked_the_open_is_retried_once() {
    let scene = Scene::new("lsp_crash", "before_node");
    let first = scene.hub().pause_at("lsp.open.before_node").start().await;
    let (id, hash) = bought_and_finalised(&first.hub).await;
    scene.wait_for_pause().await;
    first.kill();
    let second = scene.hub().start().await;
    ends_with_one_channel(&second.hub, &id, &hash).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_the_node_was_asked_its_channel_is_adopted() {
    let scene = Scene::new("lsp_crash", "after_node");
    let first = scene.hub().pause_at("lsp.open.after_node").start().await;
    let (id, hash) = bought_and_finalised(&first.hub).await;
    scene.wait_for_pause().await;
    // The node negotiates the channel on its own; give it the moment it takes.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    first.kill();
    let second = scene.hub().start().await;
    ends_with_one_channel(&second.hub, &id, &hash).await;
}
