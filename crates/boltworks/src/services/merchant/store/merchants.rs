//! Merchants: their PSS registration, their account (sign-in, key, webhooks, withdrawal
//! address) and their spendable balance column, which moves only with a ledger posting in the
//! same transaction (see `books`).

use sqlx::AnyConnection;

use crate::money::Msat;
use crate::store::Store;

/// A merchant account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Merchant {
    /// 24 alphanumeric characters (the PSS user id).
    pub merchant_id: String,
    /// Sign-in email.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Hex SEC key verifying the merchant's signatures.
    pub pubkey: Option<String>,
    /// Webhook for Lightning payments.
    pub notification_url: Option<String>,
    /// Webhook for on-chain payments.
    pub notification_url_on_chain: Option<String>,
    /// Withdrawal destination.
    pub bitcoin_address: Option<String>,
    /// Spendable balance.
    pub balance_msat: Msat,
}

const COLUMNS: &str = "merchant_id, email, password_hash, pubkey, notification_url, \
     notification_url_on_chain, bitcoin_address, balance_msat";

/// Registers a PSS user with its keys (a JSON array).
pub async fn insert_pss_user(
    store: &Store,
    user_id: &str,
    keys: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_pss_users (user_id, public_keys, created_at) VALUES ($1, $2, $3)",
    )
    .bind(user_id)
    .bind(keys)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Whether the PSS issued `user_id`.
pub async fn pss_user_exists(store: &Store, user_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM merchant_pss_users WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(store.pool())
            .await?;
    Ok(found.is_some())
}

/// Creates the merchant. A taken id or email is a unique violation (see
/// `store::OnUniqueViolation`).
pub async fn insert(
    store: &Store,
    merchant_id: &str,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchants (merchant_id, email, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(merchant_id)
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A merchant by id.
pub async fn by_id(store: &Store, merchant_id: &str) -> Result<Option<Merchant>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchants WHERE merchant_id = $1"
    ))
    .bind(merchant_id)
    .fetch_optional(store.pool())
    .await
}

/// A merchant by sign-in email.
pub async fn by_email(store: &Store, email: &str) -> Result<Option<Merchant>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM merchants WHERE email = $1"))
        .bind(email)
        .fetch_optional(store.pool())
        .await
}

/// Sets the key that verifies the merchant's signatures.
pub async fn set_pubkey(
    store: &Store,
    merchant_id: &str,
    pubkey: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE merchants SET pubkey = $2, updated_at = $3 WHERE merchant_id = $1")
        .bind(merchant_id)
        .bind(pubkey)
        .bind(now)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// What merchant setup sets.
pub struct Setup<'a> {
    /// Hex key.
    pub pubkey: &'a str,
    /// Lightning webhook.
    pub notification_url: &'a str,
    /// On-chain webhook.
    pub notification_url_on_chain: &'a str,
    /// Forward webhook.
    pub notification_url_forward: &'a str,
    /// Preimage URL (kept, unused).
    pub preimage_url: Option<&'a str>,
    /// Withdrawal address.
    pub bitcoin_address: &'a str,
}

/// Applies merchant setup (repeatable).
pub async fn setup(
    store: &Store,
    merchant_id: &str,
    s: &Setup<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE merchants SET pubkey = $2, notification_url = $3, notification_url_on_chain = $4,
            notification_url_forward = $5, preimage_url = $6, bitcoin_address = $7, updated_at = $8
         WHERE merchant_id = $1",
    )
    .bind(merchant_id)
    .bind(s.pubkey)
    .bind(s.notification_url)
    .bind(s.notification_url_on_chain)
    .bind(s.notification_url_forward)
    .bind(s.preimage_url)
    .bind(s.bitcoin_address)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Adds to a merchant's spendable balance (its ledger posting is the caller's). `false` when
/// there is no such merchant.
pub async fn credit_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
    amount: Msat,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE merchants SET balance_msat = balance_msat + $2 WHERE merchant_id = $1")
            .bind(merchant_id)
            .bind(amount)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `amount` from a merchant's balance if it covers it (one conditional UPDATE, so two
/// payments racing for the same money cannot both pass). `false` when it does not.
pub async fn take_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
    amount: Msat,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE merchants SET balance_msat = balance_msat - $2
         WHERE merchant_id = $1 AND balance_msat >= $2",
    )
    .bind(merchant_id)
    .bind(amount)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks a merchant's balance for the rest of the caller's transaction and reads it (zero for
/// no such merchant). A write first: it takes the lock (SQLite's writer lock, PostgreSQL's row
/// lock) before the read, so no payment can change the balance in between.
pub async fn lock_balance(
    conn: &mut AnyConnection,
    merchant_id: &str,
) -> Result<Msat, sqlx::Error> {
    sqlx::query("UPDATE merchants SET updated_at = updated_at WHERE merchant_id = $1")
        .bind(merchant_id)
        .execute(&mut *conn)
        .await?;
    let balance: Option<Msat> =
        sqlx::query_scalar("SELECT balance_msat FROM merchants WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(balance.unwrap_or(Msat(0)))
}

/// The sum of every merchant's spendable balance, msat (compared with the ledger's signed sums).
pub async fn total_balances(store: &Store) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> =
        sqlx::query_scalar("SELECT CAST(SUM(balance_msat) AS BIGINT) FROM merchants")
            .fetch_one(store.pool())
            .await?;
    Ok(sum.unwrap_or(0))
}

/// A merchant's Lightning webhook URL.
pub async fn lightning_url(
    conn: &mut AnyConnection,
    merchant_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let url: Option<Option<String>> =
        sqlx::query_scalar("SELECT notification_url FROM merchants WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(url.flatten())
}

/// A merchant's on-chain webhook URL.
pub async fn onchain_url(
    conn: &mut AnyConnection,
    merchant_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let url: Option<Option<String>> = sqlx::query_scalar(
        "SELECT notification_url_on_chain FROM merchants WHERE merchant_id = $1",
    )
    .bind(merchant_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(url.flatten())
}
