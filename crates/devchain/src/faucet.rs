//! The faucet: one P2WPKH key of the chain's own, paid by coinbases, that funds addresses on
//! request (`sendtoaddress`) and reports its balance (`getbalance`).

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash as _;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    ecdsa, Address, Amount, CompressedPublicKey, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxOut, Witness,
};

/// Fee rate the faucet pays, in sat/vB.
const FAUCET_FEE_SAT_PER_VB: u64 = 2;
/// Outputs below this are not worth making (Core's dust limit for P2WPKH is 294 sat).
const DUST_SAT: u64 = 330;

/// A spendable output of the faucet.
pub(crate) struct FaucetCoin {
    pub outpoint: OutPoint,
    pub value: Amount,
}

/// Why the faucet could not pay.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FaucetError {
    #[error("Insufficient funds")]
    InsufficientFunds,
    #[error("Invalid amount")]
    InvalidAmount,
}

/// The faucet's key and the scripts derived from it.
pub(crate) struct Faucet {
    secret: SecretKey,
    public: CompressedPublicKey,
    script: ScriptBuf,
}

impl Faucet {
    pub fn from_secret(secret: SecretKey) -> Self {
        let secp = Secp256k1::signing_only();
        let public = CompressedPublicKey(secret.public_key(&secp));
        let script = ScriptBuf::new_p2wpkh(&public.wpubkey_hash());
        Self {
            secret,
            public,
            script,
        }
    }

    pub fn script(&self) -> &ScriptBuf {
        &self.script
    }

    pub fn address(&self) -> Address {
        Address::p2wpkh(&self.public, Network::Regtest)
    }

    /// Builds and signs a payment of `amount` to `destination` from `coins` (largest first),
    /// with change back to the faucet.
    pub fn pay(
        &self,
        mut coins: Vec<FaucetCoin>,
        destination: ScriptBuf,
        amount: Amount,
    ) -> Result<Transaction, FaucetError> {
        if amount.to_sat() < DUST_SAT || amount > Amount::MAX_MONEY {
            return Err(FaucetError::InvalidAmount);
        }
        coins.sort_unstable_by_key(|c| std::cmp::Reverse(c.value));
        let mut selected = Vec::new();
        let mut total = Amount::ZERO;
        let mut fee = Amount::ZERO;
        for coin in coins {
            total += coin.value;
            selected.push(coin);
            fee = Amount::from_sat(estimate_vsize(selected.len(), 2) * FAUCET_FEE_SAT_PER_VB);
            if total >= amount + fee {
                break;
            }
        }
        if total < amount + fee {
            return Err(FaucetError::InsufficientFunds);
        }
        let mut output = vec![TxOut {
            value: amount,
            script_pubkey: destination,
        }];
        let change = total - amount - fee;
        if change.to_sat() >= DUST_SAT {
            output.push(TxOut {
                value: change,
                script_pubkey: self.script.clone(),
            });
        }
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: selected
                .iter()
                .map(|c| TxIn {
                    previous_output: c.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::new(),
                })
                .collect(),
            output,
        };
        self.sign(
            &mut tx,
            &selected.iter().map(|c| c.value).collect::<Vec<_>>(),
        );
        Ok(tx)
    }

    fn sign(&self, tx: &mut Transaction, values: &[Amount]) {
        let secp = Secp256k1::signing_only();
        let mut witnesses = Vec::with_capacity(values.len());
        {
            let mut cache = SighashCache::new(&*tx);
            for (index, value) in values.iter().enumerate() {
                let sighash = cache
                    .p2wpkh_signature_hash(index, &self.script, *value, EcdsaSighashType::All)
                    .expect("input index is in range and the script is P2WPKH");
                let message = Message::from_digest(sighash.to_byte_array());
                let signature =
                    ecdsa::Signature::sighash_all(secp.sign_ecdsa(&message, &self.secret));
                witnesses.push(Witness::p2wpkh(&signature, &self.public.0));
            }
        }
        for (input, witness) in tx.input.iter_mut().zip(witnesses) {
            input.witness = witness;
        }
    }
}

/// Virtual size of a P2WPKH transaction with `inputs` inputs and `outputs` outputs, rounded up.
fn estimate_vsize(inputs: usize, outputs: usize) -> u64 {
    11 + 68 * inputs as u64 + 43 * outputs as u64
}
