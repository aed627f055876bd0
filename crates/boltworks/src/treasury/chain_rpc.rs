//! The few bitcoind JSON-RPC calls the treasury needs (the devchain serves the same ones): the
//! tip, blocks by height, the mempool, transactions, broadcasting and fee estimates.

use std::time::Duration;

use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::{Block, BlockHash, Transaction, Txid};
use serde_json::{json, Value};

/// A bitcoind JSON-RPC endpoint.
#[derive(Clone)]
pub struct ChainRpc {
    url: String,
    user: String,
    password: String,
    http: reqwest::Client,
}

/// A failed call: unreachable, or an error answer (with bitcoind's code and message).
#[derive(Debug, thiserror::Error)]
pub enum RpcFailure {
    /// The server could not be reached or answered nonsense.
    #[error("chain RPC unreachable: {0}")]
    Transport(String),
    /// The server refused the call.
    #[error("chain RPC error {code}: {message}")]
    Refused {
        /// bitcoind's error code.
        code: i64,
        /// bitcoind's message.
        message: String,
    },
}

impl ChainRpc {
    /// A client of `http://host:port/` with basic auth.
    pub fn new(host: &str, port: u16, user: &str, password: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Self {
            url: format!("http://{host}:{port}/"),
            user: user.to_string(),
            password: password.to_string(),
            http,
        }
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, RpcFailure> {
        let body = json!({"jsonrpc": "1.0", "id": "treasury", "method": method, "params": params});
        let reply: Value = self
            .http
            .post(&self.url)
            .basic_auth(&self.user, Some(&self.password))
            .json(&body)
            .send()
            .await
            .map_err(|e| RpcFailure::Transport(e.to_string()))?
            .json()
            .await
            .map_err(|e| RpcFailure::Transport(e.to_string()))?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            return Err(RpcFailure::Refused {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(reply["result"].clone())
    }

    fn parse<T: std::str::FromStr>(value: &Value, what: &str) -> Result<T, RpcFailure> {
        value
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| RpcFailure::Transport(format!("unexpected {what}: {value}")))
    }

    /// The tip's height.
    pub async fn block_count(&self) -> Result<u32, RpcFailure> {
        let height = self.call("getblockcount", json!([])).await?;
        height
            .as_u64()
            .and_then(|h| u32::try_from(h).ok())
            .ok_or_else(|| RpcFailure::Transport(format!("unexpected height: {height}")))
    }

    /// The hash of the block at `height` on the best chain.
    pub async fn block_hash(&self, height: u32) -> Result<BlockHash, RpcFailure> {
        let hash = self.call("getblockhash", json!([height])).await?;
        Self::parse(&hash, "block hash")
    }

    /// A block by hash.
    pub async fn block(&self, hash: &BlockHash) -> Result<Block, RpcFailure> {
        let hex = self.call("getblock", json!([hash.to_string(), 0])).await?;
        deserialize_hex(hex.as_str().unwrap_or_default())
            .map_err(|e| RpcFailure::Transport(format!("block {hash}: {e}")))
    }

    /// The ids of the transactions in the mempool.
    pub async fn mempool(&self) -> Result<Vec<Txid>, RpcFailure> {
        let ids = self.call("getrawmempool", json!([false])).await?;
        ids.as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| Self::parse(id, "txid").ok())
                    .collect()
            })
            .ok_or_else(|| RpcFailure::Transport(format!("unexpected mempool: {ids}")))
    }

    /// A transaction (from the mempool or, with a txindex, the chain); `None` if unknown.
    pub async fn transaction(&self, txid: &Txid) -> Result<Option<Transaction>, RpcFailure> {
        match self
            .call("getrawtransaction", json!([txid.to_string(), 0]))
            .await
        {
            Ok(hex) => deserialize_hex(hex.as_str().unwrap_or_default())
                .map(Some)
                .map_err(|e| RpcFailure::Transport(format!("transaction {txid}: {e}"))),
            // -5: no such transaction (it left the mempool between the two calls).
            Err(RpcFailure::Refused { code: -5, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Broadcasts a transaction. One already in the mempool or confirmed counts as broadcast.
    pub async fn broadcast(&self, tx: &Transaction) -> Result<Txid, RpcFailure> {
        let hex = bitcoin::consensus::encode::serialize_hex(tx);
        match self.call("sendrawtransaction", json!([hex])).await {
            Ok(txid) => Self::parse(&txid, "txid"),
            Err(RpcFailure::Refused { code: -27, .. }) => Ok(tx.compute_txid()),
            Err(RpcFailure::Refused { message, .. })
                if message.contains("txn-already-in-mempool")
                    || message.contains("already known") =>
            {
                Ok(tx.compute_txid())
            }
            Err(e) => Err(e),
        }
    }

    /// A fee rate to confirm within `blocks`, in sat/vB (at least 1); `None` without an estimate.
    pub async fn fee_rate(&self, blocks: u16) -> Result<Option<u64>, RpcFailure> {
        let estimate = self.call("estimatesmartfee", json!([blocks])).await?;
        // BTC per 1000 vB, read as a decimal (no floats): sat per kvB, then per vB rounded up.
        let per_kvb = match &estimate["feerate"] {
            Value::Number(rate) => {
                bitcoin::Amount::from_str_in(&rate.to_string(), bitcoin::Denomination::Bitcoin).ok()
            }
            _ => None,
        };
        Ok(per_kvb
            .filter(|rate| rate.to_sat() > 0)
            .map(|rate| rate.to_sat().div_ceil(1_000).max(1)))
    }
}
