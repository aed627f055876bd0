//! Lightning Gifts end to end with real nodes: alice buys gifts, bob redeems them by invoice
//! and as an LNURL-withdraw wallet would; racing redemptions pay once; failed payouts leave the
//! gift redeemable; every refusal has its code; the books always balance.

use ldk_node::lightning_invoice::Currency;
use serde_json::{json, Value};

use crate::harness::clients::gifts::{assert_bob_gained, assert_books_balance, funded_gift};
use crate::harness::invoices::{foreign_invoice, preimage_and_hash};
use crate::harness::stack::StackBuilder;
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, lnurl, ServeOptions, TestStack};

/// The stack of these tests: the demo nodes, webhooks to loopback allowed.
fn stack() -> StackBuilder {
    TestStack::builder()
        .demo_nodes()
        .webhook_allow_private(true)
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gift_is_bought_then_redeemed_by_invoice_and_by_an_lnurl_wallet() {
    let stack = stack().build().await;
    let hub = &stack.hub;
    let (receiver, hook) = Receiver::default().start().await;

    // (a) Create: the seed's keys, their camelCase twins, and a bech32 LNURL of our own URL.
    let gift = hub
        .gifts
        .create_ok(
            &json!({"amount": 1000, "notify": hook, "senderName": "Ann", "senderMessage": "enjoy"}),
        )
        .await;
    let order_id = gift["order_id"].as_str().expect("order id").to_string();
    assert!(is_lower_hex(&order_id, 48), "{gift}");
    assert_eq!(gift["orderId"], gift["order_id"]);
    let charge = gift["charge_id"].as_str().expect("charge id").to_string();
    assert!(uuid::Uuid::parse_str(&charge).is_ok(), "{gift}");
    assert_eq!(gift["chargeId"], gift["charge_id"]);
    assert_eq!(gift["status"], "unpaid");
    assert_eq!(gift["amount"], 1000);
    let payreq = gift["lightning_invoice"]["payreq"]
        .as_str()
        .expect("payreq");
    assert!(
        payreq.starts_with("lnbcrt10u"),
        "1000 sats on regtest: {payreq}"
    );
    assert!(
        gift["lightning_invoice"]["expires_at"]
            .as_i64()
            .expect("expiry")
            > 1_700_000_000
    );
    assert_eq!(
        lnurl::decode(gift["lnurl"].as_str().expect("lnurl")),
        format!("{}/gifts/lnurl/{order_id}", hub.base)
    );
    assert_eq!(
        hub.gifts.status(&charge).await.1,
        json!({"status": "unpaid"})
    );

    hub.dev.pay("alice", payreq).await.expect("alice pays");
    eventually("paid", || async {
        let (_, status) = hub.gifts.status(&charge).await;
        (status["status"] == "paid").then_some(())
    })
    .await;
    let (status, view) = hub.gifts.gift(&order_id).await;
    assert_eq!(status, 200);
    assert_eq!(view["chargeStatus"], "paid");
    assert_eq!(view["spent"], false);
    assert_eq!(view["senderName"], "Ann");
    assert_eq!(view["chargeInfo"]["chargeId"], charge.as_str());
    assert_eq!(assert_books_balance(hub).await, 1_000_000);

    // Redeem by invoice.
    let bob_before = hub.dev.local_msat("bob").await;
    let invoice = hub.dev.invoice("bob", 1_000_000).await;
    let (status, redeemed) = hub.gifts.redeem_invoice(&order_id, &invoice.bolt11).await;
    assert_eq!(status, 200, "{redeemed}");
    let withdrawal = redeemed["withdrawal_id"]
        .as_str()
        .expect("withdrawal id")
        .to_string();
    assert_eq!(redeemed["withdrawalId"], withdrawal.as_str());
    let paid = hub
        .dev
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(
        paid.amount_msat,
        Some(1_000_000),
        "bob gets exactly the gift"
    );
    eventually("confirmed", || async {
        let (_, status) = hub.gifts.redeem_status(&withdrawal).await;
        (status == json!({"reference": invoice.bolt11, "status": "confirmed"})).then_some(())
    })
    .await;
    let view = hub.gifts.wait_spent(&order_id, json!(true)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "confirmed");
    assert_bob_gained(hub, bob_before, 1_000_000).await;
    let again = hub.dev.invoice("bob", 1_000_000).await;
    let (status, refused) = hub.gifts.redeem_invoice(&order_id, &again.bolt11).await;
    assert_eq!(
        (status.as_u16(), refused),
        (400, json!({"statusCode": 400, "message": "GIFT_SPENT"}))
    );

    // One signed notify call with the four keys.
    let seen = eventually("the notify call", || async {
        let seen = receiver.seen();
        (!seen.is_empty()).then_some(seen)
    })
    .await;
    let body: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(
        body,
        json!({"id": order_id, "orderId": order_id, "amount": 1000, "spent": true})
    );
    let (_, secret) = hub.admin.webhook_secret(&hook).await;
    assert_eq!(
        seen[0].signature,
        hmac_hex(secret["secret"].as_str().expect("secret"), &seen[0].body)
    );

    // (b) Another gift, redeemed as an LNURL-withdraw wallet does it.
    let gift = funded_gift(hub, 2000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let url = lnurl::decode(gift["lnurl"].as_str().expect("lnurl"));
    let request: Value = lnurl::get(&url).await;
    assert_eq!(request["tag"], "withdrawRequest");
    assert_eq!(request["minWithdrawable"], 2_000_000);
    assert_eq!(request["maxWithdrawable"], 2_000_000);
    assert_eq!(
        request["defaultDescription"],
        format!("lightning.gifts redeem {order_id}")
    );
    let k1 = request["k1"].as_str().expect("k1");
    assert!(
        is_lower_hex(k1, 64) && k1 != order_id,
        "k1 is its own secret: {k1}"
    );
    let callback = request["callback"].as_str().expect("callback");
    let invoice = hub.dev.invoice("bob", 2_000_000).await;
    let separator = if callback.contains('?') { '&' } else { '?' };
    let answer: Value = lnurl::get(format!(
        "{callback}{separator}k1={k1}&pr={}",
        invoice.bolt11
    ))
    .await;
    assert_eq!(answer, json!({"status": "OK"}));
    let paid = hub
        .dev
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(paid.amount_msat, Some(2_000_000));
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    // The LNURL is one-shot now.
    let answer: Value = lnurl::get(&url).await;
    assert_eq!(answer, json!({"status": "ERROR", "reason": "GIFT_SPENT"}));

    // A third gift stays unredeemed: the hub owes exactly it.
    funded_gift(hub, 500, None).await;
    assert_eq!(assert_books_balance(hub).await, 500_000);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.seen().len(), 1, "one notify call in all");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_redemptions_of_one_gift_pay_exactly_once() {
    fifty_racing_redemptions(stack().build().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_redemptions_pay_exactly_once_on_postgres_too() {
    fifty_racing_redemptions(stack().postgres().build().await).await;
}

/// 50 redemptions of one gift at once, half by `/redeem`, half by LNURL callback.
async fn fifty_racing_redemptions(stack: TestStack) {
    let hub = &stack.hub;
    let gift = funded_gift(hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let url = lnurl::decode(gift["lnurl"].as_str().expect("lnurl"));
    let request: Value = lnurl::get(&url).await;
    let k1 = request["k1"].as_str().expect("k1").to_string();
    let mut invoices = Vec::new();
    for _ in 0..50 {
        invoices.push(hub.dev.invoice("bob", 1_000_000).await);
    }
    let client = reqwest::Client::new();
    let calls = invoices.iter().enumerate().map(|(n, invoice)| {
        let (client, url, k1, gifts, order_id) = (
            client.clone(),
            url.clone(),
            k1.clone(),
            hub.gifts.clone(),
            order_id.clone(),
        );
        let bolt11 = invoice.bolt11.clone();
        tokio::spawn(async move {
            if n % 2 == 0 {
                let (status, body) = gifts.redeem_invoice(&order_id, &bolt11).await;
                let status = status.as_u16();
                assert!(!body.is_null(), "redeem answered {status} without JSON");
                match status {
                    200 => None,
                    400 => Some(body["message"].as_str().expect("code").to_string()),
                    other => panic!("redeem answered {other}: {body}"),
                }
            } else {
                let response = client
                    .get(format!("{url}?k1={k1}&pr={bolt11}"))
                    .send()
                    .await
                    .expect("callback");
                assert_eq!(response.status(), 200, "LNURL answers 200");
                let body: Value = response.json().await.expect("json");
                match body["status"].as_str() {
                    Some("OK") => None,
                    _ => Some(body["reason"].as_str().expect("reason").to_string()),
                }
            }
        })
    });
    let outcomes = futures_util::future::join_all(calls).await;
    let refusals: Vec<String> = outcomes
        .into_iter()
        .filter_map(|o| o.expect("task"))
        .collect();
    assert_eq!(refusals.len(), 49, "exactly one call wins: {refusals:?}");
    for code in &refusals {
        assert!(
            code == "GIFT_REDEEM_PENDING" || code == "GIFT_SPENT",
            "clear refusal: {code}"
        );
    }
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    let mut paid = 0;
    for invoice in &invoices {
        if hub
            .dev
            .payment("bob", &invoice.payment_hash)
            .await
            .expect("record")
            .status
            == "succeeded"
        {
            paid += 1;
        }
    }
    assert_eq!(paid, 1, "exactly one payment reached bob");
    assert_eq!(assert_books_balance(hub).await, 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_payout_leaves_the_gift_redeemable_and_the_books_balanced() {
    let stack = stack().build().await;
    let hub = &stack.hub;
    let gift = funded_gift(hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let redeem = |invoice: String| {
        let order_id = order_id.clone();
        async move { hub.gifts.redeem_invoice(&order_id, &invoice).await }
    };

    // (a) bob holds the payment, then fails it back.
    let (_, hash) = preimage_and_hash();
    let held = hub.dev.hold_invoice("bob", 1_000_000, &hash).await;
    let (status, answer) = redeem(held.bolt11.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    hub.dev.wait_payment("bob", &hash, "held").await;
    assert_eq!(hub.gifts.gift(&order_id).await.1["spent"], "pending");
    let other = hub.dev.invoice("bob", 1_000_000).await;
    assert_eq!(
        redeem(other.bolt11).await.1["message"],
        "GIFT_REDEEM_PENDING"
    );
    hub.dev
        .fail("bob", &hash)
        .await
        .expect("bob fails the payment");
    let view = hub.gifts.wait_spent(&order_id, json!(false)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "error", "{view}");
    assert!(view["withdrawalInfo"]["error"]
        .as_str()
        .is_some_and(|e| !e.is_empty()));
    let (_, status) = hub.gifts.redeem_status(&withdrawal).await;
    assert_eq!(status["status"], "error");
    // An invoice gets one payout attempt ever: node events name payments by hash alone.
    let (status, answer) = redeem(held.bolt11.clone()).await;
    assert_eq!(
        (status.as_u16(), answer["message"].clone()),
        (400, json!("INVOICE_ALREADY_USED"))
    );
    assert_eq!(assert_books_balance(hub).await, 1_000_000, "still owed");

    // (b) An invoice of a node the hub has no route to.
    let nowhere = foreign_invoice(Currency::Regtest, Some(1_000_000), 0, 3600);
    let (status, answer) = redeem(nowhere).await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    eventually("the unroutable payout to fail", || async {
        let (_, status) = hub.gifts.redeem_status(&withdrawal).await;
        (status["status"] == "error").then_some(())
    })
    .await;
    hub.gifts.wait_spent(&order_id, json!(false)).await;
    assert_eq!(assert_books_balance(hub).await, 1_000_000);

    // (c) Then it is redeemed for real, once.
    let invoice = hub.dev.invoice("bob", 1_000_000).await;
    assert_eq!(redeem(invoice.bolt11).await.0, 200);
    hub.dev
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    assert_eq!(assert_books_balance(hub).await, 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_refusal_has_its_code_and_bad_input_never_gets_a_5xx() {
    let stack = stack().build().await;
    let hub = &stack.hub;
    let long = "x".repeat(101);
    let create_cases = [
        (json!({"amount": 99}), "GIFT_AMOUNT_UNDER_100"),
        (json!({"amount": 0}), "GIFT_AMOUNT_UNDER_100"),
        (json!({"amount": -5000}), "GIFT_AMOUNT_UNDER_100"),
        (json!({"amount": 500001}), "GIFT_AMOUNT_OVER_500K"),
        (json!({"amount": 1e30}), "GIFT_AMOUNT_OVER_500K"),
        (json!({"amount": 100.5}), "GIFT_AMOUNT_NOT_WHOLE_NUMBER"),
        (json!({"amount": "lots"}), "GIFT_AMOUNT_NOT_WHOLE_NUMBER"),
        (json!({}), "GIFT_AMOUNT_NOT_WHOLE_NUMBER"),
        (
            json!({"amount": 1000, "senderName": "a very long name"}),
            "SENDER_NAME_BAD_LENGTH",
        ),
        (
            json!({"amount": 1000, "sender_name": 7}),
            "SENDER_NAME_NOT_STRING",
        ),
        (
            json!({"amount": 1000, "senderMessage": long}),
            "SENDER_MESSAGE_BAD_LENGTH",
        ),
        (
            json!({"amount": 1000, "senderMessage": ["hi"]}),
            "SENDER_MESSAGE_NOT_STRING",
        ),
    ];
    for (body, code) in create_cases {
        let (status, answer) = hub.gifts.create(&body).await;
        assert_eq!(
            (status.as_u16(), answer),
            (400, json!({"statusCode": 400, "message": code})),
            "{body}"
        );
    }
    for raw in ["{", "[1000]", "\"1000\""] {
        let (status, body) = hub.gifts.create_json_text(raw).await;
        assert_eq!(status, 400, "{raw}");
        assert_eq!(body["message"], "MALFORMED_BODY");
    }
    // Form bodies work; a notify URL that is not http(s) is ignored, not an error.
    let (status, unpaid) = hub
        .gifts
        .create_form(&[
            ("amount", "1000"),
            ("notify", "ftp://example.com/x"),
            ("sender_name", "Bo"),
        ])
        .await;
    assert_eq!(status, 200);
    let unpaid_id = unpaid["order_id"].as_str().expect("id").to_string();
    let view = hub.gifts.gift(&unpaid_id).await.1;
    assert_eq!(
        (view["notify"].clone(), view["senderName"].clone()),
        (Value::Null, json!("Bo"))
    );

    let missing = "0".repeat(48);
    let not_found: Vec<(String, u16, &str)> = [
        (
            "/gifts/status/6f1e8c3a-0000-4000-8000-000000000000",
            404,
            "CHARGE_NOT_FOUND",
        ),
        ("/gifts/status/not-a-uuid", 404, "CHARGE_NOT_FOUND"),
        (
            "/gifts/redeemStatus/6f1e8c3a-0000-4000-8000-000000000000",
            404,
            "WITHDRAWAL_NOT_FOUND",
        ),
        ("/gifts/redeemStatus/%27%3B--", 404, "WITHDRAWAL_NOT_FOUND"),
        ("/gifts/gift/zz", 404, "GIFT_NOT_FOUND"),
        ("/gifts/gift/MISSING", 404, "GIFT_NOT_FOUND"),
        ("/gifts/gift/CHANNEL", 404, "GIFT_NOT_FOUND"),
    ]
    .into_iter()
    .map(|(path, status, code)| (path.replace("MISSING", &missing), status, code))
    .collect();
    for (path, status, code) in not_found {
        let (got, body) = hub.get(&path).await;
        assert_eq!(
            (got.as_u16(), body),
            (status, json!({"statusCode": status, "message": code})),
            "{path}"
        );
    }
    let (status, body) = hub
        .gifts
        .post_redeem_status("6f1e8c3a-0000-4000-8000-000000000000")
        .await;
    assert_eq!(
        (status.as_u16(), body["message"].clone()),
        (404, json!("WITHDRAWAL_NOT_FOUND"))
    );

    // Redemption refusals, against a funded gift and an unpaid one.
    let gift = funded_gift(hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let own_invoice = hub.gifts.create_ok(&json!({"amount": 1000})).await["lightning_invoice"]
        ["payreq"]
        .as_str()
        .expect("payreq")
        .to_string();
    let short = hub.dev.invoice("bob", 999_000).await.bolt11;
    let good = hub.dev.invoice("bob", 1_000_000).await.bolt11;
    let cases: Vec<(String, Value, &str)> = vec![
        (missing.clone(), json!({"invoice": good}), "GIFT_NOT_FOUND"),
        ("nothex".into(), json!({"invoice": good}), "GIFT_NOT_FOUND"),
        (
            unpaid_id.clone(),
            json!({"invoice": good}),
            "GIFT_INVOICE_UNPAID",
        ),
        (order_id.clone(), json!({}), "NO_INVOICE"),
        (order_id.clone(), json!({"invoice": 42}), "NO_INVOICE"),
        (
            order_id.clone(),
            json!({"invoice": "lnbcrt1garbage"}),
            "BAD_INVOICE",
        ),
        (
            order_id.clone(),
            json!({"invoice": short}),
            "BAD_INVOICE_AMOUNT",
        ),
        (
            order_id.clone(),
            json!({"invoice": foreign_invoice(Currency::Regtest, None, 0, 3600)}),
            "BAD_INVOICE_AMOUNT",
        ),
        (
            order_id.clone(),
            json!({"invoice": foreign_invoice(Currency::Regtest, Some(1_000_000), 7200, 60)}),
            "INVOICE_EXPIRED",
        ),
        (
            order_id.clone(),
            json!({"invoice": foreign_invoice(Currency::Bitcoin, Some(1_000_000), 0, 3600)}),
            "BAD_INVOICE_NETWORK",
        ),
        (
            order_id.clone(),
            json!({"invoice": own_invoice}),
            "INVOICE_PAYS_THIS_HUB",
        ),
    ];
    for (id, body, code) in cases {
        let (status, answer) = hub.gifts.redeem(&id, &body).await;
        assert_eq!(
            (status.as_u16(), answer),
            (400, json!({"statusCode": 400, "message": code})),
            "{id} {body}"
        );
    }

    // LNURL refusals: HTTP 200, LNURL's error object.
    let (_, k1) = hub.gifts.lnurl(&order_id).await;
    let k1 = k1["k1"].as_str().expect("k1").to_string();
    let lnurl_cases = [
        (missing.clone(), "GIFT_NOT_FOUND"),
        (unpaid_id.clone(), "GIFT_INVOICE_UNPAID"),
        (format!("{order_id}?pr={good}"), "BAD_K1"),
        (format!("{order_id}?k1={order_id}&pr={good}"), "BAD_K1"),
        (
            format!("{order_id}?k1={k1}&pr={short}"),
            "BAD_INVOICE_AMOUNT",
        ),
        (format!("{order_id}?k1={k1}&pr="), "NO_INVOICE"),
    ];
    for (rest, code) in lnurl_cases {
        let (status, body) = hub.gifts.lnurl(&rest).await;
        assert_eq!(status, 200, "/gifts/lnurl/{rest}");
        assert_eq!(
            body,
            json!({"status": "ERROR", "reason": code}),
            "/gifts/lnurl/{rest}"
        );
    }
    // None of that touched the gift.
    assert_eq!(hub.gifts.gift(&order_id).await.1["spent"], false);

    // An invoice already paid out for one gift cannot serve another.
    assert_eq!(hub.gifts.redeem_invoice(&order_id, &good).await.0, 200);
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    let second = funded_gift(hub, 1000, None).await;
    let (status, answer) = hub
        .gifts
        .redeem_invoice(second["order_id"].as_str().expect("id"), &good)
        .await;
    assert_eq!(
        (status.as_u16(), answer["message"].clone()),
        (400, json!("INVOICE_ALREADY_USED"))
    );

    // CORS is open, preflight included.
    let client = reqwest::Client::new();
    let preflight = client
        .request(reqwest::Method::OPTIONS, hub.url("/gifts/create"))
        .header("origin", "https://wallet.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let cors = client
        .get(hub.url(&format!("/gifts/gift/{order_id}")))
        .header("origin", "https://wallet.example")
        .send()
        .await
        .expect("GET");
    assert_eq!(cors.headers()["access-control-allow-origin"], "*");
    assert_books_balance(hub).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_gifts_racing_for_one_invoice_pay_it_once() {
    let stack = stack().postgres().build().await;
    let hub = &stack.hub;
    let first = funded_gift(hub, 1000, None).await;
    let second = funded_gift(hub, 1000, None).await;
    let invoice = hub.dev.invoice("bob", 1_000_000).await;
    let redeem = |gift: &Value| {
        let order_id = gift["order_id"].as_str().expect("id").to_string();
        let bolt11 = invoice.bolt11.clone();
        async move { hub.gifts.redeem_invoice(&order_id, &bolt11).await }
    };
    let (a, b) = tokio::join!(redeem(&first), redeem(&second));
    let mut outcomes = [
        (a.0.as_u16(), a.1["message"].clone()),
        (b.0.as_u16(), b.1["message"].clone()),
    ];
    outcomes.sort_by_key(|o| o.0);
    assert_eq!(outcomes[0].0, 200, "{outcomes:?}");
    assert_eq!(outcomes[1], (400, json!("INVOICE_ALREADY_USED")));
    hub.dev
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    eventually("one gift spent, the other untouched", || async {
        let one = hub.gifts.gift(first["order_id"].as_str()?).await.1;
        let two = hub.gifts.gift(second["order_id"].as_str()?).await.1;
        let spent = [one["spent"].clone(), two["spent"].clone()];
        (spent.contains(&json!(true)) && spent.contains(&json!(false))).then_some(())
    })
    .await;
    assert_eq!(assert_books_balance(hub).await, 1_000_000);
    stack.stop().await;
}
