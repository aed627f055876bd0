//! The operator runs the hub's node through `/admin/node` (no `/dev` route involved): its sync
//! state, peers (disconnect and connect again), channels with their liquidity, forwarding fees,
//! the node wallet (an address that receives), and closing a channel (a force close needs a
//! confirmation), which then shows among the closures; and `boltworks admin node ...` does the
//! same from the command line.

use std::str::FromStr;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::serve_options::ADMIN_TOKEN;
use crate::harness::{eventually, Hub, ServeOptions, TestStack};

fn channel_with<'a>(channels: &'a Value, peer: &str) -> &'a Value {
    channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["peer"] == peer)
        .unwrap_or_else(|| panic!("a channel with {peer}: {channels}"))
}

async fn peer_connected(hub: &Hub, peer: &str) -> Option<bool> {
    let (_, peers) = hub.admin.get("/admin/node/peers").await;
    peers["peers"]
        .as_array()
        .expect("peers")
        .iter()
        .find(|p| p["node_id"] == peer)
        .map(|p| p["connected"] == true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_runs_the_node_through_the_admin_api() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let nodes = hub.dev.nodes().await;
    let (status, _) = hub.admin.without_token().get("/admin/node").await;
    assert_eq!(status, 401);

    let (status, node) = hub.admin.get("/admin/node").await;
    assert_eq!(status, 200, "{node}");
    assert_eq!(node["node_id"], nodes.hub.node_id.as_str());
    assert_eq!(node["network"], "regtest");
    assert_eq!(node["synced"], true, "{node}");
    assert_eq!(node["usable_channels"], 2, "{node}");

    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let bob = channel_with(&channels, &nodes.bob.node_id);
    assert_eq!(bob["usable"], true);
    let outbound: u64 = channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .map(|c| c["outbound_msat"].as_u64().expect("msat"))
        .sum();
    assert_eq!(channels["outbound_msat"], outbound);

    // Forwarding fees of one channel, within reason.
    let bob_channel = bob["user_channel_id"].as_str().expect("id").to_string();
    let fees = format!("/admin/node/channels/{bob_channel}/fees");
    let (status, answer) = hub
        .admin
        .send(Method::PUT, &fees, &json!({"base_msat": 1_000, "ppm": 100}))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = hub
        .admin
        .send(Method::PUT, &fees, &json!({"base_msat": 0, "ppm": 50_000}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = hub
        .admin
        .send(
            Method::PUT,
            "/admin/node/channels/12345/fees",
            &json!({"base_msat": 0, "ppm": 1}),
        )
        .await;
    assert_eq!(status, 404);

    // The node wallet receives at an address of its own.
    let (_, before) = hub.admin.get("/admin/node/wallet").await;
    let (status, address) = hub
        .admin
        .post("/admin/node/wallet/address", &json!({}))
        .await;
    assert_eq!(status, 200, "{address}");
    hub.dev
        .fund(address["address"].as_str().expect("address"), 50_000)
        .await;
    hub.dev.mine(1).await;
    let total = before["total_sat"].as_u64().expect("sat") + 50_000;
    eventually("the node wallet to hold the coins", || async {
        let (_, wallet) = hub.admin.get("/admin/node/wallet").await;
        (wallet["total_sat"] == total).then_some(())
    })
    .await;

    // The node's payments: a gift alice paid is an inbound payment that succeeded.
    let gift = crate::harness::clients::gifts::funded_gift(hub, 1_000, None).await;
    let bolt11 = gift["lightning_invoice"]["payreq"]
        .as_str()
        .expect("payreq");
    let hash = ldk_node::lightning_invoice::Bolt11Invoice::from_str(bolt11)
        .expect("an invoice")
        .payment_hash()
        .to_string();
    let (status, listed) = hub
        .admin
        .get("/admin/node/payments?direction=inbound&status=succeeded")
        .await;
    assert_eq!(status, 200, "{listed}");
    assert!(
        listed["payments"]
            .as_array()
            .expect("payments")
            .iter()
            .any(|p| p["payment_hash"] == hash.as_str() && p["amount_msat"] == 1_000_000),
        "{listed}"
    );
    let (status, _) = hub.admin.get("/admin/node/payments?status=lost").await;
    assert_eq!(status, 400);

    // A peer disconnected and connected again by its URI.
    let alice = nodes.alice.node_id.clone();
    assert_eq!(peer_connected(hub, &alice).await, Some(true));
    let (status, _) = hub
        .admin
        .send(
            Method::DELETE,
            &format!("/admin/node/peers/{alice}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    eventually("alice to be disconnected", || async {
        (peer_connected(hub, &alice).await != Some(true)).then_some(())
    })
    .await;
    let uri = format!("{alice}@{}", nodes.alice.address);
    let (status, answer) = hub
        .admin
        .post("/admin/node/peers", &json!({"uri": uri}))
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = hub
        .admin
        .post("/admin/node/peers", &json!({"uri": "nonsense"}))
        .await;
    assert_eq!(status, 400);
    eventually("alice's channel to be usable again", || async {
        let (_, channels) = hub.admin.get("/admin/node/channels").await;
        (channel_with(&channels, &alice)["usable"] == true).then_some(())
    })
    .await;

    // Closing: a force close must be confirmed; a cooperative one closes.
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let alice_channel = channel_with(&channels, &alice)["user_channel_id"]
        .as_str()
        .expect("id")
        .to_string();
    let close = format!("/admin/node/channels/{alice_channel}/close");
    let (status, refused) = hub.admin.post(&close, &json!({"force": true})).await;
    assert_eq!(status, 400, "{refused}");
    let (status, answer) = hub.admin.post(&close, &json!({})).await;
    assert_eq!(status, 200, "{answer}");
    hub.dev.mine(1).await;
    let closure = eventually("the closure to be recorded", || async {
        let (_, closures) = hub.admin.closures("").await;
        closures["closures"]
            .as_array()
            .and_then(|list| list.iter().find(|c| c["peer"] == alice.as_str()).cloned())
    })
    .await;
    assert_eq!(closure["kind"], "cooperative", "{closure}");

    // The same operations from the command line.
    let info = admin_command(&hub.base, &["node", "info"]).await;
    assert_eq!(info["node_id"], nodes.hub.node_id.as_str());
    let channels = admin_command(&hub.base, &["node", "channels"]).await;
    assert_eq!(
        channel_with(&channels, &nodes.bob.node_id)["user_channel_id"],
        bob_channel.as_str()
    );
    let set = admin_command(&hub.base, &["node", "fees", &bob_channel, "500", "10"]).await;
    assert_eq!(set, json!({"done": true}));
    let listed = admin_command(&hub.base, &["node", "payments", "--direction", "inbound"]).await;
    assert!(
        listed["payments"].as_array().is_some_and(|p| !p.is_empty()),
        "{listed}"
    );
    let address = admin_command(&hub.base, &["node", "address"]).await;
    assert!(
        address["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("bcrt1")),
        "{address}"
    );
}

/// `boltworks admin ... node` against `base`: its JSON answer.
async fn admin_command(base: &str, args: &[&str]) -> Value {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_boltworks"))
        .args(["admin", "--url", base, "--token", ADMIN_TOKEN])
        .args(args)
        .output()
        .await
        .expect("run boltworks admin");
    assert!(
        output.status.success(),
        "boltworks admin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON answer")
}
