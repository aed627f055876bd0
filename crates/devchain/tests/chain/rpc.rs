//! The JSON-RPC server over real HTTP: Basic auth, Bitcoin Core's JSON shapes, error codes and
//! HTTP statuses, named parameters, batches.

use std::net::SocketAddr;

use devchain::{Devchain, RpcAuth, RpcServer};
use serde_json::{json, Value};

struct Rpc {
    url: String,
    client: reqwest::Client,
}

impl Rpc {
    async fn raw(&self, body: Value, password: &str) -> (u16, Value) {
        let response = self
            .client
            .post(&self.url)
            .basic_auth("user", Some(password))
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn call(&self, method: &str, params: Value) -> (u16, Value) {
        self.raw(
            json!({"jsonrpc": "1.0", "id": "t", "method": method, "params": params}),
            "secret",
        )
        .await
    }

    async fn ok(&self, method: &str, params: Value) -> Value {
        let (status, body) = self.call(method, params).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert!(body["error"].is_null(), "{method}: {body}");
        body["result"].clone()
    }
}

async fn start() -> (tempfile::TempDir, Devchain, RpcServer, Rpc) {
    let dir = tempfile::tempdir().expect("dir");
    let chain = Devchain::open(dir.path()).expect("open");
    let auth = RpcAuth {
        user: "user".into(),
        password: "secret".into(),
    };
    let bind: SocketAddr = "127.0.0.1:0".parse().expect("addr");
    let server = RpcServer::start(chain.clone(), bind, auth)
        .await
        .expect("server");
    let rpc = Rpc {
        url: format!("http://{}/", server.addr()),
        client: reqwest::Client::new(),
    };
    (dir, chain, server, rpc)
}

#[tokio::test]
async fn speaks_bitcoin_cores_rpc() {
    let (_dir, chain, mut server, rpc) = start().await;

    let (status, _) = rpc
        .raw(json!({"method": "getblockcount", "params": []}), "wrong")
        .await;
    assert_eq!(status, 401);

    let info = rpc.ok("getblockchaininfo", json!([])).await;
    assert_eq!(info["chain"], "regtest");
    assert_eq!(info["blocks"], 0);
    assert_eq!(
        info["bestblockhash"],
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    );

    let address = rpc.ok("getnewaddress", json!([])).await;
    let hashes = rpc.ok("generatetoaddress", json!([101, address])).await;
    assert_eq!(hashes.as_array().expect("hashes").len(), 101);
    assert_eq!(rpc.ok("getblockcount", json!([])).await, 101);
    assert_eq!(rpc.ok("getbalance", json!([])).await, json!(50.0));

    let tip = rpc.ok("getbestblockhash", json!([])).await;
    let header = rpc.ok("getblockheader", json!({"blockhash": tip})).await;
    for field in [
        "hash",
        "confirmations",
        "height",
        "version",
        "merkleroot",
        "time",
        "mediantime",
        "nonce",
        "bits",
        "chainwork",
        "previousblockhash",
    ] {
        assert!(
            !header[field].is_null(),
            "getblockheader lacks {field}: {header}"
        );
    }
    assert_eq!(header["bits"], "207fffff");
    assert_eq!(header["chainwork"].as_str().expect("chainwork").len(), 64);
    let raw_block = rpc.ok("getblock", json!([tip, 0])).await;
    assert!(raw_block.as_str().expect("hex").len() > 160);
    let block = rpc.ok("getblock", json!([tip, 1])).await;
    assert_eq!(block["tx"].as_array().expect("txids").len(), 1);

    let txid = rpc.ok("sendtoaddress", json!([address, 1.5])).await;
    assert_eq!(rpc.ok("getrawmempool", json!([])).await, json!([txid]));
    let entry = rpc.ok("getmempoolentry", json!([txid])).await;
    assert!(
        entry["time"].as_u64().is_some() && entry["height"] == 101,
        "{entry}"
    );
    let hex = rpc.ok("getrawtransaction", json!([txid])).await;
    let out = rpc.ok("gettxout", json!([txid, 0])).await;
    assert_eq!(out["confirmations"], 0);

    // Core's codes, with HTTP 500 for a JSON-RPC 1.0 error.
    let (status, body) = rpc.call("sendrawtransaction", json!(["00"])).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (500, Some(-22)));
    let resent = rpc.ok("sendrawtransaction", json!([hex])).await;
    assert_eq!(
        resent, txid,
        "a transaction already in the mempool is accepted again"
    );
    let test = rpc.ok("testmempoolaccept", json!([[hex]])).await;
    assert_eq!(test[0]["allowed"], false);
    assert_eq!(test[0]["reject-reason"], "txn-already-in-mempool");
    let (status, body) = rpc
        .call("getrawtransaction", json!(["00".repeat(32)]))
        .await;
    assert_eq!((status, body["error"]["code"].as_i64()), (500, Some(-5)));
    let (status, body) = rpc.call("getblockhash", json!([1000])).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (500, Some(-8)));
    let (status, body) = rpc.call("nosuchmethod", json!([])).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (404, Some(-32601))
    );
    let (status, body) = rpc
        .call(
            "generatetoaddress",
            json!([1, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]),
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_i64()), (500, Some(-5)));

    let fee = rpc.ok("estimatesmartfee", json!([6])).await;
    assert!(fee["feerate"].as_f64().expect("feerate") > 0.0);
    assert!(rpc.ok("getmempoolinfo", json!([])).await["mempoolminfee"]
        .as_f64()
        .is_some());
    assert_eq!(
        rpc.ok("getnetworkinfo", json!([])).await["version"],
        250_100
    );

    // A batch answers each call; JSON-RPC 2.0 errors come with HTTP 200.
    let (status, batch) = rpc
        .raw(
            json!([{"method": "getblockcount", "id": 1}, {"method": "getbestblockhash", "id": 2}]),
            "secret",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(batch[0]["result"], 101);
    let (status, body) = rpc
        .raw(
            json!({"jsonrpc": "2.0", "id": 3, "method": "getblockhash", "params": [999]}),
            "secret",
        )
        .await;
    assert_eq!((status, body["error"]["code"].as_i64()), (200, Some(-8)));

    // invalidateblock reorgs: the tip moves back and the next block differs.
    rpc.ok("generatetoaddress", json!([1, address])).await;
    let confirmed_tip = rpc.ok("getbestblockhash", json!([])).await;
    assert!(rpc
        .ok("invalidateblock", json!([confirmed_tip]))
        .await
        .is_null());
    assert_eq!(rpc.ok("getblockcount", json!([])).await, 101);
    let stale = rpc.ok("getblockheader", json!([confirmed_tip])).await;
    assert_eq!(stale["confirmations"], -1, "a stale header is still served");
    assert_eq!(
        rpc.ok("getrawmempool", json!([])).await,
        json!([txid]),
        "its transaction is back"
    );
    assert_eq!(chain.height(), 101);
    server.shutdown();
}
