//! The mempool and its acceptance policy, modelled on Bitcoin Core's `AcceptToMemoryPool` as far
//! as Lightning needs: inputs exist and are unspent, no double spend (full-RBF replacement by a
//! higher fee is allowed), outputs do not exceed inputs, coinbase maturity, absolute locktime
//! finality, BIP68 relative locks and script verification by libbitcoinconsensus.

use std::collections::{BTreeMap, HashMap, HashSet};

use bitcoin::consensus::encode::serialize;
use bitcoin::{Amount, OutPoint, Transaction, TxOut, Txid};

use crate::amount_format::{btc_value, format_money};
use crate::chain::Chain;
use crate::consensus::{self, RelativeLock, COINBASE_MATURITY};
use crate::reject::Rejection;

/// Consensus limit on the value of any output or sum of outputs.
const MAX_MONEY: u64 = 21_000_000 * 100_000_000;
/// libbitcoinconsensus flags: P2SH, DERSIG, NULLDUMMY, CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY
/// and WITNESS (its `VERIFY_ALL`; the library predates taproot verification).
const SCRIPT_VERIFY_FLAGS: u32 = 1 | (1 << 2) | (1 << 4) | (1 << 9) | (1 << 10) | (1 << 11);
/// Bitcoin Core's incremental relay fee: 1 sat/vB, the least a replacement must add per vbyte.
const INCREMENTAL_RELAY_SAT_PER_VB: u64 = 1;

/// A transaction waiting in the mempool.
#[derive(Debug, Clone)]
pub struct MempoolEntry {
    /// The transaction.
    pub tx: Transaction,
    /// Its txid.
    pub txid: Txid,
    /// Inputs minus outputs.
    pub fee: Amount,
    /// When it entered, in unix seconds; strictly increasing across entries, so a client that
    /// asks "what entered after time T" never misses a transaction that arrived in the same
    /// second as another.
    pub time: u64,
    /// Chain height when it entered.
    pub height: u32,
    seq: u64,
}

impl MempoolEntry {
    /// Virtual size in vbytes.
    pub fn vsize(&self) -> u64 {
        self.tx.vsize() as u64
    }
}

/// The transactions waiting for a block, in an order where parents come before children.
#[derive(Default)]
pub(crate) struct Mempool {
    entries: HashMap<Txid, MempoolEntry>,
    by_seq: BTreeMap<u64, Txid>,
    spent_by: HashMap<OutPoint, Txid>,
    next_seq: u64,
    last_time: u64,
}

/// What acceptance decided: the fee, and the conflicting transactions a replacement evicts.
pub(crate) struct Admission {
    pub fee: Amount,
    pub replaces: Vec<Txid>,
}

impl Mempool {
    pub fn get(&self, txid: &Txid) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    pub fn contains(&self, txid: &Txid) -> bool {
        self.entries.contains_key(txid)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Entries, parents before children.
    pub fn entries(&self) -> impl Iterator<Item = &MempoolEntry> {
        self.by_seq.values().map(|txid| &self.entries[txid])
    }

    /// The mempool transaction spending `outpoint`, if any.
    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.spent_by.get(outpoint).copied()
    }

    /// An output created by a mempool transaction.
    pub fn output(&self, outpoint: &OutPoint) -> Option<&TxOut> {
        self.entries
            .get(&outpoint.txid)?
            .tx
            .output
            .get(outpoint.vout as usize)
    }

    /// Adds an accepted transaction. `time` keeps an earlier entry time when a transaction comes
    /// back after a reorg or restart.
    pub fn insert(&mut self, tx: Transaction, fee: Amount, height: u32, time: Option<u64>) {
        let txid = tx.compute_txid();
        let now = unix_now();
        let time = time.unwrap_or_else(|| now.max(self.last_time + 1));
        self.last_time = self.last_time.max(time);
        for input in &tx.input {
            self.spent_by.insert(input.previous_output, txid);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_seq.insert(seq, txid);
        self.entries.insert(
            txid,
            MempoolEntry {
                tx,
                txid,
                fee,
                time,
                height,
                seq,
            },
        );
    }

    /// Removes `txid` and every descendant. Returns the removed txids.
    pub fn remove_with_descendants(&mut self, txid: Txid) -> Vec<Txid> {
        let mut removed = Vec::new();
        let mut stack = vec![txid];
        while let Some(txid) = stack.pop() {
            let Some(entry) = self.entries.remove(&txid) else {
                continue;
            };
            self.by_seq.remove(&entry.seq);
            for input in &entry.tx.input {
                if self.spent_by.get(&input.previous_output) == Some(&txid) {
                    self.spent_by.remove(&input.previous_output);
                }
            }
            for vout in 0..entry.tx.output.len() {
                if let Some(child) = self.spent_by.get(&OutPoint::new(txid, vout as u32)) {
                    stack.push(*child);
                }
            }
            removed.push(txid);
        }
        removed
    }

    /// Removes what `block` confirmed, and whatever conflicts with it (with descendants).
    pub fn remove_for_block(&mut self, block: &bitcoin::Block) {
        for tx in block.txdata.iter().filter(|tx| !tx.is_coinbase()) {
            let txid = tx.compute_txid();
            if let Some(entry) = self.entries.remove(&txid) {
                self.by_seq.remove(&entry.seq);
            }
            for input in &tx.input {
                match self.spent_by.remove(&input.previous_output) {
                    Some(spender) if spender != txid => {
                        self.remove_with_descendants(spender);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Empties the pool, returning the entries parents-first.
    pub fn drain(&mut self) -> Vec<MempoolEntry> {
        let order: Vec<Txid> = self.by_seq.values().copied().collect();
        self.by_seq.clear();
        self.spent_by.clear();
        order
            .into_iter()
            .filter_map(|txid| self.entries.remove(&txid))
            .collect()
    }

    /// Decides whether `tx` may enter, against the active chain and this pool.
    pub fn check(&self, chain: &Chain, tx: &Transaction) -> Result<Admission, Rejection> {
        check_standalone(tx)?;
        let txid = tx.compute_txid();
        if self.contains(&txid) {
            return Err(Rejection::rejected("txn-already-in-mempool"));
        }
        if chain.block_of_tx(&txid).is_some()
            && (0..tx.output.len()).any(|v| chain.coin(&OutPoint::new(txid, v as u32)).is_some())
        {
            return Err(Rejection::already_in_chain());
        }
        let next_height = chain.tip_height() + 1;
        let tip_mtp = chain.median_time_past(chain.tip_height());
        if !consensus::is_final_tx(tx, next_height, tip_mtp) {
            return Err(Rejection::rejected("non-final"));
        }

        // Resolve every input to a coin (chain or mempool) and collect direct conflicts.
        let mut conflicts = HashSet::new();
        let mut spent = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            let outpoint = input.previous_output;
            if let Some(spender) = self.spender(&outpoint) {
                conflicts.insert(spender);
            }
            if let Some(coin) = chain.coin(&outpoint) {
                spent.push((coin.output.clone(), Some(coin.height), coin.is_coinbase));
            } else if let Some(output) = self.output(&outpoint) {
                spent.push((output.clone(), None, false));
            } else {
                return Err(Rejection::missing_inputs());
            }
        }

        for (output, height, is_coinbase) in &spent {
            if let (true, Some(height)) = (*is_coinbase, height) {
                let depth = next_height - height;
                if depth < COINBASE_MATURITY {
                    return Err(Rejection::rejected_with(
                        "bad-txns-premature-spend-of-coinbase",
                        format!("tried to spend coinbase at depth {depth}"),
                    ));
                }
            }
            if output.value.to_sat() > MAX_MONEY {
                return Err(Rejection::rejected("bad-txns-inputvalues-outofrange"));
            }
        }
        let value_in = spent
            .iter()
            .try_fold(Amount::ZERO, |acc, (o, _, _)| acc.checked_add(o.value));
        let value_in =
            value_in.ok_or_else(|| Rejection::rejected("bad-txns-inputvalues-outofrange"))?;
        let value_out = tx.output.iter().map(|o| o.value).sum::<Amount>();
        if value_in < value_out {
            return Err(Rejection::rejected_with(
                "bad-txns-in-belowout",
                format!(
                    "value in ({}) < value out ({})",
                    format_money(value_in),
                    format_money(value_out)
                ),
            ));
        }
        let fee = value_in - value_out;

        // BIP68: mempool coins count as confirmed in the next block.
        for (input, (_, height, _)) in tx.input.iter().zip(&spent) {
            let coin_height = height.unwrap_or(next_height);
            let coin_prev_mtp =
                chain.median_time_past(coin_height.saturating_sub(1).min(chain.tip_height()));
            match consensus::relative_lock(
                tx.version.0,
                input.sequence.0,
                coin_height,
                coin_prev_mtp,
            ) {
                Some(RelativeLock::Height(min)) if min >= i64::from(next_height) => {
                    return Err(Rejection::rejected("non-BIP68-final"))
                }
                Some(RelativeLock::Time(min)) if min >= i64::from(tip_mtp) => {
                    return Err(Rejection::rejected("non-BIP68-final"))
                }
                _ => {}
            }
        }

        let replaces = self.check_replacement(tx, fee, &conflicts)?;
        verify_scripts(tx, &spent)?;
        Ok(Admission { fee, replaces })
    }

    /// Full-RBF (Bitcoin Core 28's default): a conflicting transaction may replace the ones it
    /// conflicts with if it pays a higher feerate than each and more absolute fee than all of
    /// them and their descendants together, plus the incremental relay fee for its own size.
    fn check_replacement(
        &self,
        tx: &Transaction,
        fee: Amount,
        conflicts: &HashSet<Txid>,
    ) -> Result<Vec<Txid>, Rejection> {
        if conflicts.is_empty() {
            return Ok(Vec::new());
        }
        let vsize = tx.vsize() as u64;
        for txid in conflicts {
            let old = &self.entries[txid];
            if fee.to_sat() * old.vsize() <= old.fee.to_sat() * vsize {
                return Err(Rejection::rejected_with(
                    "insufficient fee",
                    format!(
                        "rejecting replacement {}; new feerate {} <= old feerate {}",
                        tx.compute_txid(),
                        btc_per_kvb(fee, vsize),
                        btc_per_kvb(old.fee, old.vsize())
                    ),
                ));
            }
        }
        let mut evicted = HashSet::new();
        for txid in conflicts {
            self.collect_descendants(*txid, &mut evicted);
        }
        for input in &tx.input {
            if evicted.contains(&input.previous_output.txid) {
                return Err(Rejection::rejected("bad-txns-spends-conflicting-tx"));
            }
        }
        let evicted_fees: u64 = evicted.iter().map(|t| self.entries[t].fee.to_sat()).sum();
        if fee.to_sat() < evicted_fees {
            return Err(Rejection::rejected_with(
                "insufficient fee",
                format!(
                    "rejecting replacement {}, less fees than conflicting txs; {} < {}",
                    tx.compute_txid(),
                    format_money(fee),
                    format_money(Amount::from_sat(evicted_fees))
                ),
            ));
        }
        let additional = fee.to_sat() - evicted_fees;
        let needed = vsize * INCREMENTAL_RELAY_SAT_PER_VB;
        if additional < needed {
            return Err(Rejection::rejected_with(
                "insufficient fee",
                format!(
                    "rejecting replacement {}, not enough additional fees to relay; {} < {}",
                    tx.compute_txid(),
                    format_money(Amount::from_sat(additional)),
                    format_money(Amount::from_sat(needed))
                ),
            ));
        }
        Ok(conflicts.iter().copied().collect())
    }

    fn collect_descendants(&self, txid: Txid, into: &mut HashSet<Txid>) {
        if !into.insert(txid) {
            return;
        }
        if let Some(entry) = self.entries.get(&txid) {
            for vout in 0..entry.tx.output.len() {
                if let Some(child) = self.spent_by.get(&OutPoint::new(txid, vout as u32)) {
                    self.collect_descendants(*child, into);
                }
            }
        }
    }
}

fn btc_per_kvb(fee: Amount, vsize: u64) -> serde_json::Value {
    btc_value(Amount::from_sat(fee.to_sat() * 1000 / vsize.max(1)))
}

/// Core's `CheckTransaction`: rules that need no chain context.
fn check_standalone(tx: &Transaction) -> Result<(), Rejection> {
    if tx.input.is_empty() {
        return Err(Rejection::rejected("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(Rejection::rejected("bad-txns-vout-empty"));
    }
    if tx.is_coinbase() {
        return Err(Rejection::rejected("coinbase"));
    }
    let mut total = 0u64;
    for output in &tx.output {
        let value = output.value.to_sat();
        if value > MAX_MONEY {
            return Err(Rejection::rejected("bad-txns-vout-toolarge"));
        }
        total = total.saturating_add(value);
        if total > MAX_MONEY {
            return Err(Rejection::rejected("bad-txns-txouttotal-toolarge"));
        }
    }
    let mut seen = HashSet::new();
    for input in &tx.input {
        if !seen.insert(input.previous_output) {
            return Err(Rejection::rejected("bad-txns-inputs-duplicate"));
        }
        if input.previous_output.is_null() {
            return Err(Rejection::rejected("bad-txns-prevout-null"));
        }
    }
    Ok(())
}

/// Runs every input's scripts through libbitcoinconsensus with all pre-taproot flags.
fn verify_scripts(tx: &Transaction, spent: &[(TxOut, Option<u32>, bool)]) -> Result<(), Rejection> {
    let bytes = serialize(tx);
    for (index, (output, _, _)) in spent.iter().enumerate() {
        output
            .script_pubkey
            .verify_with_flags(index, output.value, &bytes, SCRIPT_VERIFY_FLAGS)
            .map_err(|_| {
                Rejection::rejected(
                    "mandatory-script-verify-flag-failed (Script evaluated without success)",
                )
            })?;
    }
    Ok(())
}

/// Unix time in seconds.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
