//! The escrow API as its original clients used it (plain JSON POSTs to the documented paths),
//! on real Lightning nodes: bob sells, alice buys, the hub keeps the preimage.

mod common;

use bitcoin::hashes::{sha256, Hash};
use common::TestStack;
use serde_json::{json, Value};

/// A client of the escrow API, posting JSON as the seed's sample scripts do.
struct Escrow<'a> {
    stack: &'a TestStack,
}

impl Escrow<'_> {
    async fn call(&self, path: &str, body: Value) -> Value {
        let (status, answer) = self.stack.hub.post(&format!("/escrow{path}"), body).await;
        assert_eq!(status, 200, "{path}: {answer}");
        answer
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        let answer = self.call(path, body.clone()).await;
        assert_eq!(answer["status"], "success", "{path} {body}: {answer}");
        answer
    }

    async fn refused(&self, path: &str, body: Value) -> String {
        let answer = self.call(path, body.clone()).await;
        assert_eq!(
            answer["status"], "error",
            "{path} {body} should be refused: {answer}"
        );
        answer["message"].as_str().expect("message").to_string()
    }

    async fn user(&self, email: &str) -> String {
        let answer = self
            .ok(
                "/setuser/v2/",
                json!({"email": email, "password": "hunter2-long"}),
            )
            .await;
        answer["session"].as_str().expect("session").to_string()
    }
}

/// A seller, a buyer attached to a new 1,000-sat transaction. Returns (seller, buyer, tx, pmthash).
async fn deal(escrow: &Escrow<'_>, tag: &str) -> (String, String, String, String) {
    let seller = escrow.user(&format!("seller-{tag}@example.com")).await;
    let created = escrow
        .ok("/settx/v2/", json!({"session_id": seller, "buyer_email": "buyer@example.com", "goods_or_services": "goods", "title": "A book", "description": "Used", "fee_payer": "buyer", "amount": 1000}))
        .await;
    let data = &created["data"];
    assert_eq!(data["status"], "needs invoice");
    assert_eq!(data["amount"], "1000");
    assert_eq!(data["buyer"], "");
    assert!(data["created"].is_number() && data["id"].is_string());
    assert!(data.get("invoice").is_none());
    let tx = data["id"].as_str().expect("id").to_string();
    let pmthash = data["pmthash"].as_str().expect("pmthash").to_string();
    let buyer = escrow.ok("/setuser/v2", json!({"email": format!("buyer-{tag}@example.com"), "password": "pw-of-the-buyer", "tx": tx.parse::<i64>().expect("int")})).await;
    (
        seller,
        buyer["session"].as_str().expect("session").to_string(),
        tx,
        pmthash,
    )
}

async fn run_flow(stack: &TestStack, tag: &str, with_buyerpaid: bool) {
    let escrow = Escrow { stack };
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(&escrow, tag).await;

    // bob (the seller's node) makes a hold invoice for pmthash; the hub checks it.
    let invoice = hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    let set = escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}),
        )
        .await;
    assert_eq!(set["data"]["status"], "needs paid");
    assert_eq!(set["data"]["invoice"], invoice.bolt11);
    assert_eq!(set["data"]["invoice_amount_msat"], "1000000");
    assert_eq!(set["data"]["payee_node_id"], hub.nodes().await.bob.node_id);

    // alice pays; bob's node holds the HTLC.
    hub.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.wait_payment("bob", &pmthash, "held").await;

    if with_buyerpaid {
        let paid = escrow
            .ok("/buyerpaid/v2/", json!({"session_id": buyer, "tx": tx}))
            .await;
        assert_eq!(paid["data"]["status"], "claims paid");
    }
    assert_eq!(
        escrow
            .ok(
                "/confirmpayment/v2/",
                json!({"session_id": seller, "tx": tx})
            )
            .await["data"]["status"],
        "paid"
    );
    assert_eq!(
        escrow
            .ok("/goodssent/v2/", json!({"session_id": seller, "tx": tx}))
            .await["data"]["status"],
        "goods sent"
    );

    // The preimage stays secret until the buyer confirms receipt.
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
            .await,
        "nice try!"
    );
    assert_eq!(
        escrow
            .ok("/goodsreceived/v2/", json!({"session_id": buyer, "tx": tx}))
            .await["data"]["status"],
        "goods received"
    );
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": buyer, "tx": tx}))
            .await,
        "nice try!"
    );
    let released = escrow
        .ok("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
        .await;
    let preimage = released["preimage"].as_str().expect("preimage").to_string();
    assert_eq!(
        hex::encode(sha256::Hash::hash(&hex::decode(&preimage).expect("hex")).to_byte_array()),
        pmthash
    );
    assert_eq!(released["data"]["status"], "funds received");
    // Asking again returns the same answer (the original sent an empty body).
    assert_eq!(
        escrow
            .ok("/getpreimage/v2", json!({"session_id": seller, "tx": tx}))
            .await["preimage"],
        preimage
    );

    // bob claims with it; alice's payment succeeds with that same preimage.
    hub.claim("bob", &pmthash, &preimage).await.expect("claim");
    let paid = hub.wait_payment("alice", &pmthash, "succeeded").await;
    assert_eq!(paid.preimage.as_deref(), Some(preimage.as_str()));

    let stored = escrow
        .call(
            "/gettx/v2",
            json!({"session_id": buyer, "tx": tx.parse::<i64>().expect("int")}),
        )
        .await;
    assert_eq!(stored["status"], "funds received");
    assert!(stored["id"].is_number() && stored["amount"] == "1000");
    let mine = escrow
        .call("/getallusertxs/v2/", json!({"session_id": buyer}))
        .await;
    assert!(mine
        .as_array()
        .expect("bare array")
        .iter()
        .any(|t| t["pmthash"] == pmthash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_happy_path_releases_the_preimage_only_after_goods_received() {
    let stack = TestStack::with_demo_nodes().await;
    run_flow(&stack, "a", true).await;
    run_flow(&stack, "b", false).await;

    // Each step's email went out through the outbox (into the data dir: no SMTP in tests).
    let mail_dir = stack.data_dir().join("mail");
    let mails = common::eventually("escrow emails", || async {
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let (seller, buyer, tx, pmthash) = deal(&escrow, "race").await;

    // The same invoice sent four times at once is stored once.
    let invoice = stack.hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    let body = json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11});
    let answers = futures_util::future::join_all(
        (0..4).map(|_| escrow.call("/setinvoice/v2/", body.clone())),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "success").count(),
        1,
        "{answers:?}"
    );

    escrow
        .ok("/goodssent/v2/", json!({"session_id": seller, "tx": tx}))
        .await;
    // goodsreceived eight times at once: one wins, the others are told.
    let body = json!({"session_id": buyer, "tx": tx});
    let answers = futures_util::future::join_all(
        (0..8).map(|_| escrow.call("/goodsreceived/v2/", body.clone())),
    )
    .await;
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "success").count(),
        1,
        "{answers:?}"
    );
    let stored = escrow
        .call("/gettx/v2/", json!({"session_id": buyer, "tx": tx}))
        .await;
    assert_eq!(stored["status"], "goods received");
    assert_eq!(stored["invoice"], invoice.bolt11);
    stack.stop().await;
}

/// The BOLT 11 specification's first example: a mainnet invoice ("Please make a donation of
/// any amount using payment_hash 0001..0102 to me @03e7156a..."), validly signed.
const BOLT11_MAINNET_VECTOR: &str = "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setinvoice_refuses_each_wrong_invoice_with_its_own_message() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(&escrow, "refusals").await;
    let set = |invoice: String| json!({"session_id": seller, "tx": tx, "invoice": invoice});

    assert!(escrow
        .refused("/setinvoice/v2/", set("lnbcrt1garbage".into()))
        .await
        .contains("invalid invoice"));
    assert!(escrow
        .refused("/setinvoice/v2/", set(BOLT11_MAINNET_VECTOR.into()))
        .await
        .contains("wrong network"));
    let other_hash = hub.invoice("alice", 1_000_000).await;
    assert_eq!(
        escrow
            .refused("/setinvoice/v2/", set(other_hash.bolt11))
            .await,
        "wrong payment hash, try again"
    );
    let wrong_amount = hub.hold_invoice("bob", 999_000, &pmthash).await;
    assert!(escrow
        .refused("/setinvoice/v2/", set(wrong_amount.bolt11))
        .await
        .contains("wrong amount"));
    let short = hub
        .post(
            "/dev/bob/invoice",
            json!({"amount_msat": 1_000_000, "payment_hash": pmthash, "expiry_secs": 60}),
        )
        .await
        .1;
    hub.post("/dev/clock/advance", json!({"secs": 120})).await;
    assert!(escrow
        .refused(
            "/setinvoice/v2/",
            set(short["bolt11"].as_str().expect("bolt11").into())
        )
        .await
        .contains("expired"));
    let amountless = regtest_invoice_without_amount(&pmthash);
    assert!(escrow
        .refused("/setinvoice/v2/", set(amountless))
        .await
        .contains("no amount"));
    let valid = hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    let altered = with_altered_amount(&valid.bolt11, 2_000_000);
    assert_ne!(altered, valid.bolt11);
    let message = escrow.refused("/setinvoice/v2/", set(altered)).await;
    assert!(
        message.contains("wrong amount") || message.contains("invalid invoice"),
        "{message}"
    );
    // The buyer may not set it, and nothing was stored by the refusals.
    let good = hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .refused(
            "/setinvoice/v2/",
            json!({"session_id": buyer, "tx": tx, "invoice": good.bolt11})
        )
        .await
        .contains("only the seller"));
    escrow.ok("/setinvoice/v2/", set(good.bolt11.clone())).await;
    assert!(escrow
        .refused("/setinvoice/v2/", set(good.bolt11))
        .await
        .contains("already has an invoice"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permissions_and_sessions_hold() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let (seller, buyer, tx, _) = deal(&escrow, "perm").await;
    let stranger = escrow.user("stranger@example.com").await;

    // A stranger learns nothing and changes nothing.
    assert_eq!(
        escrow
            .refused("/gettx/v2/", json!({"session_id": stranger, "tx": tx}))
            .await,
        "transaction not found"
    );
    assert_eq!(
        escrow
            .refused(
                "/goodsreceived/v2/",
                json!({"session_id": stranger, "tx": tx})
            )
            .await,
        "transaction not found"
    );
    assert_eq!(
        escrow
            .refused(
                "/getpreimage/v2/",
                json!({"session_id": stranger, "tx": tx})
            )
            .await,
        "nice try!"
    );
    assert_eq!(
        escrow
            .call("/getallusertxs/v2/", json!({"session_id": stranger}))
            .await,
        json!([])
    );
    // The buyer cannot take seller actions, nor the seller buyer actions.
    assert!(escrow
        .refused(
            "/confirmpayment/v2/",
            json!({"session_id": buyer, "tx": tx})
        )
        .await
        .contains("only the seller"));
    assert!(escrow
        .refused(
            "/goodsreceived/v2/",
            json!({"session_id": seller, "tx": tx})
        )
        .await
        .contains("only the buyer"));
    // A second buyer cannot attach; the seller cannot be its own buyer.
    let second = escrow
        .call(
            "/login/v2/",
            json!({"email": "stranger@example.com", "password": "hunter2-long", "tx": tx}),
        )
        .await;
    assert_eq!(second["message"], "this transaction already has a buyer");
    // Wrong password and unknown email answer alike; an existing email with another password is refused.
    assert_eq!(
        escrow
            .refused(
                "/login/v2/",
                json!({"email": "stranger@example.com", "password": "nope"})
            )
            .await,
        "wrong password"
    );
    assert_eq!(
        escrow
            .refused(
                "/login/v2/",
                json!({"email": "nobody@example.com", "password": "nope"})
            )
            .await,
        "wrong password"
    );
    assert_eq!(
        escrow
            .refused(
                "/setuser/v2/",
                json!({"email": "stranger@example.com", "password": "other"})
            )
            .await,
        "user already exists"
    );

    // extend-session makes a key that outlives the 14-day sessions.
    let (status, extended) = stack
        .hub
        .get(&format!("/escrow/extend-session/?session_id={seller}"))
        .await;
    assert!(status.is_success());
    assert_eq!(extended["expiry"], "2176860314");
    stack
        .hub
        .post("/dev/clock/advance", json!({"secs": 15 * 24 * 3600}))
        .await;
    assert_eq!(
        escrow
            .refused("/getallusertxs/v2/", json!({"session_id": buyer}))
            .await,
        "invalid session"
    );
    let txs = escrow
        .call("/getallusertxs/v2/", json!({"session_id": seller}))
        .await;
    assert!(txs.is_array(), "the extended session still works: {txs}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_the_json_error_shape() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let seller = escrow.user("input@example.com").await;
    for amount in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!("ten"),
        json!(u64::MAX),
        json!(2_100_000_000_000_001u64),
    ] {
        let message = escrow
            .refused(
                "/settx/v2/",
                json!({"session_id": seller, "buyer_email": "b@example.com", "amount": amount}),
            )
            .await;
        assert!(message.contains("amount"), "{amount}: {message}");
    }
    assert!(escrow
        .refused("/settx/v2/", json!({"session_id": seller, "amount": 10}))
        .await
        .contains("buyer_email"));
    assert!(escrow
        .refused("/gettx/v2/", json!({"session_id": seller, "tx": "abc"}))
        .await
        .contains("tx"));
    assert_eq!(
        escrow
            .refused("/gettx/v2/", json!({"session_id": seller, "tx": 99999}))
            .await,
        "transaction not found"
    );
    assert_eq!(
        escrow
            .refused("/gettx/v2/", json!({"session_id": "0".repeat(64), "tx": 0}))
            .await,
        "invalid session"
    );
    assert!(escrow.refused("/settx/v2/", json!({"session_id": seller, "buyer_email": "b@example.com", "amount": 5, "title": "x".repeat(20_000)})).await.contains("title"));
    // A 1 MB string: over the body limit, answered in escrow's own shape.
    let big = escrow.call("/settx/v2/", json!({"session_id": seller, "buyer_email": "b@example.com", "amount": 5, "title": "x".repeat(1_100_000)})).await;
    assert_eq!(big["status"], "error");
    let http = reqwest::Client::new();
    let malformed: Value = http
        .post(format!("{}/escrow/gettx/v2/", stack.hub.base))
        .body("{oops")
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(malformed["status"], "error");
    stack.stop().await;
}

/// The hub's view of alice's spendable balance towards the hub.
async fn alice_local_msat(stack: &TestStack) -> u64 {
    stack
        .hub
        .nodes()
        .await
        .alice
        .channels
        .iter()
        .map(|c| c.local_msat)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refunded_dispute_fails_the_payment_back_and_never_releases_the_preimage() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(&escrow, "refund").await;
    let before = alice_local_msat(&stack).await;
    let invoice = hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}),
        )
        .await;
    hub.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.wait_payment("bob", &pmthash, "held").await;
    escrow
        .ok(
            "/confirmpayment/v2/",
            json!({"session_id": seller, "tx": tx}),
        )
        .await;

    // The buyer disputes; even a later goodsreceived does not release the preimage.
    let disputed = escrow
        .ok(
            "/dispute/v2/",
            json!({"session_id": buyer, "tx": tx, "reason": "never arrived"}),
        )
        .await;
    assert_eq!(disputed["data"]["dispute"]["reason"], "never arrived");
    assert!(escrow
        .refused(
            "/dispute/v2/",
            json!({"session_id": seller, "tx": tx, "reason": "again"})
        )
        .await
        .contains("already open"));
    escrow
        .ok("/goodsreceived/v2/", json!({"session_id": buyer, "tx": tx}))
        .await;
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
            .await,
        "nice try!"
    );

    // The operator refunds (token required); the preimage is gone for good.
    let (status, _) = hub
        .post(
            &format!("/admin/escrow/{tx}/resolve"),
            json!({"resolution": "refund"}),
        )
        .await;
    assert_eq!(status, 401);
    let resolve = reqwest::Client::new()
        .post(format!("{}/admin/escrow/{tx}/resolve", hub.base))
        .bearer_auth(common::ADMIN_TOKEN)
        .json(&json!({"resolution": "refund", "note": "no proof of shipping"}))
        .send()
        .await
        .expect("resolve");
    assert!(resolve.status().is_success());
    let stored = escrow
        .call("/gettx/v2/", json!({"session_id": buyer, "tx": tx}))
        .await;
    assert_eq!(stored["status"], "refunded");
    assert_eq!(stored["dispute"]["resolution"], "refund");
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
            .await,
        "nice try!"
    );
    assert!(escrow
        .refused("/goodssent/v2/", json!({"session_id": seller, "tx": tx}))
        .await
        .contains("refunded"));

    // bob fails the HTLC back: alice's payment fails and her balance is whole again.
    hub.fail("bob", &pmthash).await.expect("fail back");
    hub.wait_payment("alice", &pmthash, "failed").await;
    let after = common::eventually("alice's balance restored", || async {
        let now = alice_local_msat(&stack).await;
        (now == before).then_some(now)
    })
    .await;
    assert_eq!(after, before);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_released_dispute_lets_the_seller_fetch_the_preimage_and_webhooks_follow_every_change() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let sink = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hook = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (seller, buyer, tx, pmthash) = deal(&escrow, "release").await;
    let invoice = stack.hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}),
        )
        .await;
    escrow
        .ok(
            "/setwebhook/v2/",
            json!({"session_id": seller, "url": hook}),
        )
        .await;
    escrow
        .ok("/goodssent/v2/", json!({"session_id": seller, "tx": tx}))
        .await;
    escrow
        .ok(
            "/dispute/v2/",
            json!({"session_id": seller, "tx": tx, "reason": "buyer silent"}),
        )
        .await;
    let resolve = reqwest::Client::new()
        .post(format!("{}/admin/escrow/{tx}/resolve", stack.hub.base))
        .bearer_auth(common::ADMIN_TOKEN)
        .json(&json!({"resolution": "release"}))
        .send()
        .await
        .expect("resolve");
    assert!(resolve.status().is_success());
    // The operator's decision is final: the buyer cannot reopen it.
    assert!(escrow
        .refused(
            "/dispute/v2/",
            json!({"session_id": buyer, "tx": tx, "reason": "again"})
        )
        .await
        .contains("already open"));
    let released = escrow
        .ok("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
        .await;
    assert_eq!(released["preimage"].as_str().map(str::len), Some(64));
    // The buyer still cannot fetch it.
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": buyer, "tx": tx}))
            .await,
        "nice try!"
    );

    let events = common::eventually("seller's webhooks", || async {
        let seen = seen.lock().expect("lock").clone();
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let hub = &stack.hub;
    let (seller, _buyer, tx, pmthash) = deal(&escrow, "deadline").await;
    let invoice = hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}),
        )
        .await;
    hub.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.wait_payment("bob", &pmthash, "held").await;

    // Without a reported expiry, settle_by_height = chain height + the invoice's final CLTV delta.
    let height = hub.get("/ready").await.1["checks"]["chain_height"]
        .as_i64()
        .expect("height");
    let confirmed = escrow
        .ok(
            "/confirmpayment/v2/",
            json!({"session_id": seller, "tx": tx}),
        )
        .await;
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
    let (seller2, _, tx2, pmthash2) = deal(&escrow, "deadline2").await;
    let invoice2 = hub.hold_invoice("bob", 1_000_000, &pmthash2).await;
    escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": seller2, "tx": tx2, "invoice": invoice2.bolt11}),
        )
        .await;
    let reported = escrow
        .ok(
            "/confirmpayment/v2/",
            json!({"session_id": seller2, "tx": tx2, "htlc_expiry_height": height + 40}),
        )
        .await;
    assert_eq!(
        reported["data"]["settle_by_height"],
        (height + 40).to_string()
    );

    // With the default 36-block warning, 5 blocks bring the second within reach.
    hub.mine(5).await;
    let mail_dir = stack.data_dir().join("mail");
    let warnings = common::eventually("deadline warnings", || async {
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
    hub.mine(2).await;
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    escrow.user("target@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            escrow
                .refused(
                    "/login/v2/",
                    json!({"email": "target@example.com", "password": "guess"})
                )
                .await,
            "wrong password"
        );
    }
    // Now even the right password waits.
    let blocked = escrow
        .refused(
            "/login/v2/",
            json!({"email": "target@example.com", "password": "hunter2-long"}),
        )
        .await;
    assert!(blocked.starts_with("too many failed logins"), "{blocked}");
    // Other accounts are not affected.
    escrow.user("other@example.com").await;
    stack
        .hub
        .post("/dev/clock/advance", json!({"secs": 16 * 60}))
        .await;
    escrow
        .ok(
            "/login/v2/",
            json!({"email": "target@example.com", "password": "hunter2-long"}),
        )
        .await;
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let service = escrow.user("service@example.com").await;
    let created = escrow
        .ok(
            "/settx/v2/",
            json!({"session_id": service, "buyer_email": "user@example.com", "amount": 1000}),
        )
        .await;
    let tx = created["data"]["id"].as_str().expect("id").to_string();
    let pmthash = created["data"]["pmthash"]
        .as_str()
        .expect("pmthash")
        .to_string();
    escrow
        .ok(
            "/login/v2/",
            json!({"email": "service@example.com", "password": "hunter2-long", "tx": tx}),
        )
        .await;
    let invoice = stack.hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .ok(
            "/setinvoice/v2/",
            json!({"session_id": service, "tx": tx, "invoice": invoice.bolt11}),
        )
        .await;
    for step in [
        "/buyerpaid/v2/",
        "/confirmpayment/v2/",
        "/goodssent/v2/",
        "/goodsreceived/v2/",
    ] {
        escrow
            .ok(step, json!({"session_id": service, "tx": tx}))
            .await;
    }
    let released = escrow
        .ok("/getpreimage/v2/", json!({"session_id": service, "tx": tx}))
        .await;
    assert_eq!(released["data"]["status"], "funds received");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_catalogue_of_bad_requests_never_gets_a_5xx() {
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let session = escrow.user("catalogue@example.com").await;
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
    let http = reqwest::Client::new();
    for endpoint in endpoints {
        for body in &bodies {
            let response = http
                .post(format!("{}/escrow/{endpoint}/v2/", stack.hub.base))
                .body(body.clone())
                .send()
                .await
                .expect("send");
            let status = response.status();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    for round in 0..4 {
        let (seller, buyer, tx, _) = deal(&escrow, &format!("instant{round}")).await;
        escrow
            .ok("/goodssent/v2/", json!({"session_id": seller, "tx": tx}))
            .await;
        // goodsreceived and a dispute at once: both may succeed, but the dispute then holds.
        let (received, disputed) = futures_util::future::join(
            escrow.call("/goodsreceived/v2/", json!({"session_id": buyer, "tx": tx})),
            escrow.call(
                "/dispute/v2/",
                json!({"session_id": seller, "tx": tx, "reason": "race"}),
            ),
        )
        .await;
        assert_eq!(received["status"], "success", "{received}");
        assert_eq!(disputed["status"], "success", "{disputed}");
        assert_eq!(
            escrow
                .refused("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
                .await,
            "nice try!"
        );

        // getpreimage and a dispute at once: exactly one wins.
        let (seller2, buyer2, tx2, _) = deal(&escrow, &format!("instant-b{round}")).await;
        escrow
            .ok(
                "/goodsreceived/v2/",
                json!({"session_id": buyer2, "tx": tx2}),
            )
            .await;
        let (preimage, dispute) = futures_util::future::join(
            escrow.call(
                "/getpreimage/v2/",
                json!({"session_id": seller2, "tx": tx2}),
            ),
            escrow.call(
                "/dispute/v2/",
                json!({"session_id": buyer2, "tx": tx2, "reason": "race"}),
            ),
        )
        .await;
        let wins = [&preimage, &dispute]
            .iter()
            .filter(|a| a["status"] == "success")
            .count();
        assert_eq!(wins, 1, "{preimage} / {dispute}");
        let stored = escrow
            .call("/gettx/v2/", json!({"session_id": buyer2, "tx": tx2}))
            .await;
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
    let stack = TestStack::with_demo_nodes().await;
    let escrow = Escrow { stack: &stack };
    let (seller, buyer, tx, pmthash) = deal(&escrow, "rewind").await;
    // The deny-list lets the buyer confirm receipt before any invoice (as the original did) ...
    escrow
        .ok("/goodsreceived/v2/", json!({"session_id": buyer, "tx": tx}))
        .await;
    // ... but with no invoice there is no preimage to release,
    assert_eq!(
        escrow
            .refused("/getpreimage/v2/", json!({"session_id": seller, "tx": tx}))
            .await,
        "nice try!"
    );
    // and an invoice can no longer be added to ask the buyer to pay.
    let invoice = stack.hub.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .refused(
            "/setinvoice/v2/",
            json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11})
        )
        .await
        .contains("already has an invoice"));
    let stored = escrow
        .call("/gettx/v2/", json!({"session_id": seller, "tx": tx}))
        .await;
    assert_eq!(stored["status"], "goods received");
    stack.stop().await;
}
