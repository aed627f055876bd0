//! A hub killed with SIGKILL in the middle of a gift payout (after `spent = pending` committed,
//! before or after the node took the payment) ends, after a restart, in the state the node's
//! own payment record says, and bob is paid exactly once.

use serde_json::json;

use crate::harness::clients::gifts::{assert_bob_gained, assert_books_balance, funded_gift};
use crate::harness::invoices::preimage_and_hash;
use crate::harness::process::Scene;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_the_node_took_the_payout_it_is_sent_once_after_restart() {
    let scene = Scene::new("gifts_crash", "before_send");
    let first = scene
        .hub()
        .pause_at("gifts.payout.before_send")
        .start()
        .await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = first.hub.dev.local_msat("bob").await;
    let invoice = first.hub.dev.invoice("bob", 1_000_000).await;
    let (status, answer) = first
        .hub
        .gifts
        .redeem_invoice(&order_id, &invoice.bolt11)
        .await;
    assert_eq!(status, 200, "{answer}");
    scene.wait_for_pause().await;
    let view = first.hub.gifts.gift(&order_id).await.1;
    assert_eq!(view["spent"], "pending");
    first.kill();

    let second = scene.hub().start().await;
    let paid = second
        .hub
        .dev
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(paid.amount_msat, Some(1_000_000));
    let view = second.hub.gifts.wait_spent(&order_id, json!(true)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "confirmed");
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_the_payout_is_in_flight_it_stays_pending_until_the_node_settles_it() {
    let scene = Scene::new("gifts_crash", "after_send");
    let first = scene
        .hub()
        .pause_at("gifts.payout.after_send")
        .start()
        .await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = first.hub.dev.local_msat("bob").await;
    let (preimage, hash) = preimage_and_hash();
    let invoice = first.hub.dev.hold_invoice("bob", 1_000_000, &hash).await;
    let (status, answer) = first
        .hub
        .gifts
        .redeem_invoice(&order_id, &invoice.bolt11)
        .await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    scene.wait_for_pause().await;
    first.hub.dev.wait_payment("bob", &hash, "held").await;
    first.kill();

    let second = scene.hub().start().await;
    // The node has the payment in flight: so does the gift, and nothing is sent again.
    let (_, status) = second.hub.gifts.redeem_status(&withdrawal).await;
    assert_eq!(status["status"], "initial", "{status}");
    assert_eq!(second.hub.gifts.gift(&order_id).await.1["spent"], "pending");
    second.hub.dev.wait_payment("bob", &hash, "held").await;
    second
        .hub
        .dev
        .claim("bob", &hash, &preimage)
        .await
        .expect("bob claims");
    second.hub.gifts.wait_spent(&order_id, json!(true)).await;
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}
