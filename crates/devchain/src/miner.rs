//! Block assembly: a BIP34 coinbase, mempool transactions in dependency order, the witness
//! commitment, the merkle root, and regtest proof of work.

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::blockdata::script::{Builder, PushBytesBuf};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxMerkleNode, TxOut, Witness,
};

use crate::consensus::{self, BLOCK_VERSION, MAX_BLOCK_WEIGHT, REGTEST_BITS};
use crate::mempool::MempoolEntry;

/// BIP141's witness commitment header.
const WITNESS_COMMITMENT_HEADER: [u8; 4] = [0xaa, 0x21, 0xa9, 0xed];
/// Room kept for the coinbase when filling a block.
const COINBASE_WEIGHT_RESERVE: u64 = 4_000;

/// Everything the miner needs to know about the block it builds on.
pub(crate) struct BlockTemplate<'a> {
    pub prev_hash: BlockHash,
    pub height: u32,
    /// Median time past of the parent; the block's time must exceed it.
    pub prev_mtp: u32,
    pub now: u32,
    pub payout: &'a ScriptBuf,
    /// A value that makes this block's coinbase unique, so a block re-mined after a reorg never
    /// repeats the hash of the block it replaces.
    pub extra_nonce: u64,
}

/// Builds and solves a block from `candidates` (mempool entries, parents first). Entries that
/// are not final at this height are skipped.
pub(crate) fn mine_block(template: &BlockTemplate<'_>, candidates: &[&MempoolEntry]) -> Block {
    let time = template.now.max(template.prev_mtp + 1);
    let mut weight = COINBASE_WEIGHT_RESERVE;
    let mut fees = Amount::ZERO;
    let mut txdata = Vec::new();
    let mut skipped = std::collections::HashSet::new();
    for entry in candidates {
        let tx_weight = entry.tx.weight().to_wu();
        let has_skipped_parent = entry
            .tx
            .input
            .iter()
            .any(|i| skipped.contains(&i.previous_output.txid));
        if has_skipped_parent
            || weight + tx_weight > MAX_BLOCK_WEIGHT
            || !consensus::is_final_tx(&entry.tx, template.height, template.prev_mtp)
        {
            skipped.insert(entry.txid);
            continue;
        }
        weight += tx_weight;
        fees += entry.fee;
        txdata.push(entry.tx.clone());
    }

    let coinbase = coinbase_tx(template, consensus::block_subsidy(template.height) + fees);
    txdata.insert(0, coinbase);
    let mut block = Block {
        header: Header {
            version: Version::from_consensus(BLOCK_VERSION),
            prev_blockhash: template.prev_hash,
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits: CompactTarget::from_consensus(REGTEST_BITS),
            nonce: 0,
        },
        txdata,
    };
    add_witness_commitment(&mut block);
    block.header.merkle_root = block
        .compute_merkle_root()
        .unwrap_or_else(TxMerkleNode::all_zeros);
    solve(&mut block.header);
    block
}

fn coinbase_tx(template: &BlockTemplate<'_>, value: Amount) -> Transaction {
    let script_sig = Builder::new()
        .push_int(i64::from(template.height))
        .push_slice(template.extra_nonce.to_le_bytes())
        .into_script();
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value,
            script_pubkey: template.payout.clone(),
        }],
    }
}

/// Appends the BIP141 commitment to the coinbase: the witness merkle root (with the coinbase's
/// wtxid as zeros) hashed with the coinbase's 32-byte witness reserved value.
fn add_witness_commitment(block: &mut Block) {
    let Some(witness_root) = block.witness_root() else {
        return;
    };
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut data = WITNESS_COMMITMENT_HEADER.to_vec();
    data.extend_from_slice(commitment.as_byte_array());
    let push = PushBytesBuf::try_from(data).unwrap_or_default();
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: ScriptBuf::new_op_return(push),
    });
}

/// Grinds the nonce until the header meets its own target (about two tries on regtest).
fn solve(header: &mut Header) {
    let target = header.target();
    while header.validate_pow(target).is_err() {
        header.nonce = header.nonce.wrapping_add(1);
        if header.nonce == 0 {
            header.time += 1;
        }
    }
}
