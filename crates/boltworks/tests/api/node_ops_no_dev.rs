//! The node operations where no `/dev` route is mounted (a hub without the demo network, as on
//! signet or mainnet): the operator funds the node wallet, opens a channel to a node of its own
//! choosing (a fresh ldk-node here), sees it become usable, sends coins from the node wallet and
//! closes the channel, all through `/admin/node`. The chain is driven the way a real one is, over
//! its bitcoind RPC (the devchain's faucet and miner), never through the hub.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::harness::own_node;
use crate::harness::ports::free_addr;
use crate::harness::{eventually, Hub, TestStack};

/// The chain's bitcoind RPC.
struct ChainRpc {
    url: String,
    user: String,
    password: String,
}

impl ChainRpc {
    fn of(stack: &TestStack) -> Self {
        let (host, port, user, password) = stack.chain_rpc();
        Self {
            url: format!("http://{host}:{port}/"),
            user,
            password,
        }
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let answer: Value = reqwest::Client::new()
            .post(&self.url)
            .basic_auth(&self.user, Some(&self.password))
            .json(&json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .expect("the chain answers")
            .json()
            .await
            .expect("JSON");
        assert!(answer["error"].is_null(), "{method}: {answer}");
        answer["result"].clone()
    }

    /// Waits until `txid` is in the chain's mempool.
    async fn wait_in_mempool(&self, txid: &str) {
        eventually("the transaction in the chain's mempool", || async {
            let mempool = self.call("getrawmempool", json!([])).await;
            mempool.as_array()?.iter().any(|t| t == txid).then_some(())
        })
        .await
    }

    async fn mine(&self, blocks: u32) {
        let address = self.call("getnewaddress", json!([])).await;
        self.call("generatetoaddress", json!([blocks, address]))
            .await;
    }
}

async fn post(hub: &Hub, path: &str, body: &Value) -> Value {
    let (status, answer) = hub.admin.post(path, body).await;
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

async fn action_state(hub: &Hub, key: &str) -> String {
    let (_, answer) = hub.admin.get(&format!("/admin/node/actions/{key}")).await;
    answer["action"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_runs_the_node_with_no_dev_route() {
    let stack = TestStack::builder().build().await;
    let hub = &stack.hub;
    let (status, _) = hub.get("/dev/nodes").await;
    assert_eq!(status, 404, "no /dev route is mounted");
    let rpc = ChainRpc::of(&stack);

    // Fund the node wallet from the chain's faucet.
    let address = post(hub, "/admin/node/wallet/address", &json!({})).await;
    let address = address["address"].as_str().expect("address").to_string();
    rpc.call("sendtoaddress", json!([address, 0.01])).await;
    rpc.mine(1).await;
    eventually("the node wallet funded", || async {
        let (_, wallet) = hub.admin.get("/admin/node/wallet").await;
        (wallet["spendable_sat"].as_u64()? >= 1_000_000).then_some(())
    })
    .await;

    // A node of the operator's choosing.
    let dir = tempfile::tempdir().expect("dir");
    let listen = free_addr();
    let peer = own_node::start(own_node::builder(&stack, dir.path(), listen, |_| {})).await;

    // Open a channel to it, usable after six blocks.
    let uri = format!("{}@{listen}", peer.node_id());
    let open = json!({"key": "first-channel", "peer": uri, "capacity_sat": 300_000});
    let opened = post(hub, "/admin/node/channels", &open).await;
    let ucid = opened["action"]["user_channel_id"]
        .as_str()
        .expect("the node's id of it")
        .to_string();
    eventually("the funding broadcast", || async {
        (action_state(hub, "first-channel").await == "funded").then_some(())
    })
    .await;
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let funding = channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["user_channel_id"] == ucid.as_str())
        .and_then(|c| c["funding"].as_str()?.split(':').next().map(str::to_string))
        .expect("its funding txid");
    rpc.wait_in_mempool(&funding).await;
    rpc.mine(6).await;
    eventually("the channel usable", || async {
        (action_state(hub, "first-channel").await == "ready").then_some(())
    })
    .await;

    // Send from the node wallet to the peer's wallet, once for two asks.
    let peer_address = peer
        .onchain_payment()
        .new_address()
        .expect("peer address")
        .to_string();
    let send = json!({"key": "to-peer", "address": peer_address, "amount_sat": 50_000});
    let sent = post(hub, "/admin/node/wallet/send", &send).await;
    let again = post(hub, "/admin/node/wallet/send", &send).await;
    assert_eq!(sent["action"]["txid"], again["action"]["txid"]);
    let txid = sent["action"]["txid"].as_str().expect("txid").to_string();
    rpc.wait_in_mempool(&txid).await;
    rpc.mine(1).await;
    let synced = Arc::clone(&peer);
    eventually("the peer received the coins once", || async {
        let node = Arc::clone(&synced);
        tokio::task::spawn_blocking(move || node.sync_wallets())
            .await
            .ok()?
            .ok()?;
        (synced.list_balances().total_onchain_balance_sats == 50_000).then_some(())
    })
    .await;

    // Close the channel cooperatively.
    post(
        hub,
        &format!("/admin/node/channels/{ucid}/close"),
        &json!({"force": false}),
    )
    .await;
    eventually("the channel closed", || async {
        (action_state(hub, "first-channel").await == "closed").then_some(())
    })
    .await;
    let stopping = Arc::clone(&peer);
    let _ = tokio::task::spawn_blocking(move || stopping.stop()).await;
}
