//! The devchain integration tests, one binary: mempool acceptance against Bitcoin Core's rules
//! and the blocks it mines (`mempool_policy`), and the JSON-RPC server over real HTTP (`rpc`).

mod mempool_policy;
mod rpc;
