//! The hub's own HTTP surface: health and readiness, the OpenAPI document (every route it lists
//! is served, and it parses as OpenAPI 3), the docs page, the error shape for bad input, the
//! body limit, and the dev clock as seen by a hub rule (invoice expiry).

use serde_json::{json, Value};

use crate::harness::{ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn openapi_lists_every_route_and_every_listed_route_is_served() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (status, spec) = hub.openapi().await;
    assert!(status.is_success());
    assert!(spec["openapi"].as_str().expect("version").starts_with("3."));
    // A real OpenAPI 3 parser accepts it, and sees the same operations.
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(spec.clone()).expect("parses as OpenAPI 3");
    let operations: usize = parsed
        .paths
        .paths
        .values()
        .map(|p| p.as_item().expect("inline item").iter().count())
        .sum();
    let listed: usize = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|ops| ops.as_object().expect("ops").len())
        .sum();
    assert_eq!(operations, listed);
    assert_eq!(spec["info"]["title"], "boltworks");
    let paths = spec["paths"].as_object().expect("paths");
    for expected in [
        "/health",
        "/ready",
        "/openapi.json",
        "/docs",
        "/dev/mine",
        "/dev/fund",
        "/dev/nodes",
        "/dev/{node}/invoice",
        "/dev/{node}/claim",
        "/dev/{node}/fail",
        "/dev/{node}/pay",
        "/dev/{node}/payments/{payment_hash}",
        "/dev/clock/advance",
    ] {
        assert!(
            paths.contains_key(expected),
            "{expected} missing from {:?}",
            paths.keys()
        );
    }
    for (path, operations) in paths {
        let concrete = path
            .replace("{node}", "alice")
            .replace("{payment_hash}", &"00".repeat(32));
        for method in operations.as_object().expect("operations").keys() {
            assert!(operations[method]["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty()));
            let (status, body) = match method.as_str() {
                "get" => hub.get(&concrete).await,
                "post" => hub.post(&concrete, &json!({})).await,
                "put" | "delete" => {
                    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes())
                        .expect("a method");
                    let response = hub
                        .request(method, &concrete)
                        .json(&json!({}))
                        .send()
                        .await
                        .expect("the hub answers");
                    let status = response.status();
                    (status, response.json().await.unwrap_or(Value::Null))
                }
                other => panic!("unexpected method {other}"),
            };
            assert_ne!(status, 405, "{method} {path} is listed but not served");
            assert_ne!(
                body["error"]["message"], "no such route",
                "{method} {path} is listed but not served"
            );
        }
    }
    // A route that is not listed is not served either.
    let (status, body) = hub.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    let page = reqwest::Client::new()
        .get(hub.url("/docs"))
        .send()
        .await
        .expect("docs");
    assert!(page.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    assert!(page.text().await.expect("html").contains("/openapi.json"));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_and_readiness_report_their_checks() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let (status, health) = stack.hub.health().await;
    assert!(status.is_success());
    assert_eq!(health["status"], "ok");
    let (status, ready) = stack.hub.ready().await;
    assert!(status.is_success(), "{ready}");
    assert_eq!(ready["checks"]["database"], true);
    assert_eq!(ready["checks"]["synced"], true);
    assert_eq!(ready["checks"]["demo_network"], true);
    assert_eq!(
        ready["checks"]["node_height"],
        ready["checks"]["chain_height"]
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_a_clear_4xx_in_the_hub_error_shape() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let cases = [
        (
            "/dev/bob/invoice",
            json!({"amount_msat": 0}),
            400,
            "amount_msat must be positive",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": -5}),
            400,
            "amount_msat",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": 1.5}),
            400,
            "amount_msat",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": "1000"}),
            400,
            "amount_msat",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": 18_446_744_073_709_551_615u64}),
            400,
            "too large",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": 1000, "payment_hash": "abc"}),
            400,
            "payment_hash",
        ),
        (
            "/dev/bob/invoice",
            json!({"amount_msat": 1000, "surprise": 1}),
            400,
            "surprise",
        ),
        (
            "/dev/carol/invoice",
            json!({"amount_msat": 1000}),
            404,
            "unknown demo node",
        ),
        (
            "/dev/alice/pay",
            json!({"bolt11": "lnbc1notaninvoice"}),
            400,
            "invalid invoice",
        ),
        (
            "/dev/mine",
            json!({"blocks": 0}),
            400,
            "blocks must be between",
        ),
        (
            "/dev/mine",
            json!({"blocks": 1_000_000}),
            400,
            "blocks must be between",
        ),
        (
            "/dev/fund",
            json!({"address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "amount_sat": 1000}),
            400,
            "regtest address",
        ),
        ("/dev/clock/advance", json!({"secs": -1}), 400, "secs"),
    ];
    for (path, body, status, needle) in cases {
        let (got, answer) = hub.post(path, &body).await;
        assert_eq!(got.as_u16(), status, "{path} {body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{path} {body}: '{message}' lacks '{needle}'"
        );
        assert!(answer["error"]["code"].is_string());
    }

    let http = reqwest::Client::new();
    let malformed = http
        .post(hub.url("/dev/mine"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "bad_request");

    // A body over the limit (1 MiB by default) is refused in the hub's error shape; one declared
    // over the hard cap (4 MiB) from its Content-Length alone, before the body is read (so this
    // speaks raw HTTP and reads the status line).
    let over_limit = json!({"blocks": 1, "padding": "x".repeat(1_100_000)});
    let (status, answer) = hub.post("/dev/mine", &over_limit).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["code"], "payload_too_large");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = hub.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!("POST /dev/mine HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{", 8 * 1024 * 1024);
    socket.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 64];
    let read = socket.read(&mut answer).await.expect("read");
    let status_line = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn advancing_the_dev_clock_expires_old_invoices_and_dates_new_ones_by_it() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let short = hub.dev.invoice_expiring("bob", 10_000, 600, None).await;
    let bolt11 = short.bolt11.clone();

    let (status, clock) = hub.dev.advance_clock(3_600).await;
    assert!(status.is_success());
    assert_eq!(clock["offset_secs"], 3_600);

    let refused = hub
        .dev
        .pay("alice", &bolt11)
        .await
        .expect_err("expired by the hub's clock");
    assert_eq!(refused.status, 400);
    assert!(
        refused.message().contains("expired"),
        "{}",
        refused.message()
    );
    assert!(
        hub.dev.payment("alice", &short.payment_hash).await.is_err(),
        "nothing was recorded or sent"
    );

    // An invoice made after the advance lives its expiry on the hub's clock, even one shorter
    // than the advance: its timestamp and expiry agree with the rules that judge it.
    let fresh = hub.dev.invoice_expiring("bob", 10_000, 600, None).await;
    let hash = hub.dev.pay("alice", &fresh.bolt11).await.expect("pay");
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    // So do the services' invoices: a gift's invoice expires an hour from the hub's now.
    let now = clock["now"].as_i64().expect("now");
    let gift = hub.gifts.create_ok(&json!({"amount": 1000})).await;
    let expires_at = gift["lightning_invoice"]["expires_at"]
        .as_i64()
        .expect("expires_at");
    assert!(
        (now + 3_600..now + 3_600 + 60).contains(&expires_at),
        "expires at {expires_at}, the hub's now is {now}"
    );
    let payreq = gift["lightning_invoice"]["payreq"]
        .as_str()
        .expect("payreq");
    hub.dev
        .pay("alice", payreq)
        .await
        .expect("the gift is paid");
    stack.stop().await;
}
