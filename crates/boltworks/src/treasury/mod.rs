//! The hub's on-chain treasury: a BDK wallet (BIP84, keys from a seed in the data dir) synced
//! block by block from the same bitcoind JSON-RPC source as the node (the devchain on regtest).
//! It gives each purpose its own address, reports what each address received with its
//! confirmations, and sends to many outputs in one transaction.
//!
//! Nothing lost, nothing sent twice: the wallet's state is persisted in the database after every
//! change; a send is keyed by its caller's idempotency key, and its signed transaction is
//! committed *before* it is broadcast, so a send interrupted by a crash is rebroadcast as the
//! same transaction, never built again. Sends are serialized (in process by a lock, across hub
//! processes on PostgreSQL by the wallet row's lock) and the wallet syncs the mempool first, so
//! two sends never pick the same coin.
//!
//! In the ledger, `assets:treasury` is debited with each confirmed receipt (against the account
//! its address was given out for) and credited with each send (against the caller's account),
//! in the transaction that commits the send.
//!
//! The parts: `wallet` (opening the wallet, its persistence, new addresses), `sync` (catching up
//! with the chain source, rebroadcasting), `receipts` (what addresses received, booking it, the
//! balance), `send` (keyed sends), `store` (the tables) and `chain_rpc` (the chain source).

mod chain_rpc;
mod receipts;
mod send;
mod store;
mod sync;
mod wallet;

use std::collections::HashSet;

use bdk_wallet::Wallet;
use bitcoin::{Address, Network, Txid};
use tokio::sync::{Mutex, Notify};

pub use self::chain_rpc::{ChainRpc, RpcFailure};
use crate::clock::Clock;
use crate::money::Sat;
use crate::store::Store;

/// What an address received: one output of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The paying transaction.
    pub txid: Txid,
    /// The output's index in it.
    pub vout: u32,
    /// The amount.
    pub amount: Sat,
    /// 0 while in the mempool.
    pub confirmations: u32,
    /// The block that confirmed it.
    pub height: Option<u32>,
    /// The network fee of the paying transaction, when the wallet or the chain source knows
    /// every output it spends (bitcoind answers for others' coins only with `-txindex`).
    pub fee: Option<Sat>,
}

/// The treasury's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreasuryBalance {
    /// Confirmed.
    pub confirmed: Sat,
    /// In the mempool (ours and others').
    pub pending: Sat,
    /// In the mempool and ours (change of our own sends): spendable, and booked.
    pub own_pending: Sat,
}

/// Why a send did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Not enough confirmed money for the outputs and the fee.
    #[error("the treasury has too little money: {0}")]
    InsufficientFunds(String),
    /// An output the network would refuse (dust, wrong network, no outputs).
    #[error("invalid outputs: {0}")]
    InvalidOutputs(String),
    /// The chain source failed before anything was committed; nothing was sent.
    #[error("{0}")]
    Chain(#[from] RpcFailure),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
    /// Signing or building failed.
    #[error("{0}")]
    Wallet(String),
}

/// A send that was committed: its transaction, and whether it reached the chain source yet
/// (it is rebroadcast until it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The transaction.
    pub txid: Txid,
    /// The fee it pays.
    pub fee: Sat,
    /// Whether the chain source took it.
    pub broadcast: bool,
    /// What the first output pays (less than asked when it paid the fee).
    pub first_output: Sat,
}

/// Who pays a send's network fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeFrom {
    /// The treasury, on top of the outputs.
    Treasury,
    /// The first output: it pays its amount less the fee (a refund of the buyer's own coins).
    FirstOutput,
}

/// The smallest output the treasury sends (P2WPKH dust is 294; P2TR 330).
pub const MIN_OUTPUT_SAT: u64 = 330;

/// The wallet and what the treasury remembers of it between syncs (behind the treasury's lock).
struct WalletState {
    wallet: Wallet,
    /// Mempool transactions already looked at.
    seen_mempool: HashSet<Txid>,
    /// Confirmed receipts already booked in the ledger.
    booked: HashSet<bitcoin::OutPoint>,
    /// Transactions whose fee the chain source cannot tell (it does not serve what they spend).
    fee_unknown: HashSet<Txid>,
}

/// The treasury.
pub struct Treasury {
    state: Mutex<WalletState>,
    /// Confirmations before a receipt is booked (and so counts for refunds).
    booking_depth: u32,
    /// Woken after every sync (the LSP's worker waits on it).
    synced: Notify,
    rpc: ChainRpc,
    store: Store,
    clock: Clock,
    network: Network,
}

impl Treasury {
    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }
}

/// Parses an address of the treasury's network.
pub fn parse_address(text: &str, treasury: &Treasury) -> Option<Address> {
    use std::str::FromStr;
    Address::from_str(text)
        .ok()?
        .require_network(treasury.network())
        .ok()
}

/// `sat` in millisatoshis as a ledger amount; overflow is an error.
fn ledger_msat(sat: u64) -> Result<i64, SendError> {
    Sat(sat)
        .to_msat()
        .and_then(|msat| msat.to_db())
        .ok_or_else(|| SendError::Wallet(format!("{sat} sat is too much for the ledger")))
}
