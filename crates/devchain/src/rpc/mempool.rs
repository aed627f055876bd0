//! The mempool's methods: its transactions (`getrawmempool`), one entry, and its summary.

use bitcoin::{Amount, OutPoint};
use serde_json::{json, Value};

use super::error::{RpcError, RPC_INVALID_ADDRESS_OR_KEY};
use super::network::MIN_RELAY_FEE_BTC_PER_KVB;
use super::params::Params;
use crate::amount_format::btc_value;
use crate::devchain::{ChainView, Devchain};
use crate::mempool::MempoolEntry;

pub(super) fn getrawmempool(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
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

pub(super) fn getmempoolentry(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let txid = params.txid(0)?;
    chain.with_view(|view| {
        view.mempool
            .get(&txid)
            .map(|e| mempool_entry_json(view, e))
            .ok_or_else(|| RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool"))
    })
}

pub(super) fn getmempoolinfo(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(chain.with_view(|view| {
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
    }))
}

fn mempool_entry_json(view: &ChainView<'_>, entry: &MempoolEntry) -> Value {
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
