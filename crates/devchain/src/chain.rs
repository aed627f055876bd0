//! The block tree, the active chain, the UTXO set and a transaction index.
//!
//! Every block ever mined stays in the tree (stale branches too, so headers of reorged-out blocks
//! can still be served). The active chain is the valid branch with the most work, ties going to
//! the branch seen first, as in Bitcoin Core.

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::blockdata::constants::genesis_block;
use bitcoin::pow::Work;
use bitcoin::{Block, BlockHash, Network, OutPoint, Transaction, TxOut, Txid};

/// An unspent output and where it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coin {
    /// The output itself.
    pub output: TxOut,
    /// Height of the block that created it.
    pub height: u32,
    /// Whether a coinbase created it (those mature after 100 blocks).
    pub is_coinbase: bool,
}

/// What the tree knows of one block.
#[derive(Debug, Clone)]
pub(crate) struct BlockRecord {
    pub block: Arc<Block>,
    pub height: u32,
    pub chainwork: Work,
    pub invalid: bool,
    /// Order in which the block was first seen; breaks chainwork ties.
    pub seen_order: u64,
}

/// A summary of a block on the active chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's hash.
    pub hash: BlockHash,
    /// The block's height.
    pub height: u32,
}

/// The whole chain state.
pub(crate) struct Chain {
    index: HashMap<BlockHash, BlockRecord>,
    active: Vec<BlockHash>,
    /// Coins each active block spent, to restore them when it is disconnected.
    undo: Vec<Vec<(OutPoint, Coin)>>,
    utxos: HashMap<OutPoint, Coin>,
    tx_index: HashMap<Txid, BlockHash>,
    next_seen_order: u64,
}

impl Chain {
    /// A chain holding only the regtest genesis block (whose coinbase is unspendable, as in Core).
    pub fn new() -> Self {
        let genesis = genesis_block(Network::Regtest);
        let hash = genesis.block_hash();
        let record = BlockRecord {
            chainwork: genesis.header.work(),
            block: Arc::new(genesis),
            height: 0,
            invalid: false,
            seen_order: 0,
        };
        Self {
            index: HashMap::from([(hash, record)]),
            active: vec![hash],
            undo: vec![Vec::new()],
            utxos: HashMap::new(),
            tx_index: HashMap::new(),
            next_seen_order: 1,
        }
    }

    pub fn tip_height(&self) -> u32 {
        (self.active.len() - 1) as u32
    }

    pub fn tip_hash(&self) -> BlockHash {
        self.active[self.active.len() - 1]
    }

    pub fn tip(&self) -> &BlockRecord {
        &self.index[&self.tip_hash()]
    }

    pub fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.active.get(height as usize).copied()
    }

    pub fn record(&self, hash: &BlockHash) -> Option<&BlockRecord> {
        self.index.get(hash)
    }

    /// Whether `hash` is on the active chain.
    pub fn is_active(&self, hash: &BlockHash) -> bool {
        self.index
            .get(hash)
            .is_some_and(|r| self.hash_at(r.height) == Some(*hash))
    }

    pub fn coin(&self, outpoint: &OutPoint) -> Option<&Coin> {
        self.utxos.get(outpoint)
    }

    pub fn utxos(&self) -> impl Iterator<Item = (&OutPoint, &Coin)> {
        self.utxos.iter()
    }

    /// The active block containing `txid`, if any.
    pub fn block_of_tx(&self, txid: &Txid) -> Option<BlockHash> {
        self.tx_index.get(txid).copied()
    }

    /// Median time past of the active block at `height` (the median of it and its ten parents).
    pub fn median_time_past(&self, height: u32) -> u32 {
        let from = height.saturating_sub(10);
        let mut times: Vec<u32> = (from..=height)
            .filter_map(|h| self.hash_at(h))
            .map(|hash| self.index[&hash].block.header.time)
            .collect();
        times.sort_unstable();
        times[times.len() / 2]
    }

    /// Adds a block whose parent is known to the tree, without activating it.
    pub fn add_block(&mut self, block: Block) -> Result<BlockHash, String> {
        let hash = block.block_hash();
        if self.index.contains_key(&hash) {
            return Ok(hash);
        }
        let parent = self
            .index
            .get(&block.header.prev_blockhash)
            .ok_or_else(|| format!("block {hash} has an unknown parent"))?;
        let record = BlockRecord {
            height: parent.height + 1,
            chainwork: parent.chainwork + block.header.work(),
            invalid: parent.invalid,
            seen_order: self.next_seen_order,
            block: Arc::new(block),
        };
        self.next_seen_order += 1;
        self.index.insert(hash, record);
        Ok(hash)
    }

    /// Marks `hash` and every descendant invalid.
    pub fn mark_invalid(&mut self, hash: BlockHash) {
        let Some(height) = self.index.get(&hash).map(|r| r.height) else {
            return;
        };
        let mut invalid = vec![hash];
        let mut by_height: Vec<(u32, BlockHash)> = self
            .index
            .iter()
            .filter(|(_, r)| r.height > height)
            .map(|(h, r)| (r.height, *h))
            .collect();
        by_height.sort_unstable();
        for (_, candidate) in by_height {
            if invalid.contains(&self.index[&candidate].block.header.prev_blockhash) {
                invalid.push(candidate);
            }
        }
        for hash in invalid {
            if let Some(record) = self.index.get_mut(&hash) {
                record.invalid = true;
            }
        }
    }

    /// Moves the active chain to the valid tip with the most work. Returns the transactions of
    /// disconnected blocks (coinbases excluded), oldest first, for the mempool to take back.
    pub fn activate_best_chain(&mut self) -> Result<Vec<Transaction>, String> {
        let best = self
            .index
            .iter()
            .filter(|(_, r)| !r.invalid)
            .max_by(|(_, a), (_, b)| {
                a.chainwork
                    .cmp(&b.chainwork)
                    .then(b.seen_order.cmp(&a.seen_order))
            })
            .map(|(hash, _)| *hash)
            .ok_or("no valid block")?;
        if best == self.tip_hash() {
            return Ok(Vec::new());
        }
        // The branch from the fork point up to `best`.
        let mut branch = Vec::new();
        let mut cursor = best;
        while !self.is_active(&cursor) {
            branch.push(cursor);
            cursor = self.index[&cursor].block.header.prev_blockhash;
        }
        let fork_height = self.index[&cursor].height;
        let mut disconnected = Vec::new();
        while self.tip_height() > fork_height {
            let mut txs = self.disconnect_tip();
            txs.append(&mut disconnected);
            disconnected = txs;
        }
        for hash in branch.into_iter().rev() {
            self.connect(hash)?;
        }
        Ok(disconnected)
    }

    /// Connects the known block `hash` on top of the active tip.
    pub fn connect(&mut self, hash: BlockHash) -> Result<(), String> {
        let record = self.index.get(&hash).ok_or("unknown block")?.clone();
        if record.block.header.prev_blockhash != self.tip_hash() {
            return Err(format!("block {hash} does not extend the tip"));
        }
        let mut spent = Vec::new();
        for tx in &record.block.txdata {
            let txid = tx.compute_txid();
            if !tx.is_coinbase() {
                for input in &tx.input {
                    let coin = self.utxos.remove(&input.previous_output).ok_or_else(|| {
                        format!("block {hash} spends missing coin {}", input.previous_output)
                    })?;
                    spent.push((input.previous_output, coin));
                }
            }
            for (vout, output) in tx.output.iter().enumerate() {
                if output.script_pubkey.is_op_return() {
                    continue;
                }
                let coin = Coin {
                    output: output.clone(),
                    height: record.height,
                    is_coinbase: tx.is_coinbase(),
                };
                self.utxos.insert(OutPoint::new(txid, vout as u32), coin);
            }
            self.tx_index.insert(txid, hash);
        }
        self.active.push(hash);
        self.undo.push(spent);
        Ok(())
    }

    /// Disconnects the active tip, restoring the coins it spent. Returns its non-coinbase txs.
    fn disconnect_tip(&mut self) -> Vec<Transaction> {
        let Some(hash) = self.active.pop() else {
            return Vec::new();
        };
        let spent = self.undo.pop().unwrap_or_default();
        let block = Arc::clone(&self.index[&hash].block);
        // Spent coins come back first and the block's own outputs go after, so a coin both
        // created and spent inside this block ends up absent, as it must.
        for (outpoint, coin) in spent {
            self.utxos.insert(outpoint, coin);
        }
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            for vout in 0..tx.output.len() {
                self.utxos.remove(&OutPoint::new(txid, vout as u32));
            }
            self.tx_index.remove(&txid);
        }
        block
            .txdata
            .iter()
            .filter(|tx| !tx.is_coinbase())
            .cloned()
            .collect()
    }
}
