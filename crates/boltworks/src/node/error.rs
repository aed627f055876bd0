//! Node errors, bucketed so each wire format can map them to its own status and message.

use std::fmt;

/// What kind of failure a node operation had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeErrorKind {
    /// The caller's input was wrong (bad invoice, amount, hash, preimage, address).
    InvalidInput,
    /// Not enough funds on-chain or in channels.
    InsufficientFunds,
    /// A payment with this hash was already sent.
    DuplicatePayment,
    /// The node refused to send (no route, no usable channel).
    PaymentFailed,
    /// A peer could not be reached.
    PeerUnreachable,
    /// A channel could not be opened or closed.
    ChannelFailed,
    /// The node is not running: nothing was sent.
    NotRunning,
    /// The node is not usable, or failed in a way that does not say whether anything was sent
    /// (storage errors, for example).
    Unavailable,
}

/// A failed node operation.
#[derive(Debug, Clone)]
pub struct NodeError {
    /// The bucket.
    pub kind: NodeErrorKind,
    /// A message a person can act on.
    pub message: String,
}

impl NodeError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self {
            kind: NodeErrorKind::InvalidInput,
            message: message.into(),
        }
    }

    pub(crate) fn setup(message: impl Into<String>) -> Self {
        Self {
            kind: NodeErrorKind::Unavailable,
            message: message.into(),
        }
    }
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NodeError {}

impl From<ldk_node::NodeError> for NodeError {
    fn from(e: ldk_node::NodeError) -> Self {
        use ldk_node::NodeError as E;
        let kind = match e {
            E::InvalidAddress
            | E::InvalidSocketAddress
            | E::InvalidPublicKey
            | E::InvalidNodeId
            | E::InvalidPaymentId
            | E::InvalidPaymentHash
            | E::InvalidPaymentPreimage
            | E::InvalidPaymentSecret
            | E::InvalidAmount
            | E::InvalidInvoice
            | E::InvalidCustomTlvs
            | E::InvoiceCreationFailed => NodeErrorKind::InvalidInput,
            E::InsufficientFunds => NodeErrorKind::InsufficientFunds,
            E::DuplicatePayment => NodeErrorKind::DuplicatePayment,
            E::PaymentSendingFailed => NodeErrorKind::PaymentFailed,
            E::ConnectionFailed => NodeErrorKind::PeerUnreachable,
            E::ChannelCreationFailed | E::ChannelClosingFailed => NodeErrorKind::ChannelFailed,
            E::NotRunning => NodeErrorKind::NotRunning,
            _ => NodeErrorKind::Unavailable,
        };
        Self {
            kind,
            message: e.to_string(),
        }
    }
}
