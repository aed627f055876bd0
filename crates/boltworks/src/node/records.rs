//! What is known of a payment: the hub's own record (`node_payments`, written before the node
//! acts and moved on only by what the node reports) and the node's record (ldk-node's payment
//! store), both in the hub's types.

use super::ids::Preimage;
use crate::money::Msat;
use crate::store::columns::stored_enum;

stored_enum! {
    /// Which way a payment goes, seen from the node.
    pub enum PaymentDirection {
        /// The node receives.
        Inbound = "inbound",
        /// The node pays.
        Outbound = "outbound",
    }
}

stored_enum! {
    /// Where a payment stands.
    pub enum PaymentStatus {
        /// Issued (inbound) or sent (outbound), no outcome yet.
        Pending = "pending",
        /// Inbound and held by a hold invoice, waiting to be claimed or failed back.
        Held = "held",
        /// Received or sent: final.
        Succeeded = "succeeded",
        /// Failed, as the node said.
        Failed = "failed",
    }
}

/// The hub's record of a payment (a row of `node_payments`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRecord {
    /// Which way it goes.
    pub direction: PaymentDirection,
    /// Where it stands.
    pub status: PaymentStatus,
    /// The amount (invoice amount, then the amount actually received or sent).
    pub amount_msat: Option<Msat>,
    /// Routing fee paid, for outbound payments.
    pub fee_paid_msat: Option<Msat>,
    /// The preimage (hex), once known.
    pub preimage: Option<String>,
    /// For a held payment: the block height by which it must be claimed or failed.
    pub claim_deadline: Option<i64>,
    /// Why it failed, as the node reported.
    pub failure_reason: Option<String>,
}

/// Where the node says a payment stands (it does not tell held payments apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePaymentStatus {
    /// In flight, or waiting to be claimed.
    Pending,
    /// Received or sent.
    Succeeded,
    /// Failed.
    Failed,
}

/// The node's own record of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePayment {
    /// Which way it goes.
    pub direction: PaymentDirection,
    /// Where it stands.
    pub status: NodePaymentStatus,
    /// The amount, when the node knows it.
    pub amount: Option<Msat>,
    /// The routing fee paid, for a successful outbound payment.
    pub fee_paid: Option<Msat>,
    /// The preimage, once known.
    pub preimage: Option<Preimage>,
}

stored_enum! {
    /// How a channel closed, as the hub's operator needs to know it: a force-close costs
    /// on-chain fees and locks the hub's side of the channel until its timelock expires.
    pub enum ClosureKind {
        /// Both sides agreed: the funds are on chain at once.
        Cooperative = "cooperative",
        /// The hub broadcast its commitment: it asked to, or LDK had to (an error, an HTLC timing
        /// out, a ChannelManager older than its ChannelMonitor at start).
        ForcedByHub = "forced_by_hub",
        /// The peer's commitment went on chain.
        ForcedByPeer = "forced_by_peer",
        /// The channel was never funded (a failed or timed-out open): nothing was at stake.
        Unfunded = "unfunded",
    }
}

impl ClosureKind {
    /// Whether a commitment transaction was broadcast (the costly kind of close).
    pub fn is_forced(self) -> bool {
        matches!(self, ClosureKind::ForcedByHub | ClosureKind::ForcedByPeer)
    }
}
