//! Why a transaction was refused, with Bitcoin Core's RPC error codes and reason strings.

use std::fmt;

/// RPC_VERIFY_ERROR: general error during transaction or block submission.
pub const RPC_VERIFY_ERROR: i64 = -25;
/// RPC_VERIFY_REJECTED: transaction or block was rejected by network rules.
pub const RPC_VERIFY_REJECTED: i64 = -26;
/// RPC_VERIFY_ALREADY_IN_CHAIN: transaction already in chain.
pub const RPC_VERIFY_ALREADY_IN_CHAIN: i64 = -27;

/// A refused transaction: the RPC error `code`, the short `reason` that `testmempoolaccept`
/// shows, and an optional `detail` that `sendrawtransaction` appends after a comma, exactly as
/// Bitcoin Core formats its `TxValidationState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Bitcoin Core's RPC error code (-25, -26 or -27).
    pub code: i64,
    /// The reject reason, e.g. `bad-txns-inputs-missingorspent`.
    pub reason: String,
    /// Extra detail, e.g. `tried to spend coinbase at depth 5`.
    pub detail: Option<String>,
}

impl Rejection {
    pub(crate) fn rejected(reason: &str) -> Self {
        Self {
            code: RPC_VERIFY_REJECTED,
            reason: reason.to_string(),
            detail: None,
        }
    }

    pub(crate) fn rejected_with(reason: &str, detail: String) -> Self {
        Self {
            code: RPC_VERIFY_REJECTED,
            reason: reason.to_string(),
            detail: Some(detail),
        }
    }

    pub(crate) fn missing_inputs() -> Self {
        Self {
            code: RPC_VERIFY_ERROR,
            reason: "bad-txns-inputs-missingorspent".to_string(),
            detail: None,
        }
    }

    pub(crate) fn already_in_chain() -> Self {
        Self {
            code: RPC_VERIFY_ALREADY_IN_CHAIN,
            reason: "Transaction outputs already in utxo set".to_string(),
            detail: None,
        }
    }

    /// The reason as `testmempoolaccept` reports it (Core says `missing-inputs` there).
    pub fn test_accept_reason(&self) -> String {
        if self.code == RPC_VERIFY_ERROR {
            "missing-inputs".to_string()
        } else {
            self.reason.clone()
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "{}, {}", self.reason, detail),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for Rejection {}
