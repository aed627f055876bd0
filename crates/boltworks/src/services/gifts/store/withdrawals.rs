//! The `gift_withdrawals` table: a gift's redemption attempts. Claiming, confirming and failing
//! one also moves its gift's `spent` state, in the same transaction.

use sqlx::AnyConnection;

use super::gifts::{gift, Gift};
use crate::http::KeyedAnswer;
use crate::money::Msat;
use crate::node::PaymentDirection;
use crate::services::gifts::model::{ChargeStatus, Spent, Via, WithdrawalStatus};
use crate::store::{OnUniqueViolation, Store};

/// A redemption attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Withdrawal {
    /// UUID.
    pub withdrawal_id: String,
    /// The gift.
    pub order_id: String,
    /// The invoice paid out to.
    pub payment_request: String,
    /// Its payment hash (hex).
    pub payment_hash: String,
    /// How the gift is being redeemed.
    pub via: Via,
    /// Where it stands.
    pub status: WithdrawalStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Routing fee the hub paid.
    pub fee_msat: Option<Msat>,
    /// Creation time, unix seconds.
    pub created_at: i64,
    /// Nanoseconds of `created_at`.
    pub created_nanos: i64,
}

const WITHDRAWAL_COLUMNS: &str = "withdrawal_id, order_id, payment_request, payment_hash, via, status, error, fee_msat, created_at, created_nanos";

/// A withdrawal by id.
pub async fn withdrawal(
    conn: &mut AnyConnection,
    withdrawal_id: &str,
) -> Result<Option<Withdrawal>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM gift_withdrawals WHERE withdrawal_id = $1"
    ))
    .bind(withdrawal_id)
    .fetch_optional(conn)
    .await
}

/// Withdrawals still `initial` that `payer_node` pays (in flight, or not yet handed to it).
pub async fn live_withdrawals(
    store: &Store,
    payer_node: &str,
) -> Result<Vec<Withdrawal>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WITHDRAWAL_COLUMNS} FROM gift_withdrawals
         WHERE status = $1 AND payer_node = $2 ORDER BY created_at"
    ))
    .bind(WithdrawalStatus::Initial)
    .bind(payer_node)
    .fetch_all(store.pool())
    .await
}

/// The status of the withdrawal paying `payment_hash`, if any.
pub async fn withdrawal_status_by_hash(
    conn: &mut AnyConnection,
    payment_hash: &str,
) -> Result<Option<WithdrawalStatus>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM gift_withdrawals WHERE payment_hash = $1")
        .bind(payment_hash)
        .fetch_optional(conn)
        .await
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

/// Who claims a gift for a payout, and the answer the request keeps with the claim.
pub struct PayoutClaim<'a> {
    /// The paying node's id.
    pub payer_node: &'a str,
    /// The paying node's label (`hub`, or a demo node's name).
    pub payer_label: &'a str,
    /// Now (unix seconds).
    pub now: i64,
    /// The redeem request's answer, for its idempotency key.
    pub answer: &'a KeyedAnswer,
}

/// Moves a paid, unspent gift to `spent = pending` and records the withdrawal (as `initial`,
/// whatever its `status` says) with the request's answer, in one transaction. Exactly one of any
/// number of racing calls for a gift succeeds.
pub async fn claim_for_payout(
    store: &Store,
    withdrawal: &Withdrawal,
    claim: &PayoutClaim<'_>,
) -> Result<(), ClaimError> {
    let PayoutClaim {
        payer_node,
        payer_label,
        now,
        answer,
    } = *claim;
    // The UPDATE comes first: on SQLite a transaction that reads before it writes can fail
    // outright when another writer commits in between, while a first write waits its turn.
    let mut tx = store.pool().begin().await?;
    let claimed = sqlx::query(
        "UPDATE gifts SET spent = $1, withdrawal_id = $2
         WHERE order_id = $3 AND charge_status = $4 AND spent = $5",
    )
    .bind(Spent::Pending)
    .bind(&withdrawal.withdrawal_id)
    .bind(&withdrawal.order_id)
    .bind(ChargeStatus::Paid)
    .bind(Spent::No)
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
                 WHERE payment_hash = $1 AND direction = $2 AND node = $3)",
    )
    .bind(&withdrawal.payment_hash)
    .bind(PaymentDirection::Outbound)
    .bind(payer_label)
    .fetch_one(&mut *tx)
    .await?;
    if in_use > 0 {
        tx.rollback().await?;
        return Err(ClaimError::InvoiceInUse);
    }
    sqlx::query(&format!(
        "INSERT INTO gift_withdrawals ({WITHDRAWAL_COLUMNS}, payer_node, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7, $8, $9, $7)"
    ))
    .bind(&withdrawal.withdrawal_id)
    .bind(&withdrawal.order_id)
    .bind(&withdrawal.payment_request)
    .bind(&withdrawal.payment_hash)
    .bind(withdrawal.via)
    .bind(WithdrawalStatus::Initial)
    .bind(now)
    .bind(withdrawal.created_nanos)
    .bind(payer_node)
    .execute(&mut *tx)
    .await
    // A racing claim for another gift took the same invoice between our check and insert.
    .on_unique_violation(|| ClaimError::InvoiceInUse)??;
    answer.record(&mut tx).await?;
    tx.commit().await?;
    Ok(())
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
    fee: Msat,
    now: i64,
) -> Result<Option<(Withdrawal, Gift)>, sqlx::Error> {
    let (column, value) = key.column_and_value();
    let id: Option<String> = sqlx::query_scalar(&format!(
        "UPDATE gift_withdrawals SET status = $1, fee_msat = $2, updated_at = $3
         WHERE {column} = $4 AND status = $5 RETURNING withdrawal_id"
    ))
    .bind(WithdrawalStatus::Confirmed)
    .bind(fee)
    .bind(now)
    .bind(value)
    .bind(WithdrawalStatus::Initial)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let Some(w) = withdrawal(&mut *conn, &id).await? else {
        return Ok(None);
    };
    sqlx::query("UPDATE gifts SET spent = $1 WHERE order_id = $2")
        .bind(Spent::Yes)
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
        "UPDATE gift_withdrawals SET status = $1, error = $2, updated_at = $3
         WHERE {column} = $4 AND status = $5 RETURNING withdrawal_id, order_id"
    ))
    .bind(WithdrawalStatus::Error)
    .bind(reason)
    .bind(now)
    .bind(value)
    .bind(WithdrawalStatus::Initial)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((withdrawal_id, order_id)) = failed else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE gifts SET spent = $1
         WHERE order_id = $2 AND spent = $3 AND withdrawal_id = $4",
    )
    .bind(Spent::No)
    .bind(&order_id)
    .bind(Spent::Pending)
    .bind(&withdrawal_id)
    .execute(&mut *conn)
    .await?;
    Ok(Some(withdrawal_id))
}
