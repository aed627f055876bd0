//! Bytes no field may hold, on PostgreSQL (which refuses NUL in text, where SQLite stores it):
//! a NUL in a body field, query parameter or path id, or a path that is not UTF-8, is answered
//! by each service in its own error shape with a 4xx (or LNURL's HTTP 200 error), never a 500.

mod common;

use common::{StackOptions, TestStack};
use serde_json::{json, Value};

async fn raw_get(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}{path}")).await.expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nul_bytes_and_bad_utf8_are_refused_in_each_services_shape() {
    let stack = TestStack::start(StackOptions {
        database_url: Some(common::fresh_postgres_url().await),
        ..Default::default()
    })
    .await;
    let hub = &stack.hub;
    let base = hub.base.clone();

    // Gifts: a NUL in a sender field, in path ids, and a path that is not UTF-8.
    let (status, answer) = hub
        .post(
            "/gifts/create",
            json!({"amount": 1000, "senderName": "a\u{0}b"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), answer),
        (400, json!({"statusCode": 400, "message": "MALFORMED_BODY"}))
    );
    for path in ["/gifts/gift/%00", "/gifts/gift/%FF"] {
        let (status, answer) = raw_get(&base, path).await;
        assert_eq!(
            (status, answer),
            (404, json!({"statusCode": 404, "message": "GIFT_NOT_FOUND"})),
            "{path}"
        );
    }
    for path in ["/gifts/lnurl/%00", "/gifts/lnurl/%FF"] {
        let (status, answer) = raw_get(&base, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(answer["status"], "ERROR", "{path}: {answer}");
    }
    let (status, _) = raw_get(&base, "/gifts/status/%00").await;
    assert_eq!(status, 404);

    // LSP v0.0.1 and its LNURL-channel.
    let (status, answer) = raw_get(&base, "/lsp/v1/channel/order?order_id=%00").await;
    assert_eq!((status, answer), (200, json!({"error": "Invalid params"})));
    let (status, answer) = raw_get(&base, "/lsp/v1/lnurl/channel?order_id=%00").await;
    assert_eq!(
        (status, answer),
        (200, json!({"status": "ERROR", "reason": "Order not found"}))
    );
    let (status, answer) = raw_get(&base, "/lsp/v1/lnurl/channel?k1=%00&remoteid=02").await;
    assert_eq!(
        (status, answer),
        (
            200,
            json!({"status": "ERROR", "reason": "Failed to find order"})
        )
    );

    // LSPS1.
    let not_found = json!({"message": "order not found", "code": "NOT_FOUND"});
    for path in [
        "/lsp/channels/%00",
        "/lsp/channels/%FF",
        "/lsp/channel?id=%00",
    ] {
        let (status, answer) = raw_get(&base, path).await;
        assert_eq!((status, answer), (404, not_found.clone()), "{path}");
    }
    let (status, answer) = hub
        .post(
            "/lsp/channels",
            json!({"remote_balance": 100_000, "coupon_code": "\u{0}"}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), answer),
        (
            400,
            json!({"message": "the request body must not contain NUL characters", "code": "BAD_REQUEST"})
        )
    );

    // Escrow.
    let (status, answer) = hub
        .post(
            "/escrow/login/v2/",
            json!({"email": "a\u{0}@example.com", "password": "x"}),
        )
        .await;
    assert_eq!(status, 200, "escrow answers errors with HTTP 200");
    assert_eq!(answer["status"], "error", "{answer}");
    stack.stop().await;
}
