//! What the node says of itself and the network: network info, fee estimates (a fixed regtest
//! rate), uptime.

use serde_json::{json, Value};

use super::error::{RpcError, RPC_INVALID_PARAMETER};
use super::params::Params;
use crate::devchain::Devchain;

/// Fee rate `estimatesmartfee` answers on regtest: 2 sat/vB, in BTC/kvB.
const ESTIMATED_FEERATE_BTC_PER_KVB: f64 = 0.000_02;
/// The minimum relay fee (and `getmempoolinfo`'s minimum fee): 1 sat/vB, in BTC/kvB.
pub(super) const MIN_RELAY_FEE_BTC_PER_KVB: f64 = 0.000_01;

pub(super) fn estimatesmartfee(_: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let target = params.u64(0, "conf_target")?;
    if !(1..=1008).contains(&target) {
        return Err(RpcError::new(
            RPC_INVALID_PARAMETER,
            format!("Invalid conf_target, must be between 1 and 1008 (got {target})"),
        ));
    }
    Ok(json!({"feerate": ESTIMATED_FEERATE_BTC_PER_KVB, "blocks": target.max(2)}))
}

pub(super) fn getnetworkinfo(_: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(json!({
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
    }))
}

pub(super) fn uptime(_: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(json!(0))
}
