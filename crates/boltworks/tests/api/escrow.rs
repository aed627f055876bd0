//! The escrow API as its original clients used it (plain JSON POSTs to the documented paths),
//! on real Lightning nodes: bob sells, alice buys, the hub keeps the preimage.

use bitcoin::hashes::{sha256, Hash};
use serde_json::{json, Value};

use crate::harness::clients::escrow::EscrowClient;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, ServeOptions, TestStack};

/// A new user's session (the same password for every test user).
async fn user(escrow: &EscrowClient, email: &str) -> String {
    let answer = escrow
        .set_user(json!({"email": email, "password": "hunter2-long"}))
        .await
        .success();
    answer["session"].as_str().expect("session").to_string()
}

/// A seller, a buyer attached to a new 1,000-sat transaction. Returns (seller, buyer, tx, pmthash).
async fn deal(escrow: &EscrowClient, tag: &str) -> (String, String, String, String) {
    let seller = user(escrow, &format!("seller-{tag}@example.com")).await;
    let created = escrow
        .set_tx(json!({"session_id": seller, "buyer_email": "buyer@example.com", "goods_or_services": "goods", "title": "A book", "description": "Used", "fee_payer": "buyer", "amount": 1000}))
        .await.success();
    let data = &created["data"];
    assert_eq!(data["status"], "needs invoice");
    assert_eq!(data["amount"], "1000");
    assert_eq!(data["buyer"], "");
    assert!(data["created"].is_number() && data["id"].is_string());
    assert!(data.get("invoice").is_none());
    let tx = data["id"].as_str().expect("id").to_string();
    let pmthash = data["pmthash"].as_str().expect("pmthash").to_string();
    let buyer = escrow.without_trailing_slash().set_user(json!({"email": format!("buyer-{tag}@example.com"), "password": "pw-of-the-buyer", "tx": tx.parse::<i64>().expect("int")})).await.success();
    (
        seller,
        buyer["session"].as_str().expect("session").to_string(),
        tx,
        pmthash,
    )
}

async fn run_flow(stack: &TestStack, tag: &str, with_buyerpaid: bool) {
    let escrow = &stack.hub.escrow;
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(escrow, tag).await;

    // bob (the seller's node) makes a hold invoice for pmthash; the hub checks it.
    let invoice = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    let set = escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    assert_eq!(set["data"]["status"], "needs paid");
    assert_eq!(set["data"]["invoice"], invoice.bolt11);
    assert_eq!(set["data"]["invoice_amount_msat"], "1000000");
    assert_eq!(
        set["data"]["payee_node_id"],
        hub.dev.nodes().await.bob.node_id
    );

    // alice pays; bob's node holds the HTLC.
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.dev.wait_payment("bob", &pmthash, "held").await;

    if with_buyerpaid {
        let paid = escrow
            .buyer_paid(json!({"session_id": buyer, "tx": tx}))
            .await
            .success();
        assert_eq!(paid["data"]["status"], "claims paid");
    }
    assert_eq!(
        escrow
            .confirm_payment(json!({"session_id": seller, "tx": tx}))
            .await
            .success()["data"]["status"],
        "paid"
    );
    assert_eq!(
        escrow
            .goods_sent(json!({"session_id": seller, "tx": tx}))
            .await
            .success()["data"]["status"],
        "goods sent"
    );

    // The preimage stays secret until the buyer confirms receipt.
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    assert_eq!(
        escrow
            .goods_received(json!({"session_id": buyer, "tx": tx}))
            .await
            .success()["data"]["status"],
        "goods received"
    );
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": buyer, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    let released = escrow
        .get_preimage(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    let preimage = released["preimage"].as_str().expect("preimage").to_string();
    assert_eq!(
        hex::encode(sha256::Hash::hash(&hex::decode(&preimage).expect("hex")).to_byte_array()),
        pmthash
    );
    assert_eq!(released["data"]["status"], "funds received");
    // Asking again returns the same answer (the original sent an empty body).
    assert_eq!(
        escrow
            .without_trailing_slash()
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .success()["preimage"],
        preimage
    );

    // bob claims with it; alice's payment succeeds with that same preimage.
    hub.dev
        .claim("bob", &pmthash, &preimage)
        .await
        .expect("claim");
    let paid = hub.dev.wait_payment("alice", &pmthash, "succeeded").await;
    assert_eq!(paid.preimage.as_deref(), Some(preimage.as_str()));

    let stored = escrow
        .without_trailing_slash()
        .get_tx(json!({"session_id": buyer, "tx": tx.parse::<i64>().expect("int")}))
        .await
        .body();
    assert_eq!(stored["status"], "funds received");
    assert!(stored["id"].is_number() && stored["amount"] == "1000");
    let mine = escrow
        .get_all_user_txs(json!({"session_id": buyer}))
        .await
        .body();
    assert!(mine
        .as_array()
        .expect("bare array")
        .iter()
        .any(|t| t["pmthash"] == pmthash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_happy_path_releases_the_preimage_only_after_goods_received() {
    let stack = TestStack::builder().demo_nodes().build().await;
    run_flow(&stack, "a", true).await;
    run_flow(&stack, "b", false).await;

    // Each step's email went out through the outbox (into the data dir: no SMTP in tests).
    let mail_dir = stack.data_dir().join("mail");
    let mails = eventually("escrow emails", || async {
        let mails: Vec<String> = std::fs::read_dir(&mail_dir)
            .ok()?
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        // Flow a: created, invoice, buyer paid, goods sent, goods received; flow b: no buyer paid.
        (mails.len() >= 9).then_some(mails)
    })
    .await;
    let to = |who: &str, subject: &str| {
        mails
            .iter()
            .filter(|m| m.contains(&format!("To: {who}")) && m.contains(subject))
            .count()
    };
    assert_eq!(to("buyer@example.com", "You are invited"), 2);
    assert_eq!(to("buyer-a@example.com", "Invoice ready"), 1);
    assert_eq!(to("seller-a@example.com", "The buyer paid"), 1);
    assert_eq!(to("buyer-a@example.com", "Goods sent"), 1);
    assert_eq!(to("seller-a@example.com", "Goods received"), 1);
    assert_eq!(to("seller-b@example.com", "The buyer paid"), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_leave_one_consistent_outcome() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let (seller, buyer, tx, pmthash) = deal(escrow, "race").await;

    // The same invoice sent four times at once is stored once.
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    let body = json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11});
    let answers = futures_util::future::join_all(
        (0..4).map(|_| async { escrow.set_invoice(body.clone()).await.body() }),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "success").count(),
        1,
        "{answers:?}"
    );

    escrow
        .goods_sent(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    // goodsreceived eight times at once: one wins, the others are told.
    let body = json!({"session_id": buyer, "tx": tx});
    let answers = futures_util::future::join_all(
        (0..8).map(|_| async { escrow.goods_received(body.clone()).await.body() }),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "success").count(),
        1,
        "{answers:?}"
    );
    let stored = escrow
        .get_tx(json!({"session_id": buyer, "tx": tx}))
        .await
        .body();
    assert_eq!(stored["status"], "goods received");
    assert_eq!(stored["invoice"], invoice.bolt11);
    stack.stop().await;
}

/// The BOLT 11 specification's first example: a mainnet invoice ("Please make a donation of
/// any amount using payment_hash 0001..0102 to me @03e7156a..."), validly signed.
const BOLT11_MAINNET_VECTOR: &str = "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setinvoice_refuses_each_wrong_invoice_with_its_own_message() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(escrow, "refusals").await;
    let set = |invoice: String| json!({"session_id": seller, "tx": tx, "invoice": invoice});

    assert!(escrow
        .set_invoice(set("lnbcrt1garbage".into()))
        .await
        .refusal()
        .contains("invalid invoice"));
    assert!(escrow
        .set_invoice(set(BOLT11_MAINNET_VECTOR.into()))
        .await
        .refusal()
        .contains("wrong network"));
    let other_hash = hub.dev.invoice("alice", 1_000_000).await;
    assert_eq!(
        escrow.set_invoice(set(other_hash.bolt11)).await.refusal(),
        "wrong payment hash, try again"
    );
    let wrong_amount = hub.dev.hold_invoice("bob", 999_000, &pmthash).await;
    assert!(escrow
        .set_invoice(set(wrong_amount.bolt11))
        .await
        .refusal()
        .contains("wrong amount"));
    let short = hub
        .dev
        .invoice_expiring("bob", 1_000_000, 60, Some(&pmthash))
        .await;
    hub.dev.advance_clock(120).await;
    assert!(escrow
        .set_invoice(set(short.bolt11))
        .await
        .refusal()
        .contains("expired"));
    let amountless = regtest_invoice_without_amount(&pmthash);
    assert!(escrow
        .set_invoice(set(amountless))
        .await
        .refusal()
        .contains("no amount"));
    let valid = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    let altered = with_altered_amount(&valid.bolt11, 2_000_000);
    assert_ne!(altered, valid.bolt11);
    let message = escrow.set_invoice(set(altered)).await.refusal();
    assert!(
        message.contains("wrong amount") || message.contains("invalid invoice"),
        "{message}"
    );
    // The buyer may not set it, and nothing was stored by the refusals.
    let good = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .set_invoice(json!({"session_id": buyer, "tx": tx, "invoice": good.bolt11}))
        .await
        .refusal()
        .contains("only the seller"));
    escrow.set_invoice(set(good.bolt11.clone())).await.success();
    assert!(escrow
        .set_invoice(set(good.bolt11))
        .await
        .refusal()
        .contains("already has an invoice"));
    stack.stop().await;
}

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
async fn both_parties_are_warned_once_as_the_settle_by_height_nears() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let hub = &stack.hub;
    let (seller, _buyer, tx, pmthash) = deal(escrow, "deadline").await;
    let invoice = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.dev.wait_payment("bob", &pmthash, "held").await;

    // Without a reported expiry, settle_by_height = chain height + the invoice's final CLTV delta.
    let height = hub.ready().await.1["checks"]["chain_height"]
        .as_i64()
        .expect("height");
    let confirmed = escrow
        .confirm_payment(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    let delta: i64 = confirmed["data"]["min_final_cltv_expiry_delta"]
        .as_str()
        .expect("delta")
        .parse()
        .expect("int");
    assert_eq!(
        confirmed["data"]["settle_by_height"],
        (height + delta).to_string()
    );

    // The seller may report the HTLC's real expiry instead; it is 40 blocks away here.
    let (seller2, _, tx2, pmthash2) = deal(escrow, "deadline2").await;
    let invoice2 = hub.dev.hold_invoice("bob", 1_000_000, &pmthash2).await;
    escrow
        .set_invoice(json!({"session_id": seller2, "tx": tx2, "invoice": invoice2.bolt11}))
        .await
        .success();
    let reported = escrow
        .confirm_payment(
            json!({"session_id": seller2, "tx": tx2, "htlc_expiry_height": height + 40}),
        )
        .await
        .success();
    assert_eq!(
        reported["data"]["settle_by_height"],
        (height + 40).to_string()
    );

    // With the default 36-block warning, 5 blocks bring the second within reach.
    hub.dev.mine(5).await;
    let mail_dir = stack.data_dir().join("mail");
    let warnings = eventually("deadline warnings", || async {
        let mails: Vec<String> = std::fs::read_dir(&mail_dir)
            .ok()?
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .filter(|m| m.contains("Deadline near"))
            .collect();
        (mails.len() >= 2).then_some(mails)
    })
    .await;
    assert!(warnings
        .iter()
        .any(|m| m.contains("To: seller-deadline2@example.com")));
    assert!(warnings
        .iter()
        .any(|m| m.contains("To: buyer-deadline2@example.com")));
    hub.dev.mine(2).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let again = std::fs::read_dir(&mail_dir)
        .expect("dir")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|m| m.contains("Deadline near") && m.contains("deadline2"))
        .count();
    assert_eq!(again, 2, "warned once");
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

/// A validly signed regtest invoice for `payment_hash` with no amount.
fn regtest_invoice_without_amount(payment_hash: &str) -> String {
    use bitcoin::secp256k1::{Secp256k1, SecretKey};
    use ldk_node::lightning_invoice::{Currency, InvoiceBuilder, PaymentSecret};
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[43; 32]).expect("key");
    let hash = sha256::Hash::from_slice(&hex::decode(payment_hash).expect("hex")).expect("hash");
    InvoiceBuilder::new(Currency::Regtest)
        .description("no amount".into())
        .payment_hash(hash)
        .payment_secret(PaymentSecret([9; 32]))
        .current_timestamp()
        .min_final_cltv_expiry_delta(144)
        .build_signed(|message| secp.sign_ecdsa_recoverable(message, &key))
        .expect("signed invoice")
        .to_string()
}

/// `bolt11` re-encoded with another amount but its original signature (a tampered invoice).
fn with_altered_amount(bolt11: &str, amount_msat: u64) -> String {
    use ldk_node::lightning_invoice::{SiPrefix, SignedRawBolt11Invoice};
    let signed: SignedRawBolt11Invoice = bolt11.parse().expect("signed raw invoice");
    let (mut raw, _, signature) = signed.into_parts();
    // Amounts are encoded in pico-bitcoin: 1 msat = 10 pico.
    raw.hrp.raw_amount = Some(amount_msat * 10);
    raw.hrp.si_prefix = Some(SiPrefix::Pico);
    let tampered = raw.sign::<_, ()>(|_| Ok(signature.0)).expect("re-encoded");
    tampered.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_service_account_may_act_as_both_seller_and_buyer() {
    // The original documented this: a service may use one account for all its users.
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let service = user(escrow, "service@example.com").await;
    let created = escrow
        .set_tx(json!({"session_id": service, "buyer_email": "user@example.com", "amount": 1000}))
        .await
        .success();
    let tx = created["data"]["id"].as_str().expect("id").to_string();
    let pmthash = created["data"]["pmthash"]
        .as_str()
        .expect("pmthash")
        .to_string();
    escrow
        .login(json!({"email": "service@example.com", "password": "hunter2-long", "tx": tx}))
        .await
        .success();
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .set_invoice(json!({"session_id": service, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    for step in ["buyerpaid", "confirmpayment", "goodssent", "goodsreceived"] {
        escrow
            .step(step, json!({"session_id": service, "tx": tx}))
            .await
            .success();
    }
    let released = escrow
        .get_preimage(json!({"session_id": service, "tx": tx}))
        .await
        .success();
    assert_eq!(released["data"]["status"], "funds received");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setinvoice_cannot_rewind_a_received_transaction_and_no_invoice_means_no_preimage() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let (seller, buyer, tx, pmthash) = deal(escrow, "rewind").await;
    // The deny-list lets the buyer confirm receipt before any invoice (as the original did) ...
    escrow
        .goods_received(json!({"session_id": buyer, "tx": tx}))
        .await
        .success();
    // ... but with no invoice there is no preimage to release,
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    // and an invoice can no longer be added to ask the buyer to pay.
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .refusal()
        .contains("already has an invoice"));
    let stored = escrow
        .get_tx(json!({"session_id": seller, "tx": tx}))
        .await
        .body();
    assert_eq!(stored["status"], "goods received");
    stack.stop().await;
}
