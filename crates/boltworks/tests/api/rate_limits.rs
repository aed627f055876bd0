//! The public creation routes of every service are limited per client address: past the burst,
//! a request gets 429 with `Retry-After`, in the service's own error format; each service has a
//! budget of its own, and the routes that create nothing are not limited.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{ServeOptions, TestStack};

/// The test hub's limit: 60 a minute (one a second) after a burst of 2.
const BURST: usize = 2;

/// POSTs `body` to `path`: status, `Retry-After` and body.
async fn post(base: &str, path: &str, body: &Value) -> (StatusCode, Option<u64>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").parse().expect("whole seconds"));
    let body = response.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

/// The burst passes (whatever the route answers), the next request is limited: its answer.
async fn exhaust(base: &str, path: &str, body: &Value) -> Value {
    for n in 0..BURST {
        let (status, _, answer) = post(base, path, body).await;
        assert_ne!(
            status, 429,
            "{path}: request {n} is within the burst: {answer}"
        );
    }
    let (status, retry_after, answer) = post(base, path, body).await;
    assert_eq!(status, 429, "{path}: {answer}");
    let wait = retry_after.unwrap_or_else(|| panic!("{path}: a Retry-After header"));
    assert!((1..=60).contains(&wait), "{path}: Retry-After {wait}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_burst_each_service_answers_429_in_its_own_format() {
    let stack = TestStack::builder()
        .rate_limit(60, BURST as u32)
        .build()
        .await;
    let base = stack.hub.base.as_str();

    let gifts = exhaust(base, "/gifts/create", &json!({"amount": 1_000})).await;
    assert_eq!(
        gifts,
        json!({"statusCode": 429, "message": "TOO_MANY_REQUESTS"})
    );
    // Reading is not limited.
    let status = reqwest::get(format!("{base}/gifts/status/nothing"))
        .await
        .expect("status")
        .status();
    assert_ne!(status, 429);

    let v1 = exhaust(base, "/lsp/v1/channel/buy", &json!({})).await;
    assert_eq!(v1, json!({"error": "Too many requests, try again later"}));

    let lsps1 = exhaust(base, "/lsp/channels", &json!({})).await;
    assert_eq!(lsps1["code"], "RATE_LIMITED", "{lsps1}");
    assert!(lsps1["message"].is_string(), "{lsps1}");
    // LSPS1's info shares the path and is not limited.
    let info = reqwest::get(format!("{base}/lsp/channels"))
        .await
        .expect("info");
    assert_eq!(info.status(), 200);

    // Escrow's sign-up and log-in share one budget, and answer 429 (not their usual 200).
    let body = json!({"email": "nobody@example.com", "password": "not-this-one"});
    for n in 0..BURST {
        let path = if n % 2 == 0 {
            "/escrow/setuser/v2"
        } else {
            "/escrow/login/v2"
        };
        let (status, _, answer) = post(base, path, &body).await;
        assert_ne!(status, 429, "{answer}");
    }
    let (status, retry_after, escrow) = post(base, "/escrow/login/v2/", &body).await;
    assert_eq!(status, 429, "{escrow}");
    assert!(retry_after.is_some());
    assert_eq!(escrow["status"], "error", "{escrow}");
    let (status, _, _) = post(base, "/escrow/settx/v2", &json!({})).await;
    assert_ne!(status, 429, "the other escrow routes are not limited");
    assert!(escrow["message"]
        .as_str()
        .is_some_and(|m| m.contains("too many requests")));

    let peach = exhaust(
        base,
        "/api/v2/auth/signin",
        &json!({"email": "a@b.c", "password": "x"}),
    )
    .await;
    assert_eq!(peach["code"], 8, "{peach}");
    assert_eq!(peach["details"], json!([]));
    assert_eq!(peach["error"], peach["message"]);
    // The merchant sign-ups are in the same budget.
    let (status, _, _) = post(base, "/api/v2/auth/signup", &json!({})).await;
    assert_eq!(status, 429);
    let (status, _, _) = post(base, "/api/v2/auth/validate", &json!({})).await;
    assert_ne!(status, 429, "the other merchant routes are not limited");
    stack.stop().await;
}
