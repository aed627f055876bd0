//! Idempotency keys (`Idempotency-Key`) on the services' POSTs: 50 identical payments racing
//! with one key move the money once, on SQLite and on PostgreSQL; the same key on another
//! request is refused in the service's format; keys are per caller and expire after 24 hours;
//! every service answers a keyed repeat with its first answer (and the OpenAPI document says
//! which routes take a key); and a retry after a SIGKILL between the commit and the answer, or
//! before the node was asked, gets the committed payment, not a second one.

use std::sync::Arc;

use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use crate::harness::clients::gifts::funded_gift;
use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::process::Scene;
use crate::harness::serve_options::ADMIN_TOKEN;
use crate::harness::{eventually, Hub, ServeOptions, TestStack};

const KEY: &str = "Idempotency-Key";

/// An answer with whether it was a repeat (`Idempotent-Replayed: true`).
#[derive(Debug)]
struct Keyed {
    status: u16,
    replayed: bool,
    body: Value,
}

async fn send(request: RequestBuilder) -> Keyed {
    let response = request.send().await.expect("the hub answers");
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let body = response.json().await.unwrap_or(Value::Null);
    Keyed {
        status,
        replayed,
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_identical_payments_with_one_key_move_the_money_once() {
    fifty_with_one_key(TestStack::builder().demo_nodes().build().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_identical_payments_with_one_key_move_the_money_once_on_postgres() {
    fifty_with_one_key(TestStack::builder().demo_nodes().postgres().build().await).await;
}

async fn fifty_with_one_key(stack: TestStack) {
    let hub = &stack.hub;
    let payer = Arc::new(Merchant::funded(hub, "payer").await);
    let payee = Merchant::sign_up(&hub.merchant, "payee", None).await;
    let racing: Vec<_> = (0..50)
        .map(|_| {
            let payer = Arc::clone(&payer);
            let to = payee.id.clone();
            tokio::spawn(async move {
                send(
                    payer
                        .pay_internal_request(&to, 1_000)
                        .header(KEY, "pay-once-1"),
                )
                .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in racing {
        answers.push(task.await.expect("request task"));
    }
    let first = &answers[0].body["payment_id"];
    assert!(first.is_string(), "{answers:?}");
    for answer in &answers {
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(&answer.body["payment_id"], first, "one payment: {answer:?}");
    }
    let replays = answers.iter().filter(|a| a.replayed).count();
    assert_eq!(replays, 49, "all but the first are repeats");
    assert_eq!(payer.balance().await, 19_800 - 1_000, "paid once");
    assert_eq!(payee.balance().await, 1_000);
    // A later repeat gets the same answer.
    let again = send(
        payer
            .pay_internal_request(&payee.id, 1_000)
            .header(KEY, "pay-once-1"),
    )
    .await;
    assert_eq!((again.status, again.replayed), (200, true));
    assert_eq!(&again.body["payment_id"], first);
    // Without a key nothing changes for a client: the same request pays again.
    let (status, unkeyed) = payer.pay_internal(&payee.id, 1_000).await;
    assert_eq!(status, 200, "{unkeyed}");
    assert_ne!(&unkeyed["payment_id"], first);
    assert_eq!(payer.balance().await, 19_800 - 2_000);
    let books = assert_books_exact(&hub.admin).await;
    assert_eq!(
        books["merchant"]["balances_msat"],
        (19_800 - 2_000 + 2_000) * 1_000,
        "{books}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_names_one_request_of_one_caller_for_24_hours() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let mut payer = Merchant::funded(hub, "payer").await;
    let payee = Merchant::funded(hub, "payee").await;
    let first = send(
        payer
            .pay_internal_request(&payee.id, 500)
            .header(KEY, "k-1"),
    )
    .await;
    assert_eq!(first.status, 200, "{first:?}");

    // The same key on another amount: 422 in the Peach envelope, and no money moves.
    let other = send(
        payer
            .pay_internal_request(&payee.id, 600)
            .header(KEY, "k-1"),
    )
    .await;
    assert_eq!(other.status, 422, "{other:?}");
    assert_eq!(other.body["code"], 6, "{other:?}");
    assert_eq!(other.body["details"], json!([]));
    assert!(other.body["message"]
        .as_str()
        .expect("message")
        .contains("Idempotency-Key"));
    assert_eq!(payer.balance().await, 19_800 - 500);

    // A malformed key is a 400 of the same shape; the quoted form of the draft is the same key.
    let bad = send(
        payer
            .pay_internal_request(&payee.id, 500)
            .header(KEY, "two words"),
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["code"].clone()),
        (400, json!(3)),
        "{bad:?}"
    );
    let quoted = send(
        payer
            .pay_internal_request(&payee.id, 500)
            .header(KEY, "\"k-1\""),
    )
    .await;
    assert_eq!((quoted.status, quoted.replayed), (200, true), "{quoted:?}");
    assert_eq!(quoted.body, first.body);

    // Another merchant's key of the same name is its own.
    let theirs = send(
        payee
            .pay_internal_request(&payer.id, 300)
            .header(KEY, "k-1"),
    )
    .await;
    assert_eq!((theirs.status, theirs.replayed), (200, false), "{theirs:?}");
    assert_ne!(theirs.body["payment_id"], first.body["payment_id"]);

    // 24 hours later the key is forgotten: the other amount is a new payment.
    let (status, moved) = hub.dev.advance_clock(24 * 3_600 + 60).await;
    assert_eq!(status, 200, "{moved}");
    payer.sign_in_again().await;
    let later = send(
        payer
            .pay_internal_request(&payee.id, 600)
            .header(KEY, "k-1"),
    )
    .await;
    assert_eq!((later.status, later.replayed), (200, false), "{later:?}");
    assert_ne!(later.body["payment_id"], first.body["payment_id"]);
    assert_eq!(payer.balance().await, 19_800 - 500 + 300 - 600);
    assert_books_exact(&hub.admin).await;
}

/// A keyed POST to `path` sent twice: the second answer is the first, replayed.
async fn twice(hub: &Hub, path: &str, body: &Value, key: &str) -> (Keyed, Keyed) {
    let post = || hub.request(Method::POST, path).header(KEY, key).json(body);
    let first = send(post()).await;
    let second = send(post()).await;
    assert!(!first.replayed, "{first:?}");
    assert!(second.replayed, "{second:?}");
    assert_eq!((second.status, &second.body), (first.status, &first.body));
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_service_repeats_its_first_answer_to_a_keyed_retry() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;

    // Gifts: a redemption retried pays bob once, under one withdrawal.
    let gift = funded_gift(hub, 2_000, None).await;
    let order_id = gift["orderId"].as_str().expect("order id");
    let invoice = hub.dev.invoice("bob", 2_000_000).await;
    let redeem = format!("/gifts/redeem/{order_id}");
    let (first, _) = twice(
        hub,
        &redeem,
        &json!({"invoice": invoice.bolt11}),
        "redeem-1",
    )
    .await;
    assert_eq!(first.status, 200, "{first:?}");
    let withdrawal = first.body["withdrawalId"].as_str().expect("withdrawal id");
    eventually("the redemption to be confirmed", || async {
        let (_, status) = hub.gifts.redeem_status(withdrawal).await;
        (status["status"] == "confirmed").then_some(())
    })
    .await;
    let other = send(
        hub.request(Method::POST, &redeem)
            .header(KEY, "redeem-1")
            .json(&json!({"invoice": "lnbcrt1other"})),
    )
    .await;
    assert_eq!(other.status, 422, "{other:?}");
    assert_eq!(other.body["statusCode"], 422);
    assert_eq!(other.body["message"], "IDEMPOTENCY_KEY_REUSED");

    // LSPS1 and v0.0.1: one order per key.
    let body = json!({"remote_balance": 400_000});
    let (first, _) = twice(hub, "/lsp/channels", &body, "order-1").await;
    assert_eq!(first.status, 201, "{first:?}");
    let other = send(
        hub.request(Method::POST, "/lsp/channels")
            .header(KEY, "order-1")
            .json(&json!({"remote_balance": 500_000})),
    )
    .await;
    assert_eq!(
        (other.status, other.body["code"].clone()),
        (422, json!("IDEMPOTENCY_KEY_REUSED"))
    );
    let product_id = hub.lsp_v1.product_id().await;
    let buy = json!({"product_id": product_id, "remote_balance": 0, "local_balance": 400_000, "channel_expiry": 4});
    let (first, _) = twice(hub, "/lsp/v1/channel/buy", &buy, "buy-1").await;
    assert!(first.body["order_id"].is_string(), "{first:?}");

    // Escrow: one transaction per key.
    let seller = crate::escrow::user(&hub.escrow, "idem-seller@example.com").await;
    let settx = json!({"session_id": seller, "buyer_email": "b@example.com", "goods_or_services": "goods", "title": "A lamp", "description": "Brass", "fee_payer": "buyer", "amount": 1_000});
    let (first, _) = twice(hub, "/escrow/settx/v2", &settx, "settx-1").await;
    assert_eq!(first.body["status"], "success", "{first:?}");
    let txs = hub
        .escrow
        .get_all_user_txs(json!({"session_id": seller}))
        .await
        .body();
    assert_eq!(txs.as_array().map(Vec::len), Some(1), "{txs}");

    // The operator's routes: one treasury address per key, refused in the hub's error shape.
    let token = format!("Bearer {ADMIN_TOKEN}");
    let address = || {
        hub.request(Method::POST, "/admin/treasury/address")
            .header("Authorization", &token)
            .header(KEY, "address-1")
    };
    let first = send(address().json(&json!({"purpose": "idem"}))).await;
    let again = send(address().json(&json!({"purpose": "idem"}))).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(again.replayed && again.body == first.body, "{again:?}");
    let other = send(address().json(&json!({"purpose": "other"}))).await;
    assert_eq!(other.status, 422, "{other:?}");
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");

    // The document says which routes take a key.
    let (_, spec) = hub.openapi().await;
    let internal = &spec["paths"]["/api/v2/payment/internal"]["post"];
    let parameters = internal["parameters"].as_array().expect("parameters");
    assert!(
        parameters
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
        "{internal}"
    );
    assert!(internal["responses"]["422"].is_object(), "{internal}");
    let status = &spec["paths"]["/api/v2/merchant/balance"]["get"];
    assert!(
        status.get("parameters").is_none(),
        "GETs take no key: {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_after_a_kill_between_commit_and_answer_gets_the_committed_payment() {
    let scene = Scene::new("idempotency", "before_answer");
    let first = scene
        .hub()
        .pause_at("idempotency.before_answer")
        .start()
        .await;
    let mut payer = Merchant::funded(&first.hub, "payer").await;
    let payee = Merchant::sign_up(&first.hub.merchant, "payee", None).await;
    let request = payer
        .pay_internal_request(&payee.id, 2_500)
        .header(KEY, "crash-1");
    let second = scene.kill_during(first, request).await;
    payer.reconnect(&second.hub.merchant);
    let retry = send(
        payer
            .pay_internal_request(&payee.id, 2_500)
            .header(KEY, "crash-1"),
    )
    .await;
    assert_eq!((retry.status, retry.replayed), (200, true), "{retry:?}");
    let id = retry.body["payment_id"].as_str().expect("payment id");
    let (status, payment) = payer.outgoing(id).await;
    assert_eq!(status, 200, "the committed payment: {payment}");
    assert_eq!(payer.balance().await, 19_800 - 2_500, "debited once");
    let again = send(
        payer
            .pay_internal_request(&payee.id, 2_500)
            .header(KEY, "crash-1"),
    )
    .await;
    assert_eq!(again.body, retry.body);
    assert_eq!(payer.balance().await, 19_800 - 2_500);
    assert_books_exact(&second.hub.admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lightning_payment_retried_after_a_kill_before_sending_is_not_paid_again() {
    let scene = Scene::new("idempotency", "before_send");
    let first = scene
        .hub()
        .pause_at("merchant.outgoing.before_send")
        .start()
        .await;
    let mut payer = Merchant::funded(&first.hub, "payer").await;
    let invoice = first.hub.dev.invoice("bob", 5_000_000).await;
    let request = payer
        .pay_invoice_request(&invoice.bolt11, 5_000)
        .header(KEY, "ln-1");
    // The reserve commits with its answer; the restart finds the node never had the payment
    // and gives the money back. The retry gets that payment, failed, and sends nothing.
    let second = scene.kill_during(first, request).await;
    payer.reconnect(&second.hub.merchant);
    let retry = send(
        payer
            .pay_invoice_request(&invoice.bolt11, 5_000)
            .header(KEY, "ln-1"),
    )
    .await;
    assert_eq!((retry.status, retry.replayed), (200, true), "{retry:?}");
    assert_eq!(retry.body["converted_to_internal"], false);
    let id = retry.body["payment_id"].as_str().expect("payment id");
    let (_, payment) = payer.outgoing(id).await;
    assert_eq!(payment["status"], "failed", "{payment}");
    assert_eq!(payer.balance().await, 19_800, "never sent: all of it back");
    assert!(second
        .hub
        .dev
        .payment("bob", &invoice.payment_hash)
        .await
        .map_or(true, |p| p.status != "succeeded"));
    assert_books_exact(&second.hub.admin).await;
}
