//! Mempool acceptance against Bitcoin Core's rules: each refusal carries Core's code and reason,
//! and the same spend is accepted once it becomes valid. Every mined block passes rust-bitcoin's
//! merkle-root and witness-commitment checks.

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::opcodes::all::{OP_CHECKSIG, OP_CSV, OP_DROP};
use bitcoin::blockdata::script::Builder;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    ecdsa, Amount, CompressedPublicKey, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Witness,
};
use devchain::{Devchain, DevchainError};

struct Key {
    secret: SecretKey,
    public: CompressedPublicKey,
}

impl Key {
    fn new(byte: u8) -> Self {
        let secret = SecretKey::from_slice(&[byte; 32]).expect("valid key");
        let public = CompressedPublicKey(secret.public_key(&Secp256k1::new()));
        Self { secret, public }
    }

    fn p2wpkh(&self) -> ScriptBuf {
        ScriptBuf::new_p2wpkh(&self.public.wpubkey_hash())
    }

    /// `<blocks> OP_CSV OP_DROP <pubkey> OP_CHECKSIG`: spendable by this key after `blocks`.
    fn csv_script(&self, blocks: i64) -> ScriptBuf {
        Builder::new()
            .push_int(blocks)
            .push_opcode(OP_CSV)
            .push_opcode(OP_DROP)
            .push_key(&self.public.into())
            .push_opcode(OP_CHECKSIG)
            .into_script()
    }

    fn sign(&self, sighash: [u8; 32]) -> ecdsa::Signature {
        let message = Message::from_digest(sighash);
        ecdsa::Signature::sighash_all(Secp256k1::new().sign_ecdsa(&message, &self.secret))
    }
}

/// An unsigned one-input transaction spending `outpoint` to `outputs`.
fn unsigned(
    outpoint: OutPoint,
    outputs: Vec<TxOut>,
    sequence: Sequence,
    lock_time: u32,
) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::from_consensus(lock_time),
        input: vec![TxIn {
            previous_output: outpoint,
            script_sig: ScriptBuf::new(),
            sequence,
            witness: Witness::new(),
        }],
        output: outputs,
    }
}

fn sign_p2wpkh(mut tx: Transaction, key: &Key, value: Amount) -> Transaction {
    let sighash = SighashCache::new(&tx)
        .p2wpkh_signature_hash(0, &key.p2wpkh(), value, EcdsaSighashType::All)
        .expect("p2wpkh sighash");
    tx.input[0].witness = Witness::p2wpkh(&key.sign(sighash.to_byte_array()), &key.public.0);
    tx
}

fn sign_p2wsh(mut tx: Transaction, key: &Key, script: &ScriptBuf, value: Amount) -> Transaction {
    let sighash = SighashCache::new(&tx)
        .p2wsh_signature_hash(0, script, value, EcdsaSighashType::All)
        .expect("p2wsh sighash");
    let mut witness = Witness::new();
    witness.push(key.sign(sighash.to_byte_array()).to_vec());
    witness.push(script.as_bytes());
    tx.input[0].witness = witness;
    tx
}

/// Spends the 50 BTC coinbase coin at `outpoint`, owned by `key`, to one output.
fn spend_coin(key: &Key, outpoint: OutPoint, to: ScriptBuf, sat: u64) -> Transaction {
    sign_p2wpkh(
        unsigned(outpoint, pay_to(to, sat), Sequence::MAX, 0),
        key,
        Amount::from_sat(COIN),
    )
}

fn pay_to(script: ScriptBuf, sat: u64) -> Vec<TxOut> {
    vec![TxOut {
        value: Amount::from_sat(sat),
        script_pubkey: script,
    }]
}

fn rejection(result: Result<bitcoin::Txid, DevchainError>) -> (i64, String) {
    match result {
        Err(DevchainError::Rejected(r)) => (r.code, r.to_string()),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// A chain where `key` owns one mature 50 BTC coinbase output. Returns the chain and outpoint.
fn chain_with_mature_coin(dir: &std::path::Path, key: &Key) -> (Devchain, OutPoint) {
    let chain = Devchain::open(dir).expect("open");
    let first = chain.mine(1, &key.p2wpkh()).expect("mine");
    chain.mine_to_faucet(100).expect("mine");
    let coinbase = chain.block(&first[0].hash).expect("block").txdata[0].compute_txid();
    (chain, OutPoint::new(coinbase, 0))
}

const COIN: u64 = 5_000_000_000;

#[test]
fn immature_coinbase_is_refused_until_depth_100() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(1);
    let chain = Devchain::open(dir.path()).expect("open");
    let first = chain.mine(1, &key.p2wpkh()).expect("mine");
    let outpoint = OutPoint::new(
        chain.block(&first[0].hash).expect("block").txdata[0].compute_txid(),
        0,
    );
    chain.mine_to_faucet(98).expect("mine");
    let tx = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    let (code, message) = rejection(chain.submit(tx.clone()));
    assert_eq!(code, -26);
    assert_eq!(
        message,
        "bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99"
    );
    chain.mine_to_faucet(1).expect("mine");
    assert_eq!(chain.submit(tx.clone()).expect("mature"), tx.compute_txid());
}

#[test]
fn double_spends_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(2);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let first = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    let second = spend_coin(&key, outpoint, Key::new(3).p2wpkh(), COIN - 1_000);
    chain.submit(first.clone()).expect("first spend");

    // Same fee against a mempool spend: not a valid replacement.
    let (code, message) = rejection(chain.submit(second.clone()));
    assert_eq!(code, -26);
    assert!(
        message.starts_with("insufficient fee, rejecting replacement"),
        "{message}"
    );

    // Once the first spend confirms, the coin is gone.
    chain.mine_to_faucet(1).expect("mine");
    let (code, message) = rejection(chain.submit(second));
    assert_eq!(
        (code, message.as_str()),
        (-25, "bad-txns-inputs-missingorspent")
    );

    // Resubmitting a confirmed transaction is "already in chain".
    let (code, _) = rejection(chain.submit(first));
    assert_eq!(code, -27);
}

#[test]
fn a_replacement_paying_more_evicts_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(4);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let original = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    let replacement = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 10_000);
    chain.submit(original.clone()).expect("original");
    chain.submit(replacement.clone()).expect("replacement");
    assert_eq!(chain.mempool_txids(), vec![replacement.compute_txid()]);
}

#[test]
fn a_bad_signature_is_refused_and_a_good_one_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(5);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let value = Amount::from_sat(COIN);
    let spend = unsigned(
        outpoint,
        pay_to(key.p2wpkh(), COIN - 1_000),
        Sequence::MAX,
        0,
    );
    // Signed by another key, but presenting this key's pubkey: the hash matches, the signature not.
    let mut forged = sign_p2wpkh(spend.clone(), &Key::new(6), value);
    forged.input[0].witness = {
        let mut w = Witness::new();
        w.push(forged.input[0].witness.nth(0).expect("signature"));
        w.push(key.public.to_bytes());
        w
    };
    let (code, message) = rejection(chain.submit(forged));
    assert_eq!(code, -26);
    assert!(
        message.starts_with("mandatory-script-verify-flag-failed"),
        "{message}"
    );
    chain
        .submit(sign_p2wpkh(spend, &key, value))
        .expect("valid signature");
}

#[test]
fn outputs_above_inputs_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(7);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let greedy = spend_coin(&key, outpoint, key.p2wpkh(), COIN + 1);
    let (code, message) = rejection(chain.submit(greedy));
    assert_eq!(code, -26);
    assert_eq!(
        message,
        "bad-txns-in-belowout, value in (50.00) < value out (50.00000001)"
    );
    let honest = spend_coin(&key, outpoint, key.p2wpkh(), COIN);
    chain.submit(honest).expect("outputs equal to inputs");
}

#[test]
fn a_non_final_locktime_is_refused_until_its_height() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(8);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let lock_height = chain.height() + 3;
    let tx = sign_p2wpkh(
        unsigned(
            outpoint,
            pay_to(key.p2wpkh(), COIN - 1_000),
            Sequence::ENABLE_RBF_NO_LOCKTIME,
            lock_height,
        ),
        &key,
        Amount::from_sat(COIN),
    );
    let (code, message) = rejection(chain.submit(tx.clone()));
    assert_eq!((code, message.as_str()), (-26, "non-final"));
    chain.mine_to_faucet(2).expect("mine");
    let (_, message) = rejection(chain.submit(tx.clone()));
    assert_eq!(
        message, "non-final",
        "the next block's height equals the locktime"
    );
    chain.mine_to_faucet(1).expect("mine");
    // Now the next block's height exceeds the locktime.
    chain.submit(tx).expect("final");
}

#[test]
fn a_csv_locked_spend_is_refused_until_its_relative_delay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(9);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let csv_script = key.csv_script(10);
    let locked_value = COIN - 1_000;
    let fund = spend_coin(
        &key,
        outpoint,
        ScriptBuf::new_p2wsh(&csv_script.wscript_hash()),
        locked_value,
    );
    chain.submit(fund.clone()).expect("fund the CSV output");
    chain.mine_to_faucet(1).expect("mine");
    let locked = OutPoint::new(fund.compute_txid(), 0);
    let spend = sign_p2wsh(
        unsigned(
            locked,
            pay_to(key.p2wpkh(), locked_value - 1_000),
            Sequence::from_height(10),
            0,
        ),
        &key,
        &csv_script,
        Amount::from_sat(locked_value),
    );
    let (code, message) = rejection(chain.submit(spend.clone()));
    assert_eq!((code, message.as_str()), (-26, "non-BIP68-final"));
    chain.mine_to_faucet(8).expect("mine");
    let (_, message) = rejection(chain.submit(spend.clone()));
    assert_eq!(message, "non-BIP68-final", "one block short");
    chain.mine_to_faucet(1).expect("mine");
    chain.submit(spend).expect("relative delay reached");
}

#[test]
fn every_block_has_a_valid_merkle_root_and_witness_commitment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(10);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let tx = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    // The faucet's first coinbase (height 2) reaches wallet maturity (depth 101) one block on.
    chain.mine_to_faucet(1).expect("mine");
    chain.submit(tx.clone()).expect("spend");
    let address = chain.faucet_address();
    chain
        .send_to_address(&address, Amount::from_sat(100_000))
        .expect("faucet pays");
    chain.mine_to_faucet(1).expect("mine");
    for height in 1..=chain.height() {
        let hash = chain.block_hash(height).expect("hash");
        let block = chain.block(&hash).expect("block");
        assert!(block.check_merkle_root(), "merkle root at {height}");
        assert!(
            block.check_witness_commitment(),
            "witness commitment at {height}"
        );
        // BIP34 as Core encodes it: OP_1..OP_16 for small heights, a number push above.
        let script_sig = &block.txdata[0].input[0].script_sig;
        if height <= 16 {
            assert_eq!(
                script_sig.as_bytes()[0],
                0x50 + height as u8,
                "BIP34 at {height}"
            );
        } else {
            assert_eq!(
                block.bip34_block_height().expect("bip34"),
                u64::from(height)
            );
        }
        assert!(
            block.header.validate_pow(block.header.target()).is_ok(),
            "pow at {height}"
        );
    }
    let last = chain.block(&chain.best_hash()).expect("tip");
    assert_eq!(
        last.txdata.len(),
        3,
        "coinbase, the spend and the faucet payment"
    );
    // Coinbase pays subsidy plus fees: 1_000 from the spend and the faucet's fee.
    assert!(last.txdata[0].output[0].value > Amount::from_sat(COIN + 1_000));
}

#[test]
fn invalidateblock_reorgs_and_returns_transactions_to_the_mempool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(11);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let tx = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    chain.submit(tx.clone()).expect("spend");
    let confirmed_in = chain.mine_to_faucet(1).expect("mine")[0].hash;
    chain.mine_to_faucet(2).expect("mine");
    let height_before = chain.height();
    chain.invalidate_block(confirmed_in).expect("invalidate");
    assert_eq!(chain.height(), height_before - 3);
    assert_eq!(chain.mempool_txids(), vec![tx.compute_txid()]);
    // The replacement chain confirms the transaction again, in a block with another hash.
    let replacement = chain.mine_to_faucet(4).expect("mine");
    assert_ne!(replacement[0].hash, confirmed_in);
    assert!(chain.mempool_txids().is_empty());
    assert!(chain.utxo(&OutPoint::new(tx.compute_txid(), 0)).is_some());
}

#[test]
fn the_chain_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(12);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    let pending = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    let stale = chain.mine_to_faucet(2).expect("mine")[1].hash;
    chain.invalidate_block(stale).expect("invalidate");
    chain.mine_to_faucet(3).expect("mine");
    chain.submit(pending.clone()).expect("spend");
    let (tip, height, balance) = (chain.best_hash(), chain.height(), chain.faucet_balance());
    drop(chain);

    let reopened = Devchain::open(dir.path()).expect("reopen");
    assert_eq!(reopened.best_hash(), tip);
    assert_eq!(reopened.height(), height);
    assert_eq!(reopened.faucet_balance(), balance);
    assert_eq!(reopened.mempool_txids(), vec![pending.compute_txid()]);
    assert!(reopened.block(&stale).is_some(), "stale blocks stay known");
}

#[test]
fn a_reorg_drops_coins_created_and_spent_in_the_same_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = Key::new(13);
    let (chain, outpoint) = chain_with_mature_coin(dir.path(), &key);
    // A chain of two spends, confirmed together in one block.
    let parent = spend_coin(&key, outpoint, key.p2wpkh(), COIN - 1_000);
    let middle = OutPoint::new(parent.compute_txid(), 0);
    let child = sign_p2wpkh(
        unsigned(middle, pay_to(key.p2wpkh(), COIN - 2_000), Sequence::MAX, 0),
        &key,
        Amount::from_sat(COIN - 1_000),
    );
    chain.submit(parent.clone()).expect("parent");
    chain.submit(child.clone()).expect("child");
    let block = chain.mine_to_faucet(1).expect("mine")[0].hash;
    assert!(chain.utxo(&middle).is_none(), "spent inside the block");

    chain.invalidate_block(block).expect("reorg");
    assert!(
        chain.utxo(&middle).is_none(),
        "the intermediate coin must not come back as confirmed"
    );
    assert_eq!(
        chain.utxo(&outpoint).map(|c| c.output.value),
        Some(Amount::from_sat(COIN))
    );
    assert_eq!(
        chain.mempool_txids(),
        vec![parent.compute_txid(), child.compute_txid()]
    );
    // And the chain mined after it reloads from disk.
    chain.mine_to_faucet(2).expect("mine");
    let tip = chain.best_hash();
    drop(chain);
    assert_eq!(Devchain::open(dir.path()).expect("reopen").best_hash(), tip);
}
