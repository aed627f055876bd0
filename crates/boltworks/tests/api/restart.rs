//! Stopping the hub and starting it on the same data directory keeps its chain, channels and
//! records: the channels are usable again and a new payment succeeds.

use crate::harness::{ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn channels_survive_a_restart_and_a_new_payment_succeeds() {
    let mut stack = TestStack::builder().demo_nodes().build().await;
    let first = stack.hub.dev.invoice("bob", 30_000).await;
    let first_hash = stack
        .hub
        .dev
        .pay("alice", &first.bolt11)
        .await
        .expect("pay");
    stack
        .hub
        .dev
        .wait_payment("alice", &first_hash, "succeeded")
        .await;
    let before = stack.hub.dev.nodes().await;

    stack.restart().await;

    let after = stack.hub.dev.nodes().await;
    assert_eq!(after.hub.node_id, before.hub.node_id, "same node keys");
    assert_eq!(after.hub.channels.len(), 2);
    assert!(
        after.hub.channels.iter().all(|c| c.ready),
        "{:?}",
        after.hub.channels
    );
    // Records made before the restart are still there.
    assert_eq!(
        stack
            .hub
            .dev
            .payment("alice", &first_hash)
            .await
            .expect("record")
            .status,
        "succeeded"
    );

    let second = stack.hub.dev.invoice("bob", 30_000).await;
    let hash = stack
        .hub
        .dev
        .pay("alice", &second.bolt11)
        .await
        .expect("pay after restart");
    stack
        .hub
        .dev
        .wait_payment("alice", &hash, "succeeded")
        .await;
    stack.hub.dev.wait_payment("bob", &hash, "succeeded").await;
    stack.stop().await;
}
