//! What the treasury holds and received: each address's receipts with their confirmations,
//! their booking in the ledger once deep enough, a send's confirmations, and the balance.

use bdk_wallet::chain::{ChainPosition, ConfirmationBlockTime};
use bdk_wallet::KeychainKind;
use bitcoin::{Address, Txid};

use super::{ledger_msat, store, Receipt, SendError, Sent, Treasury, TreasuryBalance, WalletState};
use crate::ledger::{self, Entry};
use crate::money::Sat;

/// Confirmations of a wallet transaction at `tip`: 0 while unconfirmed.
fn confirmations(tip: u32, position: &ChainPosition<ConfirmationBlockTime>) -> u32 {
    match position {
        ChainPosition::Confirmed { anchor, .. } => tip.saturating_sub(anchor.block_id.height) + 1,
        ChainPosition::Unconfirmed { .. } => 0,
    }
}

impl Treasury {
    /// Books every receipt at one of our addresses once it has `booking_depth` confirmations:
    /// `assets:treasury` debited, the address's receipt account credited.
    pub(super) async fn book_receipts(&self, state: &mut WalletState) -> Result<(), SendError> {
        let tip = state.wallet.latest_checkpoint().height();
        let fresh: Vec<_> = state
            .wallet
            .list_output()
            .filter(|o| o.keychain == KeychainKind::External)
            .filter(|o| confirmations(tip, &o.chain_position) >= self.booking_depth)
            .filter(|o| !state.booked.contains(&o.outpoint))
            .collect();
        for output in fresh {
            let account = store::receipt_account(&self.store, output.derivation_index)
                .await?
                .unwrap_or_else(|| ledger::EQUITY_TREASURY_DEPOSITS.to_string());
            let msat = ledger_msat(output.txout.value.to_sat())?;
            let entries = [
                Entry::debit(ledger::ASSETS_TREASURY, msat),
                Entry::credit(account, msat),
            ];
            let reference = format!("treasury-receipt:{}", output.outpoint);
            let mut tx = self.store.pool().begin().await?;
            ledger::post(
                &mut tx,
                self.clock.now_unix(),
                "treasury-receipt",
                &reference,
                &entries,
            )
            .await
            .map_err(|e| SendError::Wallet(e.to_string()))?;
            tx.commit().await?;
            state.booked.insert(output.outpoint);
        }
        Ok(())
    }

    /// The send made under `key`, if any, and its confirmations (as of the last sync).
    pub async fn sent(&self, key: &str) -> Result<Option<(Sent, u32)>, SendError> {
        let Some(sent) = store::send(self.store.pool(), key).await? else {
            return Ok(None);
        };
        let state = self.state.lock().await;
        let tip = state.wallet.latest_checkpoint().height();
        let confirmations = state
            .wallet
            .get_tx(sent.txid)
            .map_or(0, |tx| confirmations(tip, &tx.chain_position));
        Ok(Some((sent, confirmations)))
    }

    /// What `address` received, each output with its confirmations (as of the last sync) and
    /// its transaction's fee where it can be known.
    pub async fn received(&self, address: &Address) -> Vec<Receipt> {
        let mut receipts: Vec<Receipt> = {
            let state = self.state.lock().await;
            let tip = state.wallet.latest_checkpoint().height();
            let script = address.script_pubkey();
            state
                .wallet
                .list_output()
                .filter(|output| output.txout.script_pubkey == script)
                .map(|output| Receipt {
                    txid: output.outpoint.txid,
                    vout: output.outpoint.vout,
                    amount: Sat(output.txout.value.to_sat()),
                    confirmations: confirmations(tip, &output.chain_position),
                    height: match output.chain_position {
                        ChainPosition::Confirmed { anchor, .. } => Some(anchor.block_id.height),
                        ChainPosition::Unconfirmed { .. } => None,
                    },
                    fee: wallet_fee(&state, output.outpoint.txid),
                })
                .collect()
        };
        for receipt in receipts.iter_mut().filter(|r| r.fee.is_none()) {
            receipt.fee = self.learn_fee(receipt.txid).await;
        }
        receipts
    }

    /// The fee of wallet transaction `txid`, from the outputs it spends as the chain source
    /// gives them; they are kept in the wallet, so it is asked once per transaction.
    async fn learn_fee(&self, txid: Txid) -> Option<Sat> {
        let tx = {
            let state = self.state.lock().await;
            if state.fee_unknown.contains(&txid) {
                return None;
            }
            state.wallet.get_tx(txid)?.tx_node.tx.clone()
        };
        let mut spent = Vec::with_capacity(tx.input.len());
        for input in &tx.input {
            let outpoint = input.previous_output;
            let previous = match self.rpc.transaction(&outpoint.txid).await {
                Ok(Some(previous)) => previous,
                // Not served (a bitcoind without -txindex): not asked again until a restart.
                Ok(None) => {
                    self.state.lock().await.fee_unknown.insert(txid);
                    return None;
                }
                Err(e) => {
                    tracing::debug!(%txid, error = %e, "a spent output is unknown to the chain source");
                    return None;
                }
            };
            let index = usize::try_from(outpoint.vout).ok()?;
            spent.push((outpoint, previous.output.get(index)?.clone()));
        }
        let mut state = self.state.lock().await;
        for (outpoint, txout) in spent {
            state.wallet.insert_txout(outpoint, txout);
        }
        wallet_fee(&state, txid)
    }

    /// The balance (as of the last sync).
    pub async fn balance(&self) -> TreasuryBalance {
        let state = self.state.lock().await;
        let balance = state.wallet.balance();
        TreasuryBalance {
            confirmed: Sat(balance.confirmed.to_sat()),
            pending: Sat((balance.trusted_pending + balance.untrusted_pending).to_sat()),
            own_pending: Sat(balance.trusted_pending.to_sat()),
        }
    }
}

/// The fee of wallet transaction `txid`, if the wallet knows every output it spends.
fn wallet_fee(state: &WalletState, txid: Txid) -> Option<Sat> {
    let tx = state.wallet.get_tx(txid)?.tx_node.tx.clone();
    state
        .wallet
        .calculate_fee(&tx)
        .ok()
        .map(|fee| Sat(fee.to_sat()))
}
