//! Regtest consensus constants and the pure rules: subsidy, finality, BIP68 sequence locks.

use bitcoin::{Amount, Transaction};

/// Coinbase outputs can be spent only this many blocks after the block that made them.
pub(crate) const COINBASE_MATURITY: u32 = 100;
/// Regtest halves the subsidy every 150 blocks.
const SUBSIDY_HALVING_INTERVAL: u32 = 150;
/// Regtest's proof-of-work limit in compact form.
pub(crate) const REGTEST_BITS: u32 = 0x207f_ffff;
/// Version bits top bits, as Bitcoin Core's miner sets them.
pub(crate) const BLOCK_VERSION: i32 = 0x2000_0000;
/// Consensus block weight limit.
pub(crate) const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Locktimes below this are block heights; at or above, unix times.
const LOCKTIME_THRESHOLD: u32 = 500_000_000;

const SEQUENCE_FINAL: u32 = 0xffff_ffff;
const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;
const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

/// The block reward at `height` under regtest's halving schedule.
pub(crate) fn block_subsidy(height: u32) -> Amount {
    let halvings = height / SUBSIDY_HALVING_INTERVAL;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000u64) >> halvings)
}

/// Bitcoin Core's `IsFinalTx`: whether `tx` may be included in a block at `block_height` whose
/// median-time-past rule uses `block_time`.
pub(crate) fn is_final_tx(tx: &Transaction, block_height: u32, block_time: u32) -> bool {
    let lock_time = tx.lock_time.to_consensus_u32();
    if lock_time == 0 {
        return true;
    }
    let limit = if lock_time < LOCKTIME_THRESHOLD {
        block_height
    } else {
        block_time
    };
    if lock_time < limit {
        return true;
    }
    tx.input
        .iter()
        .all(|input| input.sequence.0 == SEQUENCE_FINAL)
}

/// One input's BIP68 relative lock, resolved against the coin it spends.
pub(crate) enum RelativeLock {
    /// The input spends no earlier than this block height (exclusive bound, as Core computes).
    Height(i64),
    /// The input spends no earlier than this median time past (exclusive bound).
    Time(i64),
}

/// The BIP68 lock an input with `sequence` imposes on a coin confirmed at `coin_height`, whose
/// previous block had median time past `coin_prev_mtp`. `None` when the input sets no lock or
/// the transaction version is below 2.
pub(crate) fn relative_lock(
    tx_version: i32,
    sequence: u32,
    coin_height: u32,
    coin_prev_mtp: u32,
) -> Option<RelativeLock> {
    // Core compares the version as unsigned: a negative version counts as >= 2.
    if (tx_version as u32) < 2 || sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
        return None;
    }
    let value = i64::from(sequence & SEQUENCE_LOCKTIME_MASK);
    if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
        Some(RelativeLock::Time(
            i64::from(coin_prev_mtp) + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1,
        ))
    } else {
        Some(RelativeLock::Height(i64::from(coin_height) + value - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsidy_halves_every_150_blocks() {
        assert_eq!(block_subsidy(0), Amount::from_sat(5_000_000_000));
        assert_eq!(block_subsidy(149), Amount::from_sat(5_000_000_000));
        assert_eq!(block_subsidy(150), Amount::from_sat(2_500_000_000));
        assert_eq!(block_subsidy(300), Amount::from_sat(1_250_000_000));
        assert_eq!(block_subsidy(150 * 64), Amount::ZERO);
    }

    #[test]
    fn relative_lock_respects_disable_flag_and_version() {
        assert!(relative_lock(1, 10, 100, 0).is_none());
        assert!(relative_lock(2, SEQUENCE_LOCKTIME_DISABLE_FLAG | 10, 100, 0).is_none());
        assert!(matches!(
            relative_lock(2, 10, 100, 0),
            Some(RelativeLock::Height(109))
        ));
        assert!(matches!(
            relative_lock(2, SEQUENCE_LOCKTIME_TYPE_FLAG | 2, 100, 1000),
            Some(RelativeLock::Time(2023))
        ));
    }
}
