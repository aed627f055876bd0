//! Every merchant endpoint against a catalogue of bad input: no answer is a 5xx, and every
//! refusal is grpc-gateway's envelope `{"error","code","message","details"}`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::clients::http::answer;
use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::TestStack;

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/pss/api/v1/signup"),
    ("POST", "/api/v2/auth/signup"),
    ("POST", "/api/v2/auth/signin"),
    ("POST", "/api/v2/auth/validate"),
    ("POST", "/api/v2/auth/token/{id}"),
    ("POST", "/api/v2/user/pubkey/add"),
    ("POST", "/api/v2/merchant"),
    ("POST", "/api/v2/payment/lightning"),
    ("GET", "/api/v2/payment/lightning/{id}"),
    ("GET", "/api/v2/payments/{id}"),
    ("GET", "/api/v2/payments/lightning?limit={id}"),
    ("GET", "/api/v2/payments/on_chain?offset={id}"),
    ("POST", "/api/v2/payment/on_chain"),
    ("POST", "/api/v2/payment/on_chain_open_amount"),
    ("POST", "/api/v2/payment/on_chain/cancel"),
    ("POST", "/api/v2/payment/internal"),
    ("POST", "/api/v2/payment/outgoing/lightning"),
    ("POST", "/api/v2/payment/outgoing/on_chain"),
    ("GET", "/api/v2/payment/outgoing/{id}"),
    ("POST", "/api/v2/merchant/withdraw"),
    ("GET", "/api/v2/merchant/withdraw/{id}"),
    ("GET", "/api/v2/merchant/balance"),
    ("GET", "/api/v2/merchant/balance/locked"),
];

fn bodies(merchant_id: &str) -> Vec<Value> {
    let mut bodies = vec![json!({}), json!([1, 2]), json!("text"), json!(null)];
    for amount in [
        json!(0),
        json!(-1),
        json!(1.5),
        json!("abc"),
        json!(1e30),
        json!("99999999999999999999999"),
        json!(true),
        json!([1]),
        json!({"a": 1}),
    ] {
        bodies.push(json!({
            "amount": amount, "destination": merchant_id, "payment_request": "lnbc1garbage",
            "btc_address": "bc1qnotregtest", "refund_btc_address": "x", "expiry": 5,
        }));
    }
    bodies.extend([
        json!({"amount": 100, "expiry": 5}),
        json!({"amount": 100, "expiry": 99_999}),
        json!({"amount": 100, "expiry": "soon"}),
        json!({"amount": 100, "description": "x".repeat(700)}),
        json!({"amount": 100, "ntfn_url": "ftp://x"}),
        json!({"amount": 100, "merchant_id": "someone-else"}),
        json!({"amount": "100", "destination": "\u{0}"}),
        json!({"amount": "1000", "destination": "bcrt1qnotanaddress", "blocks": "x"}),
        json!({"amount": "1000", "payment_request": "lnbc10u1pexpired"}),
        json!({"raw_public_key_list": "x"}),
        json!({"raw_public_key_list": ["not base64!"]}),
        json!({"raw_public_key_list": []}),
        json!({"email": "no-at-sign", "password": "x"}),
        json!({"email": 5, "password": null}),
        json!({"token": 12}),
        json!({"token": "a.b.c"}),
        json!({"pub_key": "04zz"}),
        json!({"merchant_pubkey": "00", "bitcoin_address": "L4r4private", "approve_address_signature": "merchant_signature"}),
    ]);
    bodies
}

fn assert_envelope(what: &str, status: reqwest::StatusCode, body: &Value) {
    assert!(status.as_u16() < 500, "{what}: {status} {body}");
    if !status.is_success() {
        assert!(body["error"].is_string(), "{what}: {body}");
        assert!(body["code"].is_i64(), "{what}: {body}");
        assert_eq!(body["message"], body["error"], "{what}");
        assert_eq!(body["details"], json!([]), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_bad_input_gets_a_5xx_and_every_refusal_has_the_envelope() {
    let stack = TestStack::builder().build().await;
    let hub = &stack.hub;
    let merchant = Merchant::sign_up(&hub.merchant, "shop", None).await;
    let ids = ["%FF", "%00", "x", &"ab".repeat(24), &"9".repeat(300), "-1"];
    for (method, path) in ENDPOINTS {
        for id in ids {
            let path = path.replace("{id}", id);
            for auth in [
                None,
                Some("garbage-token"),
                Some(merchant.access_token.as_str()),
            ] {
                for body in bodies(&merchant.id) {
                    let mut request = hub
                        .merchant
                        .request(
                            Method::from_bytes(method.as_bytes()).expect("method"),
                            &path,
                        )
                        .header("X-Signature", "3044zz")
                        .header("X-Pss-User-Id", "nobody.3044");
                    if let Some(token) = auth {
                        request = request.bearer_auth(token);
                    }
                    if *method == "POST" {
                        request = request.json(&body);
                    }
                    let (status, answer) = answer(request).await;
                    assert_envelope(&format!("{method} {path} {body}"), status, &answer);
                    if *method == "GET" {
                        break;
                    }
                }
            }
            if !path.contains(id) {
                break;
            }
        }
    }
    // Not JSON at all, and a form body.
    for (method, path) in ENDPOINTS.iter().filter(|(m, _)| *m == "POST") {
        let request = hub
            .merchant
            .request(Method::POST, path)
            .bearer_auth(&merchant.access_token)
            .header("content-type", "application/json")
            .body("{not json");
        let (status, answer) = answer(request).await;
        assert_envelope(&format!("{method} {path} not json"), status, &answer);
        let _ = method;
    }
    assert_eq!(merchant.balance().await, 0);
    assert_books_exact(&hub.admin).await;
}
