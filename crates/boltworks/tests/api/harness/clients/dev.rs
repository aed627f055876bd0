//! The client of `/dev`, the regtest operations: the chain (mine, fund, invalidate), the demo
//! nodes (invoices, payments, hold invoices, channels), the dev clock and test notifications.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{ApiError, Http};
use crate::harness::wait::eventually;

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
#[derive(Debug, Clone, Deserialize)]
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
    /// Present when the hub runs with `--demo-carol`.
    pub carol: Option<NodeView>,
}

impl Nodes {
    /// A node by name.
    pub fn get(&self, name: &str) -> &NodeView {
        match name {
            "hub" => &self.hub,
            "alice" => &self.alice,
            "bob" => &self.bob,
            "carol" => self.carol.as_ref().expect("carol runs"),
            other => panic!("no node {other}"),
        }
    }
}

/// `/dev`.
#[derive(Clone)]
pub struct DevClient {
    http: Http,
}

impl DevClient {
    pub fn new(http: Http) -> Self {
        Self { http }
    }

    /// The answer's body as `T` if it is a success, else the error.
    fn ok<T: DeserializeOwned>((status, body): (StatusCode, Value)) -> Result<T, ApiError> {
        if status.is_success() {
            Ok(serde_json::from_value(body).expect("response shape"))
        } else {
            Err(ApiError { status, body })
        }
    }

    /// Pays `amount_sat` to `address` from the dev faucet; the txid.
    pub async fn fund(&self, address: &str, amount_sat: u64) -> String {
        let body = json!({"address": address, "amount_sat": amount_sat});
        let (status, answer) = self.http.post("/dev/fund", &body).await;
        assert_eq!(status, 200, "{answer}");
        answer["txid"].as_str().expect("txid").to_string()
    }

    /// Mines blocks; returns the new height once every node processed them.
    pub async fn mine(&self, blocks: u32) -> u32 {
        let body: Value = Self::ok(
            self.http
                .post("/dev/mine", &json!({"blocks": blocks}))
                .await,
        )
        .expect("mine");
        body["height"].as_u64().expect("height") as u32
    }

    /// `POST /dev/invalidate`: the block at `height` and those above it are undone.
    pub async fn invalidate(&self, height: u32) -> (StatusCode, Value) {
        self.http
            .post("/dev/invalidate", &json!({"height": height}))
            .await
    }

    /// `POST /dev/clock/advance`: the hub's clock moves `secs` ahead.
    pub async fn advance_clock(&self, secs: u64) -> (StatusCode, Value) {
        self.http
            .post("/dev/clock/advance", &json!({"secs": secs}))
            .await
    }

    /// `GET /dev/tx/{txid}/outputs`.
    pub async fn tx_outputs(&self, txid: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/dev/tx/{txid}/outputs")).await
    }

    /// Waits until `node`'s channel `user_channel_id` has its funding transaction in the chain's
    /// mempool (the node learns the txid before its broadcast reaches the chain: mining in
    /// between would confirm nothing); its txid.
    pub async fn wait_funding_broadcast(&self, node: &str, user_channel_id: &str) -> String {
        eventually("funding broadcast", || async {
            let txid = self.channel(node, user_channel_id).await?.funding_txid?;
            let (_, tx) = self.tx_outputs(&txid).await;
            (tx["in_mempool"] == true).then_some(txid)
        })
        .await
    }

    /// Waits until transaction `txid` is in the chain's mempool (a node's send returns its txid
    /// before its broadcast reaches the chain).
    pub async fn wait_in_mempool(&self, txid: &str) {
        eventually("the transaction in the mempool", || async {
            let (_, tx) = self.tx_outputs(txid).await;
            (tx["in_mempool"] == true).then_some(())
        })
        .await
    }

    /// `POST /dev/{node}/send-onchain`.
    pub async fn send_onchain(
        &self,
        node: &str,
        address: &str,
        amount_sat: u64,
    ) -> (StatusCode, Value) {
        let body = json!({"address": address, "amount_sat": amount_sat});
        self.http
            .post(&format!("/dev/{node}/send-onchain"), &body)
            .await
    }

    pub async fn nodes(&self) -> Nodes {
        Self::ok(self.nodes_answer().await).expect("nodes")
    }

    /// `GET /dev/nodes` as it answers.
    pub async fn nodes_answer(&self) -> (StatusCode, Value) {
        self.http.get("/dev/nodes").await
    }

    pub async fn invoice(&self, node: &str, amount_msat: u64) -> Invoice {
        let body = json!({"amount_msat": amount_msat, "description": "test"});
        Self::ok(self.http.post(&format!("/dev/{node}/invoice"), &body).await).expect("invoice")
    }

    pub async fn hold_invoice(&self, node: &str, amount_msat: u64, payment_hash: &str) -> Invoice {
        let body = json!({"amount_msat": amount_msat, "description": "hold", "payment_hash": payment_hash});
        Self::ok(self.http.post(&format!("/dev/{node}/invoice"), &body).await)
            .expect("hold invoice")
    }

    /// An invoice that expires after `expiry_secs`, a hold invoice if `payment_hash` is given.
    pub async fn invoice_expiring(
        &self,
        node: &str,
        amount_msat: u64,
        expiry_secs: u64,
        payment_hash: Option<&str>,
    ) -> Invoice {
        let mut body = json!({"amount_msat": amount_msat, "expiry_secs": expiry_secs});
        if let Some(hash) = payment_hash {
            body["payment_hash"] = json!(hash);
        }
        Self::ok(self.http.post(&format!("/dev/{node}/invoice"), &body).await)
            .expect("expiring invoice")
    }

    pub async fn pay(&self, node: &str, bolt11: &str) -> Result<String, ApiError> {
        let body: Value = Self::ok(
            self.http
                .post(&format!("/dev/{node}/pay"), &json!({"bolt11": bolt11}))
                .await,
        )?;
        Ok(body["payment_hash"].as_str().expect("hash").to_string())
    }

    /// Pays `bolt11` from `node`, with `amount_msat` for an invoice that names no amount.
    pub async fn pay_amount(
        &self,
        node: &str,
        bolt11: &str,
        amount_msat: Option<u64>,
    ) -> Result<String, ApiError> {
        let body = json!({"bolt11": bolt11, "amount_msat": amount_msat});
        let body: Value = Self::ok(self.http.post(&format!("/dev/{node}/pay"), &body).await)?;
        Ok(body["payment_hash"].as_str().expect("hash").to_string())
    }

    pub async fn payment(&self, node: &str, hash: &str) -> Result<Payment, ApiError> {
        Self::ok(self.payment_answer(node, hash).await)
    }

    /// `GET /dev/{node}/payments/{hash}` as it answers.
    pub async fn payment_answer(&self, node: &str, hash: &str) -> (StatusCode, Value) {
        self.http.get(&format!("/dev/{node}/payments/{hash}")).await
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
        let body = json!({"payment_hash": hash, "preimage": preimage});
        Self::ok(self.http.post(&format!("/dev/{node}/claim"), &body).await)
    }

    pub async fn fail(&self, node: &str, hash: &str) -> Result<Value, ApiError> {
        let body = json!({"payment_hash": hash});
        Self::ok(self.http.post(&format!("/dev/{node}/fail"), &body).await)
    }

    pub async fn open_channel(
        &self,
        node: &str,
        peer: &str,
        capacity_sat: u64,
        push_msat: u64,
    ) -> String {
        let body = json!({"peer": peer, "capacity_sat": capacity_sat, "push_msat": push_msat});
        let answer: Value = Self::ok(
            self.http
                .post(&format!("/dev/{node}/open-channel"), &body)
                .await,
        )
        .expect("open channel");
        answer["user_channel_id"].as_str().expect("id").to_string()
    }

    pub async fn close_channel(&self, node: &str, user_channel_id: &str, force: bool) {
        let body = json!({"user_channel_id": user_channel_id, "force": force});
        let _: Value = Self::ok(
            self.http
                .post(&format!("/dev/{node}/close-channel"), &body)
                .await,
        )
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
            .cloned()
    }

    /// `node`'s channel of `capacity_sat`, if it has one.
    pub async fn channel_of_capacity(&self, node: &str, capacity_sat: u64) -> Option<ChannelView> {
        self.nodes()
            .await
            .get(node)
            .channels
            .iter()
            .find(|c| c.capacity_sat == capacity_sat)
            .cloned()
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

    /// What `node` holds in its channels with `peer` (a node name), in msat.
    pub async fn local_msat_with(&self, node: &str, peer: &str) -> u64 {
        let nodes = self.nodes().await;
        let peer_id = nodes.get(peer).node_id.clone();
        nodes
            .get(node)
            .channels
            .iter()
            .filter(|c| c.peer == peer_id)
            .map(|c| c.local_msat)
            .sum()
    }

    /// `POST /dev/notify/emit`: test events through the outbox.
    pub async fn notify_emit(&self, body: &Value) -> (StatusCode, Value) {
        self.http.post("/dev/notify/emit", body).await
    }

    /// The websocket URL of notification topic `topic` (add a query to resume).
    pub fn notify_ws_url(&self, topic: &str) -> String {
        format!(
            "{}/dev/notify/ws/{topic}",
            self.http.base().replace("http://", "ws://")
        )
    }
}
