//! A call's parameters, positional or named (by the method's parameter names), read with Core's
//! type errors and messages.

use std::str::FromStr;

use bitcoin::{Address, BlockHash, Network, Txid};
use serde_json::Value;

use super::error::{
    RpcError, RPC_INVALID_ADDRESS_OR_KEY, RPC_INVALID_PARAMETER, RPC_MISC_ERROR, RPC_TYPE_ERROR,
};

/// Positional or named parameters, by the method's parameter names.
pub(super) struct Params<'a> {
    values: Vec<Option<&'a Value>>,
}

impl<'a> Params<'a> {
    /// The parameters of a call to a method whose parameters are called `names`, in order.
    pub(super) fn new(names: &[&str], raw: Option<&'a Value>) -> Self {
        let values = match raw {
            Some(Value::Array(items)) => items.iter().map(Some).collect(),
            Some(Value::Object(map)) => names.iter().map(|name| map.get(*name)).collect(),
            _ => Vec::new(),
        };
        Self { values }
    }

    pub(super) fn get(&self, index: usize) -> Option<&'a Value> {
        self.values
            .get(index)
            .copied()
            .flatten()
            .filter(|v| !v.is_null())
    }

    pub(super) fn required(&self, index: usize, name: &str) -> Result<&'a Value, RpcError> {
        self.get(index).ok_or_else(|| {
            RpcError::new(
                RPC_MISC_ERROR,
                format!("Missing required parameter: {name}"),
            )
        })
    }

    pub(super) fn str(&self, index: usize, name: &str) -> Result<&'a str, RpcError> {
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

    pub(super) fn u64(&self, index: usize, name: &str) -> Result<u64, RpcError> {
        self.required(index, name)?.as_u64().ok_or_else(|| {
            RpcError::new(
                RPC_TYPE_ERROR,
                format!("JSON value for field {name} is not of expected type number"),
            )
        })
    }

    /// A "verbose"/"verbosity" flag given as a bool or a number; `default` when absent.
    pub(super) fn verbosity(&self, index: usize, default: u64) -> u64 {
        match self.get(index) {
            Some(Value::Bool(b)) => u64::from(*b),
            Some(v) => v.as_u64().unwrap_or(default),
            None => default,
        }
    }

    pub(super) fn bool_or(&self, index: usize, default: bool) -> bool {
        self.get(index).and_then(Value::as_bool).unwrap_or(default)
    }

    pub(super) fn block_hash(&self, index: usize) -> Result<BlockHash, RpcError> {
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

    pub(super) fn txid(&self, index: usize) -> Result<Txid, RpcError> {
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

    pub(super) fn address(&self, index: usize) -> Result<Address, RpcError> {
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
