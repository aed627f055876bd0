//! Raw transactions: fetch (`getrawtransaction`), broadcast (`sendrawtransaction`), test
//! (`testmempoolaccept`), and the JSON shapes Core gives transactions and scripts.

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{Address, Network, Transaction, Txid};
use serde_json::{json, Value};

use super::blockchain::confirmations;
use super::error::{
    RpcError, RPC_DESERIALIZATION_ERROR, RPC_INVALID_ADDRESS_OR_KEY, RPC_TYPE_ERROR,
};
use super::params::Params;
use crate::amount_format::btc_value;
use crate::devchain::{ChainView, Devchain};

pub(super) fn getrawtransaction(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let txid = params.txid(0)?;
    let verbose = params.verbosity(1, 0) > 0;
    chain.with_view(|view| raw_transaction(view, &txid, verbose))
}

pub(super) fn sendrawtransaction(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let tx = decode_tx(params.str(0, "hexstring")?)?;
    let txid = chain.submit(tx)?;
    Ok(json!(txid.to_string()))
}

pub(super) fn testmempoolaccept(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
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

fn decode_tx(hex: &str) -> Result<Transaction, RpcError> {
    deserialize_hex::<Transaction>(hex).map_err(|_| {
        RpcError::new(
            RPC_DESERIALIZATION_ERROR,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })
}

fn raw_transaction(view: &ChainView<'_>, txid: &Txid, verbose: bool) -> Result<Value, RpcError> {
    let (tx, block) = if let Some(entry) = view.mempool.get(txid) {
        (entry.tx.clone(), None)
    } else if let Some(hash) = view.chain.block_of_tx(txid) {
        let record = view
            .chain
            .record(&hash)
            .ok_or_else(RpcError::block_not_found)?;
        let tx = record
            .block
            .txdata
            .iter()
            .find(|tx| tx.compute_txid() == *txid)
            .cloned()
            .ok_or_else(RpcError::block_not_found)?;
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

/// A transaction as Core's verbose answers show it.
pub(super) fn tx_json(tx: &Transaction) -> Value {
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

/// An output script as Core shows it: asm, hex, its type and (when it has one) its address.
pub(super) fn script_json(script: &bitcoin::Script) -> Value {
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
