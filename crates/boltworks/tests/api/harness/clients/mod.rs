//! Typed clients of one running hub, one per service and one style: a method per endpoint
//! answering the status and the JSON body (or a typed answer where tests read one), built on
//! the shared [`http::Http`].

pub mod admin;
pub mod dev;
pub mod escrow;
pub mod gifts;
pub mod http;
pub mod lsp_v1;
pub mod lsps1;
pub mod merchant;

use reqwest::StatusCode;
use serde_json::Value;

use self::admin::AdminClient;
use self::dev::DevClient;
use self::escrow::EscrowClient;
use self::gifts::GiftsClient;
use self::http::Http;
use self::lsp_v1::LspV1Client;
use self::lsps1::Lsps1Client;
use self::merchant::MerchantClient;
use crate::harness::wait::eventually;

/// Every client of the hub at one base URL (cheap to clone).
#[derive(Clone)]
pub struct Hub {
    /// `http://ADDR` of the hub's HTTP API.
    pub base: String,
    http: Http,
    pub dev: DevClient,
    pub admin: AdminClient,
    pub escrow: EscrowClient,
    pub gifts: GiftsClient,
    pub lsp_v1: LspV1Client,
    pub lsps1: Lsps1Client,
    pub merchant: MerchantClient,
}

impl Hub {
    pub fn new(base: String) -> Self {
        let http = Http::new(&base);
        Self {
            base,
            dev: DevClient::new(http.clone()),
            admin: AdminClient::new(&http),
            escrow: EscrowClient::new(http.clone()),
            gifts: GiftsClient::new(http.clone()),
            lsp_v1: LspV1Client::new(http.clone()),
            lsps1: Lsps1Client::new(http.clone()),
            merchant: MerchantClient::new(http.clone()),
            http,
        }
    }

    /// The URL of `path` on this hub.
    pub fn url(&self, path: &str) -> String {
        self.http.url(path)
    }

    /// A request to any `path`, to add headers of one's own (an `Idempotency-Key`, say).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, path)
    }

    /// `GET /health`.
    pub async fn health(&self) -> (StatusCode, Value) {
        self.http.get("/health").await
    }

    /// `GET /ready`.
    pub async fn ready(&self) -> (StatusCode, Value) {
        self.http.get("/ready").await
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> (StatusCode, Value) {
        self.http.get("/openapi.json").await
    }

    /// GET any path, for tests that sweep paths across services (the route list, bytes no
    /// service may take): the status and the JSON body.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.http.get(path).await
    }

    /// POST JSON to any path, for tables of requests across routes.
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.http.post(path, body).await
    }

    /// Whether `/ready` answers 200 now (false while the hub does not listen yet).
    pub async fn is_ready(&self) -> bool {
        self.http
            .request(reqwest::Method::GET, "/ready")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Waits until `/ready` answers 200.
    pub async fn wait_ready(&self) {
        eventually("/ready", || async { self.is_ready().await.then_some(()) }).await;
    }
}
