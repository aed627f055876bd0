//! The chain's methods: its summary and tip, blocks and headers by hash or height, and unspent
//! outputs (`gettxout`), in Core's JSON shapes.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::{Block, BlockHash, OutPoint};
use serde_json::{json, Value};

use super::error::{RpcError, RPC_INVALID_PARAMETER};
use super::params::Params;
use super::transactions::{script_json, tx_json};
use crate::amount_format::btc_value;
use crate::chain::BlockRecord;
use crate::devchain::{ChainView, Devchain};

/// Regtest difficulty at the proof-of-work limit, as Core prints it.
const REGTEST_DIFFICULTY: f64 = 4.656_542_373_906_925e-10;

pub(super) fn getblockchaininfo(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(chain.with_view(blockchain_info))
}

pub(super) fn getblockcount(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(json!(chain.height()))
}

pub(super) fn getbestblockhash(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(json!(chain.best_hash().to_string()))
}

pub(super) fn getblockhash(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let height = params.u64(0, "height")?;
    u32::try_from(height)
        .ok()
        .and_then(|h| chain.block_hash(h))
        .map(|hash| json!(hash.to_string()))
        .ok_or_else(|| RpcError::new(RPC_INVALID_PARAMETER, "Block height out of range"))
}

pub(super) fn getblockheader(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let hash = params.block_hash(0)?;
    let verbose = params.bool_or(1, true);
    chain.with_view(|view| {
        let record = view
            .chain
            .record(&hash)
            .ok_or_else(RpcError::block_not_found)?;
        if verbose {
            Ok(header_json(view, &hash, record))
        } else {
            Ok(json!(serialize_hex(&record.block.header)))
        }
    })
}

pub(super) fn getblock(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let hash = params.block_hash(0)?;
    let verbosity = params.verbosity(1, 1);
    chain.with_view(|view| {
        let record = view
            .chain
            .record(&hash)
            .ok_or_else(RpcError::block_not_found)?;
        match verbosity {
            0 => Ok(json!(serialize_hex(&*record.block))),
            _ => Ok(block_json(view, &hash, record, verbosity >= 2)),
        }
    })
}

pub(super) fn gettxout(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let txid = params.txid(0)?;
    let vout = u32::try_from(params.u64(1, "n")?)
        .map_err(|_| RpcError::new(RPC_INVALID_PARAMETER, "Invalid n"))?;
    let include_mempool = params.bool_or(2, true);
    Ok(chain.with_view(
        |view| match view.txout(&OutPoint::new(txid, vout), include_mempool) {
            None => Value::Null,
            Some((output, confirmations, coinbase)) => json!({
                "bestblock": view.chain.tip_hash().to_string(),
                "confirmations": confirmations,
                "value": btc_value(output.value),
                "scriptPubKey": script_json(&output.script_pubkey),
                "coinbase": coinbase,
            }),
        },
    ))
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

/// A block's confirmations: -1 for a block off the best chain.
pub(super) fn confirmations(view: &ChainView<'_>, hash: &BlockHash, record: &BlockRecord) -> i64 {
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
