//! The client of LSPS1 v0.0.2 (`/lsp/channels`, `/lsp/channel`): info, orders, open, refunds,
//! and an order's LNURL-channel.

use reqwest::StatusCode;
use serde_json::Value;

use super::http::Http;

/// `/lsp/channels`.
#[derive(Clone)]
pub struct Lsps1Client {
    http: Http,
}

impl Lsps1Client {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// `GET /lsp/channels`: the API's version and features.
    pub async fn info(&self) -> (StatusCode, Value) {
        self.http.get("/lsp/channels").await
    }

    /// `POST /lsp/channels`: a new order.
    pub async fn create(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/lsp/channels", body).await
    }

    /// `POST /lsp/channels` with `text` as its JSON body, as it is.
    pub async fn create_json_text(&self, text: &str) -> (StatusCode, Value) {
        self.http.post_json_text("/lsp/channels", text).await
    }

    /// `GET /lsp/channels/{id}`.
    pub async fn order(&self, id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/lsp/channels/{id}")).await
    }

    /// `POST /lsp/channels/{id}/open`.
    pub async fn open(&self, id: &str, body: &Value) -> (StatusCode, Value) {
        self.http
            .post(&format!("/lsp/channels/{id}/open"), body)
            .await
    }

    /// `GET /lsp/channels/{id}/refund`: what is refundable.
    pub async fn refund_status(&self, id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/lsp/channels/{id}/refund")).await
    }

    /// `POST /lsp/channels/{id}/refund`.
    pub async fn refund(&self, id: &str, body: &Value) -> (StatusCode, Value) {
        self.http
            .post(&format!("/lsp/channels/{id}/refund"), body)
            .await
    }

    /// `GET /lsp/channels/{id}/lnurl`.
    pub async fn lnurl(&self, id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/lsp/channels/{id}/lnurl")).await
    }

    /// `GET /lsp/channel?id={id}`: the flat view of an order's channel.
    pub async fn channel(&self, id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/lsp/channel?id={id}")).await
    }

    /// `GET /lsp/channel` without an id.
    pub async fn channel_without_id(&self) -> (StatusCode, Value) {
        self.http.get("/lsp/channel").await
    }
}
