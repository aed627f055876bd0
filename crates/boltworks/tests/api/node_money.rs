//! The operator's money-moving node operations through `/admin/node`, each once per key: a
//! channel opened to bob becomes usable after mining, and a retry of the open opens nothing more;
//! coins move from the treasury to the node wallet and back, and out to an address, each once
//! however often it is asked, with the books saying so; bad input is refused with nothing done.

use serde_json::{json, Value};

use crate::harness::{eventually, Hub, ServeOptions, TestStack};

async fn post(hub: &Hub, path: &str, body: &Value) -> (u16, Value) {
    let (status, answer) = hub.admin.post(path, body).await;
    (status.as_u16(), answer)
}

async fn action(hub: &Hub, key: &str) -> Value {
    let (status, answer) = hub.admin.get(&format!("/admin/node/actions/{key}")).await;
    assert_eq!(status, 200, "{answer}");
    answer["action"].clone()
}

async fn node_wallet_sat(hub: &Hub) -> u64 {
    let (_, wallet) = hub.admin.get("/admin/node/wallet").await;
    wallet["total_sat"].as_u64().expect("total")
}

fn account(ledger: &Value, name: &str) -> i64 {
    ledger["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["account"] == name)
        .map_or(0, |a| a["balance_msat"].as_i64().expect("balance"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_opens_a_channel_and_moves_coins_once_per_key() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let nodes = hub.dev.nodes().await;
    let bob = format!("{}@{}", nodes.bob.node_id, nodes.bob.address);

    // A channel to bob: asked twice under one key, opened once; usable after mining.
    let open = json!({"key": "open-bob-1", "peer": bob, "capacity_sat": 250_000, "push_msat": 0});
    let (status, first) = post(hub, "/admin/node/channels", &open).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = post(hub, "/admin/node/channels", &open).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["action"]["user_channel_id"],
        first["action"]["user_channel_id"]
    );
    let other = json!({"key": "open-bob-1", "peer": bob, "capacity_sat": 300_000});
    let (status, refused) = post(hub, "/admin/node/channels", &other).await;
    assert_eq!(status, 409, "another request under the key: {refused}");
    eventually("the channel funded", || async {
        (action(hub, "open-bob-1").await["state"] == "funded").then_some(())
    })
    .await;
    let ucid = action(hub, "open-bob-1").await["user_channel_id"]
        .as_str()
        .expect("the node's id of it")
        .to_string();
    hub.dev.wait_funding_broadcast("hub", &ucid).await;
    hub.dev.mine(6).await;
    eventually("the channel ready", || async {
        (action(hub, "open-bob-1").await["state"] == "ready").then_some(())
    })
    .await;
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let to_bob: Vec<&Value> = channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|c| c["peer"] == nodes.bob.node_id.as_str() && c["capacity_sat"] == 250_000)
        .collect();
    assert_eq!(to_bob.len(), 1, "one channel for two asks: {channels}");
    assert_eq!(to_bob[0]["usable"], true, "{channels}");

    // The treasury, funded, moves 300,000 sat to the node wallet, once for two asks.
    let (_, address) = hub.admin.treasury_address("operator").await;
    let address = address["address"].as_str().expect("address").to_string();
    hub.dev.fund(&address, 1_000_000).await;
    hub.dev.mine(1).await;
    let (_, ledger) = hub.admin.ledger().await;
    let node_wallet_account = account(&ledger, "assets:node-wallet");
    let wallet_before = node_wallet_sat(hub).await;
    eventually("the treasury's coins confirmed", || async {
        let (_, treasury) = hub.admin.treasury().await;
        (treasury["confirmed_sat"].as_u64()? >= 1_000_000).then_some(())
    })
    .await;
    let from = json!({"key": "from-treasury-1", "amount_sat": 300_000});
    let (status, moved) = post(hub, "/admin/node/wallet/from-treasury", &from).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["action"]["state"], "sent", "{moved}");
    let (status, again) = post(hub, "/admin/node/wallet/from-treasury", &from).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["action"]["txid"], moved["action"]["txid"]);
    hub.dev.mine(1).await;
    eventually("the node wallet received it once", || async {
        (node_wallet_sat(hub).await == wallet_before + 300_000).then_some(())
    })
    .await;
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(
        account(&ledger, "assets:node-wallet") - node_wallet_account,
        300_000_000
    );

    // Out to an address (the treasury's here, as any other), twice asked, sent once, booked as
    // the operator's withdrawal from the node wallet.
    let (_, out) = hub.admin.treasury_address("elsewhere").await;
    let out = out["address"].as_str().expect("address").to_string();
    let send = json!({"key": "send-1", "address": out, "amount_sat": 40_000});
    let (status, sent) = post(hub, "/admin/node/wallet/send", &send).await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["action"]["state"], "sent", "{sent}");
    let (status, again) = post(hub, "/admin/node/wallet/send", &send).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["action"]["txid"], sent["action"]["txid"]);
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(
        account(&ledger, "equity:node-wallet-withdrawals"),
        40_000_000
    );
    assert_eq!(ledger["balanced"], true, "{ledger}");

    // Back to the treasury: the treasury books the receipt against the node wallet's account.
    let (_, before_move) = hub.admin.ledger().await;
    let before = account(&before_move, "assets:node-wallet");
    let to = json!({"key": "to-treasury-1", "amount_sat": 50_000});
    let (status, back) = post(hub, "/admin/node/wallet/to-treasury", &to).await;
    assert_eq!(status, 200, "{back}");
    assert_eq!(back["action"]["state"], "sent", "{back}");
    let (status, again) = post(hub, "/admin/node/wallet/to-treasury", &to).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["action"]["txid"], back["action"]["txid"]);
    let txid = back["action"]["txid"].as_str().expect("txid").to_string();
    hub.dev.wait_in_mempool(&txid).await;
    hub.dev.mine(1).await;
    eventually("the treasury booked the move", || async {
        let (_, ledger) = hub.admin.ledger().await;
        (account(&ledger, "assets:node-wallet") == before - 50_000_000).then_some(())
    })
    .await;

    // Refused, and nothing done.
    for (path, body) in [
        (
            "/admin/node/wallet/send",
            json!({"key": "bad-1", "address": out, "amount_sat": 0}),
        ),
        (
            "/admin/node/wallet/send",
            json!({"key": "bad-2", "address": out, "amount_sat": "5"}),
        ),
        (
            "/admin/node/wallet/send",
            json!({"key": "bad-3", "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "amount_sat": 1_000}),
        ),
        (
            "/admin/node/wallet/send",
            json!({"key": "", "address": out, "amount_sat": 1_000}),
        ),
        (
            "/admin/node/channels",
            json!({"key": "bad-4", "peer": bob, "capacity_sat": 100}),
        ),
        (
            "/admin/node/channels",
            json!({"key": "bad-5", "peer": "nobody", "capacity_sat": 100_000}),
        ),
        (
            "/admin/node/channels",
            json!({"key": "bad-6", "peer": bob, "capacity_sat": 100_000, "push_msat": 100_000_000}),
        ),
    ] {
        let (status, answer) = post(hub, path, &body).await;
        assert_eq!(status, 400, "{body} -> {answer}");
    }
    let (_, actions) = hub.admin.get("/admin/node/actions").await;
    let keys: Vec<&str> = actions["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys.len(), 4, "only the four accepted actions: {keys:?}");
}

/// `POST path` with the operator token, as a request to send later.
fn admin_request(hub: &Hub, path: &str, body: &Value) -> reqwest::RequestBuilder {
    hub.request(reqwest::Method::POST, path)
        .bearer_auth(crate::harness::serve_options::ADMIN_TOKEN)
        .json(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_before_the_node_is_asked_never_sends_or_opens_twice() {
    use crate::harness::process::Scene;

    // A send: the restart finds no payment of the node for it and leaves it unknown, never
    // sending it on its own, nor on a retry.
    let scene = Scene::new("node_money", "send_before_node");
    let first = scene
        .hub()
        .pause_at("node_actions.send.before_node")
        .start()
        .await;
    let (_, out) = first.hub.admin.treasury_address("elsewhere").await;
    let out = out["address"].as_str().expect("address").to_string();
    let wallet_before = node_wallet_sat(&first.hub).await;
    let send = json!({"key": "send-crash", "address": out, "amount_sat": 30_000});
    let request = admin_request(&first.hub, "/admin/node/wallet/send", &send);
    let second = scene.kill_during(first, request).await;
    let hub = &second.hub;
    let interrupted = action(hub, "send-crash").await;
    assert_eq!(interrupted["state"], "unknown", "{interrupted}");
    let (status, again) = post(hub, "/admin/node/wallet/send", &send).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["action"]["state"], "unknown", "{again}");
    hub.dev.mine(1).await;
    assert_eq!(node_wallet_sat(hub).await, wallet_before, "nothing sent");

    // An open: the restart finds no channel of the node for it and fails it; a retry opens
    // nothing either.
    let scene = Scene::new("node_money", "open_before_node");
    let first = scene
        .hub()
        .pause_at("node_actions.open.before_node")
        .start()
        .await;
    let nodes = first.hub.dev.nodes().await;
    let bob = format!("{}@{}", nodes.bob.node_id, nodes.bob.address);
    let open = json!({"key": "open-crash", "peer": bob, "capacity_sat": 150_000});
    let request = admin_request(&first.hub, "/admin/node/channels", &open);
    let second = scene.kill_during(first, request).await;
    let hub = &second.hub;
    assert_eq!(action(hub, "open-crash").await["state"], "failed");
    let (status, again) = post(hub, "/admin/node/channels", &open).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["action"]["state"], "failed", "{again}");
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let opened = channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|c| c["capacity_sat"] == 150_000)
        .count();
    assert_eq!(opened, 0, "{channels}");
}
