//! The gifts tables: gifts and their redemption attempts (withdrawals). Every state change is
//! one conditional UPDATE, so two requests racing for the same gift cannot both win; the
//! unique indexes on live withdrawals back that up in the database itself.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::store::Store;

/// A gift as stored.
#[derive(Debug, Clone)]
pub struct Gift {
    /// 48 lowercase hex characters.
    pub order_id: String,
    /// UUID of the invoice ("charge").
    pub charge_id: String,
    /// The gift invoice's payment hash (hex).
    pub payment_hash: String,
    /// The gift invoice.
    pub payment_request: String,
    /// When the gift invoice expires (unix seconds).
    pub invoice_expires_at: i64,
    /// Gift value in sats.
    pub amount_sat: i64,
    /// The LNURL-withdraw secret.
    pub k1: String,
    /// Webhook on redemption.
    pub notify_url: Option<String>,
    /// Optional sender name.
    pub sender_name: Option<String>,
    /// Optional sender message.
    pub sender_message: Option<String>,
    /// `unpaid` or `paid`.
    pub charge_status: String,
    /// `false`, `pending` or `true`.
    pub spent: String,
    /// The latest redemption attempt.
    pub withdrawal_id: Option<String>,
    /// Creation time, unix seconds and the nanoseconds within.
    pub created_at: i64,
    /// Nanoseconds of `created_at`.
    pub created_nanos: i64,
}

const GIFT_COLUMNS: &str = "order_id, charge_id, payment_hash, payment_request, invoice_expires_at, amount_sat, k1, notify_url, sender_name, sender_message, charge_status, spent, withdrawal_id, created_at, created_nanos";

impl Gift {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            order_id: row.try_get("order_id")?,
            charge_id: row.try_get("charge_id")?,
            payment_hash: row.try_get("payment_hash")?,
            payment_request: row.try_get("payment_request")?,
            invoice_expires_at: row.try_get("invoice_expires_at")?,
            amount_sat: row.try_get("amount_sat")?,
            k1: row.try_get("k1")?,
            notify_url: row.try_get("notify_url")?,
            sender_name: row.try_get("sender_name")?,
            sender_message: row.try_get("sender_message")?,
            charge_status: row.try_get("charge_status")?,
            spent: row.try_get("spent")?,
            withdrawal_id: row.try_get("withdrawal_id")?,
            created_at: row.try_get("created_at")?,
            created_nanos: row.try_get("created_nanos")?,
        })
    }

    /// The gift's value in millisatoshis.
    pub fn amount_msat(&self) -> i64 {
        self.amount_sat.saturating_mul(1_000)
    }
}

/// A redemption attempt.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    /// UUID.
    pub withdrawal_id: String,
    /// The gift.
    pub order_id: String,
    /// The invoice paid out to.
    pub payment_request: String,
    /// Its payment hash (hex).
    pub payment_hash: String,
    /// `initial`, `confirmed` or `error`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Routing fee the hub paid.
    pub fee_msat: Option<i64>,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Nanoseconds of `created_at`.
    pub created_nanos: i64,
}

const WITHDRAWAL_COLUMNS: &str = "withdrawal_id, order_id, payment_request, payment_hash, status, error, fee_msat, created_at, created_nanos";

impl Withdrawal {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            withdrawal_id: row.try_get("withdrawal_id")?,
            order_id: row.try_get("order_id")?,
            payment_request: row.try_get("payment_request")?,
            payment_hash: row.try_get("payment_hash")?,
            status: row.try_get("status")?,
            error: row.try_get("error")?,
            fee_msat: row.try_get("fee_msat")?,
            created_at: row.try_get("created_at")?,
            created_nanos: row.try_get("created_nanos")?,
        })
    }
}

/// Stores a new, unpaid gift.
pub async fn insert_gift(store: &Store, gift: &Gift) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO gifts ({GIFT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    ))
    .bind(&gift.order_id)
    .bind(&gift.charge_id)
    .bind(&gift.payment_hash)
    .bind(&gift.payment_request)
    .bind(gift.invoice_expires_at)
    .bind(gift.amount_sat)
    .bind(&gift.k1)
    .bind(&gift.notify_url)
    .bind(&gift.sender_name)
    .bind(&gift.sender_message)
    .bind(&gift.charge_status)
    .bind(&gift.spent)
    .bind(&gift.withdrawal_id)
    .bind(gift.created_at)
    .bind(gift.created_nanos)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A gift by order id.
pub async fn gift(conn: &mut AnyConnection, order_id: &str) -> Result<Option<Gift>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {GIFT_COLUMNS} FROM gifts WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(Gift::from_row)
    .transpose()
}

/// A gift's invoice status by charge id.
pub async fn charge_status(store: &Store, charge_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT charge_status FROM gifts WHERE charge_id = $1")
        .bind(charge_id)
        .fetch_optional(store.pool())
        .await
}

/// A withdrawal by id.
pub async fn withdrawal(
    conn: &mut AnyConnection,
    withdrawal_id: &str,
) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM gift_withdrawals WHERE withdrawal_id = $1"
    ))
    .bind(withdrawal_id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(Withdrawal::from_row)
    .transpose()
}

/// Withdrawals still `initial` that `payer_node` pays (in flight, or not yet handed to it).
pub async fn live_withdrawals(
    store: &Store,
    payer_node: &str,
) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM gift_withdrawals
         WHERE status = 'initial' AND payer_node = $1 ORDER BY created_at"
    ))
    .bind(payer_node)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(Withdrawal::from_row)
    .collect()
}

/// Why a redemption could not start.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The gift is not in a redeemable state; holds its current state.
    #[error("gift not redeemable")]
    NotRedeemable(Option<Box<Gift>>),
    /// The invoice was the target of a payout before (of a gift, or of anything the hub paid).
    #[error("invoice already used")]
    InvoiceInUse,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Moves a paid, unspent gift to `spent = pending` and records the withdrawal, in one
/// transaction. Exactly one of any number of racing calls for a gift succeeds.
pub async fn claim_for_payout(
    store: &Store,
    withdrawal: &Withdrawal,
    via: &str,
    payer_node: &str,
    payer_label: &str,
    now: i64,
) -> Result<(), ClaimError> {
    // The UPDATE comes first: on SQLite a transaction that reads before it writes can fail
    // outright when another writer commits in between, while a first write waits its turn.
    let mut tx = store.pool().begin().await?;
    let claimed = sqlx::query(
        "UPDATE gifts SET spent = 'pending', withdrawal_id = $1
         WHERE order_id = $2 AND charge_status = 'paid' AND spent = 'false'",
    )
    .bind(&withdrawal.withdrawal_id)
    .bind(&withdrawal.order_id)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        tx.rollback().await?;
        let current = gift(&mut *store.pool().acquire().await?, &withdrawal.order_id).await?;
        return Err(ClaimError::NotRedeemable(current.map(Box::new)));
    }
    let in_use: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM gift_withdrawals WHERE payment_hash = $1)
              + (SELECT COUNT(*) FROM node_payments
                 WHERE payment_hash = $1 AND direction = 'outbound' AND node = $2)",
    )
    .bind(&withdrawal.payment_hash)
    .bind(payer_label)
    .fetch_one(&mut *tx)
    .await?;
    if in_use > 0 {
        tx.rollback().await?;
        return Err(ClaimError::InvoiceInUse);
    }
    let inserted = sqlx::query(&format!(
        "INSERT INTO gift_withdrawals ({WITHDRAWAL_COLUMNS}, via, payer_node, updated_at)
         VALUES ($1, $2, $3, $4, 'initial', NULL, NULL, $5, $6, $7, $8, $5)"
    ))
    .bind(&withdrawal.withdrawal_id)
    .bind(&withdrawal.order_id)
    .bind(&withdrawal.payment_request)
    .bind(&withdrawal.payment_hash)
    .bind(now)
    .bind(withdrawal.created_nanos)
    .bind(via)
    .bind(payer_node)
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        // A racing claim for another gift took the same invoice between our check and insert.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ClaimError::InvoiceInUse)
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a gift's invoice paid. Returns the gift when this call made the change.
pub async fn mark_funded(
    conn: &mut AnyConnection,
    payment_hash: &str,
    received_msat: i64,
    now: i64,
) -> Result<Option<Gift>, sqlx::Error> {
    let order_id: Option<String> = sqlx::query_scalar(
        "UPDATE gifts SET charge_status = 'paid', received_msat = $1, paid_at = $2
         WHERE payment_hash = $3 AND charge_status = 'unpaid' RETURNING order_id",
    )
    .bind(received_msat)
    .bind(now)
    .bind(payment_hash)
    .fetch_optional(&mut *conn)
    .await?;
    match order_id {
        Some(id) => gift(conn, &id).await,
        None => Ok(None),
    }
}

/// Which withdrawal an outcome is for.
#[derive(Debug, Clone, Copy)]
pub enum WithdrawalKey<'a> {
    /// By withdrawal id.
    Id(&'a str),
    /// By the payment hash of its invoice (how node events name it).
    PaymentHash(&'a str),
}

impl WithdrawalKey<'_> {
    fn column_and_value(&self) -> (&'static str, &str) {
        match self {
            WithdrawalKey::Id(id) => ("withdrawal_id", id),
            WithdrawalKey::PaymentHash(hash) => ("payment_hash", hash),
        }
    }
}

/// Confirms a live withdrawal: the payout succeeded. Returns it and its gift (now spent) when
/// this call made the change.
pub async fn mark_confirmed(
    conn: &mut AnyConnection,
    key: WithdrawalKey<'_>,
    fee_msat: i64,
    now: i64,
) -> Result<Option<(Withdrawal, Gift)>, sqlx::Error> {
    let (column, value) = key.column_and_value();
    let id: Option<String> = sqlx::query_scalar(&format!(
        "UPDATE gift_withdrawals SET status = 'confirmed', fee_msat = $1, updated_at = $2
         WHERE {column} = $3 AND status = 'initial' RETURNING withdrawal_id"
    ))
    .bind(fee_msat)
    .bind(now)
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let Some(w) = withdrawal(&mut *conn, &id).await? else {
        return Ok(None);
    };
    sqlx::query("UPDATE gifts SET spent = 'true' WHERE order_id = $1")
        .bind(&w.order_id)
        .execute(&mut *conn)
        .await?;
    let Some(g) = gift(conn, &w.order_id).await? else {
        return Ok(None);
    };
    Ok(Some((w, g)))
}

/// Fails a live withdrawal (the node said the payout failed, or refused it before sending) and
/// makes its gift redeemable again. Returns the withdrawal id when this call made the change.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    key: WithdrawalKey<'_>,
    reason: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let (column, value) = key.column_and_value();
    let failed: Option<(String, String)> = sqlx::query_as(&format!(
        "UPDATE gift_withdrawals SET status = 'error', error = $1, updated_at = $2
         WHERE {column} = $3 AND status = 'initial' RETURNING withdrawal_id, order_id"
    ))
    .bind(reason)
    .bind(now)
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((withdrawal_id, order_id)) = failed else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE gifts SET spent = 'false'
         WHERE order_id = $1 AND spent = 'pending' AND withdrawal_id = $2",
    )
    .bind(&order_id)
    .bind(&withdrawal_id)
    .execute(&mut *conn)
    .await?;
    Ok(Some(withdrawal_id))
}

/// The value of gifts that are paid and not yet redeemed, in millisatoshis (what the hub owes).
pub async fn unredeemed_msat(store: &Store) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_sat) * 1000 AS BIGINT) FROM gifts
         WHERE charge_status = 'paid' AND spent <> 'true'",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(sum.unwrap_or(0))
}

/// The status of the withdrawal paying `payment_hash`, if any.
pub async fn withdrawal_status_by_hash(
    conn: &mut AnyConnection,
    payment_hash: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM gift_withdrawals WHERE payment_hash = $1")
        .bind(payment_hash)
        .fetch_optional(conn)
        .await
}
