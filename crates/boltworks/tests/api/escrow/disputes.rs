//! Disputes: refunded by the operator (the payment fails back, the preimage never leaves),
//! released (the seller fetches it, webhooks follow), and racing the flow's last steps.

use serde_json::{json, Value};

use super::deal;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refunded_dispute_fails_the_payment_back_and_never_releases_the_preimage() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(escrow, "refund").await;
    let before = hub.dev.local_msat("alice").await;
    let invoice = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.dev.wait_payment("bob", &pmthash, "held").await;
    escrow
        .confirm_payment(json!({"session_id": seller, "tx": tx}))
        .await
        .success();

    // The buyer disputes; even a later goodsreceived does not release the preimage.
    let disputed = escrow
        .dispute(json!({"session_id": buyer, "tx": tx, "reason": "never arrived"}))
        .await
        .success();
    assert_eq!(disputed["data"]["dispute"]["reason"], "never arrived");
    assert!(escrow
        .dispute(json!({"session_id": seller, "tx": tx, "reason": "again"}))
        .await
        .refusal()
        .contains("already open"));
    escrow
        .goods_received(json!({"session_id": buyer, "tx": tx}))
        .await
        .success();
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );

    // The operator refunds (token required); the preimage is gone for good.
    let (status, _) = hub
        .admin
        .without_token()
        .resolve_escrow(&tx, &json!({"resolution": "refund"}))
        .await;
    assert_eq!(status, 401);
    let (status, _) = hub
        .admin
        .resolve_escrow(
            &tx,
            &json!({"resolution": "refund", "note": "no proof of shipping"}),
        )
        .await;
    assert!(status.is_success());
    let stored = escrow
        .get_tx(json!({"session_id": buyer, "tx": tx}))
        .await
        .body();
    assert_eq!(stored["status"], "refunded");
    assert_eq!(stored["dispute"]["resolution"], "refund");
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    assert!(escrow
        .goods_sent(json!({"session_id": seller, "tx": tx}))
        .await
        .refusal()
        .contains("refunded"));

    // bob fails the HTLC back: alice's payment fails and her balance is whole again.
    hub.dev.fail("bob", &pmthash).await.expect("fail back");
    hub.dev.wait_payment("alice", &pmthash, "failed").await;
    let after = eventually("alice's balance restored", || async {
        let now = hub.dev.local_msat("alice").await;
        (now == before).then_some(now)
    })
    .await;
    assert_eq!(after, before);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_released_dispute_lets_the_seller_fetch_the_preimage_and_webhooks_follow_every_change() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let (receiver, hook) = Receiver::default().start().await;

    let (seller, buyer, tx, pmthash) = deal(escrow, "release").await;
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    escrow
        .set_webhook(json!({"session_id": seller, "url": hook}))
        .await
        .success();
    escrow
        .goods_sent(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    escrow
        .dispute(json!({"session_id": seller, "tx": tx, "reason": "buyer silent"}))
        .await
        .success();
    let (status, _) = stack
        .hub
        .admin
        .resolve_escrow(&tx, &json!({"resolution": "release"}))
        .await;
    assert!(status.is_success());
    // The operator's decision is final: the buyer cannot reopen it.
    assert!(escrow
        .dispute(json!({"session_id": buyer, "tx": tx, "reason": "again"}))
        .await
        .refusal()
        .contains("already open"));
    let released = escrow
        .get_preimage(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    assert_eq!(released["preimage"].as_str().map(str::len), Some(64));
    // The buyer still cannot fetch it.
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": buyer, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );

    let events = eventually("seller's webhooks", || async {
        let seen: Vec<Value> = receiver
            .seen()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).expect("json"))
            .collect();
        (seen.len() >= 4).then_some(seen)
    })
    .await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    for expected in [
        "escrow.goods_sent",
        "escrow.dispute_opened",
        "escrow.dispute_released",
        "escrow.preimage_released",
    ] {
        assert!(
            kinds.contains(&expected),
            "{expected} missing from {kinds:?}"
        );
    }
    assert!(events
        .iter()
        .all(|e| e["transaction"]["pmthash"].is_string()));
    // Each event carries the transaction as it is after the change.
    let goods_sent = events
        .iter()
        .find(|e| e["event"] == "escrow.goods_sent")
        .expect("goods_sent");
    assert_eq!(goods_sent["transaction"]["status"], "goods sent");
    let released_event = events
        .iter()
        .find(|e| e["event"] == "escrow.preimage_released")
        .expect("released");
    assert_eq!(released_event["transaction"]["status"], "funds received");
    stack.stop().await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn goodsreceived_getpreimage_and_a_dispute_at_the_same_instant_end_consistently() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    for round in 0..4 {
        let (seller, buyer, tx, _) = deal(escrow, &format!("instant{round}")).await;
        escrow
            .goods_sent(json!({"session_id": seller, "tx": tx}))
            .await
            .success();
        // goodsreceived and a dispute at once: both may succeed, but the dispute then holds.
        let (received, disputed) = futures_util::future::join(
            async {
                escrow
                    .goods_received(json!({"session_id": buyer, "tx": tx}))
                    .await
                    .body()
            },
            async {
                escrow
                    .dispute(json!({"session_id": seller, "tx": tx, "reason": "race"}))
                    .await
                    .body()
            },
        )
        .await;
        assert_eq!(received["status"], "success", "{received}");
        assert_eq!(disputed["status"], "success", "{disputed}");
        assert_eq!(
            escrow
                .get_preimage(json!({"session_id": seller, "tx": tx}))
                .await
                .refusal(),
            "nice try!"
        );

        // getpreimage and a dispute at once: exactly one wins.
        let (seller2, buyer2, tx2, _) = deal(escrow, &format!("instant-b{round}")).await;
        escrow
            .goods_received(json!({"session_id": buyer2, "tx": tx2}))
            .await
            .success();
        let (preimage, dispute) = futures_util::future::join(
            async {
                escrow
                    .get_preimage(json!({"session_id": seller2, "tx": tx2}))
                    .await
                    .body()
            },
            async {
                escrow
                    .dispute(json!({"session_id": buyer2, "tx": tx2, "reason": "race"}))
                    .await
                    .body()
            },
        )
        .await;
        let wins = [&preimage, &dispute]
            .iter()
            .filter(|a| a["status"] == "success")
            .count();
        assert_eq!(wins, 1, "{preimage} / {dispute}");
        let stored = escrow
            .get_tx(json!({"session_id": buyer2, "tx": tx2}))
            .await
            .body();
        if preimage["status"] == "success" {
            assert_eq!(stored["status"], "funds received");
        } else {
            assert_eq!(stored["dispute"]["reason"], "race");
        }
    }
    stack.stop().await;
}
