//! Payments of a large part of a channel reach every service that receives money: LDK's default
//! cap (inbound HTLCs in flight at most 10% of a channel) would refuse each of these at once.
//! alice's 1,000,000-sat demo channel holds 500,000 sat on her side. One stack per test: each
//! spends most of alice's side.

use serde_json::{json, Value};

use crate::escrow::deal_of;
use crate::harness::clients::dev::ChannelView;
use crate::harness::clients::gifts::{assert_books_balance, funded_gift};
use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::{eventually, Hub, ServeOptions, TestStack};
use crate::lsp_v1::{alice_uri, buy, wait_state};

/// 40% of a demo channel.
const FORTY_PERCENT_SAT: u64 = 400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gift_of_forty_percent_of_a_channel_is_funded() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let alice_before = hub.dev.local_msat("alice").await;
    let gift = funded_gift(hub, FORTY_PERCENT_SAT, None).await;
    assert_eq!(gift["amount"], FORTY_PERCENT_SAT);
    // One channel carried it all, and alice paid no fee (the hub is the payee). Her side may
    // trail her success event by the last commitment update.
    let expected = alice_before - FORTY_PERCENT_SAT * 1_000;
    eventually("alice's side to show the payment", || async {
        (hub.dev.local_msat("alice").await == expected).then_some(())
    })
    .await;
    assert_eq!(
        assert_books_balance(hub).await,
        (FORTY_PERCENT_SAT * 1_000) as i64
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_invoice_of_forty_percent_of_a_channel_settles() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let shop = Merchant::sign_up(&hub.merchant, "big-shop", None).await;
    let invoice = shop.invoice(FORTY_PERCENT_SAT).await;
    let r_hash = invoice["r_hash"].as_str().expect("hash").to_string();
    hub.dev
        .pay(
            "alice",
            invoice["payment_request"].as_str().expect("bolt11"),
        )
        .await
        .expect("alice pays");
    eventually("the invoice to settle", || async {
        let (_, view) = shop.payment(&r_hash).await;
        (view["settled"] == true).then_some(())
    })
    .await;
    // The hub's 1% fee is taken; the rest is the merchant's.
    assert_eq!(
        shop.balance().await,
        FORTY_PERCENT_SAT - FORTY_PERCENT_SAT / 100
    );
    assert_books_exact(&hub.admin).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_escrow_payment_of_forty_percent_of_a_channel_reaches_the_sellers_node() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let escrow = &hub.escrow;
    let (seller, _buyer, tx, pmthash) = deal_of(escrow, "big", FORTY_PERCENT_SAT).await;
    // bob, the seller's node, holds the payment: it crosses the hub's channel to alice inbound
    // and its channel to bob outbound, both at 40%.
    let invoice = hub
        .dev
        .hold_invoice("bob", FORTY_PERCENT_SAT * 1_000, &pmthash)
        .await;
    let set = escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    assert_eq!(set["data"]["status"], "needs paid");
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    let held = hub.dev.wait_payment("bob", &pmthash, "held").await;
    assert_eq!(held.amount_msat, Some(FORTY_PERCENT_SAT * 1_000));
    assert_eq!(
        escrow
            .confirm_payment(json!({"session_id": seller, "tx": tx}))
            .await
            .success()["data"]["status"],
        "paid"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_lsp_order_of_101_120_sat_is_paid_and_delivered() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    // A 500,000-sat channel with 100,000 sat pushed to the buyer, for four weeks:
    // 400,000 sat * 28 days * 0.0001 = 1,120 sat, plus the push.
    let quote = buy(hub, 400_000, 100_000, 4).await;
    assert_eq!(quote["total_amount"], 101_120);
    let channel = pay_and_deliver(hub, &quote, 500_000).await;
    // alice can spend the pushed 100,000 sat less her reserve (1% of the channel); the hub's
    // side is the sold liquidity.
    assert!(
        (94_000_000..=100_000_000).contains(&channel.local_msat),
        "{channel:?}"
    );
    assert!(channel.remote_msat >= 390_000_000, "{channel:?}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_lsp_order_of_forty_percent_of_a_channel_is_paid_and_delivered() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    // An 810,000-sat channel with 400,000 sat pushed to the buyer (Blocktank sells more
    // liquidity than it pushes), for four weeks: 410,000 sat * 28 days * 0.0001 = 1,148 sat, plus
    // the push.
    let quote = buy(hub, 410_000, FORTY_PERCENT_SAT, 4).await;
    assert_eq!(quote["total_amount"], 401_148);
    let channel = pay_and_deliver(hub, &quote, 810_000).await;
    // alice can spend the push less her reserve, 1% of the channel (8,100 sat).
    assert!(
        (391_900_000..=400_000_000).contains(&channel.local_msat),
        "{channel:?}"
    );
    assert!(channel.remote_msat >= 400_000_000, "{channel:?}");
    stack.stop().await;
}

/// alice pays the order `quote` and takes its channel of `capacity_sat` privately; the channel
/// once ready.
async fn pay_and_deliver(hub: &Hub, quote: &Value, capacity_sat: u64) -> ChannelView {
    let id = quote["order_id"].as_str().expect("id").to_string();
    let hash = hub
        .dev
        .pay("alice", quote["ln_invoice"].as_str().expect("invoice"))
        .await
        .expect("alice pays");
    let paid = wait_state(hub, &id, 100).await;
    assert_eq!(paid["amount_received"], quote["total_amount"]);

    let (_, uri) = alice_uri(hub).await;
    let (status, answer) = hub
        .lsp_v1
        .manual_finalise(&json!({"order_id": id, "node_uri": uri, "private": true}))
        .await;
    assert_eq!(status, 200, "{answer}");
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    hub.dev.mine(6).await;
    wait_state(hub, &id, 500).await;
    eventually("alice's new channel", || async {
        hub.dev
            .nodes()
            .await
            .alice
            .channels
            .into_iter()
            .find(|c| c.capacity_sat == capacity_sat && c.ready)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_larger_than_any_one_channel_is_split_over_two() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    // A second channel from alice to the hub, all on her side.
    let second_id = hub.dev.open_channel("alice", "hub", 300_000, 0).await;
    hub.dev.wait_funding_broadcast("alice", &second_id).await;
    hub.dev.mine(6).await;
    eventually("the second channel ready", || async {
        hub.dev
            .channel("alice", &second_id)
            .await
            .filter(|c| c.ready)
            .map(|_| ())
    })
    .await;
    let first_before = hub
        .dev
        .channel_of_capacity("alice", 1_000_000)
        .await
        .expect("demo channel")
        .local_msat;
    let second_before = hub
        .dev
        .channel("alice", &second_id)
        .await
        .expect("second")
        .local_msat;
    // The largest gift, 500,000 sat, is more than alice holds in either channel (her demo
    // channel's 500,000 less its reserve, and 300,000): it can only arrive in parts.
    assert!(first_before < 500_000_000 && second_before < 500_000_000);
    funded_gift(hub, 500_000, None).await;
    // The parts add up to the gift, with no fee to the payee (the sides may trail alice's
    // success event by the last commitment update).
    let (first_after, second_after) = eventually("both parts settled", || async {
        let first = hub.dev.channel_of_capacity("alice", 1_000_000).await?;
        let second = hub.dev.channel("alice", &second_id).await?;
        let spent = (first_before - first.local_msat) + (second_before - second.local_msat);
        (spent == 500_000_000).then_some((first.local_msat, second.local_msat))
    })
    .await;
    assert!(
        first_after < first_before,
        "the demo channel carried a part"
    );
    assert!(
        second_after < second_before,
        "the second channel carried a part"
    );
    assert_books_balance(hub).await;
    stack.stop().await;
}
