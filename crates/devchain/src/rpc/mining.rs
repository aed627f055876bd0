//! Mining and chain control on regtest: mine blocks to an address, invalidate a block.

use serde_json::{json, Value};

use super::error::{RpcError, RPC_INVALID_PARAMETER};
use super::params::Params;
use crate::devchain::Devchain;

/// Most blocks one `generatetoaddress` call may mine.
const MAX_GENERATE: u64 = 10_000;

pub(super) fn generatetoaddress(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
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

pub(super) fn invalidateblock(chain: &Devchain, params: &Params<'_>) -> Result<Value, RpcError> {
    chain.invalidate_block(params.block_hash(0)?)?;
    Ok(Value::Null)
}
