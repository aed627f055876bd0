//! LSP v0.0.1 (Blocktank v1) end to end with real nodes: alice buys inbound liquidity, pays the
//! hold invoice, and the hub opens the channel to her; her payment settles only once the funding
//! transaction is out. Opens to an unreachable node give up and fail her payment back; unpaid
//! orders expire. Every validation error has the original's text, with HTTP 200.

use serde_json::{json, Value};

use crate::harness::invoices::random_node_id;
use crate::harness::ports::free_addr;
use crate::harness::{eventually, lnurl, Hub, ServeOptions, TestStack};

pub(crate) async fn buy(hub: &Hub, local: u64, remote: u64, weeks: u64) -> Value {
    let product_id = hub.lsp_v1.product_id().await;
    let (status, quote) = hub
        .lsp_v1.buy(&json!({"product_id": product_id, "local_balance": local, "remote_balance": remote, "channel_expiry": weeks}))
        .await;
    assert_eq!(status, 200);
    assert!(quote.get("error").is_none(), "{quote}");
    quote
}

pub(crate) async fn order(hub: &Hub, id: &str) -> Value {
    let (status, order) = hub.lsp_v1.order(id).await;
    assert_eq!(status, 200, "{order}");
    order
}

pub(crate) async fn wait_state(hub: &Hub, id: &str, state: i64) -> Value {
    eventually(&format!("order {id} in state {state}"), || async {
        let order = order(hub, id).await;
        (order["state"] == state).then_some(order)
    })
    .await
}

pub(crate) async fn alice_uri(hub: &Hub) -> (String, String) {
    let nodes = hub.dev.nodes().await;
    (
        nodes.alice.node_id.clone(),
        format!("{}@{}", nodes.alice.node_id, nodes.alice.address),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alice_buys_a_channel_and_her_payment_settles_only_once_it_is_funded() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let quote = buy(hub, 1_000_000, 50_000, 2).await;
    let keys: Vec<&str> = quote
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "order_id",
        "ln_invoice",
        "total_amount",
        "btc_address",
        "lnurl_channel",
        "price",
        "order_expiry",
    ] {
        assert!(keys.contains(&key), "quote has {key}: {quote}");
    }
    // 1,000,000 sats * 14 days * 0.0001 = 1,400 sats.
    assert_eq!(quote["price"], 1_400);
    assert_eq!(quote["total_amount"], 51_400);
    let id = quote["order_id"].as_str().expect("id").to_string();
    assert_eq!(order(hub, &id).await["state"], 0);

    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("alice pays");
    let paid = wait_state(hub, &id, 100).await;
    assert_eq!(paid["amount_received"], 51_400);
    assert_eq!(
        hub.dev
            .payment("alice", &hash)
            .await
            .expect("record")
            .status,
        "pending",
        "held, not settled"
    );

    let (alice_id, uri) = alice_uri(hub).await;
    let (status, answer) = hub
        .lsp_v1
        .manual_finalise(&json!({"order_id": id, "node_uri": uri, "private": false}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"order_id": id, "node_uri": alice_id}));
    let state = order(hub, &id).await["state"].as_i64().expect("state");
    assert!(state == 200 || state == 300, "queued or opening: {state}");

    // Settled only after the funding broadcast: once alice's payment succeeds, the order is
    // already OPENING with its funding transaction.
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    let opening = order(hub, &id).await;
    assert!(opening["state"].as_i64() >= Some(300), "{opening}");
    assert!(
        opening["channel_open_tx"]["transaction_id"].is_string(),
        "{opening}"
    );

    hub.dev.mine(6).await;
    let open = wait_state(hub, &id, 500).await;
    assert!(open["lightning_channel_id"].is_string(), "{open}");
    let channel = eventually("alice's new channel", || async {
        hub.dev
            .nodes()
            .await
            .alice
            .channels
            .into_iter()
            .find(|c| c.capacity_sat == 1_050_000 && c.ready)
    })
    .await;
    // alice can spend the pushed 50,000 sats less her reserve (1% of the channel).
    assert!(
        channel.local_msat <= 50_000_000 && channel.local_msat >= 39_000_000,
        "{channel:?}"
    );
    assert!(
        channel.remote_msat >= 980_000_000,
        "the hub's side is the sold liquidity: {channel:?}"
    );
    let live = &open["current_channel_info"];
    assert!(live["remote_balance"].as_u64() <= Some(50_000), "{live}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_lnurl_channel_wallet_gets_its_channel() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let quote = buy(hub, 500_000, 0, 1).await;
    let id = quote["order_id"].as_str().expect("id").to_string();
    let url = lnurl::decode(quote["lnurl_channel"].as_str().expect("lnurl"));
    // Not paid yet: the wallet is told so.
    let early: Value = lnurl::get(&url).await;
    assert_eq!(
        early,
        json!({"status": "ERROR", "reason": "Order not in the right state"})
    );
    hub.dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    wait_state(hub, &id, 100).await;
    let request: Value = lnurl::get(&url).await;
    assert_eq!(request["tag"], "channelRequest");
    assert_eq!(request["k1"], id.as_str());
    let nodes = hub.dev.nodes().await;
    assert_eq!(
        request["uri"],
        format!("{}@{}", nodes.hub.node_id, nodes.hub.address)
    );
    // alice is connected to the hub already (her demo channel), as LUD-02 asks.
    let callback = request["callback"].as_str().expect("callback");
    let cancelled: Value = lnurl::get(format!(
        "{callback}?k1={id}&remoteid={}&cancel=1",
        nodes.alice.node_id
    ))
    .await;
    assert_eq!(cancelled, json!({"status": "OK"}));
    assert_eq!(
        order(hub, &id).await["state"],
        100,
        "cancel changes nothing"
    );
    let done: Value = lnurl::get(format!(
        "{callback}?k1={id}&remoteid={}&private=1",
        nodes.alice.node_id
    ))
    .await;
    assert_eq!(done, json!({"status": "OK"}));
    let opening = wait_state(hub, &id, 300).await;
    assert_eq!(opening["private_channel"], true);
    hub.dev.mine(6).await;
    wait_state(hub, &id, 500).await;
    let channel = hub
        .dev
        .channel_of_capacity("alice", 500_000)
        .await
        .expect("channel");
    assert!(!channel.public, "a private channel as asked");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_that_cannot_reach_the_node_gives_up_and_fails_the_payment_back() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_open_attempts(2)
        .build()
        .await;
    let hub = &stack.hub;
    let before = hub.dev.local_msat("alice").await;
    let quote = buy(hub, 400_000, 0, 1).await;
    let id = quote["order_id"].as_str().expect("id").to_string();
    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    wait_state(hub, &id, 100).await;
    // A valid key at a port nobody listens on.
    let nobody = free_addr();
    let key = random_node_id();
    let (status, answer) = hub
        .lsp_v1
        .manual_finalise(
            &json!({"order_id": id, "node_uri": format!("{key}@{nobody}"), "private": 0}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("error").is_none(), "{answer}");
    let given_up = eventually("the order to give up", || async {
        // Skip the retry backoff on the hub's clock.
        hub.dev.advance_clock(60).await;
        let order = order(hub, &id).await;
        (order["state"] == 400).then_some(order)
    })
    .await;
    assert!(
        given_up["channel_open_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("PEERING_FAILED")),
        "{given_up}"
    );
    let failed = hub.dev.wait_payment("alice", &hash, "failed").await;
    assert!(failed.preimage.is_none());
    let after = hub.dev.local_msat("alice").await;
    assert_eq!(after, before, "alice's balance is whole again");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_without_a_node_by_its_deadline_expires_and_fails_the_payment_back() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let before = hub.dev.local_msat("alice").await;
    let unpaid = buy(hub, 300_000, 0, 1).await;
    let quote = buy(hub, 300_000, 0, 1).await;
    let id = quote["order_id"].as_str().expect("id").to_string();
    let invoice = quote["ln_invoice"].as_str().expect("invoice");
    let hash = hub.dev.pay("alice", invoice).await.expect("pay");
    wait_state(hub, &id, 100).await;
    // A held payment is provisional until the channel opens: with no node given by the
    // order's deadline, it goes back.
    hub.dev.advance_clock(901).await;
    wait_state(hub, &id, 410).await;
    wait_state(hub, unpaid["order_id"].as_str().expect("id"), 410).await;
    hub.dev.wait_payment("alice", &hash, "failed").await;
    let after = hub.dev.local_msat("alice").await;
    assert_eq!(after, before, "alice's balance is whole again");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_refusal_has_the_original_text_and_http_200() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_max_channel_sat(10_000_000)
        .lsp_usd_per_btc(100_000)
        .build()
        .await;
    let hub = &stack.hub;
    let product_id = hub.lsp_v1.product_id().await;
    let (_, info) = hub.lsp_v1.node_info().await;
    // USD from the configured price: 0.1 BTC at $100,000, and 0.099 BTC.
    assert_eq!(info["services"][0]["max_chan_receiving_usd"], "10000");
    assert_eq!(info["services"][0]["max_chan_spending_usd"], 9_900);
    assert_eq!(info["services"][0]["order_states"]["OPEN"], 500);
    assert_eq!(info["services"][0]["max_channel_size"], 10_000_000);
    assert_eq!(info["services"][0]["max_chan_receiving"], "10000000");
    assert_eq!(
        info["node_info"]["public_key"],
        hub.dev.nodes().await.hub.node_id.as_str()
    );
    let p = product_id.as_str();
    let cases = [
        (
            json!({"product_id": p, "local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": 0}),
            "Invalid channel expiry",
        ),
        (
            json!({"product_id": p, "local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": 13}),
            "Invalid channel expiry",
        ),
        (
            json!({"product_id": p, "local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": "x"}),
            "Invalid channel expiry",
        ),
        (
            json!({"product_id": p, "local_balance": -5, "remote_balance": 0, "channel_expiry": 1}),
            "Invalid channel balance requested",
        ),
        (
            json!({"product_id": p, "local_balance": 2.5, "remote_balance": 0, "channel_expiry": 1}),
            "Invalid channel balance requested",
        ),
        (
            json!({"product_id": p, "remote_balance": 0, "channel_expiry": 1}),
            "Invalid channel balance requested",
        ),
        (
            json!({"product_id": p, "local_balance": 9_000_000, "remote_balance": 2_000_000, "channel_expiry": 1}),
            "Requested channel capacity is too large",
        ),
        (
            json!({"product_id": p, "local_balance": 18446744073709551615u64, "remote_balance": 1, "channel_expiry": 1}),
            "Requested channel capacity is too large",
        ),
        (
            json!({"product_id": p, "local_balance": 1_000_000, "remote_balance": 1_000_000, "channel_expiry": 1}),
            "Local balance must be bigger than remote balance",
        ),
        (
            json!({"local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": 1}),
            "Invalid params",
        ),
        (
            json!({"product_id": "nope", "local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": 1}),
            "Failed to find product",
        ),
        (
            json!({"product_id": "0123456789abcdef01234567", "local_balance": 2_000_000, "remote_balance": 0, "channel_expiry": 1}),
            "Not in stock",
        ),
    ];
    for (body, text) in cases {
        let (status, answer) = hub.lsp_v1.buy(&body).await;
        assert_eq!(
            (status.as_u16(), answer),
            (200, json!({"error": text})),
            "{body}"
        );
    }
    // Strings for numbers are tolerated, as the original's clients sent them.
    let (_, quote) = hub
        .lsp_v1.buy(&json!({"product_id": p, "local_balance": "2000000", "remote_balance": "0", "channel_expiry": "1"}))
        .await;
    let id = quote["order_id"].as_str().expect("a quote").to_string();
    assert_eq!(quote["price"], 1_400);

    let (_, uri) = alice_uri(hub).await;
    let finalise_cases = [
        (
            json!({"order_id": "nope", "node_uri": uri, "private": false}),
            "Failed to find order",
        ),
        (json!({"node_uri": uri}), "Failed to find order"),
        (
            json!({"order_id": id, "node_uri": uri, "private": false}),
            "Order not paid or already claimed",
        ),
    ];
    for (body, text) in finalise_cases {
        let (status, answer) = hub.lsp_v1.manual_finalise(&body).await;
        assert_eq!(
            (status.as_u16(), answer),
            (200, json!({"error": text})),
            "{body}"
        );
    }
    let paid = buy(hub, 300_000, 0, 1).await;
    let paid_id = paid["order_id"].as_str().expect("id").to_string();
    hub.dev
        .pay("alice", paid["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    wait_state(hub, &paid_id, 100).await;
    for node_uri in [
        "nonsense",
        "04aa",
        &format!("{}@nowhere", &uri[..66]),
        &format!("03{}", "ff".repeat(32)),
    ] {
        let (_, answer) = hub
            .lsp_v1
            .manual_finalise(&json!({"order_id": paid_id, "node_uri": node_uri, "private": false}))
            .await;
        assert_eq!(answer, json!({"error": "Node URI not valid"}), "{node_uri}");
    }
    let (_, answer) = hub
        .lsp_v1
        .manual_finalise(&json!({"order_id": paid_id, "node_uri": uri, "private": "maybe"}))
        .await;
    assert_eq!(answer, json!({"error": "Invalid params"}));

    assert_eq!(
        hub.lsp_v1.order_without_id().await.1,
        json!({"error": "Order id not passed"})
    );
    assert_eq!(
        hub.lsp_v1.order("nope").await.1,
        json!({"error": "Order not found"})
    );
    let (_, both) = hub.lsp_v1.order(&format!("{id},{paid_id}")).await;
    assert_eq!(both.as_array().map(Vec::len), Some(2), "{both}");
    let lnurl_cases = [
        ("", "Invalid request"),
        ("?order_id=nope", "Order not found"),
        ("?k1=nope&remoteid=02", "Failed to find order"),
        ("?k1=x", "Invalid request"),
    ];
    for (query, reason) in lnurl_cases {
        let (status, answer) = hub.lsp_v1.lnurl_channel(query).await;
        assert_eq!(
            (status.as_u16(), answer),
            (200, json!({"status": "ERROR", "reason": reason})),
            "{query}"
        );
    }
    let (status, raw) = hub.lsp_v1.buy_json_text("{not json").await;
    assert_eq!(status, 200);
    assert_eq!(raw, json!({"error": "Invalid params"}));
    stack.stop().await;
}
