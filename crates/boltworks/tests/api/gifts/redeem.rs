//! A gift bought, then redeemed by invoice and by an LNURL-withdraw wallet; racing
//! redemptions of one gift, and two gifts racing for one invoice, pay exactly once.

use serde_json::{json, Value};

use super::{is_lower_hex, stack};
use crate::harness::clients::gifts::{assert_bob_gained, assert_books_balance, funded_gift};
use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, lnurl, ServeOptions, TestStack};

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
