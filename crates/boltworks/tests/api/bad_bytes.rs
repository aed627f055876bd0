//! Bytes no field may hold, on PostgreSQL (which refuses NUL in text, where SQLite stores it):
//! a NUL in a body field, query parameter or path id, or a path that is not UTF-8, is answered
//! by each service in its own error shape with a 4xx (or LNURL's HTTP 200 error), never a 500.

use serde_json::json;

use crate::harness::{ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nul_bytes_and_bad_utf8_are_refused_in_each_services_shape() {
    let stack = TestStack::builder().postgres().build().await;
    let hub = &stack.hub;

    // Gifts: a NUL in a sender field, in path ids, and a path that is not UTF-8.
    let (status, answer) = hub
        .gifts
        .create(&json!({"amount": 1000, "senderName": "a\u{0}b"}))
        .await;
    assert_eq!(
        (status.as_u16(), answer),
        (400, json!({"statusCode": 400, "message": "MALFORMED_BODY"}))
    );
    for id in ["%00", "%FF"] {
        let (status, answer) = hub.gifts.gift(id).await;
        assert_eq!(
            (status.as_u16(), answer),
            (404, json!({"statusCode": 404, "message": "GIFT_NOT_FOUND"})),
            "/gifts/gift/{id}"
        );
    }
    for id in ["%00", "%FF"] {
        let (status, answer) = hub.gifts.lnurl(id).await;
        assert_eq!(status, 200, "/gifts/lnurl/{id}");
        assert_eq!(answer["status"], "ERROR", "/gifts/lnurl/{id}: {answer}");
    }
    let (status, _) = hub.gifts.status("%00").await;
    assert_eq!(status, 404);

    // LSP v0.0.1 and its LNURL-channel.
    let (status, answer) = hub.lsp_v1.order("%00").await;
    assert_eq!(
        (status.as_u16(), answer),
        (200, json!({"error": "Invalid params"}))
    );
    let (status, answer) = hub.lsp_v1.lnurl_channel("?order_id=%00").await;
    assert_eq!(
        (status.as_u16(), answer),
        (200, json!({"status": "ERROR", "reason": "Order not found"}))
    );
    let (status, answer) = hub.lsp_v1.lnurl_channel("?k1=%00&remoteid=02").await;
    assert_eq!(
        (status.as_u16(), answer),
        (
            200,
            json!({"status": "ERROR", "reason": "Failed to find order"})
        )
    );

    // LSPS1.
    let not_found = json!({"message": "order not found", "code": "NOT_FOUND"});
    for (path, (status, answer)) in [
        ("/lsp/channels/%00", hub.lsps1.order("%00").await),
        ("/lsp/channels/%FF", hub.lsps1.order("%FF").await),
        ("/lsp/channel?id=%00", hub.lsps1.channel("%00").await),
    ] {
        assert_eq!(
            (status.as_u16(), answer),
            (404, not_found.clone()),
            "{path}"
        );
    }
    let (status, answer) = hub
        .lsps1
        .create(&json!({"remote_balance": 100_000, "coupon_code": "\u{0}"}))
        .await;
    assert_eq!(
        (status.as_u16(), answer),
        (
            400,
            json!({"message": "the request body must not contain NUL characters", "code": "BAD_REQUEST"})
        )
    );

    // Escrow.
    let answer = hub
        .escrow
        .login(json!({"email": "a\u{0}@example.com", "password": "x"}))
        .await;
    assert_eq!(answer.status, 200, "escrow answers errors with HTTP 200");
    assert_eq!(answer.body["status"], "error", "{}", answer.body);
    stack.stop().await;
}
