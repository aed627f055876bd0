//! The escrow API's wire types: the lenient request reader ([`EscrowInput`]), the one error
//! shape ([`EscrowError`]), and every reply as a `Serialize` type, field for field the original's
//! shape (ids and amounts are strings in some places and numbers in others: each type says
//! which). Webhook bodies are here too ([`TxEvent`]).

mod account;
mod error;
mod input;
mod mutation;
mod transaction;

use serde::Serialize;

pub use self::account::{ExtendedSessionReply, SessionReply, WebhookReply};
pub use self::error::{key_refused, too_many_requests, ErrorReply, EscrowError};
pub use self::input::EscrowInput;
pub use self::mutation::{InvoiceData, PreimageReply, TxData, TxReply};
pub use self::transaction::{DisputeObject, InvoiceFields, StoredTx, TxEvent};

/// The `status` of every answer: `success`, or `error` with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyStatus {
    /// The request was done.
    Success,
    /// The request was refused or failed.
    Error,
}
