//! `Devchain`: the thread-safe handle over one chain, its mempool, its faucet and its files.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::{
    Address, Amount, Block, BlockHash, Network, OutPoint, ScriptBuf, Transaction, TxOut, Txid,
};

use crate::chain::{BlockInfo, Chain, Coin};
use crate::consensus::COINBASE_MATURITY;
use crate::faucet::{Faucet, FaucetCoin, FaucetError};
use crate::mempool::{unix_now, Mempool, MempoolEntry};
use crate::miner::{mine_block, BlockTemplate};
use crate::persist::DataDir;
use crate::reject::Rejection;

/// What went wrong in a devchain operation.
#[derive(Debug, thiserror::Error)]
pub enum DevchainError {
    /// The data directory could not be read or written.
    #[error("devchain storage: {0}")]
    Io(#[from] std::io::Error),
    /// Saved blocks do not form a chain.
    #[error("devchain data is inconsistent: {0}")]
    Corrupt(String),
    /// The mempool refused a transaction.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The faucet holds too little mature money.
    #[error("Insufficient funds")]
    InsufficientFunds,
    /// An amount the faucet will not send (dust or zero).
    #[error("Invalid amount")]
    InvalidAmount,
    /// A block hash the chain does not know.
    #[error("Block not found")]
    BlockNotFound,
    /// The genesis block cannot be invalidated.
    #[error("Invalid operation: cannot invalidate genesis block")]
    CannotInvalidateGenesis,
}

impl From<FaucetError> for DevchainError {
    fn from(e: FaucetError) -> Self {
        match e {
            FaucetError::InsufficientFunds => Self::InsufficientFunds,
            FaucetError::InvalidAmount => Self::InvalidAmount,
        }
    }
}

struct State {
    chain: Chain,
    mempool: Mempool,
    faucet: Faucet,
    files: DataDir,
    extra_nonce: u64,
}

/// An in-process regtest chain. Cheap to clone; all clones share one chain.
#[derive(Clone)]
pub struct Devchain {
    state: Arc<Mutex<State>>,
}

impl Devchain {
    /// Opens the chain saved in `data_dir`, or starts one at the regtest genesis block.
    pub fn open(data_dir: &Path) -> Result<Self, DevchainError> {
        let files = DataDir::open(data_dir)?;
        let mut chain = Chain::new();
        for block in files.load_blocks()? {
            chain.add_block(block).map_err(DevchainError::Corrupt)?;
        }
        for hash in files.load_invalidated()? {
            chain.mark_invalid(hash);
        }
        chain
            .activate_best_chain()
            .map_err(DevchainError::Corrupt)?;
        let faucet = Faucet::from_secret(files.faucet_secret()?);
        let saved_mempool = files.load_mempool()?;
        let mut state = State {
            chain,
            mempool: Mempool::default(),
            faucet,
            files,
            extra_nonce: unix_now(),
        };
        for saved in saved_mempool {
            if let Ok(admission) = state.mempool.check(&state.chain, &saved.tx) {
                let height = state.chain.tip_height();
                state
                    .mempool
                    .insert(saved.tx, admission.fee, height, Some(saved.time));
            }
        }
        tracing::info!(height = state.chain.tip_height(), "devchain opened");
        Ok(Self {
            state: Arc::new(Mutex::new(state)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data: every mutation is completed
        // before any call that could fail.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The network devchain runs: always regtest.
    pub fn network(&self) -> Network {
        Network::Regtest
    }

    /// Height of the active tip.
    pub fn height(&self) -> u32 {
        self.lock().chain.tip_height()
    }

    /// Hash of the active tip.
    pub fn best_hash(&self) -> BlockHash {
        self.lock().chain.tip_hash()
    }

    /// The active block at `height`.
    pub fn block_hash(&self, height: u32) -> Option<BlockHash> {
        self.lock().chain.hash_at(height)
    }

    /// A block by hash, on the active chain or not.
    pub fn block(&self, hash: &BlockHash) -> Option<Block> {
        self.lock().chain.record(hash).map(|r| (*r.block).clone())
    }

    /// The faucet's address, which coinbases can pay.
    pub fn faucet_address(&self) -> Address {
        self.lock().faucet.address()
    }

    /// Mines `count` blocks paying their coinbase to `payout`. Returns the new blocks.
    pub fn mine(&self, count: u32, payout: &ScriptBuf) -> Result<Vec<BlockInfo>, DevchainError> {
        let mut state = self.lock();
        let mut mined = Vec::with_capacity(count as usize);
        for _ in 0..count {
            state.extra_nonce = state.extra_nonce.wrapping_add(1);
            let tip_height = state.chain.tip_height();
            let template = BlockTemplate {
                prev_hash: state.chain.tip_hash(),
                height: tip_height + 1,
                prev_mtp: state.chain.median_time_past(tip_height),
                now: unix_now() as u32,
                payout,
                extra_nonce: state.extra_nonce,
            };
            let candidates: Vec<&MempoolEntry> = state.mempool.entries().collect();
            let block = mine_block(&template, &candidates);
            // On disk before it joins the chain: a failed write leaves the chain as the file
            // has it.
            state.files.append_blocks(std::slice::from_ref(&block))?;
            let hash = state
                .chain
                .add_block(block.clone())
                .map_err(DevchainError::Corrupt)?;
            state.chain.connect(hash).map_err(DevchainError::Corrupt)?;
            state.mempool.remove_for_block(&block);
            mined.push(BlockInfo {
                hash,
                height: tip_height + 1,
            });
        }
        state.files.sync_blocks()?;
        state.refill_mempool(Vec::new())?;
        Ok(mined)
    }

    /// Mines `count` blocks paying `address`, which must be a regtest address.
    pub fn mine_to_address(
        &self,
        count: u32,
        address: &Address,
    ) -> Result<Vec<BlockInfo>, DevchainError> {
        self.mine(count, &address.script_pubkey())
    }

    /// Mines `count` blocks paying the faucet.
    pub fn mine_to_faucet(&self, count: u32) -> Result<Vec<BlockInfo>, DevchainError> {
        let script = self.lock().faucet.script().clone();
        self.mine(count, &script)
    }

    /// Offers a transaction to the mempool, as `sendrawtransaction` does. A transaction already
    /// in the mempool is accepted again without change.
    pub fn submit(&self, tx: Transaction) -> Result<Txid, DevchainError> {
        let mut state = self.lock();
        let txid = tx.compute_txid();
        if state.mempool.contains(&txid) {
            return Ok(txid);
        }
        let admission = state.mempool.check(&state.chain, &tx)?;
        for replaced in admission.replaces {
            let evicted = state.mempool.remove_with_descendants(replaced);
            tracing::debug!(%txid, ?evicted, "replacement evicted conflicting transactions");
        }
        let height = state.chain.tip_height();
        state.mempool.insert(tx, admission.fee, height, None);
        state.save_mempool()?;
        Ok(txid)
    }

    /// Checks a transaction without adding it, as `testmempoolaccept` does. Returns the fee.
    pub fn test_accept(&self, tx: &Transaction) -> Result<Amount, Rejection> {
        let state = self.lock();
        state.mempool.check(&state.chain, tx).map(|a| a.fee)
    }

    /// Pays `amount` from the faucet to `address` and returns the txid (not yet mined).
    pub fn send_to_address(
        &self,
        address: &Address,
        amount: Amount,
    ) -> Result<Txid, DevchainError> {
        let tx = {
            let state = self.lock();
            let coins = state.faucet_coins();
            state.faucet.pay(coins, address.script_pubkey(), amount)?
        };
        self.submit(tx)
    }

    /// What the faucet can spend now: mature confirmed coins and its own unconfirmed change.
    pub fn faucet_balance(&self) -> Amount {
        self.lock().faucet_coins().iter().map(|c| c.value).sum()
    }

    /// Disconnects `hash` and its descendants and marks them invalid, as `invalidateblock` does;
    /// their transactions return to the mempool where still valid.
    pub fn invalidate_block(&self, hash: BlockHash) -> Result<(), DevchainError> {
        let mut state = self.lock();
        let record = state
            .chain
            .record(&hash)
            .ok_or(DevchainError::BlockNotFound)?;
        if record.height == 0 {
            return Err(DevchainError::CannotInvalidateGenesis);
        }
        state.files.add_invalidated(hash)?;
        state.chain.mark_invalid(hash);
        let disconnected = state
            .chain
            .activate_best_chain()
            .map_err(DevchainError::Corrupt)?;
        state.refill_mempool(disconnected)?;
        Ok(())
    }

    /// Runs `f` with read access to chain facts for the RPC layer.
    pub(crate) fn with_view<T>(&self, f: impl FnOnce(&ChainView<'_>) -> T) -> T {
        let state = self.lock();
        f(&ChainView {
            chain: &state.chain,
            mempool: &state.mempool,
        })
    }

    /// A coin of the UTXO set (confirmed outputs only).
    pub fn utxo(&self, outpoint: &OutPoint) -> Option<Coin> {
        self.lock().chain.coin(outpoint).cloned()
    }

    /// A mempool entry.
    pub fn mempool_entry(&self, txid: &Txid) -> Option<MempoolEntry> {
        self.lock().mempool.get(txid).cloned()
    }

    /// Txids in the mempool, parents first.
    pub fn mempool_txids(&self) -> Vec<Txid> {
        self.lock().mempool.entries().map(|e| e.txid).collect()
    }
}

impl State {
    /// Re-admits `returning` (from disconnected blocks) and every current mempool transaction
    /// against the new tip, dropping what is no longer valid (confirmed, conflicting, immature).
    fn refill_mempool(&mut self, returning: Vec<Transaction>) -> Result<(), DevchainError> {
        let previous = self.mempool.drain();
        let returning = returning.into_iter().map(|tx| (tx, None));
        let previous = previous.into_iter().map(|e| (e.tx, Some(e.time)));
        for (tx, time) in returning.chain(previous) {
            if let Ok(admission) = self.mempool.check(&self.chain, &tx) {
                if admission.replaces.is_empty() {
                    let height = self.chain.tip_height();
                    self.mempool.insert(tx, admission.fee, height, time);
                }
            }
        }
        self.save_mempool()
    }

    fn save_mempool(&self) -> Result<(), DevchainError> {
        self.files
            .save_mempool(self.mempool.entries().map(|e| (&e.tx, e.time)))?;
        Ok(())
    }

    /// Like Bitcoin Core's wallet, a coinbase counts as spendable one block after consensus
    /// allows it (depth 101), so `getbalance` after 101 blocks shows one block reward.
    fn faucet_coins(&self) -> Vec<FaucetCoin> {
        let script = self.faucet.script();
        let next_height = self.chain.tip_height() + 1;
        let confirmed = self.chain.utxos().filter(|(outpoint, coin)| {
            coin.output.script_pubkey == *script
                && (!coin.is_coinbase || next_height - coin.height > COINBASE_MATURITY)
                && self.mempool.spender(outpoint).is_none()
        });
        let mut coins: Vec<FaucetCoin> = confirmed
            .map(|(outpoint, coin)| FaucetCoin {
                outpoint: *outpoint,
                value: coin.output.value,
            })
            .collect();
        for entry in self.mempool.entries() {
            for (vout, output) in entry.tx.output.iter().enumerate() {
                let outpoint = OutPoint::new(entry.txid, vout as u32);
                if output.script_pubkey == *script && self.mempool.spender(&outpoint).is_none() {
                    coins.push(FaucetCoin {
                        outpoint,
                        value: output.value,
                    });
                }
            }
        }
        coins
    }
}

/// Read-only access to the chain and mempool for answering RPCs.
pub(crate) struct ChainView<'a> {
    pub chain: &'a Chain,
    pub mempool: &'a Mempool,
}

impl ChainView<'_> {
    /// An unspent output from the chain, or from the mempool when `include_mempool`; `None` if
    /// it does not exist or the mempool spends it (with `include_mempool`).
    pub fn txout(&self, outpoint: &OutPoint, include_mempool: bool) -> Option<(TxOut, i64, bool)> {
        if include_mempool && self.mempool.spender(outpoint).is_some() {
            return None;
        }
        if let Some(coin) = self.chain.coin(outpoint) {
            let confirmations = i64::from(self.chain.tip_height()) - i64::from(coin.height) + 1;
            return Some((coin.output.clone(), confirmations, coin.is_coinbase));
        }
        if include_mempool {
            return self.mempool.output(outpoint).map(|o| (o.clone(), 0, false));
        }
        None
    }
}
