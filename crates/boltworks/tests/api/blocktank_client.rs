//! Blocktank's own client of the v0.0.1 API (`@synonymdev/blocktank-client` 0.0.50 from npm,
//! installed by scripts/test.sh into tests/blocktank-client) runs a whole order against the hub,
//! changing only its base URL: info, buy, alice pays, manual finalise, the order OPEN; and its
//! getRates reads the hub's `/lsp/v1/rate`.

use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blocktanks_own_client_buys_a_channel_that_opens() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_usd_per_btc(30_000)
        .build()
        .await;
    let hub = &stack.hub;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/blocktank-client");
    assert!(
        dir.join("node_modules/@synonymdev/blocktank-client")
            .is_dir(),
        "scripts/test.sh installs the client (npm ci in {})",
        dir.display()
    );
    let output = tokio::process::Command::new("node")
        .arg("order.js")
        .current_dir(&dir)
        .env("BOLTWORKS_URL", &hub.base)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the client failed:\n{stdout}\n{stderr}"
    );
    let run: Value = serde_json::from_str(stdout.lines().last().expect("a line")).expect("JSON");

    let service = &run["info"]["services"][0];
    assert!(service["product_id"].is_string(), "{service}");
    assert_eq!(
        service["max_chan_receiving"], service["max_channel_size"],
        "{service}"
    );
    let quote = &run["quote"];
    let order_id = quote["order_id"].as_str().expect("order id");
    // The client turns price and total into numbers; nothing pushed to alice, so the total is
    // the price, and it is what the hub's own view of the order says.
    let price = quote["price"].as_u64().expect("a number");
    assert!(price > 0, "{quote}");
    assert_eq!(quote["total_amount"], price, "{quote}");
    let (_, view) = hub.lsp_v1.order(order_id).await;
    assert_eq!(view["price"], price, "{view}");
    assert_eq!(run["unpaid"]["state"], 0);
    assert_eq!(run["unpaid"]["stateMessage"], "Awaiting payment");
    assert_eq!(run["paid"]["stateMessage"], "Paid");
    assert_eq!(run["paid"]["amount_received"], price);
    let nodes = hub.dev.nodes().await;
    assert_eq!(
        run["finalised"],
        json!({"order_id": order_id, "node_uri": nodes.alice.node_id})
    );
    let open = &run["open"];
    assert_eq!(open["stateMessage"], "Channel open", "{open}");
    assert_eq!(
        open["remote_node"]["public_key"],
        nodes.alice.node_id.as_str(),
        "{open}"
    );
    assert!(
        open["channel_open_tx"]["transaction_id"].is_string(),
        "{open}"
    );
    assert_eq!(run["rates"], json!({"USD": 30000}));
    assert!(
        hub.dev
            .channel_of_capacity("alice", 100_000)
            .await
            .is_some(),
        "alice has the channel"
    );
}
