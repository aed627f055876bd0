//! Outgoing payments: internal (succeeded when recorded), Lightning (pending until the node's
//! verdict) and on-chain (pending until the treasury sent it). Money is taken from the balance
//! (with the routing-fee reserve, for Lightning) in the transaction that records the payment,
//! before any send. One live or paid payment per invoice (a unique index).

use sqlx::AnyConnection;

use crate::money::Msat;
use crate::store::columns::stored_enum;
use crate::store::Store;

stored_enum! {
    /// How a payment goes out (the wire's `payment_type` too).
    pub enum PaymentKind {
        /// To another merchant of this hub.
        Internal = "internal",
        /// Over Lightning, by the hub's node.
        Lightning = "lightning",
        /// On chain, by the treasury.
        OnChain = "on_chain",
    }
}

stored_enum! {
    /// Where an outgoing payment stands.
    pub enum PaymentStatus {
        /// Recorded, its money reserved; not ended yet.
        Pending = "pending",
        /// Sent (or paid internally).
        Succeeded = "succeeded",
        /// Failed as the node said, or never sent; the reserve went back.
        Failed = "failed",
    }
}

/// An outgoing payment, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Payment {
    /// 48 hex.
    pub payment_id: String,
    /// Payer.
    pub merchant_id: String,
    /// How it goes out.
    pub kind: PaymentKind,
    /// Amount.
    pub amount_msat: Msat,
    /// Reserved for routing fees.
    pub fee_limit_msat: Msat,
    /// The routing fee paid, once succeeded.
    pub fee_paid_msat: Option<Msat>,
    /// Merchant id, invoice or address.
    pub destination: String,
    /// Lightning payment hash.
    pub payment_hash: Option<String>,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The on-chain transaction.
    pub txid: Option<String>,
    /// Where its status updates are posted.
    pub ntfn_url: Option<String>,
    /// The hub node that sends it.
    pub payer_node: String,
    /// Recorded (unix seconds).
    pub created_at: i64,
    /// Last changed (unix seconds).
    pub updated_at: i64,
}

const COLUMNS: &str = "payment_id, merchant_id, kind, amount_msat, fee_limit_msat, \
     fee_paid_msat, destination, payment_hash, status, failure_reason, txid, ntfn_url, payer_node, \
     created_at, updated_at";

/// A payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    /// 48 hex.
    pub payment_id: &'a str,
    /// Payer.
    pub merchant_id: &'a str,
    /// How it goes out.
    pub kind: PaymentKind,
    /// Amount.
    pub amount: Msat,
    /// Reserved for routing fees.
    pub fee_limit: Msat,
    /// Merchant id, invoice or address.
    pub destination: &'a str,
    /// Lightning payment hash.
    pub payment_hash: Option<&'a str>,
    /// Memo.
    pub description: Option<&'a str>,
    /// Webhook override.
    pub ntfn_url: Option<&'a str>,
    /// Where it starts.
    pub status: PaymentStatus,
    /// The hub node that sends it.
    pub payer_node: &'a str,
}

/// Records an outgoing payment. A second live payment of one invoice is a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    p: &NewPayment<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchant_payments (payment_id, merchant_id, kind, amount_msat, fee_limit_msat,
            destination, payment_hash, description, ntfn_url, status, payer_node, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(p.payment_id)
    .bind(p.merchant_id)
    .bind(p.kind)
    .bind(p.amount)
    .bind(p.fee_limit)
    .bind(p.destination)
    .bind(p.payment_hash)
    .bind(p.description)
    .bind(p.ntfn_url)
    .bind(p.status)
    .bind(p.payer_node)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A payment by id.
pub async fn by_id(store: &Store, payment_id: &str) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_payments WHERE payment_id = $1"
    ))
    .bind(payment_id)
    .fetch_optional(store.pool())
    .await
}

/// How a pending Lightning payment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightningEnd<'a> {
    /// Sent, for this routing fee.
    Succeeded {
        /// The fee paid.
        fee: Msat,
    },
    /// Failed, for this reason.
    Failed {
        /// Why.
        reason: &'a str,
    },
}

/// Ends a pending Lightning payment (by hash); `None` if none was pending (already ended, or
/// not ours).
pub async fn finish_lightning(
    conn: &mut AnyConnection,
    payment_hash: &str,
    end: LightningEnd<'_>,
    now: i64,
) -> Result<Option<Payment>, sqlx::Error> {
    let (status, fee, reason) = match end {
        LightningEnd::Succeeded { fee } => (PaymentStatus::Succeeded, Some(fee), None),
        LightningEnd::Failed { reason } => (PaymentStatus::Failed, None, Some(reason)),
    };
    sqlx::query_as(&format!(
        "UPDATE merchant_payments SET status = $2, fee_paid_msat = $3, failure_reason = $4, updated_at = $5
         WHERE payment_hash = $1 AND kind = $6 AND status = $7
         RETURNING {COLUMNS}"
    ))
    .bind(payment_hash)
    .bind(status)
    .bind(fee)
    .bind(reason)
    .bind(now)
    .bind(PaymentKind::Lightning)
    .bind(PaymentStatus::Pending)
    .fetch_optional(&mut *conn)
    .await
}

/// Records the transaction of a pending on-chain payment: it succeeded. The payment as it is
/// now, or `None` if it was no longer pending (recorded already).
pub async fn set_txid(
    conn: &mut AnyConnection,
    payment_id: &str,
    txid: &str,
    now: i64,
) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE merchant_payments SET txid = $2, status = $4, updated_at = $3
         WHERE payment_id = $1 AND status = $5 RETURNING {COLUMNS}"
    ))
    .bind(payment_id)
    .bind(txid)
    .bind(now)
    .bind(PaymentStatus::Succeeded)
    .bind(PaymentStatus::Pending)
    .fetch_optional(&mut *conn)
    .await
}

/// Pending payments of `kind` sent by `payer_node`.
pub async fn pending(
    store: &Store,
    kind: PaymentKind,
    payer_node: &str,
) -> Result<Vec<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM merchant_payments
         WHERE status = $3 AND kind = $1 AND payer_node = $2"
    ))
    .bind(kind)
    .bind(payer_node)
    .bind(PaymentStatus::Pending)
    .fetch_all(store.pool())
    .await
}

/// Ends a pending payment as failed: the payment as it is now, or `None` if it was not pending.
pub async fn fail(
    conn: &mut AnyConnection,
    payment_id: &str,
    reason: &str,
    now: i64,
) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as(&format!(
        "UPDATE merchant_payments SET status = $4, failure_reason = $2, updated_at = $3
         WHERE payment_id = $1 AND status = $5 RETURNING {COLUMNS}"
    ))
    .bind(payment_id)
    .bind(reason)
    .bind(now)
    .bind(PaymentStatus::Failed)
    .bind(PaymentStatus::Pending)
    .fetch_optional(&mut *conn)
    .await
}
