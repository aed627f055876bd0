//! The client of LSP v0.0.1 (Blocktank v1, `/lsp/v1`): node info, buy, manual finalise,
//! orders, and the LNURL-channel endpoint. Every answer is HTTP 200, refusals as
//! `{"error": ...}`.

use reqwest::StatusCode;
use serde_json::Value;

use super::http::Http;

/// `/lsp/v1`.
#[derive(Clone)]
pub struct LspV1Client {
    http: Http,
}

impl LspV1Client {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// `GET /lsp/v1/node/info`.
    pub async fn node_info(&self) -> (StatusCode, Value) {
        self.http.get("/lsp/v1/node/info").await
    }

    /// The first product's id, from the node info.
    pub async fn product_id(&self) -> String {
        let (status, info) = self.node_info().await;
        assert_eq!(status, 200);
        info["services"][0]["product_id"]
            .as_str()
            .expect("product id")
            .to_string()
    }

    /// `POST /lsp/v1/channel/buy`.
    pub async fn buy(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/lsp/v1/channel/buy", body).await
    }

    /// `POST /lsp/v1/channel/buy` with `text` as its JSON body, as it is.
    pub async fn buy_json_text(&self, text: &str) -> (StatusCode, Value) {
        self.http.post_json_text("/lsp/v1/channel/buy", text).await
    }

    /// `POST /lsp/v1/channel/manual_finalise`.
    pub async fn manual_finalise(&self, body: &Value) -> (StatusCode, Value) {
        self.http
            .post("/lsp/v1/channel/manual_finalise", body)
            .await
    }

    /// `GET /lsp/v1/channel/order?order_id={ids}` (one id, or several separated by commas).
    pub async fn order(&self, ids: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/lsp/v1/channel/order?order_id={ids}"))
            .await
    }

    /// `GET /lsp/v1/channel/order` without an order id.
    pub async fn order_without_id(&self) -> (StatusCode, Value) {
        self.http.get("/lsp/v1/channel/order").await
    }

    /// `GET /lsp/v1/lnurl/channel{query}`, `query` as a wallet sends it (`?k1=..&remoteid=..`).
    pub async fn lnurl_channel(&self, query: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/lsp/v1/lnurl/channel{query}"))
            .await
    }
}
