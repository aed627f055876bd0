//! One JSON-RPC call: the envelope (legacy 1.0 or 2.0), the method table (each method's name,
//! its parameter names for named calls, and the function that answers it), and the HTTP status
//! Core gives the answer.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::error::{RpcError, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND};
use super::params::Params;
use super::{blockchain, mempool, mining, network, transactions, wallet};
use crate::devchain::Devchain;

/// What answers a method.
type Answer = fn(&Devchain, &Params<'_>) -> Result<Value, RpcError>;

/// A method the server speaks.
struct Method {
    /// Core's method name.
    name: &'static str,
    /// Its parameter names, in order (for calls that pass named parameters).
    params: &'static [&'static str],
    /// What answers it.
    answer: Answer,
}

const fn method(name: &'static str, params: &'static [&'static str], answer: Answer) -> Method {
    Method {
        name,
        params,
        answer,
    }
}

/// Every method, by area.
const METHODS: &[Method] = &[
    method("getblockchaininfo", &[], blockchain::getblockchaininfo),
    method("getblockcount", &[], blockchain::getblockcount),
    method("getbestblockhash", &[], blockchain::getbestblockhash),
    method("getblockhash", &["height"], blockchain::getblockhash),
    method(
        "getblockheader",
        &["blockhash", "verbose"],
        blockchain::getblockheader,
    ),
    method(
        "getblock",
        &["blockhash", "verbosity"],
        blockchain::getblock,
    ),
    method(
        "gettxout",
        &["txid", "n", "include_mempool"],
        blockchain::gettxout,
    ),
    method(
        "getrawtransaction",
        &["txid", "verbose", "blockhash"],
        transactions::getrawtransaction,
    ),
    method(
        "sendrawtransaction",
        &["hexstring", "maxfeerate"],
        transactions::sendrawtransaction,
    ),
    method(
        "testmempoolaccept",
        &["rawtxs", "maxfeerate"],
        transactions::testmempoolaccept,
    ),
    method("getrawmempool", &["verbose"], mempool::getrawmempool),
    method("getmempoolentry", &["txid"], mempool::getmempoolentry),
    method("getmempoolinfo", &[], mempool::getmempoolinfo),
    method(
        "estimatesmartfee",
        &["conf_target", "estimate_mode"],
        network::estimatesmartfee,
    ),
    method("getnetworkinfo", &[], network::getnetworkinfo),
    method("uptime", &[], network::uptime),
    method(
        "generatetoaddress",
        &["nblocks", "address"],
        mining::generatetoaddress,
    ),
    method("invalidateblock", &["blockhash"], mining::invalidateblock),
    method(
        "sendtoaddress",
        &["address", "amount"],
        wallet::sendtoaddress,
    ),
    method("getbalance", &[], wallet::getbalance),
    method("getnewaddress", &[], wallet::getnewaddress),
];

/// Answers one call: the HTTP status and the reply object.
pub(super) fn reply(chain: &Devchain, call: &Value) -> (StatusCode, Value) {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let is_v2 = call.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let Some(name) = call.get("method").and_then(Value::as_str) else {
        let error = json!({"code": RPC_INVALID_REQUEST, "message": "Method must be a string"});
        return (
            StatusCode::BAD_REQUEST,
            json!({"result": null, "error": error, "id": id}),
        );
    };
    let result = match METHODS.iter().find(|m| m.name == name) {
        Some(method) => (method.answer)(chain, &Params::new(method.params, call.get("params"))),
        None => Err(RpcError::new(RPC_METHOD_NOT_FOUND, "Method not found")),
    };
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
    tracing::trace!(method = name, status = status.as_u16(), "devchain RPC");
    (status, body)
}
