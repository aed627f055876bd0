//! The test harness: a whole boltworks stack per test (devchain, hub and, when asked, the demo
//! nodes) on free loopback ports in a temporary directory, with a typed HTTP client. Tests drive
//! everything over HTTP, as a client would. Set TEST_LOG=1 to see the hub's logs.
#![allow(dead_code)]

pub mod gift_client;
pub mod hub_process;
pub mod merchant_client;
pub mod webhook_receiver;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use boltworks::app::App;
use boltworks::config::parse_serve_flags;
use boltworks::dev::free_loopback_addr;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

/// How long a test waits for anything before failing.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// What to start.
#[derive(Default, Clone)]
pub struct StackOptions {
    /// Run alice and bob with their channels to the hub.
    pub demo_nodes: bool,
    /// A PostgreSQL URL instead of SQLite.
    pub database_url: Option<String>,
    /// More `serve` flags.
    pub extra_flags: Vec<String>,
}

/// The operator token test stacks use.
pub const ADMIN_TOKEN: &str = "test-operator-token-0123456789";

/// A running stack.
pub struct TestStack {
    app: Option<App>,
    flags: Vec<String>,
    dir: PathBuf,
    _temp: tempfile::TempDir,
    /// The client of this stack's HTTP API.
    pub hub: HubClient,
}

impl TestStack {
    /// Hub, devchain, alice and bob, ready (demo channels usable).
    pub async fn with_demo_nodes() -> Self {
        Self::start(StackOptions {
            demo_nodes: true,
            ..Default::default()
        })
        .await
    }

    /// Hub, devchain, alice and bob, with more `serve` flags.
    pub async fn with_flags(extra: &[&str]) -> Self {
        Self::start(StackOptions {
            demo_nodes: true,
            extra_flags: extra.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        })
        .await
    }

    /// Hub and devchain only.
    pub async fn hub_only() -> Self {
        Self::start(StackOptions::default()).await
    }

    /// Starts a stack and waits until `/ready` says so.
    pub async fn start(options: StackOptions) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            boltworks::init_logging(false);
        }
        // Node ports are chosen free, then bound by ldk-node a moment later; a parallel test can
        // take one in between, so a start that cannot bind retries on fresh ports.
        let mut attempt = 0;
        let (temp, dir, flags, app) = loop {
            attempt += 1;
            let temp = tempfile::tempdir().expect("temp dir");
            let dir = temp.path().join("data");
            let flags = stack_flags(&dir, &options);
            let config = parse_serve_flags(flags.iter().cloned())
                .expect("flags")
                .validate()
                .expect("config");
            match App::start(config).await {
                Ok(app) => break (temp, dir, flags, app),
                Err(e) if attempt < 3 => {
                    eprintln!("stack start failed, retrying on fresh ports: {e:#}")
                }
                Err(e) => panic!("hub starts: {e:#}"),
            }
        };
        let hub = HubClient::new(format!("http://{}", app.http_addr()));
        let stack = Self {
            app: Some(app),
            flags,
            dir,
            _temp: temp,
            hub,
        };
        stack.hub.wait_ready().await;
        stack
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the stack cleanly and starts it again on the same data directory and ports.
    pub async fn restart(&mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
        let app = start_app(&self.flags).await;
        self.hub = HubClient::new(format!("http://{}", app.http_addr()));
        self.app = Some(app);
        self.hub.wait_ready().await;
    }

    /// Stops the stack.
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }
}

impl Drop for TestStack {
    /// A test that failed before `stop` leaves its stack running: leak it rather than let
    /// ldk-node's drop run while the test's runtime shuts down (which aborts the process and
    /// hides the test's own failure message).
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            std::mem::forget(app);
        }
    }
}

fn stack_flags(dir: &Path, options: &StackOptions) -> Vec<String> {
    let mut flags: Vec<String> = vec![
        "--data-dir".into(),
        dir.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
    ];
    for flag in ["--node-listen", "--alice-listen", "--bob-listen"] {
        flags.push(flag.into());
        flags.push(free_loopback_addr().expect("free port").to_string());
    }
    if !options.demo_nodes {
        flags.push("--no-demo-nodes".into());
    }
    if let Some(url) = &options.database_url {
        flags.extend(["--database-url".to_string(), url.clone()]);
    }
    flags.extend(["--admin-token".to_string(), ADMIN_TOKEN.to_string()]);
    flags.extend(options.extra_flags.iter().cloned());
    flags
}

async fn start_app(flags: &[String]) -> App {
    let config = parse_serve_flags(flags.iter().cloned())
        .expect("flags")
        .validate()
        .expect("config");
    App::start(config).await.expect("hub starts")
}

/// Waits until `check` yields `Some`, polling, or panics after `PATIENCE` with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An error answer: status and JSON body.
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

/// An invoice issued by a demo node.
#[derive(Debug, Deserialize)]
pub struct Invoice {
    pub bolt11: String,
    pub payment_hash: String,
}

/// A demo node's payment.
#[derive(Debug, Deserialize)]
pub struct Payment {
    pub status: String,
    pub amount_msat: Option<u64>,
    #[serde(default)]
    pub fee_paid_msat: Option<u64>,
    pub preimage: Option<String>,
    pub failure_reason: Option<String>,
}

/// One node in `/dev/nodes`.
#[derive(Debug, Deserialize)]
pub struct NodeView {
    pub node_id: String,
    pub address: String,
    pub onchain_sat: u64,
    pub channels: Vec<ChannelView>,
}

/// One channel in `/dev/nodes`.
#[derive(Debug, Deserialize)]
pub struct ChannelView {
    pub peer: String,
    pub capacity_sat: u64,
    pub local_msat: u64,
    pub remote_msat: u64,
    pub ready: bool,
    pub public: bool,
    pub user_channel_id: String,
    pub funding_txid: Option<String>,
    pub confirmations: Option<u32>,
}

/// `/dev/nodes`.
#[derive(Debug, Deserialize)]
pub struct Nodes {
    pub hub: NodeView,
    pub alice: NodeView,
    pub bob: NodeView,
}

impl Nodes {
    /// A node by name.
    pub fn get(&self, name: &str) -> &NodeView {
        match name {
            "hub" => &self.hub,
            "alice" => &self.alice,
            "bob" => &self.bob,
            other => panic!("no node {other}"),
        }
    }
}

/// A typed client of the hub's HTTP API.
#[derive(Clone)]
pub struct HubClient {
    pub base: String,
    http: reqwest::Client,
}

impl HubClient {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// GET, returning the status and JSON body (Null if not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `node`'s channel of `capacity_sat`, if it has one.
    pub async fn channel_of_capacity(&self, node: &str, capacity_sat: u64) -> Option<ChannelView> {
        let nodes = self.nodes().await;
        let view = match node {
            "hub" => nodes.hub,
            "alice" => nodes.alice,
            _ => nodes.bob,
        };
        view.channels
            .into_iter()
            .find(|c| c.capacity_sat == capacity_sat)
    }

    /// What `node` holds in all its channels, in msat.
    pub async fn local_msat(&self, node: &str) -> u64 {
        self.nodes()
            .await
            .get(node)
            .channels
            .iter()
            .map(|c| c.local_msat)
            .sum()
    }

    /// GET with the operator token.
    pub async fn admin_get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST JSON with the operator token.
    pub async fn admin_post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST with the operator token.
    pub async fn admin_post(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// POST JSON, returning the status and JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok<T: serde::de::DeserializeOwned>(
        &self,
        (status, body): (StatusCode, Value),
    ) -> Result<T, ApiError> {
        if status.is_success() {
            Ok(serde_json::from_value(body).expect("response shape"))
        } else {
            Err(ApiError { status, body })
        }
    }

    pub async fn wait_ready(&self) {
        let this = self.clone();
        eventually("/ready", || {
            let this = this.clone();
            async move {
                // The hub may still be starting (a subprocess not yet listening).
                let response = this.http.get(format!("{}/ready", this.base)).send().await;
                response
                    .is_ok_and(|r| r.status().is_success())
                    .then_some(())
            }
        })
        .await;
    }

    /// Pays `amount_sat` to `address` from the dev faucet; the txid.
    pub async fn fund(&self, address: &str, amount_sat: u64) -> String {
        let (status, answer) = self
            .post(
                "/dev/fund",
                json!({"address": address, "amount_sat": amount_sat}),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer["txid"].as_str().expect("txid").to_string()
    }

    /// Mines blocks; returns the new height once every node processed them.
    pub async fn mine(&self, blocks: u32) -> u32 {
        let body: Value = self
            .ok(self.post("/dev/mine", json!({"blocks": blocks})).await)
            .await
            .expect("mine");
        body["height"].as_u64().expect("height") as u32
    }

    pub async fn nodes(&self) -> Nodes {
        self.ok(self.get("/dev/nodes").await).await.expect("nodes")
    }

    pub async fn invoice(&self, node: &str, amount_msat: u64) -> Invoice {
        self.ok(self
            .post(
                &format!("/dev/{node}/invoice"),
                json!({"amount_msat": amount_msat, "description": "test"}),
            )
            .await)
            .await
            .expect("invoice")
    }

    pub async fn hold_invoice(&self, node: &str, amount_msat: u64, payment_hash: &str) -> Invoice {
        let body = json!({"amount_msat": amount_msat, "description": "hold", "payment_hash": payment_hash});
        self.ok(self.post(&format!("/dev/{node}/invoice"), body).await)
            .await
            .expect("hold invoice")
    }

    pub async fn pay(&self, node: &str, bolt11: &str) -> Result<String, ApiError> {
        let body: Value = self
            .ok(self
                .post(&format!("/dev/{node}/pay"), json!({"bolt11": bolt11}))
                .await)
            .await?;
        Ok(body["payment_hash"].as_str().expect("hash").to_string())
    }

    pub async fn payment(&self, node: &str, hash: &str) -> Result<Payment, ApiError> {
        self.ok(self.get(&format!("/dev/{node}/payments/{hash}")).await)
            .await
    }

    /// Waits until `node`'s payment `hash` has `status`; panics if it settles otherwise.
    pub async fn wait_payment(&self, node: &str, hash: &str, status: &str) -> Payment {
        let final_states = ["succeeded", "failed"];
        eventually(&format!("{node} payment {hash} to be {status}"), || async {
            let payment = self.payment(node, hash).await.ok()?;
            if payment.status == status {
                return Some(payment);
            }
            assert!(
                !final_states.contains(&payment.status.as_str()),
                "{node} payment {hash} ended {payment:?}, expected {status}"
            );
            None
        })
        .await
    }

    pub async fn claim(&self, node: &str, hash: &str, preimage: &str) -> Result<Value, ApiError> {
        self.ok(self
            .post(
                &format!("/dev/{node}/claim"),
                json!({"payment_hash": hash, "preimage": preimage}),
            )
            .await)
            .await
    }

    pub async fn fail(&self, node: &str, hash: &str) -> Result<Value, ApiError> {
        self.ok(self
            .post(&format!("/dev/{node}/fail"), json!({"payment_hash": hash}))
            .await)
            .await
    }

    pub async fn open_channel(
        &self,
        node: &str,
        peer: &str,
        capacity_sat: u64,
        push_msat: u64,
    ) -> String {
        let body = json!({"peer": peer, "capacity_sat": capacity_sat, "push_msat": push_msat});
        let answer: Value = self
            .ok(self.post(&format!("/dev/{node}/open-channel"), body).await)
            .await
            .expect("open channel");
        answer["user_channel_id"].as_str().expect("id").to_string()
    }

    pub async fn close_channel(&self, node: &str, user_channel_id: &str, force: bool) {
        let body = json!({"user_channel_id": user_channel_id, "force": force});
        let _: Value = self
            .ok(self.post(&format!("/dev/{node}/close-channel"), body).await)
            .await
            .expect("close channel");
    }

    /// The channel of `node` with this id, if it is still open.
    pub async fn channel(&self, node: &str, user_channel_id: &str) -> Option<ChannelView> {
        self.nodes()
            .await
            .get(node)
            .channels
            .iter()
            .find(|c| c.user_channel_id == user_channel_id)
            .map(|c| ChannelView {
                peer: c.peer.clone(),
                user_channel_id: c.user_channel_id.clone(),
                funding_txid: c.funding_txid.clone(),
                ..*c
            })
    }
}

/// A fresh random preimage and its payment hash, hex.
pub fn preimage_and_hash() -> (String, String) {
    use bitcoin::hashes::{sha256, Hash};
    let preimage: [u8; 32] = rand::random();
    (
        hex::encode(preimage),
        hex::encode(sha256::Hash::hash(&preimage).to_byte_array()),
    )
}

/// A new PostgreSQL database on the local server, for one test. A missing server fails the test.
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    let admin = std::env::var("BOLTWORKS_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let name = format!("boltworks_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = sqlx::PgConnection::connect(&format!("{admin}/postgres"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL must run at {admin} for these tests (scripts/test.sh starts it): {e}"
            )
        });
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("{admin}/{name}")
}

/// The id of a node nobody runs (a valid key).
pub fn random_node_id() -> String {
    use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
    let secret = SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("key");
    PublicKey::from_secret_key(&Secp256k1::new(), &secret).to_string()
}

/// The URL in a bech32 LNURL (LUD-01), checking its prefix.
pub fn decode_lnurl(lnurl: &str) -> String {
    let (hrp, data) = bech32::decode(lnurl).expect("bech32");
    assert_eq!(hrp.as_str(), "lnurl");
    String::from_utf8(data).expect("a URL")
}

/// GETs `url` as an LNURL wallet does, returning the JSON answer.
pub async fn get_json(url: impl reqwest::IntoUrl) -> Value {
    reqwest::get(url)
        .await
        .expect("GET")
        .json()
        .await
        .expect("json")
}
