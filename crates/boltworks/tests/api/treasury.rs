//! The on-chain treasury on the devchain: it gets its own addresses, sees what they receive
//! (in the mempool, then confirmed), pays twenty outputs in one transaction that the devchain
//! accepts and mines, sends at most once per key, refuses what the network would refuse, and
//! keeps its coins and address index across a restart.

use serde_json::{json, Value};

use crate::harness::{eventually, Hub, ServeOptions, TestStack};

async fn new_address(hub: &Hub, purpose: &str) -> String {
    let (status, answer) = hub.admin.treasury_address(purpose).await;
    assert_eq!(status, 200, "{answer}");
    answer["address"].as_str().expect("address").to_string()
}

async fn received(hub: &Hub, address: &str) -> Vec<Value> {
    let (status, answer) = hub.admin.treasury_received(address).await;
    assert_eq!(status, 200, "{answer}");
    answer["received"].as_array().expect("list").clone()
}

async fn balance(hub: &Hub) -> (u64, u64) {
    let (_, answer) = hub.admin.treasury().await;
    (
        answer["confirmed_sat"].as_u64().expect("confirmed"),
        answer["pending_sat"].as_u64().expect("pending"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_treasury_pays_twenty_outputs_in_one_transaction_once_per_key() {
    let mut stack = TestStack::builder().demo_nodes().build().await;
    let address = new_address(&stack.hub, "float").await;
    let hub = stack.hub.clone();
    let funding_txid = hub.dev.fund(&address, 5_000_000).await;
    let seen = eventually("the payment in the mempool", || async {
        let list = received(&hub, &address).await;
        (!list.is_empty()).then_some(list)
    })
    .await;
    assert_eq!(seen[0]["amount_sat"], 5_000_000);
    assert_eq!(seen[0]["confirmations"], 0);
    assert_eq!(seen[0]["txid"], funding_txid.as_str());
    hub.dev.mine(1).await;
    assert_eq!(received(&hub, &address).await[0]["confirmations"], 1);
    assert_eq!(balance(&hub).await.0, 5_000_000);

    let mut targets = Vec::new();
    for i in 0..20u64 {
        targets.push((new_address(&hub, &format!("payee-{i}")).await, 10_000 + i));
    }
    assert_eq!(
        targets
            .iter()
            .map(|(a, _)| a)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        20,
        "every address is new"
    );
    let outputs: Vec<Value> = targets
        .iter()
        .map(|(a, s)| json!({"address": a, "amount_sat": s}))
        .collect();
    let (status, sent) = hub
        .admin
        .treasury_send(&json!({"key": "payroll-1", "outputs": outputs}))
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["broadcast"], true, "the devchain took it: {sent}");
    let txid = sent["txid"].as_str().expect("txid").to_string();
    let fee = sent["fee_sat"].as_u64().expect("fee");
    assert!(fee > 0 && fee < 20_000, "{fee}");
    // The same key again sends nothing new.
    let (_, again) = hub
        .admin
        .treasury_send(&json!({"key": "payroll-1", "outputs": outputs}))
        .await;
    assert_eq!(again["txid"], txid.as_str());

    hub.dev.mine(1).await;
    for (address, amount) in &targets {
        let list = received(&hub, address).await;
        assert_eq!(list.len(), 1, "{address}: {list:?}");
        assert_eq!(
            list[0]["txid"],
            txid.as_str(),
            "one transaction pays all twenty"
        );
        assert_eq!(list[0]["amount_sat"], *amount);
        assert_eq!(list[0]["confirmations"], 1);
    }
    // The outputs came back to the treasury itself: only the fee is gone.
    assert_eq!(balance(&hub).await, (5_000_000 - fee, 0));
    let (_, books) = hub.admin.treasury().await;
    assert_eq!(books["books_match"], true, "{books}");
    assert_eq!(books["ledger_msat"], (5_000_000 - fee) * 1_000);
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(ledger["balanced"], true, "{ledger}");

    let refusals = [
        (
            json!({"key": "k", "outputs": []}),
            "outputs must have 1 to 1000 entries",
        ),
        (
            json!({"key": "k", "outputs": [{"address": targets[0].0, "amount_sat": 100}]}),
            "is below the dust limit",
        ),
        (
            json!({"key": "k", "outputs": [{"address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "amount_sat": 1000}]}),
            "is not an address of this network",
        ),
        (
            json!({"key": "k", "outputs": [{"address": targets[0].0, "amount_sat": 9_000_000}]}),
            "too little money",
        ),
        (
            json!({"key": "k", "outputs": [{"address": targets[0].0, "amount_sat": -5}]}),
            "",
        ),
    ];
    for (body, text) in refusals {
        let (status, answer) = hub.admin.treasury_send(&body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.to_string().contains(text), "{body}: {answer}");
    }
    let (status, _) = hub
        .admin
        .without_token()
        .treasury_send(&json!({"key": "k", "outputs": outputs}))
        .await;
    assert_eq!(status, 401);

    // A restart keeps the coins and the address index.
    stack.restart().await;
    let hub = stack.hub.clone();
    assert_eq!(balance(&hub).await.0, 5_000_000 - fee);
    let fresh = new_address(&hub, "after-restart").await;
    assert!(targets.iter().all(|(a, _)| *a != fresh) && fresh != address);
    stack.stop().await;
}
