//! Lightning payments as the hub records them, behind one handle every service uses: a row per
//! node, payment hash and direction, written before the node acts (an outbound payment is
//! `pending` before it is sent) and moved on only by what the node reports. A payment is
//! `failed` only when the node says so. `SendError::nothing_sent` is the one answer to "did
//! anything reach the node?", and `OutcomeWatch` waits for the node's verdict.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::Network;
use tokio::sync::broadcast;

use super::events::{CommittedEvent, NodeEvent, PaymentFailure};
use super::ids::PaymentHash;
use super::invoice::{Invoice, InvoiceProblem};
pub use super::invoice_records::{record_failed_back, record_invoice};
use super::records::{PaymentDirection, PaymentRecord, PaymentStatus};
use super::{LightningNode, NodeError, NodeErrorKind};
use crate::clock::Clock;
use crate::money::Msat;
use crate::store::Store;

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
    /// The node refused, or failed in a way that may or may not have sent (see `nothing_sent`).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The database failed; nothing was sent.
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

impl SendError {
    /// Whether nothing of ours reached the node, so the caller may fail the payment and give
    /// its money back. Only a node error the node raises after it may have dispatched HTLCs
    /// leaves the outcome open: the node's events decide it. (`Duplicate`: the node already
    /// has a payment for this hash, not this call's to settle.)
    pub fn nothing_sent(&self) -> bool {
        match self {
            SendError::Node(e) => refused_before_sending(e.kind),
            SendError::Invoice(_)
            | SendError::Amount(_)
            | SendError::Duplicate
            | SendError::Store(_) => true,
        }
    }
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

/// How a payment the hub waited for ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// The node sent it.
    Succeeded {
        /// The routing fee paid.
        fee_paid: Option<Msat>,
    },
    /// The node failed it.
    Failed {
        /// Why, when the node says.
        reason: Option<PaymentFailure>,
    },
    /// No verdict within the wait: it ends later, as the node says.
    InFlight,
}

/// The hub's payments on one node: records, sends, and waits for outcomes.
#[derive(Clone)]
pub struct Payments {
    pub(super) store: Store,
    pub(super) clock: Clock,
    network: Network,
    pub(super) node: Arc<LightningNode>,
    events: broadcast::Sender<CommittedEvent>,
}

impl Payments {
    /// The payments of `node`, recorded in `store`, judged on `clock` for `network`, with the
    /// committed events of the event loop.
    pub fn new(
        store: Store,
        clock: Clock,
        network: Network,
        node: Arc<LightningNode>,
        events: broadcast::Sender<CommittedEvent>,
    ) -> Self {
        Self {
            store,
            clock,
            network,
            node,
            events,
        }
    }

    /// Pays `invoice`: checks it against the hub's network and clock, records the payment as
    /// `pending` (committed), then asks the node to send. `amount` is required for (and only
    /// allowed with) an amountless invoice; `max_fee` caps the routing fee.
    pub async fn send(
        &self,
        invoice: &Invoice,
        amount: Option<Msat>,
        max_fee: Option<Msat>,
    ) -> Result<PaymentHash, SendError> {
        invoice.check_usable(self.network, &self.clock)?;
        let (recorded, given) = match (invoice.amount(), amount) {
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
            (Some(invoice_amount), None) => (invoice_amount, None),
            (None, Some(given)) => (given, Some(given)),
        };
        let hash = invoice.payment_hash();
        if !self
            .record_outbound(hash, recorded, &[PaymentStatus::Failed])
            .await?
        {
            return Err(SendError::Duplicate);
        }
        self.dispatch(invoice, given, max_fee).await
    }

    /// Sends again a payment the hub recorded as `pending` but the node has no record of: the
    /// hub stopped after recording it and before the node took it. Refused (`Duplicate`) when
    /// the node knows the payment, so a payment is never sent twice. Only for invoices with an
    /// amount.
    pub async fn resume_recorded(
        &self,
        invoice: &Invoice,
        max_fee: Option<Msat>,
    ) -> Result<PaymentHash, SendError> {
        let hash = invoice.payment_hash();
        let Some(amount) = invoice.amount() else {
            return Err(SendError::Amount("the invoice has no amount".into()));
        };
        if self.node.payment(hash).is_some() {
            return Err(SendError::Duplicate);
        }
        if let Err(problem) = invoice.check_usable(self.network, &self.clock) {
            mark(
                &self.store,
                &self.clock,
                self.node.label(),
                hash,
                PaymentDirection::Outbound,
                PaymentStatus::Failed,
                Some(&problem.to_string()),
            )
            .await?;
            return Err(problem.into());
        }
        let replaceable = [PaymentStatus::Pending, PaymentStatus::Failed];
        if !self.record_outbound(hash, amount, &replaceable).await? {
            return Err(SendError::Duplicate);
        }
        self.dispatch(invoice, None, max_fee).await
    }

    /// Starts watching for payment outcomes. Take it before `send`, so a fast verdict is not
    /// missed.
    pub fn watch(&self) -> OutcomeWatch {
        OutcomeWatch {
            events: self.events.subscribe(),
            node: self.node.label().to_string(),
        }
    }

    /// Records an outbound payment as `pending` (committed), replacing a record only in one of
    /// the `replaceable` states. Returns whether it recorded.
    async fn record_outbound(
        &self,
        payment_hash: PaymentHash,
        amount: Msat,
        replaceable: &[PaymentStatus],
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
                SET status = 'pending', failure_reason = NULL, updated_at = excluded.updated_at,
                    node_record_removed_at = NULL
                WHERE node_payments.status IN ({replaceable})"
        ))
        .bind(self.node.label())
        .bind(payment_hash.to_string())
        .bind(Msat(amount.0.min(crate::money::MAX_STORED)))
        .bind(self.clock.now_unix())
        .execute(self.store.pool())
        .await?;
        Ok(recorded.rows_affected() == 1)
    }

    /// Hands a recorded payment to the node. Only refusals the node makes before dispatching
    /// anything mark it failed.
    async fn dispatch(
        &self,
        invoice: &Invoice,
        amount: Option<Msat>,
        max_fee: Option<Msat>,
    ) -> Result<PaymentHash, SendError> {
        let hash = invoice.payment_hash();
        match self.node.pay(invoice, amount, max_fee) {
            Ok(()) => Ok(hash),
            Err(e) if e.kind == NodeErrorKind::DuplicatePayment => Err(SendError::Duplicate),
            Err(e) if refused_before_sending(e.kind) => {
                // The node refused before dispatching anything: that is the node saying it failed.
                mark(
                    &self.store,
                    &self.clock,
                    self.node.label(),
                    hash,
                    PaymentDirection::Outbound,
                    PaymentStatus::Failed,
                    Some(&e.message),
                )
                .await?;
                Err(SendError::Node(e))
            }
            Err(e) => {
                // Anything else (a storage error, say) may come after the HTLCs left: the payment
                // stays pending, and the node's events decide how it ends.
                tracing::warn!(node = self.node.label(), payment_hash = %hash, error = %e, "payment outcome unknown; left pending for the node to settle");
                Err(SendError::Node(e))
            }
        }
    }
}

/// A subscription to the node's payment verdicts (see `Payments::watch`).
pub struct OutcomeWatch {
    events: broadcast::Receiver<CommittedEvent>,
    node: String,
}

impl OutcomeWatch {
    /// Waits up to `patience` for the node's verdict on `payment_hash`.
    pub async fn outcome(
        mut self,
        payment_hash: PaymentHash,
        patience: Duration,
    ) -> PaymentOutcome {
        let verdict = async {
            loop {
                match self.events.recv().await {
                    Ok(e) if e.node == self.node => match e.event {
                        NodeEvent::PaymentSucceeded {
                            payment_hash: hash,
                            fee_paid,
                            ..
                        } if hash == payment_hash => return PaymentOutcome::Succeeded { fee_paid },
                        NodeEvent::PaymentFailed {
                            payment_hash: Some(hash),
                            reason,
                        } if hash == payment_hash => return PaymentOutcome::Failed { reason },
                        _ => {}
                    },
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return PaymentOutcome::InFlight,
                }
            }
        };
        tokio::time::timeout(patience, verdict)
            .await
            .unwrap_or(PaymentOutcome::InFlight)
    }
}

/// Errors the node raises before it dispatches a payment.
fn refused_before_sending(kind: NodeErrorKind) -> bool {
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
    payment_hash: PaymentHash,
    direction: PaymentDirection,
    status: PaymentStatus,
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
    .bind(payment_hash.to_string())
    .bind(direction)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Fails every outbound payment of `node` recorded `pending` that the node itself does not know:
/// the process stopped after recording it and before the node took it, so nothing was sent and
/// nothing ever will settle it. For a node whose sends nobody resumes (a demo wallet); run
/// before anything can send. Returns how many it failed.
pub async fn fail_unsent(
    store: &Store,
    clock: &Clock,
    node: &LightningNode,
) -> Result<usize, sqlx::Error> {
    let pending: Vec<(String,)> = sqlx::query_as(
        "SELECT payment_hash FROM node_payments
         WHERE node = $1 AND direction = 'outbound' AND status = 'pending'",
    )
    .bind(node.label())
    .fetch_all(store.pool())
    .await?;
    let mut failed = 0;
    for (text,) in pending {
        let Ok(hash) = text.parse::<PaymentHash>() else {
            continue;
        };
        if node.payment(hash).is_none() {
            mark(
                store,
                clock,
                node.label(),
                hash,
                PaymentDirection::Outbound,
                PaymentStatus::Failed,
                Some("never reached the node: the process stopped before sending it"),
            )
            .await?;
            failed += 1;
        }
    }
    Ok(failed)
}

/// A node's record of a payment hash; an outbound record wins over an inbound one.
pub async fn find(
    store: &Store,
    node: &str,
    payment_hash: PaymentHash,
) -> Result<Option<PaymentRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT direction, status, amount_msat, fee_paid_msat, preimage, claim_deadline, failure_reason
         FROM node_payments WHERE node = $1 AND payment_hash = $2
         ORDER BY direction DESC LIMIT 1",
    )
    .bind(node)
    .bind(payment_hash.to_string())
    .fetch_optional(store.pool())
    .await
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

    #[test]
    fn only_a_node_error_after_dispatch_leaves_a_send_open() {
        let node = |kind| {
            SendError::Node(NodeError {
                kind,
                message: String::new(),
            })
        };
        assert!(node(NodeErrorKind::InsufficientFunds).nothing_sent());
        assert!(node(NodeErrorKind::PaymentFailed).nothing_sent());
        assert!(!node(NodeErrorKind::Unavailable).nothing_sent());
        assert!(SendError::Duplicate.nothing_sent());
        assert!(SendError::Amount(String::new()).nothing_sent());
    }
}
