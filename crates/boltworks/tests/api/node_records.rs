//! The node's own payment records (ldk-node keeps each in memory) are removed on a schedule once
//! the hub's rows hold the outcome: an invoice nobody paid after its expiry, payments after they
//! ended. The hub's answers stay as they were, and an invoice already paid is not paid again.

use std::str::FromStr;

use ldk_node::lightning_invoice::Bolt11Invoice;
use serde_json::json;

use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::{eventually, Hub, ServeOptions, TestStack};

fn hash_of(bolt11: &str) -> String {
    Bolt11Invoice::from_str(bolt11)
        .expect("an invoice")
        .payment_hash()
        .to_string()
}

/// Whether the hub's node still keeps its record of `hash` (the hub's row must be there).
async fn node_keeps(hub: &Hub, hash: &str) -> bool {
    let (status, payment) = hub.dev.payment_answer("hub", hash).await;
    assert_eq!(status, 200, "the hub's row stays: {payment}");
    payment["node_record"].as_bool().expect("node_record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_node_forgets_expired_invoices_and_ended_payments_and_the_hub_still_answers() {
    // Every second; no grace after an expiry; ended payments at once.
    let stack = TestStack::builder()
        .demo_nodes()
        .node_prune(1, 0, 0)
        .build()
        .await;
    let hub = &stack.hub;
    let shop = Merchant::funded(hub, "shop").await;
    let body = json!({"amount": "1000", "description": "never paid", "expiry": 10});
    let (status, unpaid) = shop.create_invoice(&body).await;
    assert_eq!(status, 200, "{unpaid}");
    let unpaid_bolt11 = unpaid["payment_request"].as_str().expect("bolt11");
    let unpaid_hash = hash_of(unpaid_bolt11);
    assert!(
        node_keeps(hub, &unpaid_hash).await,
        "a live invoice is kept"
    );

    let bob = hub.dev.invoice("bob", 2_000_000).await;
    let (status, sent) = shop.pay_invoice(&bob.bolt11, 2_000).await;
    assert_eq!(status, 200, "{sent}");
    hub.dev
        .wait_payment("hub", &bob.payment_hash, "succeeded")
        .await;
    let payment_id = sent["payment_id"].as_str().expect("payment id");

    // The ended payment goes at once; the unpaid invoice once it expired.
    eventually("the ended payment's record to go", || async {
        (!node_keeps(hub, &bob.payment_hash).await).then_some(())
    })
    .await;
    assert!(node_keeps(hub, &unpaid_hash).await, "not expired yet");
    let (status, moved) = hub.dev.advance_clock(20).await;
    assert_eq!(status, 200, "{moved}");
    eventually("the expired invoice's record to go", || async {
        (!node_keeps(hub, &unpaid_hash).await).then_some(())
    })
    .await;

    // The hub answers from its own rows as before.
    let (status, invoice) = shop
        .lightning_invoice(unpaid["r_hash"].as_str().expect("r_hash"))
        .await;
    assert_eq!(status, 200, "{invoice}");
    assert_eq!(invoice["settled"], false);
    let (status, outgoing) = shop.outgoing(payment_id).await;
    assert_eq!(status, 200, "{outgoing}");
    assert_eq!(outgoing["status"], "succeeded", "{outgoing}");

    // Paying bob's invoice again is refused by the hub, though the node forgot it paid it.
    let balance = shop.balance().await;
    let (status, again) = shop.pay_invoice(&bob.bolt11, 2_000).await;
    assert_ne!(status, 200, "{again}");
    assert_eq!(shop.balance().await, balance, "nothing taken: {again}");
    let books = assert_books_exact(&hub.admin).await;
    assert_eq!(books["merchant"]["payouts_in_flight_msat"], 0, "{books}");
}
