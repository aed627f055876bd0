//! RPC failures as Bitcoin Core reports them: its error codes, and the devchain's errors mapped
//! onto them.

use crate::devchain::DevchainError;

pub(super) const RPC_MISC_ERROR: i64 = -1;
pub(super) const RPC_TYPE_ERROR: i64 = -3;
pub(super) const RPC_INVALID_ADDRESS_OR_KEY: i64 = -5;
pub(super) const RPC_WALLET_INSUFFICIENT_FUNDS: i64 = -6;
pub(super) const RPC_INVALID_PARAMETER: i64 = -8;
pub(super) const RPC_DESERIALIZATION_ERROR: i64 = -22;
pub(super) const RPC_METHOD_NOT_FOUND: i64 = -32601;
pub(super) const RPC_PARSE_ERROR: i64 = -32700;
pub(super) const RPC_INVALID_REQUEST: i64 = -32600;

/// An RPC failure: Core's code and message.
pub(super) struct RpcError {
    pub(super) code: i64,
    pub(super) message: String,
}

impl RpcError {
    pub(super) fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Core's answer for a block hash it does not know.
    pub(super) fn block_not_found() -> Self {
        RpcError::new(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
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
            DevchainError::BlockNotFound => RpcError::block_not_found(),
            other => RpcError::new(RPC_MISC_ERROR, other.to_string()),
        }
    }
}
