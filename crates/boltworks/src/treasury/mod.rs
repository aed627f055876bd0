//! The hub's on-chain treasury: a BDK wallet (BIP84, keys from a seed in the data dir) synced
//! block by block from the same bitcoind JSON-RPC source as the node (the devchain on regtest).
//! It gives each purpose its own address, reports what each address received with its
//! confirmations, and sends to many outputs in one transaction.
//!
//! Nothing lost, nothing sent twice: the wallet's state is persisted in the database after every
//! change; a send is keyed by its caller's idempotency key, and its signed transaction is
//! committed *before* it is broadcast, so a send interrupted by a crash is rebroadcast as the
//! same transaction, never built again. Sends are serialized (in process by a lock, across hub
//! processes on PostgreSQL by an advisory lock) and the wallet syncs the mempool first, so two
//! sends never pick the same coin.
//!
//! In the ledger, `assets:treasury` is debited with each confirmed receipt (against the account
//! its address was given out for) and credited with each send (against the caller's account),
//! in the transaction that commits the send.

mod chain_rpc;
mod store;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bdk_wallet::chain::{BlockId, ChainPosition, Merge};
use bdk_wallet::{ChangeSet, KeychainKind, SignOptions, Wallet};
use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{Address, FeeRate, Network, Txid};
use rand::RngCore;
use tokio::sync::{watch, Mutex, Notify};
use tokio::task::JoinHandle;

pub use self::chain_rpc::{ChainRpc, RpcFailure};
use crate::clock::Clock;
use crate::ledger::{self, Entry};
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

struct WalletState {
    wallet: Wallet,
    /// Mempool transactions already looked at.
    seen_mempool: HashSet<Txid>,
    /// Confirmed receipts already booked in the ledger.
    booked: HashSet<bitcoin::OutPoint>,
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

/// The size of a one-input, two-output P2WPKH transaction, rounded up: the room a send whose
/// first output pays the fee leaves for it on the first try.
const TYPICAL_SEND_VBYTES: u64 = 150;

/// All the bitcoin there will ever be, in sats.
const MAX_MONEY_SAT: u64 = 2_100_000_000_000_000;

/// The smallest output the treasury sends (P2WPKH dust is 294; P2TR 330).
pub const MIN_OUTPUT_SAT: u64 = 330;

fn read_or_make_seed(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join("treasury.seed");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes = hex::decode(text.trim()).context("treasury.seed is not hex")?;
        return <[u8; 32]>::try_from(bytes)
            .map_err(|_| anyhow::anyhow!("treasury.seed must hold 32 bytes"));
    }
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    crate::auth::write_secret_file(&path, &hex::encode(seed))?;
    Ok(seed)
}

impl Treasury {
    /// Opens the treasury whose seed is in `data_dir` (made on first start) and whose state is in
    /// the database; receipts are booked at `booking_depth` confirmations. Refuses a seed that is not the one the database's wallet was made with.
    pub async fn open(
        data_dir: &Path,
        store: Store,
        clock: Clock,
        network: Network,
        rpc: ChainRpc,
        booking_depth: u32,
    ) -> anyhow::Result<Self> {
        let seed = read_or_make_seed(data_dir)?;
        let master = Xpriv::new_master(network, &seed)?;
        let fingerprint = master.fingerprint(&Secp256k1::new()).to_string();
        let coin = u32::from(network != Network::Bitcoin);
        let external = format!("wpkh({master}/84'/{coin}'/0'/0/*)");
        let internal = format!("wpkh({master}/84'/{coin}'/0'/1/*)");
        let wallet = match store::load(&store).await? {
            Some((stored_fingerprint, changesets)) => {
                anyhow::ensure!(
                    stored_fingerprint == fingerprint,
                    "the database's treasury was made with another seed ({stored_fingerprint}), \
                     not {}'s ({fingerprint}): one treasury per database; run further processes \
                     sharing it with --treasury false",
                    data_dir.join("treasury.seed").display()
                );
                let mut changeset = ChangeSet::default();
                for stored in &changesets {
                    let part: ChangeSet =
                        serde_json::from_str(stored).context("the stored treasury state")?;
                    changeset.merge(part);
                }
                Wallet::load()
                    .descriptor(KeychainKind::External, Some(external))
                    .descriptor(KeychainKind::Internal, Some(internal))
                    .extract_keys()
                    .check_network(network)
                    .load_wallet_no_persist(changeset)?
                    .context("the stored treasury state is empty")?
            }
            None => {
                let mut wallet = Wallet::create(external, internal)
                    .network(network)
                    .create_wallet_no_persist()?;
                if network != Network::Regtest {
                    // Start at the tip: a new wallet has nothing in older blocks.
                    let tip = rpc.block_count().await?;
                    let hash = rpc.block_hash(tip).await?;
                    let birthday = wallet
                        .latest_checkpoint()
                        .insert(BlockId { height: tip, hash });
                    wallet.apply_update(bdk_wallet::Update {
                        chain: Some(birthday),
                        ..Default::default()
                    })?;
                }
                let changeset = wallet.take_staged().unwrap_or_default();
                store::create(
                    &store,
                    &fingerprint,
                    &serde_json::to_string(&changeset)?,
                    clock.now_unix(),
                )
                .await?;
                wallet
            }
        };
        Ok(Self {
            booking_depth: booking_depth.max(1),
            synced: Notify::new(),
            state: Mutex::new(WalletState {
                wallet,
                seen_mempool: HashSet::new(),
                booked: HashSet::new(),
            }),
            rpc,
            store,
            clock,
            network,
        })
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// Appends what changed in the wallet to the database (inside `conn`'s transaction; the
    /// caller takes the staged change once that commits).
    async fn persist(
        &self,
        state: &mut WalletState,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<(), sqlx::Error> {
        let Some(staged) = state.wallet.staged() else {
            return Ok(());
        };
        let text = serde_json::to_string(staged).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        store::append(conn, &text, self.clock.now_unix()).await
    }

    async fn persist_now(&self, state: &mut WalletState) -> Result<(), sqlx::Error> {
        if state.wallet.staged().is_none() {
            return Ok(());
        }
        let mut tx = self.store.pool().begin().await?;
        self.persist(state, &mut tx).await?;
        tx.commit().await?;
        let _ = state.wallet.take_staged();
        Ok(())
    }

    /// A new address for `purpose` (e.g. `lsp:<order id>`), never given out before, whose
    /// confirmed receipts are credited to ledger account `receipt_account` (against
    /// `assets:treasury`). The database picks the index, so hub processes sharing it never hand
    /// out one address twice.
    pub async fn new_address(
        &self,
        purpose: &str,
        receipt_account: &str,
    ) -> anyhow::Result<Address> {
        let mut state = self.state.lock().await;
        let now = self.clock.now_unix();
        let index = store::claim_address_index(&self.store, purpose, receipt_account, now).await?;
        let index = u32::try_from(index).context("address index")?;
        let _ = state
            .wallet
            .reveal_addresses_to(KeychainKind::External, index)
            .count();
        let address = state
            .wallet
            .peek_address(KeychainKind::External, index)
            .address;
        store::record_address(&self.store, index, &address.to_string()).await?;
        self.persist_now(&mut state).await?;
        Ok(address)
    }

    /// Catches up with the chain source: new blocks (following reorgs) and the mempool. Then
    /// rebroadcasts committed sends the chain source does not have yet.
    pub async fn sync(&self) -> Result<(), SendError> {
        let mut state = self.state.lock().await;
        self.sync_locked(&mut state).await?;
        self.persist_now(&mut state).await?;
        self.book_receipts(&mut state).await?;
        // Under the lock: no send builds from coins a committed send spends meanwhile.
        self.rebroadcast().await
    }

    /// Books every receipt at one of our addresses once it has `booking_depth` confirmations: `assets:treasury` debited,
    /// the address's receipt account credited.
    async fn book_receipts(&self, state: &mut WalletState) -> Result<(), SendError> {
        let tip = state.wallet.latest_checkpoint().height();
        let deep = |position: &ChainPosition<_>| match position {
            ChainPosition::Confirmed { anchor, .. } => {
                let anchor: &bdk_wallet::chain::ConfirmationBlockTime = anchor;
                tip.saturating_sub(anchor.block_id.height) + 1 >= self.booking_depth
            }
            ChainPosition::Unconfirmed { .. } => false,
        };
        let fresh: Vec<_> = state
            .wallet
            .list_output()
            .filter(|o| o.keychain == KeychainKind::External)
            .filter(|o| deep(&o.chain_position))
            .filter(|o| !state.booked.contains(&o.outpoint))
            .collect();
        for output in fresh {
            let account = store::receipt_account(&self.store, output.derivation_index)
                .await?
                .unwrap_or_else(|| ledger::EQUITY_TREASURY_DEPOSITS.to_string());
            let msat = i64::try_from(output.txout.value.to_sat())
                .unwrap_or(i64::MAX / 1_000)
                .saturating_mul(1_000);
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

    async fn sync_locked(&self, state: &mut WalletState) -> Result<(), SendError> {
        let tip = self.rpc.block_count().await?;
        // Walk back from our tip to the last block still on the best chain.
        let mut agreed = state.wallet.latest_checkpoint();
        loop {
            if agreed.height() <= tip
                && self.rpc.block_hash(agreed.height()).await? == agreed.hash()
            {
                break;
            }
            match agreed.prev() {
                Some(prev) => agreed = prev,
                None => {
                    return Err(SendError::Wallet(
                        "the chain source has another genesis block".into(),
                    ))
                }
            }
        }
        let mut connected = agreed.block_id();
        for height in connected.height + 1..=tip {
            let hash = self.rpc.block_hash(height).await?;
            let block = self.rpc.block(&hash).await?;
            state
                .wallet
                .apply_block_connected_to(&block, height, connected)
                .map_err(|e| SendError::Wallet(format!("block {height}: {e}")))?;
            connected = BlockId { height, hash };
        }
        let mut unconfirmed = Vec::new();
        let mempool = self.rpc.mempool().await?;
        let now = u64::try_from(self.clock.now_unix()).unwrap_or(0);
        for txid in &mempool {
            if state.seen_mempool.contains(txid) {
                continue;
            }
            if let Some(tx) = self.rpc.transaction(txid).await? {
                unconfirmed.push((tx, now));
            }
        }
        state.seen_mempool = mempool.into_iter().collect();
        state.wallet.apply_unconfirmed_txs(unconfirmed);
        Ok(())
    }

    async fn rebroadcast(&self) -> Result<(), SendError> {
        for (id, raw) in store::unbroadcast(&self.store).await? {
            let tx: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(&raw)
                .map_err(|e| SendError::Wallet(format!("stored send {id}: {e}")))?;
            match self.rpc.broadcast(&tx).await {
                Ok(_) => store::mark_broadcast(&self.store, &id, self.clock.now_unix()).await?,
                Err(e) => tracing::warn!(send = %id, error = %e, "treasury rebroadcast refused"),
            }
        }
        Ok(())
    }

    /// Syncs every `every` (and logs what fails) until shutdown.
    pub fn spawn_sync(
        self: Arc<Self>,
        every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.sync().await {
                    Ok(()) => self.synced.notify_waiters(),
                    Err(e) => tracing::warn!(error = %e, "treasury sync failed; retrying"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = shutdown.wait_for(|stop| *stop) => break,
                }
            }
        })
    }

    /// Waits for the next completed background sync (at most `timeout`).
    pub async fn next_sync(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.synced.notified()).await;
    }

    /// The send made under `key`, if any, and its confirmations (as of the last sync).
    pub async fn sent(&self, key: &str) -> Result<Option<(Sent, u32)>, SendError> {
        let Some(sent) = store::send(self.store.pool(), key).await? else {
            return Ok(None);
        };
        let state = self.state.lock().await;
        let tip = state.wallet.latest_checkpoint().height();
        let confirmations = match state.wallet.get_tx(sent.txid).map(|tx| tx.chain_position) {
            Some(ChainPosition::Confirmed { anchor, .. }) => {
                tip.saturating_sub(anchor.block_id.height) + 1
            }
            _ => 0,
        };
        Ok(Some((sent, confirmations)))
    }

    /// What `address` received, each output with its confirmations (as of the last sync).
    pub async fn received(&self, address: &Address) -> Vec<Receipt> {
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
                confirmations: match output.chain_position {
                    ChainPosition::Confirmed { anchor, .. } => {
                        tip.saturating_sub(anchor.block_id.height) + 1
                    }
                    ChainPosition::Unconfirmed { .. } => 0,
                },
                height: match output.chain_position {
                    ChainPosition::Confirmed { anchor, .. } => Some(anchor.block_id.height),
                    ChainPosition::Unconfirmed { .. } => None,
                },
            })
            .collect()
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

    /// Pays `outputs` in one transaction, at most once per `key`: a key seen before returns its
    /// transaction (rebroadcast if needed) and sends nothing new. The signed transaction is
    /// committed before it is broadcast.
    pub async fn send(
        &self,
        key: &str,
        outputs: &[(Address, Sat)],
        fee_from: FeeFrom,
        debit_account: &str,
    ) -> Result<Sent, SendError> {
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
        let mut outputs = outputs.to_vec();
        let requested = outputs[0].1 .0;
        let mut psbt = if fee_from == FeeFrom::FirstOutput {
            // First with room for a typical fee, to learn the coins and their fee; then the same
            // coins (more only if needed) with exactly that fee taken out of the first output.
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
            let first = build(&mut state.wallet, &trial, fee_rate, None)?;
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
            build(&mut state.wallet, &outputs, fee_rate, Some(&inputs))?
        } else {
            build(&mut state.wallet, &outputs, fee_rate, None)?
        };
        let signed = state
            .wallet
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
        let txid = transaction.compute_txid();
        let now = self.clock.now_unix();
        let raw = bitcoin::consensus::encode::serialize_hex(&transaction);
        let listed: Vec<_> = outputs
            .iter()
            .map(|(a, s)| serde_json::json!({"address": a.to_string(), "amount_sat": s.0}))
            .collect();
        let first_output = outputs[0].1;
        let record = store::NewSend {
            key,
            txid: &txid.to_string(),
            raw_tx: &raw,
            fee,
            outputs: &serde_json::Value::from(listed),
            now,
        };
        store::insert_send(&mut tx, &record).await?;
        // Booked with the send: the outputs (and the fee, when they paid it) to `debit_account`,
        // a fee the treasury paid to on-chain fees.
        let to_msat = |sat: u64| {
            i64::try_from(sat)
                .unwrap_or(i64::MAX / 1_000)
                .saturating_mul(1_000)
        };
        let paid: u64 = outputs.iter().map(|(_, amount)| amount.0).sum();
        let spent = to_msat(paid.saturating_add(fee.0));
        // What the caller's account is charged: the outputs; or, when the first output paid the
        // fee, exactly what was asked (the fee of the final build may differ a little from the
        // first's: that difference is the treasury's).
        let charged = match fee_from {
            FeeFrom::Treasury => to_msat(paid),
            FeeFrom::FirstOutput => to_msat(
                requested
                    .saturating_add(paid)
                    .saturating_sub(first_output.0),
            ),
        };
        let entries = [
            Entry::credit(ledger::ASSETS_TREASURY, spent),
            Entry::debit(debit_account, charged),
            Entry::debit(ledger::EXPENSES_ONCHAIN_FEES, spent.saturating_sub(charged)),
        ];
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
        tracing::info!(send = %key, %txid, outputs = outputs.len(), fee = fee.0, "treasury send committed");
        let broadcast = match self.rpc.broadcast(&transaction).await {
            Ok(_) => {
                store::mark_broadcast(&self.store, key, now).await?;
                true
            }
            Err(e) => {
                tracing::warn!(send = %key, %txid, error = %e, "treasury broadcast failed; it is retried at every sync");
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

/// Parses an address of the treasury's network.
pub fn parse_address(text: &str, treasury: &Treasury) -> Option<Address> {
    use std::str::FromStr;
    Address::from_str(text)
        .ok()?
        .require_network(treasury.network())
        .ok()
}
