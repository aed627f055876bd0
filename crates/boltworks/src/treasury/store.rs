//! The treasury's tables: its wallet state, the addresses it handed out and the sends it made.

use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyConnection, Executor};

use super::Sent;
use crate::money::Sat;
use crate::store::{is_unique_violation, Store};

/// The stored wallet.
pub struct StoredWallet {
    /// The fingerprint of the seed it was made with.
    pub fingerprint: String,
    /// Its changesets (JSON), oldest first.
    pub changesets: Vec<String>,
}

/// The stored wallet, if there is one.
pub async fn load(store: &Store) -> Result<Option<StoredWallet>, sqlx::Error> {
    let fingerprint: Option<String> =
        sqlx::query_scalar("SELECT fingerprint FROM treasury_wallet WHERE id = 1")
            .fetch_optional(store.pool())
            .await?;
    let Some(fingerprint) = fingerprint else {
        return Ok(None);
    };
    let changesets = sqlx::query_scalar("SELECT changeset FROM treasury_changesets ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    Ok(Some(StoredWallet {
        fingerprint,
        changesets,
    }))
}

/// Stores a new wallet with its first changeset.
pub async fn create(
    store: &Store,
    fingerprint: &str,
    changeset: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("INSERT INTO treasury_wallet (id, fingerprint, updated_at) VALUES (1, $1, $2)")
        .bind(fingerprint)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    append(&mut tx, changeset, now).await?;
    tx.commit().await
}

/// Appends a changeset (what changed since the last one).
pub async fn append(
    conn: &mut AnyConnection,
    changeset: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO treasury_changesets (changeset, created_at) VALUES ($1, $2)")
        .bind(changeset)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the next address index for `purpose`. Two processes racing for one index: the loser
/// takes the next.
pub async fn claim_address_index(
    store: &Store,
    purpose: &str,
    receipt_account: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut last = None;
    for _ in 0..5 {
        // In a transaction: on SQLite, sqlx answers an autocommit `INSERT ... RETURNING` before
        // the row commits, so the next statement (on another connection) might not see it.
        let mut tx = store.pool().begin().await?;
        let claimed = sqlx::query_scalar(
            "INSERT INTO treasury_addresses (derivation_index, purpose, receipt_account, created_at)
             SELECT COALESCE(MAX(derivation_index), -1) + 1, $1, $3, $2 FROM treasury_addresses
             RETURNING derivation_index",
        )
        .bind(purpose)
        .bind(now)
        .bind(receipt_account)
        .fetch_one(&mut *tx)
        .await;
        let claimed = match claimed {
            Ok(index) => tx.commit().await.map(|()| index),
            Err(e) => Err(e),
        };
        match claimed {
            Ok(index) => return Ok(index),
            Err(e) if is_unique_violation(&e) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| sqlx::Error::Protocol("no address index could be claimed".into())))
}

/// Records the address of a claimed index.
pub async fn record_address(store: &Store, index: u32, address: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE treasury_addresses SET address = $1 WHERE derivation_index = $2")
        .bind(address)
        .bind(i64::from(index))
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Serializes sends: takes the wallet row's write lock for the rest of the transaction (a row
/// lock on PostgreSQL, the database's write lock on SQLite).
pub async fn lock_sends(conn: &mut AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE treasury_wallet SET updated_at = $1 WHERE id = 1")
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// A row of `treasury_sends`, as a send's caller sees it.
#[derive(sqlx::FromRow)]
struct SendRow {
    txid: String,
    fee_sat: Sat,
    broadcast_at: Option<i64>,
    /// `[{address, amount_sat}]`.
    outputs: String,
}

/// One output of a stored send (the `outputs` column is a JSON array of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentOutput {
    /// Where it pays.
    pub address: String,
    /// What it pays.
    pub amount_sat: u64,
}

impl TryFrom<SendRow> for Sent {
    type Error = sqlx::Error;

    fn try_from(row: SendRow) -> Result<Self, Self::Error> {
        let first_output = serde_json::from_str::<Vec<SentOutput>>(&row.outputs)
            .ok()
            .and_then(|outputs| outputs.first().map(|o| o.amount_sat))
            .unwrap_or(0);
        Ok(Sent {
            txid: row
                .txid
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            fee: row.fee_sat,
            broadcast: row.broadcast_at.is_some(),
            first_output: Sat(first_output),
        })
    }
}

/// The send made under `key`, if any.
pub async fn send<'c, E: Executor<'c, Database = Any>>(
    executor: E,
    key: &str,
) -> Result<Option<Sent>, sqlx::Error> {
    sqlx::query_as::<_, SendRow>(
        "SELECT txid, fee_sat, broadcast_at, outputs FROM treasury_sends WHERE send_key = $1",
    )
    .bind(key)
    .fetch_optional(executor)
    .await?
    .map(Sent::try_from)
    .transpose()
}

/// A send to record.
pub struct NewSend<'a> {
    /// The caller's idempotency key.
    pub key: &'a str,
    /// The transaction id.
    pub txid: &'a str,
    /// The signed transaction, hex.
    pub raw_tx: &'a str,
    /// Its fee.
    pub fee: Sat,
    /// What it pays.
    pub outputs: &'a [SentOutput],
    /// Now.
    pub now: i64,
}

/// Records a signed send (before it is broadcast).
pub async fn insert_send(conn: &mut AnyConnection, send: &NewSend<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO treasury_sends (send_key, txid, raw_tx, fee_sat, outputs, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(send.key)
    .bind(send.txid)
    .bind(send.raw_tx)
    .bind(send.fee)
    .bind(serde_json::to_string(send.outputs).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
    .bind(send.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a send as taken by the chain source.
pub async fn mark_broadcast(store: &Store, key: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE treasury_sends SET broadcast_at = $1 WHERE send_key = $2 AND broadcast_at IS NULL",
    )
    .bind(now)
    .bind(key)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A send not yet taken by the chain source.
#[derive(sqlx::FromRow)]
pub struct Unbroadcast {
    /// The caller's idempotency key.
    pub send_key: String,
    /// The signed transaction, hex.
    pub raw_tx: String,
}

/// Sends not yet taken by the chain source.
pub async fn unbroadcast(store: &Store) -> Result<Vec<Unbroadcast>, sqlx::Error> {
    sqlx::query_as("SELECT send_key, raw_tx FROM treasury_sends WHERE broadcast_at IS NULL")
        .fetch_all(store.pool())
        .await
}

/// The ledger account receipts at address `index` are credited to.
pub async fn receipt_account(store: &Store, index: u32) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT receipt_account FROM treasury_addresses WHERE derivation_index = $1")
        .bind(i64::from(index))
        .fetch_optional(store.pool())
        .await
}
