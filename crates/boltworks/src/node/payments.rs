//! Lightning payments as the hub records them: a row per node, payment hash and direction,
//! written before the node acts (an outbound payment is `pending` before it is sent) and moved
//! on only by what the node reports. A payment is `failed` only when the node says so.

use bitcoin::Network;
use ldk_node::lightning_invoice::Bolt11Invoice;
use sqlx::Row;

use super::invoice::{check_usable, InvoiceProblem};
use super::{LightningNode, NodeError, NodeErrorKind};
use crate::clock::Clock;
use crate::money::Msat;
use crate::store::Store;

/// Which way a payment goes, seen from the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The node receives.
    Inbound,
    /// The node pays.
    Outbound,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// A recorded payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentRecord {
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `pending`, `held`, `succeeded` or `failed`.
    pub status: String,
    /// The amount (invoice amount, then the amount actually received or sent).
    pub amount_msat: Option<i64>,
    /// Routing fee paid, for outbound payments.
    pub fee_paid_msat: Option<i64>,
    /// The preimage, once known.
    pub preimage: Option<String>,
    /// For a held payment: the block height by which it must be claimed or failed.
    pub claim_deadline: Option<i64>,
    /// Why it failed, as the node reported.
    pub failure_reason: Option<String>,
}

/// Why a payment was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The invoice cannot be paid (network, expiry).
    #[error(transparent)]
    Invoice(#[from] InvoiceProblem),
    /// The amount given does not fit the invoice.
    #[error("{0}")]
    Amount(String),
    /// This hash is already pending or paid.
    #[error("a payment for this invoice is already pending or succeeded")]
    Duplicate,
    /// The node refused; the payment is recorded as failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The database failed; nothing was sent.
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

/// The routing-fee cap of a payment: `ppm` of the amount, or `base_msat`, whichever is more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeLimit {
    /// Parts per million of the payout.
    pub ppm: u32,
    /// Floor, in millisatoshis.
    pub base_msat: u64,
}

impl FeeLimit {
    /// The cap for a payout of `amount`.
    pub fn for_amount(&self, amount: Msat) -> Msat {
        let proportional = u128::from(amount.0) * u128::from(self.ppm) / 1_000_000;
        Msat(
            u64::try_from(proportional)
                .unwrap_or(u64::MAX)
                .max(self.base_msat),
        )
    }
}

/// Records a newly issued invoice as an inbound `pending` payment.
pub async fn record_invoice(
    store: &Store,
    clock: &Clock,
    node: &str,
    payment_hash: &str,
    amount: Msat,
) -> Result<(), sqlx::Error> {
    let now = clock.now_unix();
    sqlx::query(
        "INSERT INTO node_payments (node, payment_hash, direction, status, amount_msat, created_at, updated_at)
         VALUES ($1, $2, 'inbound', 'pending', $3, $4, $4)
         ON CONFLICT (node, payment_hash, direction) DO NOTHING",
    )
    .bind(node)
    .bind(payment_hash)
    .bind(amount.to_db().unwrap_or(i64::MAX))
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Pays `invoice` from `node`: checks it against the hub's network and clock, records the
/// payment as `pending` (committed), then asks the node to send. Returns the payment hash.
pub async fn send(
    store: &Store,
    clock: &Clock,
    network: Network,
    node: &LightningNode,
    invoice: &Bolt11Invoice,
    amount: Option<Msat>,
    max_fee: Option<Msat>,
) -> Result<[u8; 32], SendError> {
    check_usable(invoice, network, clock)?;
    let amount = match (invoice.amount_milli_satoshis(), amount) {
        (Some(_), Some(_)) => {
            return Err(SendError::Amount(
                "amount_msat must not be given for an invoice that has an amount".into(),
            ))
        }
        (None, None) => {
            return Err(SendError::Amount(
                "amount_msat is required for an invoice without an amount".into(),
            ))
        }
        (None, Some(Msat(0))) => {
            return Err(SendError::Amount("amount_msat must be positive".into()))
        }
        (Some(invoice_amount), None) => (Msat(invoice_amount), None),
        (None, Some(given)) => (given, Some(given)),
    };
    let hash_hex = hex::encode(invoice.payment_hash().as_ref() as &[u8]);
    if !record_outbound(store, clock, node.label(), &hash_hex, amount.0, &["failed"]).await? {
        return Err(SendError::Duplicate);
    }
    dispatch(store, clock, node, invoice, amount.1, max_fee).await
}

/// Sends again a payment the hub recorded as `pending` but the node has no record of: the hub
/// stopped after recording it and before the node took it. Refused (`Duplicate`) when the node
/// knows the payment, so a payment is never sent twice. Only for invoices with an amount.
pub async fn resume_recorded(
    store: &Store,
    clock: &Clock,
    network: Network,
    node: &LightningNode,
    invoice: &Bolt11Invoice,
    max_fee: Option<Msat>,
) -> Result<[u8; 32], SendError> {
    let hash = *invoice.payment_hash().as_ref();
    let hash_hex = hex::encode(hash);
    let Some(amount) = invoice.amount_milli_satoshis() else {
        return Err(SendError::Amount("the invoice has no amount".into()));
    };
    if node.payment(hash).is_some() {
        return Err(SendError::Duplicate);
    }
    if let Err(problem) = check_usable(invoice, network, clock) {
        mark(
            store,
            clock,
            node.label(),
            &hash_hex,
            Direction::Outbound,
            "failed",
            Some(&problem.to_string()),
        )
        .await?;
        return Err(problem.into());
    }
    if !record_outbound(
        store,
        clock,
        node.label(),
        &hash_hex,
        Msat(amount),
        &["pending", "failed"],
    )
    .await?
    {
        return Err(SendError::Duplicate);
    }
    dispatch(store, clock, node, invoice, None, max_fee).await
}

/// Records an outbound payment as `pending` (committed), replacing a record only in one of the
/// `replaceable` states. Returns whether it recorded.
async fn record_outbound(
    store: &Store,
    clock: &Clock,
    node: &str,
    payment_hash: &str,
    amount: Msat,
    replaceable: &[&'static str],
) -> Result<bool, sqlx::Error> {
    let replaceable = replaceable
        .iter()
        .map(|status| format!("'{status}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let recorded = sqlx::query(&format!(
        "INSERT INTO node_payments (node, payment_hash, direction, status, amount_msat, created_at, updated_at)
         VALUES ($1, $2, 'outbound', 'pending', $3, $4, $4)
         ON CONFLICT (node, payment_hash, direction) DO UPDATE
            SET status = 'pending', failure_reason = NULL, updated_at = excluded.updated_at
            WHERE node_payments.status IN ({replaceable})"
    ))
    .bind(node)
    .bind(payment_hash)
    .bind(amount.to_db().unwrap_or(i64::MAX))
    .bind(clock.now_unix())
    .execute(store.pool())
    .await?;
    Ok(recorded.rows_affected() == 1)
}

/// Hands a recorded payment to the node. Only refusals the node makes before dispatching
/// anything mark it failed.
async fn dispatch(
    store: &Store,
    clock: &Clock,
    node: &LightningNode,
    invoice: &Bolt11Invoice,
    amount: Option<Msat>,
    max_fee: Option<Msat>,
) -> Result<[u8; 32], SendError> {
    let hash = *invoice.payment_hash().as_ref();
    let hash_hex = hex::encode(hash);
    match node.pay(invoice, amount, max_fee) {
        Ok(()) => Ok(hash),
        Err(e) if e.kind == NodeErrorKind::DuplicatePayment => Err(SendError::Duplicate),
        Err(e) if refused_before_sending(e.kind) => {
            // The node refused before dispatching anything: that is the node saying it failed.
            mark(
                store,
                clock,
                node.label(),
                &hash_hex,
                Direction::Outbound,
                "failed",
                Some(&e.message),
            )
            .await?;
            Err(SendError::Node(e))
        }
        Err(e) => {
            // Anything else (a storage error, say) may come after the HTLCs left: the payment
            // stays pending, and the node's events decide how it ends.
            tracing::warn!(node = node.label(), payment_hash = %hash_hex, error = %e, "payment outcome unknown; left pending for the node to settle");
            Err(SendError::Node(e))
        }
    }
}

/// Errors the node raises before it dispatches a payment.
pub fn refused_before_sending(kind: NodeErrorKind) -> bool {
    matches!(
        kind,
        NodeErrorKind::InvalidInput
            | NodeErrorKind::PaymentFailed
            | NodeErrorKind::NotRunning
            | NodeErrorKind::InsufficientFunds
    )
}

/// Sets a payment's status unless it already succeeded.
pub async fn mark(
    store: &Store,
    clock: &Clock,
    node: &str,
    payment_hash: &str,
    direction: Direction,
    status: &str,
    failure_reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE node_payments SET status = $1, failure_reason = $2, updated_at = $3
         WHERE node = $4 AND payment_hash = $5 AND direction = $6 AND status <> 'succeeded'",
    )
    .bind(status)
    .bind(failure_reason)
    .bind(clock.now_unix())
    .bind(node)
    .bind(payment_hash)
    .bind(direction.as_str())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A node's record of a payment hash; an outbound record wins over an inbound one.
pub async fn find(
    store: &Store,
    node: &str,
    payment_hash: &str,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT direction, status, amount_msat, fee_paid_msat, preimage, claim_deadline, failure_reason
         FROM node_payments WHERE node = $1 AND payment_hash = $2
         ORDER BY direction DESC LIMIT 1",
    )
    .bind(node)
    .bind(payment_hash)
    .fetch_optional(store.pool())
    .await?;
    row.map(|row| {
        Ok(PaymentRecord {
            direction: row.try_get("direction")?,
            status: row.try_get("status")?,
            amount_msat: row.try_get("amount_msat")?,
            fee_paid_msat: row.try_get("fee_paid_msat")?,
            preimage: row.try_get("preimage")?,
            claim_deadline: row.try_get("claim_deadline")?,
            failure_reason: row.try_get("failure_reason")?,
        })
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fee_cap_is_proportional_with_a_floor() {
        let limit = FeeLimit {
            ppm: 5_000,
            base_msat: 5_000,
        };
        assert_eq!(limit.for_amount(Msat(100_000)), Msat(5_000));
        assert_eq!(limit.for_amount(Msat(500_000_000)), Msat(2_500_000));
        assert_eq!(limit.for_amount(Msat(u64::MAX)).0, u64::MAX / 200);
    }
}
