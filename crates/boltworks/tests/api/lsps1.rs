//! LSPS1 v0.0.2 end to end with real nodes, on the same order engine as v0.0.1: alice orders a
//! channel, pays the hold invoice, calls `/open` and gets it (201), the order goes COMPLETED with
//! the channel OPENING then OPENED, and every state change reaches her signed webhook. Opens
//! before payment, twice, or to a node nobody runs are refused with the API's fail_reason; a
//! lease that is over is closed by the worker; every validation error is a 400 or 404 body.

use serde_json::{json, Value};

use crate::harness::invoices::random_node_id;
use crate::harness::ports::free_addr;
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, lnurl, Hub, ServeOptions, TestStack};

async fn create(hub: &Hub, body: Value) -> Value {
    let (status, order) = hub.lsps1.create(&body).await;
    assert_eq!(status, 201, "{order}");
    order
}

async fn order(hub: &Hub, id: &str) -> Value {
    let (status, order) = hub.lsps1.order(id).await;
    assert_eq!(status, 200, "{order}");
    order
}

async fn wait_for(hub: &Hub, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(&format!("order {id}: {what}"), || async {
        let order = order(hub, id).await;
        check(&order).then_some(order)
    })
    .await
}

async fn pay(hub: &Hub, created: &Value) -> String {
    let id = created["id"].as_str().expect("id");
    let hash = hub
        .dev
        .pay("alice", created["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("alice pays");
    wait_for(hub, id, "paid", |o| o["payment"]["state"] == "PAID").await;
    hash
}

async fn alice_connection(hub: &Hub) -> String {
    let nodes = hub.dev.nodes().await;
    format!("{}@{}", nodes.alice.node_id, nodes.alice.address)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alice_orders_pays_and_opens_and_her_webhook_hears_every_change() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (receiver, hook) = Receiver::default().start().await;

    let (_, info) = hub.lsps1.info().await;
    assert_eq!(info["version"], "0.0.2");
    assert_eq!(
        info["features"],
        json!(["lnurl_lud2", "local_balance", "refunds", {"name": "onchain_payments", "min_satoshi": 50_000}])
    );

    let created = create(
        hub,
        json!({"remote_balance": 1_000_000, "local_balance": 50_000, "channel_expiry": 2, "webhook_url": hook}),
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a UUID: {id}");
    // The Blocktank formula on the LSP side: 1,000,000 sats * 14 days * 0.0001.
    assert_eq!(created["fee_total"], 1_400);
    assert_eq!(created["order_total"], 51_400);
    assert!(
        created["btc_address"]
            .as_str()
            .is_some_and(|a| a.starts_with("bcrt1")),
        "{created}"
    );
    assert_eq!(
        created["request"],
        json!({"remote_balance": 1_000_000, "local_balance": 50_000, "channel_expiry": 2, "coupon_code": ""})
    );
    let fresh = order(hub, &id).await;
    assert_eq!(fresh["state"], "AWAITING_PAYMENT");
    assert_eq!(fresh["payment"]["state"], "CREATED");
    assert_eq!(fresh["channel"], Value::Null);

    let alice = alice_connection(hub).await;
    let open_body = json!({"announce_channel": true, "node_connection_string": alice});
    let (status, early) = hub.lsps1.open(&id, &open_body).await;
    assert_eq!(status, 412, "{early}");
    assert_eq!(early["success"], false);
    assert_eq!(early["fail_reason"], "PAYMENT_REQUIRED");

    let hash = pay(hub, &created).await;
    let paid = order(hub, &id).await;
    assert_eq!(paid["state"], "PENDING_CHANNEL_OPEN");
    assert_eq!(paid["payment"]["amount_paid"], 51_400);
    assert_eq!(
        hub.dev
            .payment("alice", &hash)
            .await
            .expect("record")
            .status,
        "pending",
        "held until the channel is funded"
    );

    let (status, opened) = hub.lsps1.open(&id, &open_body).await;
    assert_eq!(status, 201, "{opened}");
    assert_eq!(opened["success"], true);
    assert_eq!(opened["fail_reason"], Value::Null);
    let nodes = hub.dev.nodes().await;
    assert_eq!(
        opened["lsp_node_connection_string"],
        format!("{}@{}", nodes.hub.node_id, nodes.hub.address)
    );
    let opening = order(hub, &id).await;
    assert_eq!(opening["state"], "COMPLETED", "{opening}");
    assert_eq!(opening["channel"]["state"], "OPENING", "{opening}");
    let funding = opening["channel"]["open_transaction"]
        .as_str()
        .expect("funding outpoint");
    assert!(funding.contains(':'), "txid:vout, {funding}");
    assert_eq!(opening["channel"]["node_id"], alice.as_str());
    hub.dev.wait_payment("alice", &hash, "succeeded").await;

    let (status, again) = hub.lsps1.open(&id, &open_body).await;
    assert_eq!(status, 412, "{again}");
    assert_eq!(again["fail_reason"], "ALREADY_OPEN");

    hub.dev.mine(6).await;
    let open = wait_for(hub, &id, "channel opened", |o| {
        o["channel"]["state"] == "OPENED" && o["channel"]["scid"].is_string()
    })
    .await;
    let expiry = open["channel"]["expiry_ts"].as_i64().expect("expiry");
    let opened_ts = open["channel"]["opened_ts"].as_i64().expect("opened");
    assert_eq!(expiry - opened_ts, 2 * 7 * 86_400);
    let channel = hub
        .dev
        .channel_of_capacity("alice", 1_050_000)
        .await
        .expect("alice's new channel");
    assert!(channel.public, "announced as asked");
    assert!(channel.remote_msat >= 980_000_000, "{channel:?}");

    // Booked once settled: alice's 51,400 sats are the fee and the balance pushed to her.
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(ledger["balanced"], true, "{ledger}");
    let balance = |name: &str| {
        ledger["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["account"] == name)
            .map(|a| a["balance_msat"].clone())
    };
    assert_eq!(balance("income:lsp-fees"), Some(json!(-1_400_000)));
    assert_eq!(balance("assets:node-wallet"), Some(json!(-50_000_000)));
    assert_eq!(balance("assets:lightning"), Some(json!(51_400_000)));

    let (_, flat) = hub.lsps1.channel(&id).await;
    assert_eq!(flat["state"], "OPENED");
    assert_eq!(flat["remote_balance"], 1_000_000);
    assert_eq!(flat["local_balance"], 50_000);
    assert_eq!(flat["scid"], open["channel"]["scid"]);

    // Every change, in order, signed: paid (100), queued (200), funded (300), open (500).
    let states = eventually("the webhooks", || async {
        let seen = receiver.seen();
        let states: Vec<i64> = seen
            .iter()
            .map(|r| {
                let body: Value = serde_json::from_slice(&r.body).expect("json");
                body["state"].as_i64().expect("state")
            })
            .collect();
        (states.last() == Some(&500)).then_some((seen, states))
    })
    .await;
    let (seen, mut states) = states;
    states.dedup();
    assert_eq!(states, vec![100, 200, 300, 500]);
    let (_, secret) = hub.admin.webhook_secret(&hook).await;
    let secret = secret["secret"].as_str().expect("secret");
    for r in &seen {
        assert_eq!(r.signature, hmac_hex(secret, &r.body));
    }
    let last: Value = serde_json::from_slice(&seen[seen.len() - 1].body).expect("json");
    assert_eq!(last["order_id"], id.as_str());
    assert_eq!(last["lsps1_state"], "COMPLETED");
    assert_eq!(last["event"], "lsp.order.state_changed");

    // The lease is over after two weeks on the hub's clock: the worker closes the channel.
    hub.dev.advance_clock(2 * 7 * 86_400 + 1).await;
    wait_for(hub, &id, "channel closing", |o| {
        matches!(o["channel"]["state"].as_str(), Some("CLOSING" | "CLOSED"))
    })
    .await;
    let closed = eventually("the channel closed", || async {
        hub.dev.mine(1).await;
        let o = order(hub, &id).await;
        (o["channel"]["state"] == "CLOSED").then_some(o)
    })
    .await;
    assert!(closed["channel"]["closed_ts"].is_i64(), "{closed}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_to_a_node_nobody_runs_fails_and_gives_up_and_the_payment_goes_back() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_open_attempts(2)
        .build()
        .await;
    let hub = &stack.hub;
    let before = hub.dev.local_msat("alice").await;
    let created = create(hub, json!({"remote_balance": 400_000})).await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        created["request"]["channel_expiry"], 1,
        "one week by default"
    );
    let hash = pay(hub, &created).await;
    let nobody = free_addr();
    let (status, failed) = hub
        .lsps1.open(&id, &json!({"announce_channel": false, "node_connection_string": format!("{}@{nobody}", random_node_id())}))
        .await;
    assert_eq!(status, 412, "{failed}");
    assert_eq!(failed["fail_reason"], "PEERING_FAILED", "{failed}");
    let (_, flat) = hub.lsps1.channel(&id).await;
    assert_eq!(flat["state"], "FAILED", "{flat}");

    // The engine retries once more, then gives up and fails the held payment back.
    let refunded = eventually("the order to give up", || async {
        hub.dev.advance_clock(60).await;
        let o = order(hub, &id).await;
        (o["payment"]["state"] == "REFUNDED").then_some(o)
    })
    .await;
    assert_eq!(
        refunded["state"], "PENDING_CHANNEL_OPEN",
        "the spec's table"
    );
    assert_eq!(refunded["channel"], Value::Null);
    hub.dev.wait_payment("alice", &hash, "failed").await;
    let after = hub.dev.local_msat("alice").await;
    assert_eq!(after, before, "alice's balance is whole again");

    let (_, refund) = hub.lsps1.refund_status(&id).await;
    assert_eq!(refund["refund_state"], "PAID_OUT", "{refund}");
    let (status, asked) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": "lnbcrt1"}))
        .await;
    assert_eq!(status, 412);
    assert_eq!(asked["fail_reason"], "REJECTED_BY_LSP");
    let (status, reopen) = hub
        .lsps1.open(&id, &json!({"announce_channel": false, "node_connection_string": alice_connection(hub).await}))
        .await;
    assert_eq!(status, 412);
    assert_eq!(reopen["fail_reason"], "REJECTED_BY_LSP", "{reopen}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_bad_request_is_a_400_or_404_in_the_apis_shape() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_max_channel_sat(10_000_000)
        .build()
        .await;
    let hub = &stack.hub;
    let bad = |message: &str| json!({"message": message, "code": "BAD_REQUEST"});
    let cases = [
        (json!({}), "remote_balance is required"),
        (
            json!({"remote_balance": -1}),
            "remote_balance must be a non-negative integer",
        ),
        (
            json!({"remote_balance": 1.5}),
            "remote_balance must be a non-negative integer",
        ),
        (
            json!({"remote_balance": "100000"}),
            "remote_balance must be a non-negative integer",
        ),
        (
            json!({"remote_balance": 100_000, "local_balance": "x"}),
            "local_balance must be a non-negative integer",
        ),
        (
            json!({"remote_balance": 100_000, "channel_expiry": 0}),
            "channel_expiry must be from 1 to 12 weeks",
        ),
        (
            json!({"remote_balance": 100_000, "channel_expiry": 13}),
            "channel_expiry must be from 1 to 12 weeks",
        ),
        (
            json!({"remote_balance": 9_000_000, "local_balance": 2_000_000}),
            "remote_balance + local_balance must be at most 10000000 sats",
        ),
        (
            json!({"remote_balance": 18446744073709551615u64, "local_balance": 1}),
            "remote_balance + local_balance must be at most 10000000 sats",
        ),
        (
            json!({"remote_balance": 10_000}),
            "remote_balance + local_balance must be at least 20000 sats",
        ),
        (
            json!({"remote_balance": 100_000, "onchain_fee_rate": 0.5}),
            "onchain_fee_rate must be a number from 1 to 1000000",
        ),
        (
            json!({"remote_balance": 100_000, "coupon_code": "FREE"}),
            "coupon_code is not a valid coupon",
        ),
        (
            json!({"remote_balance": 100_000, "webhook_url": "ftp://x"}),
            "webhook_url must be an http(s) URL",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = hub.lsps1.create(&body).await;
        assert_eq!((status.as_u16(), answer), (400, bad(message)), "{body}");
    }
    let (status, raw) = hub.lsps1.create_json_text("{not json").await;
    assert_eq!(status, 400);
    assert_eq!(raw, bad("the request body must be a JSON object"));

    // A fee rate is echoed as given.
    let created = create(
        hub,
        json!({"remote_balance": 100_000, "onchain_fee_rate": 2.5, "coupon_code": ""}),
    )
    .await;
    assert_eq!(created["request"]["onchain_fee_rate"], 2.5);
    let id = created["id"].as_str().expect("id").to_string();
    let not_found = json!({"message": "order not found", "code": "NOT_FOUND"});
    let unknown = uuid::Uuid::new_v4().to_string();
    for (path, (status, answer)) in [
        (
            format!("/lsp/channels/{unknown}"),
            hub.lsps1.order(&unknown).await,
        ),
        (
            format!("/lsp/channels/{unknown}/lnurl"),
            hub.lsps1.lnurl(&unknown).await,
        ),
        (
            format!("/lsp/channels/{unknown}/refund"),
            hub.lsps1.refund_status(&unknown).await,
        ),
        (
            format!("/lsp/channel?id={unknown}"),
            hub.lsps1.channel(&unknown).await,
        ),
    ] {
        assert_eq!(
            (status.as_u16(), answer),
            (404, not_found.clone()),
            "{path}"
        );
    }
    let (status, answer) = hub.lsps1.channel_without_id().await;
    assert_eq!((status.as_u16(), answer), (400, bad("id is required")));

    let alice = alice_connection(hub).await;
    let open_cases = [
        (
            json!({"node_connection_string": alice}),
            "announce_channel is required",
        ),
        (
            json!({"announce_channel": "yes", "node_connection_string": alice}),
            "announce_channel must be true or false",
        ),
        (
            json!({"announce_channel": true}),
            "node_connection_string is required",
        ),
        (
            json!({"announce_channel": true, "node_connection_string": "nonsense"}),
            "node_connection_string must be pubkey@ip:port (or a known peer's pubkey)",
        ),
        (
            json!({"announce_channel": true, "node_connection_string": format!("{}@nowhere", &alice[..66])}),
            "node_connection_string must be pubkey@ip:port (or a known peer's pubkey)",
        ),
    ];
    for (body, message) in open_cases {
        let (status, answer) = hub.lsps1.open(&id, &body).await;
        assert_eq!((status.as_u16(), answer), (400, bad(message)), "{body}");
    }
    let (status, answer) = hub
        .lsps1
        .open(
            &unknown,
            &json!({"announce_channel": true, "node_connection_string": alice}),
        )
        .await;
    assert_eq!((status.as_u16(), answer), (404, not_found.clone()));

    for body in [
        json!({}),
        json!({"lightning_invoice": "lnbcrt1", "onchain_address": "bcrt1q"}),
    ] {
        let (status, answer) = hub.lsps1.refund(&id, &body).await;
        assert_eq!(
            (status.as_u16(), answer),
            (
                400,
                bad("give exactly one of lightning_invoice or onchain_address")
            ),
            "{body}"
        );
    }
    let (_, status_now) = hub.lsps1.refund_status(&id).await;
    assert_eq!(status_now["refund_state"], "UNSUPPORTED");
    let (status, answer) = hub
        .lsps1
        .refund(&id, &json!({"onchain_address": "bcrt1q"}))
        .await;
    assert_eq!(
        (status.as_u16(), answer),
        (
            400,
            bad("onchain_address is not an address of this network")
        )
    );
    // A valid address, but an unpaid order has nothing to refund.
    let (_, wallet) = hub.admin.treasury_address("a wallet").await;
    let (status, answer) = hub
        .lsps1
        .refund(&id, &json!({"onchain_address": wallet["address"]}))
        .await;
    assert_eq!(status, 412, "{answer}");
    assert_eq!(answer["fail_reason"], "UNSUPPORTED");

    // The LNURL-channel of an LSPS1 order is the same LUD-02 flow as v0.0.1's.
    let (_, lnurl) = hub.lsps1.lnurl(&id).await;
    let url = lnurl::decode(lnurl["lnurl_channel"].as_str().expect("lnurl"));
    let early: Value = lnurl::get(&url).await;
    assert_eq!(
        early,
        json!({"status": "ERROR", "reason": "Order not in the right state"})
    );
    stack.stop().await;
}
