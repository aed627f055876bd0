//! Channel orders paid on chain, to the order's own treasury address: two partial payments add
//! up (under-funded after the first, paid once the second confirms), the channel comes by
//! LNURL-channel, a Lightning payment on top is failed back; an on-chain-paid order that cannot
//! open is refunded exactly once, however many refund requests race.

use serde_json::{json, Value};

use crate::harness::invoices::random_node_id;
use crate::harness::ports::free_addr;
use crate::harness::{eventually, lnurl, Hub, ServeOptions, TestStack};

/// The trial balance sums to zero and the treasury's account equals its coins; returns the
/// balance of `account` (msat).
pub(crate) async fn books(hub: &Hub, account: &str) -> i64 {
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(ledger["balanced"], true, "{ledger}");
    let (_, treasury) = hub.admin.treasury().await;
    assert_eq!(treasury["books_match"], true, "{treasury}");
    ledger["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["account"] == account)
        .map_or(0, |a| a["balance_msat"].as_i64().expect("balance"))
}

async fn v1_order(hub: &Hub, id: &str) -> Value {
    hub.lsp_v1.order(id).await.1
}

async fn lsps1_order(hub: &Hub, id: &str) -> Value {
    hub.lsps1.order(id).await.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_v1_order_below_the_lsps1_minimum_has_its_address_and_is_paid_on_chain() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (_, info) = hub.lsp_v1.node_info().await;
    let product = info["services"][0]["product_id"].as_str().expect("product");
    let (_, quote) = hub
        .lsp_v1.buy(&json!({"product_id": product, "local_balance": 100_000, "remote_balance": 0, "channel_expiry": 1}))
        .await;
    // The 1,092-sat floor: far below LSPS1's 50,000-sat on-chain minimum.
    assert_eq!(quote["total_amount"], 1_092, "{quote}");
    let address = quote["btc_address"]
        .as_str()
        .expect("a string, as the seed's ChannelQuote has it")
        .to_string();
    assert!(address.starts_with("bcrt1"), "{quote}");
    let id = quote["order_id"].as_str().expect("id").to_string();
    assert_eq!(v1_order(hub, &id).await["btc_address"], address.as_str());

    hub.dev.fund(&address, 1_092).await;
    hub.dev.mine(1).await;
    let paid = eventually("paid on chain", || async {
        let order = v1_order(hub, &id).await;
        (order["state"] == 100).then_some(order)
    })
    .await;
    assert_eq!(paid["amount_received"], 1_092, "{paid}");
    books(hub, "assets:treasury").await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_v1_order_paid_on_chain_in_two_parts_gets_its_channel_by_lnurl() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (_, info) = hub.lsp_v1.node_info().await;
    let product = info["services"][0]["product_id"].as_str().expect("product");
    let (_, quote) = hub
        .lsp_v1.buy(&json!({"product_id": product, "local_balance": 1_000_000, "remote_balance": 60_000, "channel_expiry": 1}))
        .await;
    let id = quote["order_id"].as_str().expect("id").to_string();
    // 1,000,000 sats * 7 days * 0.0001 = 700, below the 1,092-sat floor.
    assert_eq!(quote["total_amount"], 61_092);
    let address = quote["btc_address"]
        .as_str()
        .expect("an address")
        .to_string();
    assert!(address.starts_with("bcrt1"), "{address}");

    let first = hub.dev.fund(&address, 30_000).await;
    hub.dev.mine(1).await;
    let partial = eventually("the first payment", || async {
        let order = v1_order(hub, &id).await;
        (order["amount_received"] == 30_000).then_some(order)
    })
    .await;
    assert_eq!(partial["state"], 0, "under-funded: {partial}");
    let payments = partial["onchain_payments"].as_array().expect("list");
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["hash"], first.as_str());
    assert_eq!(payments[0]["amount_base"], 30_000);
    assert_eq!(payments[0]["confirmed"], true);
    assert_eq!(payments[0]["to"], address.as_str());
    // The paying transaction's network fee, a number as Blocktank answered (the faucet pays one).
    let fee = payments[0]["fee_base"]
        .as_u64()
        .expect("fee_base, a number");
    assert!((1..10_000).contains(&fee), "{partial}");
    // The same order seen through LSPS1.
    let lsps1 = lsps1_order(hub, &id).await;
    assert_eq!(lsps1["payment"]["state"], "UNDER_FUNDED", "{lsps1}");
    assert_eq!(lsps1["state"], "AWAITING_PAYMENT");

    hub.dev.fund(&address, 31_092).await;
    let unconfirmed = eventually("the second payment in the mempool", || async {
        let order = v1_order(hub, &id).await;
        (order["onchain_payments"].as_array().map(Vec::len) == Some(2)).then_some(order)
    })
    .await;
    assert_eq!(unconfirmed["state"], 0, "not paid before it confirms");
    hub.dev.mine(1).await;
    eventually("paid", || async {
        (v1_order(hub, &id).await["state"] == 100).then_some(())
    })
    .await;
    assert_eq!(lsps1_order(hub, &id).await["payment"]["state"], "PAID");

    // Paid twice (alice pays the invoice too): the Lightning payment goes back.
    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    hub.dev.wait_payment("alice", &hash, "failed").await;
    // The hub's own record of it says so too (not `held` until the next start).
    eventually("the hub records the payment failed back", || async {
        let (_, listed) = hub
            .admin
            .get("/admin/node/payments?direction=inbound&status=failed")
            .await;
        let payment = listed["payments"]
            .as_array()?
            .iter()
            .find(|p| p["payment_hash"] == hash.as_str())?
            .clone();
        (payment["failure_reason"] == "failed back by the hub").then_some(())
    })
    .await;

    // An LNURL-channel wallet: decode, GET the request, (connected already), call back.
    let url = lnurl::decode(quote["lnurl_channel"].as_str().expect("lnurl"));
    let request: Value = lnurl::get(&url).await;
    assert_eq!(request["tag"], "channelRequest", "{request}");
    let alice = hub.dev.nodes().await.alice.node_id;
    let callback = request["callback"].as_str().expect("callback");
    let done: Value = lnurl::get(format!("{callback}?k1={id}&remoteid={alice}")).await;
    assert_eq!(done, json!({"status": "OK"}));
    eventually("opening", || async {
        (v1_order(hub, &id).await["state"] == 300).then_some(())
    })
    .await;
    hub.dev.mine(6).await;
    eventually("open", || async {
        (v1_order(hub, &id).await["state"] == 500).then_some(())
    })
    .await;
    let channel = hub
        .dev
        .channel_of_capacity("alice", 1_060_000)
        .await
        .expect("alice's new channel");
    assert!(
        channel.remote_msat >= 980_000_000,
        "the sold liquidity: {channel:?}"
    );
    // Nothing to refund: the money bought the channel.
    let (_, refund) = hub.lsps1.refund_status(&id).await;
    assert_eq!(refund["refund_state"], "UNSUPPORTED", "{refund}");
    // Booked: the liability the receipts built is spent on the fee and the push.
    assert_eq!(books(hub, &format!("liabilities:lsp:{id}")).await, 0);
    assert_eq!(books(hub, "income:lsp-fees").await, -1_092_000);
    assert_eq!(
        books(hub, "assets:node-wallet").await,
        -60_000_000,
        "the push"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_onchain_paid_order_that_cannot_open_is_refunded_exactly_once() {
    let stack = TestStack::builder()
        .demo_nodes()
        .lsp_open_attempts(1)
        .build()
        .await;
    let hub = &stack.hub;
    let (_, info) = hub.lsps1.info().await;
    assert!(
        info["features"]
            .as_array()
            .expect("features")
            .contains(&json!({"name": "onchain_payments", "min_satoshi": 50_000})),
        "{info}"
    );
    let (status, created) = hub
        .lsps1
        .create(&json!({"remote_balance": 100_000, "local_balance": 60_000}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["order_total"], 61_092);
    let address = created["btc_address"]
        .as_str()
        .expect("address")
        .to_string();
    hub.dev.fund(&address, 61_092).await;
    hub.dev.mine(1).await;
    let paid = eventually("paid on chain", || async {
        let order = lsps1_order(hub, &id).await;
        (order["payment"]["state"] == "PAID").then_some(order)
    })
    .await;
    assert_eq!(paid["payment"]["amount_paid"], 61_092);
    assert_eq!(paid["payment"]["onchain_payments"][0]["zero_conf"], false);
    assert_eq!(
        books(hub, &format!("liabilities:lsp:{id}")).await,
        -61_092_000,
        "held for the order"
    );

    let key = random_node_id();
    let nobody = free_addr();
    let (status, failed) = hub
        .lsps1.open(&id, &json!({"announce_channel": false, "node_connection_string": format!("{key}@{nobody}")}))
        .await;
    assert_eq!(status, 412, "{failed}");
    assert_eq!(failed["fail_reason"], "PEERING_FAILED");
    let (_, available) = hub.lsps1.refund_status(&id).await;
    assert_eq!(available["refund_state"], "AVAILABLE", "{available}");
    assert_eq!(available["amounts"]["onchain"], 61_092);

    let (_, target) = hub.admin.treasury_address("the buyer's wallet").await;
    let refund_to = target["address"].as_str().expect("address").to_string();
    let (status, refused) = hub
        .lsps1
        .refund(
            &id,
            &json!({"onchain_address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let requests = (0..10).map(|_| {
        let hub = hub.clone();
        let (id, refund_to) = (id.clone(), refund_to.clone());
        tokio::spawn(async move {
            hub.lsps1
                .refund(&id, &json!({"onchain_address": refund_to}))
                .await
        })
    });
    let mut paid_out = 0;
    for request in requests {
        let (status, answer) = request.await.expect("task");
        if answer["success"] == true {
            assert_eq!(status, 200);
            paid_out += 1;
        } else {
            assert_eq!(status, 412, "{answer}");
            assert_eq!(answer["fail_reason"], "REJECTED_BY_LSP", "{answer}");
        }
    }
    assert_eq!(paid_out, 1, "one refund");
    hub.dev.mine(1).await;
    let received = eventually("the refund on chain", || async {
        let (_, answer) = hub.admin.treasury_received(&refund_to).await;
        let list = answer["received"].as_array().cloned().unwrap_or_default();
        (list.len() == 1 && list[0]["confirmations"] == 1).then_some(list)
    })
    .await;
    // The buyer's coins come back less the network fee of sending them.
    let refunded = received[0]["amount_sat"].as_u64().expect("amount");
    assert!((60_000..61_092).contains(&refunded), "{refunded}");
    let (_, done) = hub.lsps1.refund_status(&id).await;
    assert_eq!(done["refund_state"], "PAID_OUT", "{done}");
    assert_eq!(done["amounts"]["onchain"], refunded);
    assert_eq!(done["paid_to"], refund_to.as_str());
    assert_eq!(lsps1_order(hub, &id).await["payment"]["state"], "REFUNDED");
    assert_eq!(
        books(hub, &format!("liabilities:lsp:{id}")).await,
        0,
        "owed nothing more"
    );
    let (status, again) = hub
        .lsps1
        .refund(&id, &json!({"onchain_address": refund_to}))
        .await;
    assert_eq!(
        (status.as_u16(), &again["fail_reason"]),
        (412, &json!("REJECTED_BY_LSP"))
    );

    // Money that arrives after the refund is refundable again, once more.
    hub.dev.fund(&address, 10_000).await;
    hub.dev.mine(1).await;
    let late = eventually("the late money refundable", || async {
        let (_, refund) = hub.lsps1.refund_status(&id).await;
        (refund["refund_state"] == "AVAILABLE").then_some(refund)
    })
    .await;
    assert_eq!(late["amounts"]["onchain"], 10_000);
    let (status, second) = hub
        .lsps1
        .refund(&id, &json!({"onchain_address": refund_to}))
        .await;
    assert_eq!(
        (status.as_u16(), &second["success"]),
        (200, &json!(true)),
        "{second}"
    );
    hub.dev.mine(1).await;
    eventually("both refunds on chain", || async {
        let (_, answer) = hub.admin.treasury_received(&refund_to).await;
        (answer["received"].as_array().map(Vec::len) == Some(2)).then_some(())
    })
    .await;
    assert_eq!(books(hub, &format!("liabilities:lsp:{id}")).await, 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_treasury_tops_up_the_node_wallet_for_a_channel_it_cannot_fund() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    // Move nearly all of the node's coins to the treasury.
    let (_, treasury) = hub.admin.treasury_address("float").await;
    let (status, moved) = hub
        .dev
        .send_onchain(
            "hub",
            treasury["address"].as_str().expect("address"),
            490_000_000,
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    // The node broadcasts in the background: mine once the treasury sees it in the mempool.
    let float = treasury["address"].as_str().expect("address").to_string();
    let seen = |confirmations: u64| {
        let (hub, float) = (hub.clone(), float.clone());
        async move {
            let (_, answer) = hub.admin.treasury_received(&float).await;
            (answer["received"][0]["confirmations"].as_u64() >= Some(confirmations)).then_some(())
        }
    };
    eventually("the move in the mempool", || seen(0)).await;
    hub.dev.mine(1).await;
    eventually("the move confirmed", || seen(1)).await;
    let node_before = hub.dev.nodes().await.hub.onchain_sat;
    assert!(node_before < 10_000_000, "{node_before}");

    let (_, info) = hub.lsp_v1.node_info().await;
    let product = info["services"][0]["product_id"].as_str().expect("product");
    let (_, quote) = hub
        .lsp_v1.buy(&json!({"product_id": product, "local_balance": 16_000_000, "remote_balance": 0, "channel_expiry": 1}))
        .await;
    let id = quote["order_id"]
        .as_str()
        .unwrap_or_else(|| panic!("quoted with the treasury's funds: {quote}"))
        .to_string();
    assert!(16_000_000 > node_before, "the node alone cannot fund it");
    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    eventually("paid", || async {
        (v1_order(hub, &id).await["state"] == 100).then_some(())
    })
    .await;
    let alice = hub.dev.nodes().await.alice;
    let (_, finalised) = hub
        .lsp_v1
        .manual_finalise(
            &json!({"order_id": id, "node_uri": format!("{}@{}", alice.node_id, alice.address)}),
        )
        .await;
    assert!(finalised.get("error").is_none(), "{finalised}");
    // The top-up waits in the mempool; once mined, the open goes ahead.
    eventually("the top-up sent", || async {
        let (_, balance) = hub.admin.treasury().await;
        (balance["confirmed_sat"].as_u64() < Some(490_000_000)).then_some(())
    })
    .await;
    eventually("opening", || async {
        hub.dev.mine(1).await;
        (v1_order(hub, &id).await["state"] == 300).then_some(())
    })
    .await;
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    hub.dev.mine(6).await;
    eventually("open", || async {
        (v1_order(hub, &id).await["state"] == 500).then_some(())
    })
    .await;
    assert!(hub
        .dev
        .nodes()
        .await
        .alice
        .channels
        .iter()
        .any(|c| c.capacity_sat == 16_000_000));
    assert!(
        books(hub, "assets:node-wallet").await > 0,
        "the top-up is booked"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_payment_near_its_deadline_is_settled_and_refunded_by_invoice_if_the_order_expires()
{
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (_, float) = hub.admin.treasury_address("float").await;
    hub.dev
        .fund(float["address"].as_str().expect("address"), 1_000_000)
        .await;
    hub.dev.mine(1).await;
    let (status, created) = hub
        .lsps1
        .create(&json!({"remote_balance": 100_000, "local_balance": 60_000}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    let hash = hub
        .dev
        .pay("alice", created["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("pay");
    eventually("paid", || async {
        (lsps1_order(hub, &id).await["payment"]["state"] == "PAID").then_some(())
    })
    .await;

    // Blocks pass with no node given: the hub settles before the HTLC's claim deadline. (One
    // block at a time, with a moment for the worker between: blocks come ten minutes apart.)
    let mut mined = 0;
    while hub
        .dev
        .payment("alice", &hash)
        .await
        .expect("record")
        .status
        != "succeeded"
    {
        assert!(mined < 400, "settled within 400 blocks");
        hub.dev.mine(1).await;
        mined += 1;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let settled = lsps1_order(hub, &id).await;
    assert_eq!(
        settled["state"], "PENDING_CHANNEL_OPEN",
        "the order goes on: {settled}"
    );
    assert_eq!(settled["payment"]["state"], "PAID");
    let liability = format!("liabilities:lsp:{id}");
    assert_eq!(
        books(hub, &liability).await,
        -61_092_000,
        "held for the order"
    );
    let (_, none_yet) = hub.lsps1.refund_status(&id).await;
    assert_eq!(
        none_yet["refund_state"], "UNSUPPORTED",
        "still to be delivered"
    );

    // Late on-chain money, then the order expires: both are refundable.
    hub.dev
        .fund(created["btc_address"].as_str().expect("address"), 5_000)
        .await;
    hub.dev.mine(1).await;
    hub.dev.advance_clock(1_801).await;
    eventually("expired", || async {
        (lsps1_order(hub, &id).await["state"] == "OFFER_EXPIRED").then_some(())
    })
    .await;
    let available = eventually("the late money booked", || async {
        let (_, refund) = hub.lsps1.refund_status(&id).await;
        (refund["amounts"]["onchain"] == 66_092).then_some(refund)
    })
    .await;
    assert_eq!(available["refund_state"], "AVAILABLE");
    assert_eq!(available["amounts"]["lightning"], 66_092);

    // Refunded by Lightning, to bob: only an invoice for exactly the amount will do.
    let wrong = hub.dev.invoice("bob", 66_000_000).await;
    let (status, refused) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": wrong.bolt11}))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["message"],
        "lightning_invoice must be for exactly the refundable 66092 sat"
    );
    let (status, refused) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": "lnbcrt1nonsense"}))
        .await;
    assert_eq!(status, 400, "{refused}");
    let bob_invoice = hub.dev.invoice("bob", 66_092_000).await;
    let (status, refunded) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": bob_invoice.bolt11}))
        .await;
    assert_eq!(
        (status.as_u16(), &refunded["success"]),
        (200, &json!(true)),
        "{refunded}"
    );
    hub.dev
        .wait_payment("bob", &bob_invoice.payment_hash, "succeeded")
        .await;
    let done = eventually("the refund recorded", || async {
        let (_, refund) = hub.lsps1.refund_status(&id).await;
        (refund["refund_state"] == "PAID_OUT").then_some(refund)
    })
    .await;
    assert_eq!(done["amounts"]["lightning"], 66_092);
    assert_eq!(done["paid_to"], bob_invoice.bolt11.as_str());
    assert_eq!(books(hub, &liability).await, 0, "owed nothing more");
    assert_eq!(lsps1_order(hub, &id).await["payment"]["state"], "REFUNDED");
    let again = hub.dev.invoice("bob", 66_092_000).await;
    let (status, twice) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": again.bolt11}))
        .await;
    assert_eq!(
        (status.as_u16(), &twice["fail_reason"]),
        (412, &json!("REJECTED_BY_LSP"))
    );
    stack.stop().await;
}
