//! The wallet and its persistence: the seed in the data directory, the BIP84 descriptors, the
//! wallet's changesets in the database (loaded and merged on open, appended after every change),
//! and new addresses whose index the database hands out.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use bdk_wallet::chain::{BlockId, Merge};
use bdk_wallet::{ChangeSet, KeychainKind, Wallet};
use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::Secp256k1;
use bitcoin::{Address, Network};
use rand::RngCore;
use tokio::sync::{Mutex, Notify};

use super::{store, ChainRpc, Treasury, WalletState};
use crate::clock::Clock;
use crate::store::Store;

/// The seed file in the data directory.
const SEED_FILE: &str = "treasury.seed";

fn read_or_make_seed(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join(SEED_FILE);
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

/// The wallet's keys: the seed's fingerprint and the external and internal descriptors.
struct Keys {
    fingerprint: String,
    external: String,
    internal: String,
}

impl Keys {
    fn from_seed(seed: &[u8; 32], network: Network) -> anyhow::Result<Self> {
        let master = Xpriv::new_master(network, seed)?;
        let fingerprint = master.fingerprint(&Secp256k1::new()).to_string();
        let coin = u32::from(network != Network::Bitcoin);
        Ok(Self {
            fingerprint,
            external: format!("wpkh({master}/84'/{coin}'/0'/0/*)"),
            internal: format!("wpkh({master}/84'/{coin}'/0'/1/*)"),
        })
    }
}

impl Treasury {
    /// Opens the treasury whose seed is in `data_dir` (made on first start) and whose state is in
    /// the database; receipts are booked at `booking_depth` confirmations. Refuses a seed that is
    /// not the one the database's wallet was made with.
    pub async fn open(
        data_dir: &Path,
        store: Store,
        clock: Clock,
        network: Network,
        rpc: ChainRpc,
        booking_depth: u32,
    ) -> anyhow::Result<Self> {
        let seed = read_or_make_seed(data_dir)?;
        let keys = Keys::from_seed(&seed, network)?;
        let wallet = match store::load(&store).await? {
            Some(stored) => {
                anyhow::ensure!(
                    stored.fingerprint == keys.fingerprint,
                    "the database's treasury was made with another seed ({}), \
                     not {}'s ({}): one treasury per database; run further processes \
                     sharing it with --treasury false",
                    stored.fingerprint,
                    data_dir.join(SEED_FILE).display(),
                    keys.fingerprint
                );
                load_wallet(keys, network, &stored.changesets)?
            }
            None => create_wallet(keys, network, &rpc, &store, &clock).await?,
        };
        Ok(Self {
            booking_depth: booking_depth.max(1),
            synced: Notify::new(),
            state: Mutex::new(WalletState {
                wallet,
                seen_mempool: HashSet::new(),
                booked: HashSet::new(),
                fee_unknown: HashSet::new(),
            }),
            rpc,
            store,
            clock,
            network,
        })
    }

    /// Appends what changed in the wallet to the database (inside `conn`'s transaction; the
    /// caller takes the staged change once that commits).
    pub(super) async fn persist(
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

    /// Persists what changed in the wallet in a transaction of its own.
    pub(super) async fn persist_now(&self, state: &mut WalletState) -> Result<(), sqlx::Error> {
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
    #[tracing::instrument(skip_all, fields(%purpose))]
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
}

/// The wallet from its stored changesets, merged in order.
fn load_wallet(keys: Keys, network: Network, changesets: &[String]) -> anyhow::Result<Wallet> {
    let mut changeset = ChangeSet::default();
    for stored in changesets {
        let part: ChangeSet = serde_json::from_str(stored).context("the stored treasury state")?;
        changeset.merge(part);
    }
    Wallet::load()
        .descriptor(KeychainKind::External, Some(keys.external))
        .descriptor(KeychainKind::Internal, Some(keys.internal))
        .extract_keys()
        .check_network(network)
        .load_wallet_no_persist(changeset)?
        .context("the stored treasury state is empty")
}

/// A new wallet, stored with its first changeset. Off regtest it starts at the chain's tip: a
/// new wallet has nothing in older blocks.
async fn create_wallet(
    keys: Keys,
    network: Network,
    rpc: &ChainRpc,
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<Wallet> {
    let mut wallet = Wallet::create(keys.external, keys.internal)
        .network(network)
        .create_wallet_no_persist()?;
    if network != Network::Regtest {
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
        store,
        &keys.fingerprint,
        &serde_json::to_string(&changeset)?,
        clock.now_unix(),
    )
    .await?;
    Ok(wallet)
}
