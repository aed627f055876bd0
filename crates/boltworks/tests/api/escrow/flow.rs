//! The whole escrow flow (with and without the buyer's "paid"), its emails and deadline
//! warnings, racing requests, and one account acting as both parties.

use bitcoin::hashes::{sha256, Hash};
use serde_json::json;

use super::{deal, user};
use crate::harness::{eventually, ServeOptions, TestStack};

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
