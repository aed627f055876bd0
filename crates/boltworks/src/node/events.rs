//! The node's events in the hub's own language: what happened to a payment or a channel, with
//! typed fields (`PaymentHash`, `Msat`, `UserChannelId`). `event_loop` turns each ldk-node event
//! into one of these before any service sees it; services match this enum, never ldk-node's.

use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use ldk_node::lightning::events::{ClosureReason, PaymentFailureReason};
use ldk_node::Event;
use serde_json::{json, Value};

use super::ids::{PaymentHash, Preimage, UserChannelId};
use super::records::ClosureKind;
use crate::money::Msat;

/// Why the node gave up on an outbound payment (LDK's reasons, by the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentFailure {
    /// The recipient refused it.
    RecipientRejected,
    /// The payment was abandoned.
    UserAbandoned,
    /// Every route tried failed.
    RetriesExhausted,
    /// The invoice expired while paying.
    PaymentExpired,
    /// No route to the recipient.
    RouteNotFound,
    /// Something unexpected in the node.
    UnexpectedError,
    /// The invoice needs features the node lacks.
    UnknownRequiredFeatures,
    /// A BOLT12 invoice request expired.
    InvoiceRequestExpired,
    /// A BOLT12 invoice request was refused.
    InvoiceRequestRejected,
    /// A blinded path could not be made.
    BlindedPathCreationFailed,
}

/// An event of a node, as the hub understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeEvent {
    /// A payment for a hold invoice arrived and is held until claimed or failed back.
    PaymentClaimable {
        /// The invoice's payment hash.
        payment_hash: PaymentHash,
        /// What the held HTLCs add up to.
        amount: Msat,
        /// The block height by which it must be claimed.
        claim_deadline: Option<u32>,
    },
    /// A payment was received (claimed).
    PaymentReceived {
        /// The invoice's payment hash.
        payment_hash: PaymentHash,
        /// What arrived.
        amount: Msat,
    },
    /// An outbound payment succeeded.
    PaymentSucceeded {
        /// Its payment hash.
        payment_hash: PaymentHash,
        /// Its preimage: the receipt.
        preimage: Option<Preimage>,
        /// The routing fee paid.
        fee_paid: Option<Msat>,
    },
    /// An outbound payment failed for good.
    PaymentFailed {
        /// Its payment hash (none for a BOLT12 payment that never got an invoice).
        payment_hash: Option<PaymentHash>,
        /// Why, when the node says.
        reason: Option<PaymentFailure>,
    },
    /// The node forwarded a payment.
    PaymentForwarded {
        /// The channel it came in on (hex).
        prev_channel_id: String,
        /// The channel it went out on (hex).
        next_channel_id: String,
        /// The peer it went to.
        next_peer: Option<PublicKey>,
        /// The fee it earned (the skimmed share included).
        fee_earned: Option<Msat>,
        /// The share of the fee withheld from an intercepted HTLC: a JIT channel's opening fee.
        skimmed_fee: Option<Msat>,
        /// What it forwarded.
        amount_forwarded: Option<Msat>,
    },
    /// A channel's funding transaction was broadcast.
    ChannelPending {
        /// The channel's id (hex).
        channel_id: String,
        /// ldk-node's id of the channel.
        user_channel_id: UserChannelId,
        /// The peer.
        peer: PublicKey,
        /// The funding output.
        funding: OutPoint,
    },
    /// A channel became usable.
    ChannelReady {
        /// The channel's id (hex).
        channel_id: String,
        /// ldk-node's id of the channel.
        user_channel_id: UserChannelId,
        /// The peer.
        peer: Option<PublicKey>,
    },
    /// A channel closed (or an unfunded one was dropped).
    ChannelClosed {
        /// The channel's id (hex).
        channel_id: String,
        /// ldk-node's id of the channel.
        user_channel_id: UserChannelId,
        /// The peer.
        peer: Option<PublicKey>,
        /// Why, as the node words it.
        reason: Option<String>,
        /// How it closed.
        kind: ClosureKind,
    },
    /// Anything else (splices, say): recorded, meaningless to the services.
    Other {
        /// The node's own description.
        description: String,
    },
}

impl NodeEvent {
    /// The hub's reading of an ldk-node event.
    pub(super) fn from_ldk(event: &Event) -> Self {
        match event {
            Event::PaymentClaimable {
                payment_hash,
                claimable_amount_msat,
                claim_deadline,
                ..
            } => NodeEvent::PaymentClaimable {
                payment_hash: PaymentHash(payment_hash.0),
                amount: Msat(*claimable_amount_msat),
                claim_deadline: *claim_deadline,
            },
            Event::PaymentReceived {
                payment_hash,
                amount_msat,
                ..
            } => NodeEvent::PaymentReceived {
                payment_hash: PaymentHash(payment_hash.0),
                amount: Msat(*amount_msat),
            },
            Event::PaymentSuccessful {
                payment_hash,
                payment_preimage,
                fee_paid_msat,
                ..
            } => NodeEvent::PaymentSucceeded {
                payment_hash: PaymentHash(payment_hash.0),
                preimage: payment_preimage.map(|p| Preimage(p.0)),
                fee_paid: fee_paid_msat.map(Msat),
            },
            Event::PaymentFailed {
                payment_hash,
                reason,
                ..
            } => NodeEvent::PaymentFailed {
                payment_hash: payment_hash.map(|h| PaymentHash(h.0)),
                reason: reason.map(failure_of),
            },
            Event::PaymentForwarded {
                prev_channel_id,
                next_channel_id,
                next_node_id,
                total_fee_earned_msat,
                skimmed_fee_msat,
                outbound_amount_forwarded_msat,
                ..
            } => NodeEvent::PaymentForwarded {
                prev_channel_id: prev_channel_id.to_string(),
                next_channel_id: next_channel_id.to_string(),
                next_peer: *next_node_id,
                fee_earned: total_fee_earned_msat.map(Msat),
                skimmed_fee: skimmed_fee_msat.map(Msat),
                amount_forwarded: outbound_amount_forwarded_msat.map(Msat),
            },
            Event::ChannelPending {
                channel_id,
                user_channel_id,
                counterparty_node_id,
                funding_txo,
                ..
            } => NodeEvent::ChannelPending {
                channel_id: channel_id.to_string(),
                user_channel_id: UserChannelId(user_channel_id.0),
                peer: *counterparty_node_id,
                funding: *funding_txo,
            },
            Event::ChannelReady {
                channel_id,
                user_channel_id,
                counterparty_node_id,
                ..
            } => NodeEvent::ChannelReady {
                channel_id: channel_id.to_string(),
                user_channel_id: UserChannelId(user_channel_id.0),
                peer: *counterparty_node_id,
            },
            Event::ChannelClosed {
                channel_id,
                user_channel_id,
                counterparty_node_id,
                reason,
            } => NodeEvent::ChannelClosed {
                channel_id: channel_id.to_string(),
                user_channel_id: UserChannelId(user_channel_id.0),
                peer: *counterparty_node_id,
                reason: reason.as_ref().map(|r| r.to_string()),
                kind: reason
                    .as_ref()
                    .map_or(ClosureKind::ForcedByHub, closure_kind),
            },
            other => NodeEvent::Other {
                description: format!("{other:?}"),
            },
        }
    }

    /// The payment hash the event is about, if it is about a payment.
    pub fn payment_hash(&self) -> Option<PaymentHash> {
        match self {
            NodeEvent::PaymentClaimable { payment_hash, .. }
            | NodeEvent::PaymentReceived { payment_hash, .. }
            | NodeEvent::PaymentSucceeded { payment_hash, .. } => Some(*payment_hash),
            NodeEvent::PaymentFailed { payment_hash, .. } => *payment_hash,
            _ => None,
        }
    }

    /// The event's kind and a JSON description, for the event log (`node_events`).
    pub fn describe(&self) -> (&'static str, Value) {
        match self {
            NodeEvent::PaymentSucceeded { fee_paid, .. } => (
                "payment_successful",
                json!({"fee_paid_msat": fee_paid.map(|f| f.0)}),
            ),
            NodeEvent::PaymentFailed { reason, .. } => (
                "payment_failed",
                json!({"reason": reason.map(|r| format!("{r:?}"))}),
            ),
            NodeEvent::PaymentReceived { amount, .. } => {
                ("payment_received", json!({"amount_msat": amount.0}))
            }
            NodeEvent::PaymentClaimable {
                amount,
                claim_deadline,
                ..
            } => (
                "payment_claimable",
                json!({"claimable_amount_msat": amount.0, "claim_deadline": claim_deadline}),
            ),
            NodeEvent::PaymentForwarded {
                prev_channel_id,
                next_channel_id,
                fee_earned,
                skimmed_fee,
                amount_forwarded,
                ..
            } => (
                "payment_forwarded",
                json!({
                    "prev_channel_id": prev_channel_id,
                    "next_channel_id": next_channel_id,
                    "fee_earned_msat": fee_earned.map(|f| f.0),
                    "skimmed_fee_msat": skimmed_fee.map(|f| f.0),
                    "amount_forwarded_msat": amount_forwarded.map(|a| a.0),
                }),
            ),
            NodeEvent::ChannelPending {
                channel_id,
                peer,
                funding,
                ..
            } => (
                "channel_pending",
                json!({"channel_id": channel_id, "peer": peer.to_string(), "funding_txo": funding.to_string()}),
            ),
            NodeEvent::ChannelReady {
                channel_id, peer, ..
            } => (
                "channel_ready",
                json!({"channel_id": channel_id, "peer": peer.map(|p| p.to_string())}),
            ),
            NodeEvent::ChannelClosed {
                channel_id,
                peer,
                reason,
                kind,
                ..
            } => (
                "channel_closed",
                json!({"channel_id": channel_id, "peer": peer.map(|p| p.to_string()), "reason": reason, "kind": kind.as_str()}),
            ),
            NodeEvent::Other { description } => ("other", json!({"debug": description})),
        }
    }
}

/// How LDK's reason for a closure reads to the operator.
fn closure_kind(reason: &ClosureReason) -> ClosureKind {
    match reason {
        ClosureReason::LegacyCooperativeClosure
        | ClosureReason::CounterpartyInitiatedCooperativeClosure
        | ClosureReason::LocallyInitiatedCooperativeClosure => ClosureKind::Cooperative,
        ClosureReason::FundingTimedOut
        | ClosureReason::DisconnectedPeer
        | ClosureReason::CounterpartyCoopClosedUnfundedChannel
        | ClosureReason::LocallyCoopClosedUnfundedChannel
        | ClosureReason::FundingBatchClosure => ClosureKind::Unfunded,
        ClosureReason::CounterpartyForceClosed { .. } | ClosureReason::CommitmentTxConfirmed => {
            ClosureKind::ForcedByPeer
        }
        _ => ClosureKind::ForcedByHub,
    }
}

/// An event after its effect committed, as in-process subscribers receive it.
#[derive(Debug, Clone)]
pub struct CommittedEvent {
    /// Which node emitted it: `hub`, `alice` or `bob`.
    pub node: String,
    /// The event.
    pub event: NodeEvent,
}

#[allow(deprecated)]
fn failure_of(reason: PaymentFailureReason) -> PaymentFailure {
    match reason {
        PaymentFailureReason::RecipientRejected => PaymentFailure::RecipientRejected,
        PaymentFailureReason::UserAbandoned => PaymentFailure::UserAbandoned,
        PaymentFailureReason::RetriesExhausted => PaymentFailure::RetriesExhausted,
        PaymentFailureReason::PaymentExpired => PaymentFailure::PaymentExpired,
        PaymentFailureReason::RouteNotFound => PaymentFailure::RouteNotFound,
        PaymentFailureReason::UnexpectedError => PaymentFailure::UnexpectedError,
        PaymentFailureReason::UnknownRequiredFeatures => PaymentFailure::UnknownRequiredFeatures,
        PaymentFailureReason::InvoiceRequestExpired => PaymentFailure::InvoiceRequestExpired,
        PaymentFailureReason::InvoiceRequestRejected => PaymentFailure::InvoiceRequestRejected,
        PaymentFailureReason::BlindedPathCreationFailed => {
            PaymentFailure::BlindedPathCreationFailed
        }
    }
}
