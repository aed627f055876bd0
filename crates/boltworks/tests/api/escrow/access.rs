//! Who may do what: permissions, sessions and their extension, the login throttle, and bad
//! input (a catalogue of bodies, none answered with a 5xx).

use serde_json::json;

use super::{deal, user};
use crate::harness::{ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permissions_and_sessions_hold() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let (seller, buyer, tx, _) = deal(escrow, "perm").await;
    let stranger = user(escrow, "stranger@example.com").await;

    // A stranger learns nothing and changes nothing.
    assert_eq!(
        escrow
            .get_tx(json!({"session_id": stranger, "tx": tx}))
            .await
            .refusal(),
        "transaction not found"
    );
    assert_eq!(
        escrow
            .goods_received(json!({"session_id": stranger, "tx": tx}))
            .await
            .refusal(),
        "transaction not found"
    );
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": stranger, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    assert_eq!(
        escrow
            .get_all_user_txs(json!({"session_id": stranger}))
            .await
            .body(),
        json!([])
    );
    // The buyer cannot take seller actions, nor the seller buyer actions.
    assert!(escrow
        .confirm_payment(json!({"session_id": buyer, "tx": tx}))
        .await
        .refusal()
        .contains("only the seller"));
    assert!(escrow
        .goods_received(json!({"session_id": seller, "tx": tx}))
        .await
        .refusal()
        .contains("only the buyer"));
    // A second buyer cannot attach; the seller cannot be its own buyer.
    let second = escrow
        .login(json!({"email": "stranger@example.com", "password": "hunter2-long", "tx": tx}))
        .await
        .body();
    assert_eq!(second["message"], "this transaction already has a buyer");
    // Wrong password and unknown email answer alike; an existing email with another password is refused.
    assert_eq!(
        escrow
            .login(json!({"email": "stranger@example.com", "password": "nope"}))
            .await
            .refusal(),
        "wrong password"
    );
    assert_eq!(
        escrow
            .login(json!({"email": "nobody@example.com", "password": "nope"}))
            .await
            .refusal(),
        "wrong password"
    );
    assert_eq!(
        escrow
            .set_user(json!({"email": "stranger@example.com", "password": "other"}))
            .await
            .refusal(),
        "user already exists"
    );

    // extend-session makes a key that outlives the 14-day sessions.
    let (status, extended) = stack.hub.escrow.extend_session(&seller).await;
    assert!(status.is_success());
    assert_eq!(extended["expiry"], "2176860314");
    stack.hub.dev.advance_clock(15 * 24 * 3600).await;
    assert_eq!(
        escrow
            .get_all_user_txs(json!({"session_id": buyer}))
            .await
            .refusal(),
        "invalid session"
    );
    let txs = escrow
        .get_all_user_txs(json!({"session_id": seller}))
        .await
        .body();
    assert!(txs.is_array(), "the extended session still works: {txs}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_the_json_error_shape() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let seller = user(escrow, "input@example.com").await;
    for amount in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!("ten"),
        json!(u64::MAX),
        json!(2_100_000_000_000_001u64),
    ] {
        let message = escrow
            .set_tx(json!({"session_id": seller, "buyer_email": "b@example.com", "amount": amount}))
            .await
            .refusal();
        assert!(message.contains("amount"), "{amount}: {message}");
    }
    assert!(escrow
        .set_tx(json!({"session_id": seller, "amount": 10}))
        .await
        .refusal()
        .contains("buyer_email"));
    assert!(escrow
        .get_tx(json!({"session_id": seller, "tx": "abc"}))
        .await
        .refusal()
        .contains("tx"));
    assert_eq!(
        escrow
            .get_tx(json!({"session_id": seller, "tx": 99999}))
            .await
            .refusal(),
        "transaction not found"
    );
    assert_eq!(
        escrow
            .get_tx(json!({"session_id": "0".repeat(64), "tx": 0}))
            .await
            .refusal(),
        "invalid session"
    );
    assert!(escrow.set_tx(json!({"session_id": seller, "buyer_email": "b@example.com", "amount": 5, "title": "x".repeat(20_000)})).await.refusal().contains("title"));
    // A 1 MB string: over the body limit, answered in escrow's own shape.
    let big = escrow.set_tx(json!({"session_id": seller, "buyer_email": "b@example.com", "amount": 5, "title": "x".repeat(1_100_000)})).await.body();
    assert_eq!(big["status"], "error");
    let (_, malformed) = escrow.post_raw("gettx", "{oops").await;
    assert_eq!(malformed["status"], "error");
    stack.stop().await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_logins_are_limited_per_email_until_the_window_passes() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    user(escrow, "target@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            escrow
                .login(json!({"email": "target@example.com", "password": "guess"}))
                .await
                .refusal(),
            "wrong password"
        );
    }
    // Now even the right password waits.
    let blocked = escrow
        .login(json!({"email": "target@example.com", "password": "hunter2-long"}))
        .await
        .refusal();
    assert!(blocked.starts_with("too many failed logins"), "{blocked}");
    // Other accounts are not affected.
    user(escrow, "other@example.com").await;
    stack.hub.dev.advance_clock(16 * 60).await;
    escrow
        .login(json!({"email": "target@example.com", "password": "hunter2-long"}))
        .await
        .success();
    stack.stop().await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_catalogue_of_bad_requests_never_gets_a_5xx() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let session = user(escrow, "catalogue@example.com").await;
    let endpoints = [
        "setuser",
        "login",
        "settx",
        "getallusertxs",
        "gettx",
        "setinvoice",
        "buyerpaid",
        "confirmpayment",
        "goodssent",
        "goodsreceived",
        "getpreimage",
        "dispute",
        "setwebhook",
    ];
    let bodies: Vec<String> = vec![
        "".into(),
        "{oops".into(),
        "[]".into(),
        "42".into(),
        "{}".into(),
        json!({"session_id": 5}).to_string(),
        json!({"session_id": session, "tx": -1}).to_string(),
        json!({"session_id": session, "tx": "x"}).to_string(),
        json!({"session_id": session, "tx": 1.5}).to_string(),
        json!({"session_id": session, "tx": "99999999999999999999999"}).to_string(),
        json!({"session_id": session, "tx": 0, "invoice": 7, "amount": "-3", "email": [], "password": {}}).to_string(),
        json!({"session_id": session, "tx": 0, "url": "ftp://x", "reason": ""}).to_string(),
        json!({"email": "a@b.c", "password": "p".repeat(5_000)}).to_string(),
    ];
    for endpoint in endpoints {
        for body in &bodies {
            let (status, answer) = escrow.post_raw(endpoint, body).await;
            assert!(status.is_success(), "{endpoint} {body}: HTTP {status}");
            if !matches!(endpoint, "getallusertxs" | "gettx") || answer.is_object() {
                assert!(
                    answer["status"] == "error" || answer["status"] == "success",
                    "{endpoint} {body}: {answer}"
                );
            }
        }
    }
    stack.stop().await;
}
