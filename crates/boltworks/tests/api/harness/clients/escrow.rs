//! The client of the escrow API as its original clients used it: plain JSON POSTs to the
//! documented paths (with the trailing slash the seed's scripts used, or without), every
//! answer HTTP 200 with `"status": "success"` or `"error"`.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::http::{answer, Http};

/// `/escrow`.
#[derive(Clone)]
pub struct EscrowClient {
    http: Http,
    trailing_slash: bool,
}

/// One escrow answer, with the request it answers (for the failure messages).
#[derive(Debug)]
pub struct EscrowAnswer {
    path: String,
    request: Value,
    pub status: StatusCode,
    pub body: Value,
}

impl EscrowAnswer {
    /// The body, checking the HTTP 200 escrow answers everything with.
    pub fn body(self) -> Value {
        assert_eq!(self.status, 200, "{}: {}", self.path, self.body);
        self.body
    }

    /// The body of a success.
    pub fn success(self) -> Value {
        let (path, request) = (self.path.clone(), self.request.clone());
        let body = self.body();
        assert_eq!(body["status"], "success", "{path} {request}: {body}");
        body
    }

    /// The message of a refusal.
    pub fn refusal(self) -> String {
        let (path, request) = (self.path.clone(), self.request.clone());
        let body = self.body();
        assert_eq!(
            body["status"], "error",
            "{path} {request} should be refused: {body}"
        );
        body["message"].as_str().expect("message").to_string()
    }
}

impl EscrowClient {
    pub fn new(http: Http) -> Self {
        Self {
            http,
            trailing_slash: true,
        }
    }

    /// The same client calling the paths without their trailing slash (both are served).
    pub fn without_trailing_slash(&self) -> Self {
        Self {
            trailing_slash: false,
            ..self.clone()
        }
    }

    async fn call(&self, endpoint: &str, request: Value) -> EscrowAnswer {
        let slash = if self.trailing_slash { "/" } else { "" };
        let path = format!("/escrow/{endpoint}/v2{slash}");
        let (status, body) = self.http.post(&path, &request).await;
        EscrowAnswer {
            path,
            request,
            status,
            body,
        }
    }

    pub async fn set_user(&self, body: Value) -> EscrowAnswer {
        self.call("setuser", body).await
    }

    pub async fn login(&self, body: Value) -> EscrowAnswer {
        self.call("login", body).await
    }

    pub async fn set_tx(&self, body: Value) -> EscrowAnswer {
        self.call("settx", body).await
    }

    pub async fn get_all_user_txs(&self, body: Value) -> EscrowAnswer {
        self.call("getallusertxs", body).await
    }

    pub async fn get_tx(&self, body: Value) -> EscrowAnswer {
        self.call("gettx", body).await
    }

    pub async fn set_invoice(&self, body: Value) -> EscrowAnswer {
        self.call("setinvoice", body).await
    }

    pub async fn buyer_paid(&self, body: Value) -> EscrowAnswer {
        self.call("buyerpaid", body).await
    }

    pub async fn confirm_payment(&self, body: Value) -> EscrowAnswer {
        self.call("confirmpayment", body).await
    }

    pub async fn goods_sent(&self, body: Value) -> EscrowAnswer {
        self.call("goodssent", body).await
    }

    pub async fn goods_received(&self, body: Value) -> EscrowAnswer {
        self.call("goodsreceived", body).await
    }

    pub async fn get_preimage(&self, body: Value) -> EscrowAnswer {
        self.call("getpreimage", body).await
    }

    pub async fn dispute(&self, body: Value) -> EscrowAnswer {
        self.call("dispute", body).await
    }

    pub async fn set_webhook(&self, body: Value) -> EscrowAnswer {
        self.call("setwebhook", body).await
    }

    /// A step of the transaction by its endpoint name (`buyerpaid`, `goodssent`, ...).
    pub async fn step(&self, endpoint: &str, body: Value) -> EscrowAnswer {
        self.call(endpoint, body).await
    }

    /// `GET /escrow/extend-session/?session_id=`.
    pub async fn extend_session(&self, session: &str) -> (StatusCode, Value) {
        self.http
            .get(&format!("/escrow/extend-session/?session_id={session}"))
            .await
    }

    /// POSTs `body` as it is, with no content type, to endpoint `endpoint` (`setuser`, ...).
    pub async fn post_raw(&self, endpoint: &str, body: &str) -> (StatusCode, Value) {
        let request = self
            .http
            .request(Method::POST, &format!("/escrow/{endpoint}/v2/"))
            .body(body.to_string());
        answer(request).await
    }
}
