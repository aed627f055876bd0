//! The wallet methods, served by the faucet: send to an address, its balance, its address.

use bitcoin::Amount;
use serde_json::{json, Value};

use super::error::{RpcError, RPC_TYPE_ERROR};
use super::params::Params;
use crate::amount_format::btc_value;
use crate::devchain::Devchain;

pub(super) fn sendtoaddress(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    let address = params.address(0)?;
    let amount = parse_btc_amount(params.required(1, "amount")?)?;
    let txid = chain.send_to_address(&address, amount)?;
    Ok(json!(txid.to_string()))
}

pub(super) fn getbalance(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(btc_value(chain.faucet_balance()))
}

pub(super) fn getnewaddress(chain: &Devchain, _: &Params<'_>) -> Result<Value, RpcError> {
    Ok(json!(chain.faucet_address().to_string()))
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
