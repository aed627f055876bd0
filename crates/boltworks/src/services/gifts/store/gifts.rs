//! The `gifts` table: a gift, from its unpaid invoice to funded (the hub owes its value).

use sqlx::AnyConnection;

use crate::money::{Msat, Sat};
use crate::services::gifts::model::{ChargeStatus, Spent};
use crate::store::Store;

/// A gift as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    /// Gift value.
    pub amount_sat: Sat,
    /// The LNURL-withdraw secret.
    pub k1: String,
    /// Webhook on redemption.
    pub notify_url: Option<String>,
    /// Optional sender name.
    pub sender_name: Option<String>,
    /// Optional sender message.
    pub sender_message: Option<String>,
    /// Whether the gift invoice is paid.
    pub charge_status: ChargeStatus,
    /// Whether the gift was redeemed.
    pub spent: Spent,
    /// The latest redemption attempt.
    pub withdrawal_id: Option<String>,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Nanoseconds of `created_at`.
    pub created_nanos: i64,
}

pub(super) const GIFT_COLUMNS: &str = "order_id, charge_id, payment_hash, payment_request, invoice_expires_at, amount_sat, k1, notify_url, sender_name, sender_message, charge_status, spent, withdrawal_id, created_at, created_nanos";

impl Gift {
    /// The gift's value in millisatoshis; `None` if it overflows (it cannot for a gift of at
    /// most 500,000 sats).
    pub fn amount_msat(&self) -> Option<Msat> {
        self.amount_sat.to_msat()
    }
}

/// Stores a new, unpaid gift.
pub async fn insert_gift(conn: &mut AnyConnection, gift: &Gift) -> Result<(), sqlx::Error> {
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
    .bind(gift.charge_status)
    .bind(gift.spent)
    .bind(&gift.withdrawal_id)
    .bind(gift.created_at)
    .bind(gift.created_nanos)
    .execute(conn)
    .await?;
    Ok(())
}

/// A gift by order id.
pub async fn gift(conn: &mut AnyConnection, order_id: &str) -> Result<Option<Gift>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {GIFT_COLUMNS} FROM gifts WHERE order_id = $1"
    ))
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

/// A gift's invoice status by charge id.
pub async fn charge_status(
    store: &Store,
    charge_id: &str,
) -> Result<Option<ChargeStatus>, sqlx::Error> {
    sqlx::query_scalar("SELECT charge_status FROM gifts WHERE charge_id = $1")
        .bind(charge_id)
        .fetch_optional(store.pool())
        .await
}

/// Marks a gift's invoice paid. Returns the gift when this call made the change.
pub async fn mark_funded(
    conn: &mut AnyConnection,
    payment_hash: &str,
    received: Msat,
    now: i64,
) -> Result<Option<Gift>, sqlx::Error> {
    let order_id: Option<String> = sqlx::query_scalar(
        "UPDATE gifts SET charge_status = $1, received_msat = $2, paid_at = $3
         WHERE payment_hash = $4 AND charge_status = $5 RETURNING order_id",
    )
    .bind(ChargeStatus::Paid)
    .bind(received)
    .bind(now)
    .bind(payment_hash)
    .bind(ChargeStatus::Unpaid)
    .fetch_optional(&mut *conn)
    .await?;
    match order_id {
        Some(id) => gift(conn, &id).await,
        None => Ok(None),
    }
}

/// The value of gifts that are paid and not yet redeemed, in millisatoshis (what the hub owes;
/// signed, as the ledger balance it is checked against).
pub async fn unredeemed_msat(store: &Store) -> Result<i64, sqlx::Error> {
    let sum: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_sat) * 1000 AS BIGINT) FROM gifts
         WHERE charge_status = $1 AND spent <> $2",
    )
    .bind(ChargeStatus::Paid)
    .bind(Spent::Yes)
    .fetch_one(store.pool())
    .await?;
    Ok(sum.unwrap_or(0))
}
