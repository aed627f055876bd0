//! devchain: a Bitcoin regtest chain that runs in-process and speaks the bitcoind JSON-RPC subset
//! that ldk-node (and other bitcoind clients) use.
//!
//! It keeps a real block chain (regtest genesis, proof of work, BIP34 heights, merkle roots and
//! witness commitments), a UTXO set, a mempool that accepts transactions the way Bitcoin Core's
//! does as far as Lightning needs (including script verification by Bitcoin Core's own
//! libbitcoinconsensus), a miner, a faucet wallet paid from coinbase, and a JSON-RPC server.
//! Blocks persist in a data directory, so a restarted chain is the same chain.
//!
//! Limits, by design: one process mines; there is no P2P network; taproot spends are not
//! script-verified (libbitcoinconsensus 0.105 has no spent-outputs API, so witness v1 outputs
//! are treated as consensus does for unknown witness versions); there is no minimum relay fee.
#![deny(missing_docs)]

mod amount_format;
mod chain;
mod consensus;
mod devchain;
mod faucet;
mod mempool;
mod miner;
mod persist;
mod reject;
pub mod rpc;

pub use crate::chain::{BlockInfo, Coin};
pub use crate::devchain::{Devchain, DevchainError};
pub use crate::mempool::MempoolEntry;
pub use crate::reject::Rejection;
pub use crate::rpc::{RpcAuth, RpcServer};
