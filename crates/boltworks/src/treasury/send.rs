//! Keyed sends: pay many outputs in one transaction, at most once per key. The signed
//! transaction, its ledger posting and the wallet's new state commit together, before the
//! broadcast; a key seen before answers with its transaction (rebroadcast if needed).

use bdk_wallet::{SignOptions, Wallet};
use bitcoin::{Address, FeeRate, Transaction};

use super::{ledger_msat, store, FeeFrom, SendError, Sent, Treasury, MIN_OUTPUT_SAT};
use crate::ledger::{self, Entry};
use crate::money::Sat;

/// The size of a one-input, two-output P2WPKH transaction, rounded up: the room a send whose
/// first output pays the fee leaves for it on the first try.
const TYPICAL_SEND_VBYTES: u64 = 150;

/// All the bitcoin there will ever be, in sats.
const MAX_MONEY_SAT: u64 = 2_100_000_000_000_000;

/// A signed transaction, before it is committed.
struct Signed {
    transaction: Transaction,
    fee: Sat,
    /// The outputs it pays (the first less the fee when it paid it).
    outputs: Vec<(Address, Sat)>,
}

impl Treasury {
    /// Pays `outputs` in one transaction, at most once per `key`: a key seen before returns its
    /// transaction (rebroadcast if needed) and sends nothing new. The signed transaction is
    /// committed before it is broadcast.
    #[tracing::instrument(skip_all, fields(send = %key, outputs = outputs.len()))]
    pub async fn send(
        &self,
        key: &str,
        outputs: &[(Address, Sat)],
        fee_from: FeeFrom,
        debit_account: &str,
    ) -> Result<Sent, SendError> {
        self.check_outputs(outputs)?;
        let mut state = self.state.lock().await;
        if let Some(sent) = store::send(self.store.pool(), key).await? {
            drop(state);
            self.rebroadcast().await?;
            return Ok(sent);
        }
        // Catch up before taking the lock (a long sync must not hold the database's writers).
        self.sync_locked(&mut state).await?;
        self.persist_now(&mut state).await?;
        let mut tx = self.store.pool().begin().await?;
        store::lock_sends(&mut tx, self.clock.now_unix()).await?;
        if let Some(sent) = store::send(&mut *tx, key).await? {
            drop(tx);
            drop(state);
            self.rebroadcast().await?;
            return Ok(sent);
        }
        // Under the lock: what another hub process spent since is in the mempool by now.
        self.sync_locked(&mut state).await?;
        let fee_rate = self.rpc.fee_rate(6).await?.unwrap_or(2);
        let fee_rate = FeeRate::from_sat_per_vb(fee_rate).unwrap_or(FeeRate::BROADCAST_MIN);
        let signed = sign_send(&mut state.wallet, outputs, fee_from, fee_rate)?;
        let Signed {
            transaction,
            fee,
            outputs: paid_outputs,
        } = signed;
        let txid = transaction.compute_txid();
        let now = self.clock.now_unix();
        let first_output = paid_outputs[0].1;
        let listed: Vec<_> = paid_outputs
            .iter()
            .map(|(address, amount)| store::SentOutput {
                address: address.to_string(),
                amount_sat: amount.0,
            })
            .collect();
        let record = store::NewSend {
            key,
            txid: &txid.to_string(),
            raw_tx: &bitcoin::consensus::encode::serialize_hex(&transaction),
            fee,
            outputs: &listed,
            now,
        };
        store::insert_send(&mut tx, &record).await?;
        let entries = send_entries(&paid_outputs, outputs[0].1, fee, fee_from, debit_account)?;
        ledger::post(
            &mut tx,
            now,
            "treasury-send",
            &format!("treasury-send:{key}"),
            &entries,
        )
        .await
        .map_err(|e| SendError::Wallet(e.to_string()))?;
        // The wallet knows the transaction before it is committed (and persisted with it), so
        // no later send can pick its coins, whatever happens to this request from here on. (A
        // commit that fails leaves the coins looking spent until the next start: conservative.)
        state
            .wallet
            .apply_unconfirmed_txs([(transaction.clone(), u64::try_from(now).unwrap_or(0))]);
        self.persist(&mut state, &mut tx).await?;
        tx.commit().await?;
        let _ = state.wallet.take_staged();
        drop(state);
        tracing::info!(%txid, fee = fee.0, "treasury send committed");
        let broadcast = match self.rpc.broadcast(&transaction).await {
            Ok(_) => {
                store::mark_broadcast(&self.store, key, now).await?;
                true
            }
            Err(e) => {
                tracing::warn!(%txid, error = %e, "treasury broadcast failed; it is retried at every sync");
                false
            }
        };
        Ok(Sent {
            txid,
            fee,
            broadcast,
            first_output,
        })
    }

    /// Refuses outputs the network would refuse: none, more than there will ever be, dust, or
    /// an address of another network.
    fn check_outputs(&self, outputs: &[(Address, Sat)]) -> Result<(), SendError> {
        if outputs.is_empty() {
            return Err(SendError::InvalidOutputs("no outputs".into()));
        }
        if let Some(huge) = outputs.iter().find(|(_, amount)| amount.0 > MAX_MONEY_SAT) {
            return Err(SendError::InvalidOutputs(format!(
                "{} is more than there will ever be",
                huge.1
            )));
        }
        if let Some(bad) = outputs.iter().find(|(_, amount)| amount.0 < MIN_OUTPUT_SAT) {
            return Err(SendError::InvalidOutputs(format!(
                "{} to {} is below the dust limit ({MIN_OUTPUT_SAT} sat)",
                bad.1, bad.0
            )));
        }
        if let Some(bad) = outputs
            .iter()
            .find(|(address, _)| !address.as_unchecked().is_valid_for_network(self.network))
        {
            return Err(SendError::InvalidOutputs(format!(
                "{} is not a {} address",
                bad.0, self.network
            )));
        }
        Ok(())
    }
}

/// Builds and signs the transaction paying `outputs` (not empty) at `fee_rate`. When the first
/// output pays the fee: first with room for a typical fee, to learn the coins and their fee;
/// then the same coins (more only if needed) with exactly that fee taken out of the first
/// output.
fn sign_send(
    wallet: &mut Wallet,
    outputs: &[(Address, Sat)],
    fee_from: FeeFrom,
    fee_rate: FeeRate,
) -> Result<Signed, SendError> {
    let mut outputs = outputs.to_vec();
    let mut psbt = match fee_from {
        FeeFrom::FirstOutput => {
            let room = fee_rate
                .to_sat_per_vb_ceil()
                .saturating_mul(TYPICAL_SEND_VBYTES);
            let mut trial = outputs.clone();
            trial[0].1 = Sat(trial[0].1 .0.saturating_sub(room));
            if trial[0].1 .0 < MIN_OUTPUT_SAT {
                return Err(SendError::InvalidOutputs(format!(
                    "{} is not enough to pay its own network fee",
                    outputs[0].1
                )));
            }
            let first = build(wallet, &trial, fee_rate, None)?;
            let fee = first.fee().map_err(|e| SendError::Wallet(e.to_string()))?;
            let inputs: Vec<_> = first
                .unsigned_tx
                .input
                .iter()
                .map(|i| i.previous_output)
                .collect();
            let net = outputs[0].1 .0.saturating_sub(fee.to_sat());
            if net < MIN_OUTPUT_SAT {
                return Err(SendError::InvalidOutputs(format!(
                    "{} is not enough to pay its own network fee ({fee})",
                    outputs[0].1
                )));
            }
            outputs[0].1 = Sat(net);
            build(wallet, &outputs, fee_rate, Some(&inputs))?
        }
        FeeFrom::Treasury => build(wallet, &outputs, fee_rate, None)?,
    };
    let signed = wallet
        .sign(&mut psbt, SignOptions::default())
        .map_err(|e| SendError::Wallet(e.to_string()))?;
    if !signed {
        return Err(SendError::Wallet("the treasury could not sign".into()));
    }
    let fee = Sat(psbt
        .fee()
        .map_err(|e| SendError::Wallet(e.to_string()))?
        .to_sat());
    let transaction = psbt
        .extract_tx()
        .map_err(|e| SendError::Wallet(e.to_string()))?;
    Ok(Signed {
        transaction,
        fee,
        outputs,
    })
}

/// Builds (unsigned) a transaction paying `outputs` at `fee_rate`, spending `inputs` (and more
/// coins only if they do not suffice) when given.
fn build(
    wallet: &mut Wallet,
    outputs: &[(Address, Sat)],
    fee_rate: FeeRate,
    inputs: Option<&[bitcoin::OutPoint]>,
) -> Result<bitcoin::Psbt, SendError> {
    let mut builder = wallet.build_tx();
    for (address, amount) in outputs {
        builder.add_recipient(address.script_pubkey(), bitcoin::Amount::from_sat(amount.0));
    }
    builder.fee_rate(fee_rate);
    if let Some(inputs) = inputs {
        builder
            .add_utxos(inputs)
            .map_err(|e| SendError::Wallet(e.to_string()))?;
    }
    builder.finish().map_err(|e| match e {
        bdk_wallet::error::CreateTxError::CoinSelection(e) => {
            SendError::InsufficientFunds(e.to_string())
        }
        other => SendError::Wallet(other.to_string()),
    })
}

/// The posting of a send: `assets:treasury` credited with what left it (outputs and fee);
/// `debit_account` debited with the outputs or, when the first output paid the fee, exactly
/// what was asked (`requested` for the first output: the fee of the final build may differ a
/// little from the first's, and that difference is the treasury's); the rest, a fee the
/// treasury paid, to on-chain fees.
fn send_entries(
    paid_outputs: &[(Address, Sat)],
    requested: Sat,
    fee: Sat,
    fee_from: FeeFrom,
    debit_account: &str,
) -> Result<[Entry; 3], SendError> {
    let overflow = || SendError::Wallet("the send's amounts overflow".into());
    let paid = paid_outputs
        .iter()
        .try_fold(0u64, |sum, (_, amount)| sum.checked_add(amount.0))
        .ok_or_else(overflow)?;
    let spent = ledger_msat(paid.checked_add(fee.0).ok_or_else(overflow)?)?;
    let charged = match fee_from {
        FeeFrom::Treasury => ledger_msat(paid)?,
        FeeFrom::FirstOutput => {
            let first = paid_outputs.first().map_or(0, |(_, amount)| amount.0);
            let asked = paid
                .checked_add(requested.0)
                .and_then(|sum| sum.checked_sub(first))
                .ok_or_else(overflow)?;
            ledger_msat(asked)?
        }
    };
    Ok([
        Entry::credit(ledger::ASSETS_TREASURY, spent),
        Entry::debit(debit_account, charged),
        Entry::debit(
            ledger::EXPENSES_ONCHAIN_FEES,
            spent.checked_sub(charged).ok_or_else(overflow)?,
        ),
    ])
}
