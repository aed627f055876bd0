//! The engine's refusals in LSPS1's words: a 400 `BAD_REQUEST`, or a 412 answer with a
//! `fail_reason`. The one place where `model::Refusal` meets this API.

use serde::Serialize;

use super::Lsps1Error;
use crate::services::lsp::model::Refusal;

/// Why an `/open` or a `/refund` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailReason {
    /// The buyer's node could not be reached.
    PeeringFailed,
    /// The buyer's node refused the channel (or it closed before funding).
    ChannelRejectedByDestination,
    /// The LSP refused.
    RejectedByLsp,
    /// The channel is open, or being opened.
    AlreadyOpen,
    /// The order is not paid.
    PaymentRequired,
    /// The refund payment failed.
    PaymentFailed,
    /// Not something this hub does.
    Unsupported,
}

/// The `fail_reason` of an open attempt's recorded error (`PEERING_FAILED: ...`).
pub fn fail_reason(error: &str) -> FailReason {
    [
        ("PEERING_FAILED", FailReason::PeeringFailed),
        (
            "CHANNEL_REJECTED_BY_DESTINATION",
            FailReason::ChannelRejectedByDestination,
        ),
        ("REJECTED_BY_LSP", FailReason::RejectedByLsp),
    ]
    .into_iter()
    .find(|(prefix, _)| error.starts_with(prefix))
    .map_or(FailReason::ChannelRejectedByDestination, |(_, reason)| {
        reason
    })
}

/// How LSPS1 answers a refusal of the engine.
#[derive(Debug)]
pub enum Lsps1Refusal {
    /// A 400 `BAD_REQUEST`.
    BadRequest(Lsps1Error),
    /// A 412 answer with `success: false`.
    Failed {
        /// Its `fail_reason`.
        reason: FailReason,
        /// Its `message`.
        message: String,
    },
}

impl Lsps1Refusal {
    fn failed(reason: FailReason, message: impl Into<String>) -> Self {
        Lsps1Refusal::Failed {
            reason,
            message: message.into(),
        }
    }

    /// As an error answer, where the route has no 412 answer (create).
    pub fn into_error(self) -> Lsps1Error {
        match self {
            Lsps1Refusal::BadRequest(error) => error,
            Lsps1Refusal::Failed { message, .. } => Lsps1Error::BadRequest(message),
        }
    }
}

impl From<Refusal> for Lsps1Refusal {
    fn from(refusal: Refusal) -> Self {
        let bad = |message: &str| Lsps1Refusal::BadRequest(Lsps1Error::bad(message));
        match refusal {
            Refusal::AmountsTooLarge => bad("the requested amounts are too large"),
            Refusal::CannotFundNow => {
                bad("the LSP cannot fund a channel of this size now; try a smaller one or later")
            }
            Refusal::AlreadyOpen => Self::failed(FailReason::AlreadyOpen, "the order's channel is already open"),
            Refusal::BeingOpened => {
                Self::failed(FailReason::AlreadyOpen, "the order's channel is being opened")
            }
            Refusal::GaveUp(error) => Self::failed(FailReason::RejectedByLsp,
                format!(
                    "the order gave up opening ({}); its payment went back, or is refundable (see /refund)",
                    error.as_deref().unwrap_or("no detail")
                ),
            ),
            Refusal::Expired => Self::failed(FailReason::PaymentRequired, "the order expired"),
            Refusal::NotPaid => Self::failed(FailReason::PaymentRequired, "the order is not paid yet"),
            Refusal::RefundsUnsupported => Self::failed(FailReason::Unsupported,
                "on-chain refunds need the hub's treasury, which this hub does not run",
            ),
            Refusal::NothingToRefund => Self::failed(FailReason::Unsupported,
                "nothing to refund: the order is still to be delivered, or the hub holds nothing for it",
            ),
            Refusal::PaidBack => Self::failed(FailReason::RejectedByLsp,
                "the payment already went back to the payer: its held HTLC was failed back",
            ),
            Refusal::AlreadyRefunded => Self::failed(FailReason::RejectedByLsp,
                "the order was refunded already (or a refund of it is in flight)",
            ),
            Refusal::BadRefundAddress => bad("onchain_address is not an address of this network"),
            Refusal::BadRefundInvoice(why) => Lsps1Refusal::BadRequest(Lsps1Error::BadRequest(why)),
            Refusal::RefundPaymentRefused(why) => Self::failed(FailReason::PaymentFailed, why),
            Refusal::RefundTooSmall(why) => Self::failed(FailReason::RejectedByLsp, why),
        }
    }
}
