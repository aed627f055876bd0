//! A failed payout leaves the gift redeemable and the books balanced; every refusal has its
//! code, and no bad input gets a 5xx.

use ldk_node::lightning_invoice::Currency;
use serde_json::{json, Value};

use super::stack;
use crate::harness::clients::gifts::{assert_books_balance, funded_gift};
use crate::harness::eventually;
use crate::harness::invoices::{foreign_invoice, preimage_and_hash};

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
