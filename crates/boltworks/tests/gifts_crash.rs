//! A hub killed with SIGKILL in the middle of a gift payout (after `spent = pending` committed,
//! before or after the node took the payment) ends, after a restart, in the state the node's
//! own payment record says, and bob is paid exactly once.

mod common;

use common::gift_client::{
    assert_bob_gained, assert_books_balance, bob_local_msat, funded_gift, wait_spent,
};
use common::hub_process::{scene, wait_for_pause, HubProcess};
use common::preimage_and_hash;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_the_node_took_the_payout_it_is_sent_once_after_restart() {
    let scene = scene("gifts_crash", "before_send");
    let first =
        HubProcess::start(&scene.data, Some("gifts.payout.before_send"), &scene.marker).await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = bob_local_msat(&first.hub).await;
    let invoice = first.hub.invoice("bob", 1_000_000).await;
    let (status, answer) = first
        .hub
        .post(
            &format!("/gifts/redeem/{order_id}"),
            json!({"invoice": invoice.bolt11}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    wait_for_pause(&scene.marker).await;
    let view = first.hub.get(&format!("/gifts/gift/{order_id}")).await.1;
    assert_eq!(view["spent"], "pending");
    first.kill();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    let paid = second
        .hub
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(paid.amount_msat, Some(1_000_000));
    let view = wait_spent(&second.hub, &order_id, json!(true)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "confirmed");
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_the_payout_is_in_flight_it_stays_pending_until_the_node_settles_it() {
    let scene = scene("gifts_crash", "after_send");
    let first =
        HubProcess::start(&scene.data, Some("gifts.payout.after_send"), &scene.marker).await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = bob_local_msat(&first.hub).await;
    let (preimage, hash) = preimage_and_hash();
    let invoice = first.hub.hold_invoice("bob", 1_000_000, &hash).await;
    let (status, answer) = first
        .hub
        .post(
            &format!("/gifts/redeem/{order_id}"),
            json!({"invoice": invoice.bolt11}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    wait_for_pause(&scene.marker).await;
    first.hub.wait_payment("bob", &hash, "held").await;
    first.kill();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    // The node has the payment in flight: so does the gift, and nothing is sent again.
    let (_, status) = second
        .hub
        .get(&format!("/gifts/redeemStatus/{withdrawal}"))
        .await;
    assert_eq!(status["status"], "initial", "{status}");
    assert_eq!(
        second.hub.get(&format!("/gifts/gift/{order_id}")).await.1["spent"],
        "pending"
    );
    second.hub.wait_payment("bob", &hash, "held").await;
    second
        .hub
        .claim("bob", &hash, &preimage)
        .await
        .expect("bob claims");
    wait_spent(&second.hub, &order_id, json!(true)).await;
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}
