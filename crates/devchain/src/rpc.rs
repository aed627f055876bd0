//! The bitcoind JSON-RPC server: HTTP POST with Basic auth, Bitcoin Core's method names, JSON
//! shapes, error codes and HTTP statuses (500 for an RPC error, 404 for an unknown method, 401
//! for bad credentials), legacy JSON-RPC 1.0 and 2.0 requests, and batches.

use std::net::SocketAddr;
use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{Address, Amount, Block, BlockHash, Network, OutPoint, Transaction, Txid};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::amount_format::btc_value;
use crate::chain::BlockRecord;
use crate::devchain::{ChainView, Devchain, DevchainError};

const RPC_MISC_ERROR: i64 = -1;
const RPC_TYPE_ERROR: i64 = -3;
const RPC_INVALID_ADDRESS_OR_KEY: i64 = -5;
const RPC_WALLET_INSUFFICIENT_FUNDS: i64 = -6;
const RPC_INVALID_PARAMETER: i64 = -8;
const RPC_DESERIALIZATION_ERROR: i64 = -22;
const RPC_METHOD_NOT_FOUND: i64 = -32601;
const RPC_PARSE_ERROR: i64 = -32700;
const RPC_INVALID_REQUEST: i64 = -32600;

/// Fee rate `estimatesmartfee` answers on regtest: 2 sat/vB, in BTC/kvB.
const ESTIMATED_FEERATE_BTC_PER_KVB: f64 = 0.000_02;
/// `getmempoolinfo`'s minimum fee and relay fee: 1 sat/vB, in BTC/kvB.
const MIN_RELAY_FEE_BTC_PER_KVB: f64 = 0.000_01;
/// Regtest difficulty at the proof-of-work limit, as Core prints it.
const REGTEST_DIFFICULTY: f64 = 4.656_542_373_906_925e-10;
/// Most blocks one `generatetoaddress` call may mine.
const MAX_GENERATE: u64 = 10_000;

/// The credentials clients must present (HTTP Basic).
#[derive(Clone, Debug)]
pub struct RpcAuth {
    /// RPC user name.
    pub user: String,
    /// RPC password.
    pub password: String,
}

/// A running RPC server. Dropping it leaves the server running; call `shutdown` to stop it.
pub struct RpcServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl RpcServer {
    /// Serves `chain` on `bind` (port 0 picks a free port) until shut down.
    pub async fn start(chain: Devchain, bind: SocketAddr, auth: RpcAuth) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", auth.user, auth.password))
        );
        let app = Router::new()
            .route("/", post(handle))
            .route("/wallet/{name}", post(handle))
            .with_state(RpcState {
                chain,
                expected_auth: expected,
            });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "devchain RPC server stopped");
            }
        });
        tracing::info!(%addr, "devchain RPC listening");
        Ok(Self {
            addr,
            stop: Some(stop),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests.
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Clone)]
struct RpcState {
    chain: Devchain,
    expected_auth: String,
}

async fn handle(State(state): State<RpcState>, headers: HeaderMap, body: Bytes) -> Response {
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| constant_time_eq(v.as_bytes(), state.expected_auth.as_bytes()));
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
        )
            .into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => {
            let body = json!({"result": null, "error": {"code": RPC_PARSE_ERROR, "message": "Parse error"}, "id": null});
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &body);
        }
    };
    let chain = state.chain.clone();
    let outcome = tokio::task::spawn_blocking(move || match request {
        Value::Array(calls) => {
            let replies: Vec<Value> = calls.iter().map(|c| reply(&chain, c).1).collect();
            (StatusCode::OK, Value::Array(replies))
        }
        call => reply(&chain, &call),
    })
    .await;
    match outcome {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => {
            tracing::error!(error = %e, "devchain RPC handler failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An RPC failure: Core's code and message.
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<DevchainError> for RpcError {
    fn from(e: DevchainError) -> Self {
        match e {
            DevchainError::Rejected(r) => RpcError::new(r.code, r.to_string()),
            DevchainError::InsufficientFunds => {
                RpcError::new(RPC_WALLET_INSUFFICIENT_FUNDS, "Insufficient funds")
            }
            DevchainError::InvalidAmount => RpcError::new(RPC_TYPE_ERROR, "Invalid amount"),
            DevchainError::BlockNotFound => {
                RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
            }
            other => RpcError::new(RPC_MISC_ERROR, other.to_string()),
        }
    }
}

/// Answers one call: the HTTP status and the reply object.
fn reply(chain: &Devchain, call: &Value) -> (StatusCode, Value) {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let is_v2 = call.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        let error = json!({"code": RPC_INVALID_REQUEST, "message": "Method must be a string"});
        return (
            StatusCode::BAD_REQUEST,
            json!({"result": null, "error": error, "id": id}),
        );
    };
    let params = Params::new(method, call.get("params"));
    let result = dispatch(chain, method, &params);
    let (status, body) = match result {
        Ok(result) if is_v2 => (
            StatusCode::OK,
            json!({"jsonrpc": "2.0", "result": result, "id": id}),
        ),
        Ok(result) => (
            StatusCode::OK,
            json!({"result": result, "error": null, "id": id}),
        ),
        Err(e) => {
            let error = json!({"code": e.code, "message": e.message});
            if is_v2 {
                (
                    StatusCode::OK,
                    json!({"jsonrpc": "2.0", "error": error, "id": id}),
                )
            } else if e.code == RPC_METHOD_NOT_FOUND {
                (
                    StatusCode::NOT_FOUND,
                    json!({"result": null, "error": error, "id": id}),
                )
            } else {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"result": null, "error": error, "id": id}),
                )
            }
        }
    };
    tracing::trace!(method, status = status.as_u16(), "devchain RPC");
    (status, body)
}

/// Positional or named parameters, by the method's parameter names.
struct Params<'a> {
    values: Vec<Option<&'a Value>>,
}

impl<'a> Params<'a> {
    fn new(method: &str, raw: Option<&'a Value>) -> Self {
        let values = match raw {
            Some(Value::Array(items)) => items.iter().map(Some).collect(),
            Some(Value::Object(map)) => param_names(method)
                .iter()
                .map(|name| map.get(*name))
                .collect(),
            _ => Vec::new(),
        };
        Self { values }
    }

    fn get(&self, index: usize) -> Option<&'a Value> {
        self.values
            .get(index)
            .copied()
            .flatten()
            .filter(|v| !v.is_null())
    }

    fn required(&self, index: usize, name: &str) -> Result<&'a Value, RpcError> {
        self.get(index).ok_or_else(|| {
            RpcError::new(
                RPC_MISC_ERROR,
                format!("Missing required parameter: {name}"),
            )
        })
    }

    fn str(&self, index: usize, name: &str) -> Result<&'a str, RpcError> {
        self.required(index, name)?.as_str().ok_or_else(|| {
            RpcError::new(
                RPC_TYPE_ERROR,
                format!(
                    "JSON value of type {} for field {name} is not of expected type string",
                    type_name(self.get(index))
                ),
            )
        })
    }

    fn u64(&self, index: usize, name: &str) -> Result<u64, RpcError> {
        self.required(index, name)?.as_u64().ok_or_else(|| {
            RpcError::new(
                RPC_TYPE_ERROR,
                format!("JSON value for field {name} is not of expected type number"),
            )
        })
    }

    /// A "verbose"/"verbosity" flag given as a bool or a number; `default` when absent.
    fn verbosity(&self, index: usize, default: u64) -> u64 {
        match self.get(index) {
            Some(Value::Bool(b)) => u64::from(*b),
            Some(v) => v.as_u64().unwrap_or(default),
            None => default,
        }
    }

    fn bool_or(&self, index: usize, default: bool) -> bool {
        self.get(index).and_then(Value::as_bool).unwrap_or(default)
    }

    fn block_hash(&self, index: usize) -> Result<BlockHash, RpcError> {
        let text = self.str(index, "blockhash")?;
        BlockHash::from_str(text).map_err(|_| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                format!(
                    "blockhash must be of length 64 (not {}, for '{text}')",
                    text.len()
                ),
            )
        })
    }

    fn txid(&self, index: usize) -> Result<Txid, RpcError> {
        let text = self.str(index, "txid")?;
        Txid::from_str(text).map_err(|_| {
            RpcError::new(
                RPC_INVALID_PARAMETER,
                format!(
                    "txid must be of length 64 (not {}, for '{text}')",
                    text.len()
                ),
            )
        })
    }

    fn address(&self, index: usize) -> Result<Address, RpcError> {
        let text = self.str(index, "address")?;
        Address::from_str(text)
            .ok()
            .and_then(|a| a.require_network(Network::Regtest).ok())
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))
    }
}

fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "bool",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// Parameter names, for calls that pass named parameters.
fn param_names(method: &str) -> &'static [&'static str] {
    match method {
        "getblockhash" => &["height"],
        "getblockheader" => &["blockhash", "verbose"],
        "getblock" => &["blockhash", "verbosity"],
        "gettxout" => &["txid", "n", "include_mempool"],
        "getrawtransaction" => &["txid", "verbose", "blockhash"],
        "sendrawtransaction" => &["hexstring", "maxfeerate"],
        "testmempoolaccept" => &["rawtxs", "maxfeerate"],
        "getrawmempool" => &["verbose"],
        "getmempoolentry" => &["txid"],
        "estimatesmartfee" => &["conf_target", "estimate_mode"],
        "generatetoaddress" => &["nblocks", "address"],
        "invalidateblock" => &["blockhash"],
        "sendtoaddress" => &["address", "amount"],
        _ => &[],
    }
}

fn dispatch(chain: &Devchain, method: &str, params: &Params<'_>) -> Result<Value, RpcError> {
    match method {
        "getblockchaininfo" => Ok(chain.with_view(blockchain_info)),
        "getblockcount" => Ok(json!(chain.height())),
        "getbestblockhash" => Ok(json!(chain.best_hash().to_string())),
        "getblockhash" => {
            let height = params.u64(0, "height")?;
            u32::try_from(height)
                .ok()
                .and_then(|h| chain.block_hash(h))
                .map(|hash| json!(hash.to_string()))
                .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range"))
        }
        "getblockheader" => {
            let hash = params.block_hash(0)?;
            let verbose = params.bool_or(1, true);
            chain.with_view(|view| {
                let record = view.chain.record(&hash).ok_or_else(block_not_found)?;
                if verbose {
                    Ok(header_json(view, &hash, record))
                } else {
                    Ok(json!(serialize_hex(&record.block.header)))
                }
            })
        }
        "getblock" => {
            let hash = params.block_hash(0)?;
            let verbosity = params.verbosity(1, 1);
            chain.with_view(|view| {
                let record = view.chain.record(&hash).ok_or_else(block_not_found)?;
                match verbosity {
                    0 => Ok(json!(serialize_hex(&*record.block))),
                    _ => Ok(block_json(view, &hash, record, verbosity >= 2)),
                }
            })
        }
        "gettxout" => {
            let txid = params.txid(0)?;
            let vout = u32::try_from(params.u64(1, "n")?)
                .map_err(|_| RpcError::new(RPC_INVALID_PARAMETER, "Invalid n"))?;
            let include_mempool = params.bool_or(2, true);
            Ok(chain.with_view(|view| {
                match view.txout(&OutPoint::new(txid, vout), include_mempool) {
                    None => Value::Null,
                    Some((output, confirmations, coinbase)) => json!({
                        "bestblock": view.chain.tip_hash().to_string(),
                        "confirmations": confirmations,
                        "value": btc_value(output.value),
                        "scriptPubKey": script_json(&output.script_pubkey),
                        "coinbase": coinbase,
                    }),
                }
            }))
        }
        "getrawtransaction" => {
            let txid = params.txid(0)?;
            let verbose = params.verbosity(1, 0) > 0;
            chain.with_view(|view| raw_transaction(view, &txid, verbose))
        }
        "sendrawtransaction" => {
            let tx = decode_tx(params.str(0, "hexstring")?)?;
            let txid = chain.submit(tx)?;
            Ok(json!(txid.to_string()))
        }
        "testmempoolaccept" => {
            let raw = params
                .required(0, "rawtxs")?
                .as_array()
                .ok_or_else(|| RpcError::new(RPC_TYPE_ERROR, "rawtxs must be an array"))?;
            let mut results = Vec::with_capacity(raw.len());
            for item in raw {
                let tx = decode_tx(item.as_str().unwrap_or_default())?;
                let mut result = json!({
                    "txid": tx.compute_txid().to_string(),
                    "wtxid": tx.compute_wtxid().to_string(),
                });
                match chain.test_accept(&tx) {
                    Ok(fee) => {
                        result["allowed"] = json!(true);
                        result["vsize"] = json!(tx.vsize());
                        result["fees"] = json!({"base": btc_value(fee)});
                    }
                    Err(rejection) => {
                        result["allowed"] = json!(false);
                        result["reject-reason"] = json!(rejection.test_accept_reason());
                    }
                }
                results.push(result);
            }
            Ok(Value::Array(results))
        }
        "getrawmempool" => {
            let verbose = params.verbosity(0, 0) > 0;
            Ok(chain.with_view(|view| {
                if verbose {
                    let map: serde_json::Map<String, Value> = view
                        .mempool
                        .entries()
                        .map(|e| (e.txid.to_string(), mempool_entry_json(view, e)))
                        .collect();
                    Value::Object(map)
                } else {
                    json!(view
                        .mempool
                        .entries()
                        .map(|e| e.txid.to_string())
                        .collect::<Vec<_>>())
                }
            }))
        }
        "getmempoolentry" => {
            let txid = params.txid(0)?;
            chain.with_view(|view| {
                view.mempool
                    .get(&txid)
                    .map(|e| mempool_entry_json(view, e))
                    .ok_or_else(|| {
                        RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
                    })
            })
        }
        "getmempoolinfo" => Ok(chain.with_view(|view| {
            let bytes: u64 = view.mempool.entries().map(|e| e.vsize()).sum();
            let fees: Amount = view.mempool.entries().map(|e| e.fee).sum();
            json!({
                "loaded": true,
                "size": view.mempool.len(),
                "bytes": bytes,
                "usage": bytes * 4,
                "total_fee": btc_value(fees),
                "maxmempool": 300_000_000,
                "mempoolminfee": MIN_RELAY_FEE_BTC_PER_KVB,
                "minrelaytxfee": MIN_RELAY_FEE_BTC_PER_KVB,
                "incrementalrelayfee": MIN_RELAY_FEE_BTC_PER_KVB,
                "unbroadcastcount": 0,
                "fullrbf": true,
            })
        })),
        "estimatesmartfee" => {
            let target = params.u64(0, "conf_target")?;
            if !(1..=1008).contains(&target) {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("Invalid conf_target, must be between 1 and 1008 (got {target})"),
                ));
            }
            Ok(json!({"feerate": ESTIMATED_FEERATE_BTC_PER_KVB, "blocks": target.max(2)}))
        }
        "getnetworkinfo" => Ok(json!({
            "version": 250_100,
            "subversion": "/devchain:0.1.0/",
            "protocolversion": 70_016,
            "localservices": "0000000000000409",
            "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED"],
            "localrelay": true,
            "timeoffset": 0,
            "networkactive": true,
            "connections": 0,
            "connections_in": 0,
            "connections_out": 0,
            "networks": [],
            "relayfee": MIN_RELAY_FEE_BTC_PER_KVB,
            "incrementalfee": MIN_RELAY_FEE_BTC_PER_KVB,
            "localaddresses": [],
            "warnings": "",
        })),
        "generatetoaddress" => {
            let count = params.u64(0, "nblocks")?;
            let address = params.address(1)?;
            if count > MAX_GENERATE {
                return Err(RpcError::new(
                    RPC_INVALID_PARAMETER,
                    format!("nblocks must be at most {MAX_GENERATE}"),
                ));
            }
            let mined = chain.mine_to_address(count as u32, &address)?;
            Ok(json!(mined
                .iter()
                .map(|b| b.hash.to_string())
                .collect::<Vec<_>>()))
        }
        "invalidateblock" => {
            chain.invalidate_block(params.block_hash(0)?)?;
            Ok(Value::Null)
        }
        "sendtoaddress" => {
            let address = params.address(0)?;
            let amount = parse_btc_amount(params.required(1, "amount")?)?;
            let txid = chain.send_to_address(&address, amount)?;
            Ok(json!(txid.to_string()))
        }
        "getbalance" => Ok(btc_value(chain.faucet_balance())),
        "getnewaddress" => Ok(json!(chain.faucet_address().to_string())),
        "uptime" => Ok(json!(0)),
        _ => Err(RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found")),
    }
}

fn blockchain_info(view: &ChainView<'_>) -> Value {
    let tip = view.chain.tip();
    json!({
        "chain": "regtest",
        "blocks": tip.height,
        "headers": tip.height,
        "bestblockhash": view.chain.tip_hash().to_string(),
        "difficulty": REGTEST_DIFFICULTY,
        "time": tip.block.header.time,
        "mediantime": view.chain.median_time_past(tip.height),
        "verificationprogress": 1,
        "initialblockdownload": false,
        "chainwork": hex::encode(tip.chainwork.to_be_bytes()),
        "size_on_disk": 0,
        "pruned": false,
        "warnings": "",
    })
}

fn block_not_found() -> RpcError {
    RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}

fn decode_tx(hex: &str) -> Result<Transaction, RpcError> {
    deserialize_hex::<Transaction>(hex).map_err(|_| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })
}

/// A BTC amount given as a JSON number or string, exact to the satoshi.
fn parse_btc_amount(value: &Value) -> Result<Amount, RpcError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => {
            return Err(RpcError::new(
                RPC_TYPE_ERROR,
                "Amount is not a number or string",
            ))
        }
    };
    let amount = Amount::from_str_in(&text, bitcoin::Denomination::Bitcoin)
        .map_err(|_| RpcError::new(RPC_TYPE_ERROR, "Invalid amount"))?;
    if amount == Amount::ZERO {
        return Err(RpcError::new(RPC_TYPE_ERROR, "Invalid amount for send"));
    }
    Ok(amount)
}

fn confirmations(view: &ChainView<'_>, hash: &BlockHash, record: &BlockRecord) -> i64 {
    if view.chain.is_active(hash) {
        i64::from(view.chain.tip_height() - record.height) + 1
    } else {
        -1
    }
}

fn header_json(view: &ChainView<'_>, hash: &BlockHash, record: &BlockRecord) -> Value {
    let header = &record.block.header;
    let mut value = json!({
        "hash": hash.to_string(),
        "confirmations": confirmations(view, hash, record),
        "height": record.height,
        "version": header.version.to_consensus(),
        "versionHex": format!("{:08x}", header.version.to_consensus()),
        "merkleroot": header.merkle_root.to_string(),
        "time": header.time,
        "mediantime": view.chain.median_time_past(record.height.min(view.chain.tip_height())),
        "nonce": header.nonce,
        "bits": format!("{:08x}", header.bits.to_consensus()),
        "difficulty": REGTEST_DIFFICULTY,
        "chainwork": hex::encode(record.chainwork.to_be_bytes()),
        "nTx": record.block.txdata.len(),
    });
    if record.height > 0 {
        value["previousblockhash"] = json!(header.prev_blockhash.to_string());
    }
    if view.chain.is_active(hash) {
        if let Some(next) = view.chain.hash_at(record.height + 1) {
            value["nextblockhash"] = json!(next.to_string());
        }
    }
    value
}

fn block_json(
    view: &ChainView<'_>,
    hash: &BlockHash,
    record: &BlockRecord,
    full_txs: bool,
) -> Value {
    let mut value = header_json(view, hash, record);
    let block: &Block = &record.block;
    value["size"] = json!(block.total_size());
    value["strippedsize"] = json!((block.weight().to_wu() - block.total_size() as u64) / 3);
    value["weight"] = json!(block.weight().to_wu());
    value["tx"] = if full_txs {
        json!(block.txdata.iter().map(tx_json).collect::<Vec<_>>())
    } else {
        json!(block
            .txdata
            .iter()
            .map(|tx| tx.compute_txid().to_string())
            .collect::<Vec<_>>())
    };
    value
}

fn tx_json(tx: &Transaction) -> Value {
    json!({
        "txid": tx.compute_txid().to_string(),
        "hash": tx.compute_wtxid().to_string(),
        "version": tx.version.0,
        "size": tx.total_size(),
        "vsize": tx.vsize(),
        "weight": tx.weight().to_wu(),
        "locktime": tx.lock_time.to_consensus_u32(),
        "vin": tx.input.iter().map(|input| {
            if tx.is_coinbase() {
                json!({"coinbase": hex::encode(input.script_sig.as_bytes()), "sequence": input.sequence.0})
            } else {
                json!({
                    "txid": input.previous_output.txid.to_string(),
                    "vout": input.previous_output.vout,
                    "scriptSig": {"asm": input.script_sig.to_asm_string(), "hex": hex::encode(input.script_sig.as_bytes())},
                    "txinwitness": input.witness.iter().map(hex::encode).collect::<Vec<_>>(),
                    "sequence": input.sequence.0,
                })
            }
        }).collect::<Vec<_>>(),
        "vout": tx.output.iter().enumerate().map(|(n, output)| json!({
            "value": btc_value(output.value),
            "n": n,
            "scriptPubKey": script_json(&output.script_pubkey),
        })).collect::<Vec<_>>(),
        "hex": serialize_hex(tx),
    })
}

fn script_json(script: &bitcoin::Script) -> Value {
    let kind = if script.is_p2wpkh() {
        "witness_v0_keyhash"
    } else if script.is_p2wsh() {
        "witness_v0_scripthash"
    } else if script.is_p2tr() {
        "witness_v1_taproot"
    } else if script.is_p2pkh() {
        "pubkeyhash"
    } else if script.is_p2sh() {
        "scripthash"
    } else if script.is_op_return() {
        "nulldata"
    } else {
        "nonstandard"
    };
    let mut value =
        json!({"asm": script.to_asm_string(), "hex": hex::encode(script.as_bytes()), "type": kind});
    if let Ok(address) = Address::from_script(script, Network::Regtest) {
        value["address"] = json!(address.to_string());
    }
    value
}

fn raw_transaction(view: &ChainView<'_>, txid: &Txid, verbose: bool) -> Result<Value, RpcError> {
    let (tx, block) = if let Some(entry) = view.mempool.get(txid) {
        (entry.tx.clone(), None)
    } else if let Some(hash) = view.chain.block_of_tx(txid) {
        let record = view.chain.record(&hash).ok_or_else(block_not_found)?;
        let tx = record
            .block
            .txdata
            .iter()
            .find(|tx| tx.compute_txid() == *txid)
            .cloned()
            .ok_or_else(block_not_found)?;
        (tx, Some((hash, record)))
    } else {
        return Err(RpcError::new(
            RPC_INVALID_ADDRESS_OR_KEY,
            "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.",
        ));
    };
    if !verbose {
        return Ok(json!(serialize_hex(&tx)));
    }
    let mut value = tx_json(&tx);
    if let Some((hash, record)) = block {
        value["blockhash"] = json!(hash.to_string());
        value["confirmations"] = json!(confirmations(view, &hash, record));
        value["time"] = json!(record.block.header.time);
        value["blocktime"] = json!(record.block.header.time);
    }
    Ok(value)
}

fn mempool_entry_json(view: &ChainView<'_>, entry: &crate::mempool::MempoolEntry) -> Value {
    let depends: Vec<String> = entry
        .tx
        .input
        .iter()
        .filter(|i| view.mempool.contains(&i.previous_output.txid))
        .map(|i| i.previous_output.txid.to_string())
        .collect();
    let spent_by: Vec<String> = (0..entry.tx.output.len())
        .filter_map(|v| view.mempool.spender(&OutPoint::new(entry.txid, v as u32)))
        .map(|t| t.to_string())
        .collect();
    json!({
        "vsize": entry.vsize(),
        "weight": entry.tx.weight().to_wu(),
        "time": entry.time,
        "height": entry.height,
        "descendantcount": 1 + spent_by.len(),
        "descendantsize": entry.vsize(),
        "ancestorcount": 1 + depends.len(),
        "ancestorsize": entry.vsize(),
        "wtxid": entry.tx.compute_wtxid().to_string(),
        "fees": {
            "base": btc_value(entry.fee),
            "modified": btc_value(entry.fee),
            "ancestor": btc_value(entry.fee),
            "descendant": btc_value(entry.fee),
        },
        "depends": depends,
        "spentby": spent_by,
        "bip125-replaceable": true,
        "unbroadcast": false,
    })
}
