//! The client of `/admin`, the operator routes, with the test hubs' operator token (or, to see
//! them refused, without it).

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::http::Http;
use crate::harness::serve_options::ADMIN_TOKEN;

/// `/admin`.
#[derive(Clone)]
pub struct AdminClient {
    http: Http,
}

impl AdminClient {
    /// With the operator token.
    pub fn new(http: &Http) -> Self {
        Self {
            http: http.with_token(ADMIN_TOKEN),
        }
    }

    /// The same routes without the token.
    pub fn without_token(&self) -> Self {
        Self {
            http: self.http.without_token(),
        }
    }

    /// `GET /admin/ledger`: the trial balance.
    pub async fn ledger(&self) -> (StatusCode, Value) {
        self.http.get("/admin/ledger").await
    }

    /// `GET /admin/gifts/audit`.
    pub async fn gifts_audit(&self) -> (StatusCode, Value) {
        self.http.get("/admin/gifts/audit").await
    }

    /// `GET /admin/merchant/books`.
    pub async fn merchant_books(&self) -> (StatusCode, Value) {
        self.http.get("/admin/merchant/books").await
    }

    /// `POST /admin/escrow/{tx}/resolve`.
    pub async fn resolve_escrow(&self, tx: &str, body: &Value) -> (StatusCode, Value) {
        self.http
            .post(&format!("/admin/escrow/{tx}/resolve"), body)
            .await
    }

    /// `GET /admin/node/closures?{query}`: the hub's closed channels.
    pub async fn closures(&self, query: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/admin/node/closures?{query}"))
            .await
    }

    /// `GET /admin/webhook-secret?url=`.
    pub async fn webhook_secret(&self, url: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/admin/webhook-secret?url={url}"))
            .await
    }

    /// `GET /admin/notifications/{id}`.
    pub async fn notification(&self, id: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/admin/notifications/{id}")).await
    }

    /// `GET /admin/notifications?status=..[&limit=..]`.
    pub async fn notifications(&self, status: &str, limit: Option<u32>) -> (StatusCode, Value) {
        let limit = limit.map(|n| format!("&limit={n}")).unwrap_or_default();
        self.http
            .get(&format!("/admin/notifications?status={status}{limit}"))
            .await
    }

    /// `POST /admin/notifications/{id}/redeliver`.
    pub async fn redeliver(&self, id: &str) -> (StatusCode, Value) {
        self.http
            .post_empty(&format!("/admin/notifications/{id}/redeliver"))
            .await
    }

    /// `GET /admin/treasury`: its balance and whether its books match.
    pub async fn treasury(&self) -> (StatusCode, Value) {
        self.http.get("/admin/treasury").await
    }

    /// `POST /admin/treasury/address`.
    pub async fn treasury_address(&self, purpose: &str) -> (StatusCode, Value) {
        self.http
            .post("/admin/treasury/address", &json!({"purpose": purpose}))
            .await
    }

    /// `GET /admin/treasury/received?address=`.
    pub async fn treasury_received(&self, address: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/admin/treasury/received?address={address}"))
            .await
    }

    /// `POST /admin/treasury/send`.
    pub async fn treasury_send(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/admin/treasury/send", body).await
    }

    /// `GET` an operator route.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.http.get(path).await
    }

    /// `POST` `body` to an operator route.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.http.post(path, body).await
    }

    /// Sends `body` to an operator route with `method`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        super::http::answer(self.http.request(method, path).json(body)).await
    }
}
