//! The HTTP plumbing every client shares: one reqwest client, a base URL and, for operator or
//! merchant calls, a bearer token. Answers come back as the status and the JSON body (`Null`
//! when the body is not JSON), so a test can assert on either exactly.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

/// An error answer of the hub's own APIs (`/dev`): status and JSON body.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
}

impl ApiError {
    /// The hub error shape's message.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

/// Requests to one hub.
#[derive(Clone)]
pub struct Http {
    base: String,
    client: reqwest::Client,
    token: Option<String>,
}

impl Http {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_string(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            token: None,
        }
    }

    /// The same hub, every request with `token` as its bearer.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    /// The same hub, no token.
    pub fn without_token(&self) -> Self {
        Self {
            token: None,
            ..self.clone()
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path`, with the token if there is one: for what the typed methods do not
    /// say (raw bodies, headers).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        answer(self.request(Method::GET, path)).await
    }

    /// POST with `body` as JSON.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        answer(self.request(Method::POST, path).json(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        answer(self.request(Method::POST, path)).await
    }

    /// POST `text` as a JSON body, as it is (it may not be JSON at all).
    pub async fn post_json_text(&self, path: &str, text: &str) -> (StatusCode, Value) {
        let request = self
            .request(Method::POST, path)
            .header("content-type", "application/json")
            .body(text.to_string());
        answer(request).await
    }
}

/// Sends `request`: the status and the JSON body (`Null` if it is not JSON).
pub async fn answer(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("the hub answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
