//! The merchant hub's wire: the request extractor (`input`), the error envelope (`error`) and
//! every reply, webhook body and websocket frame as a `Serialize` type, field for field the
//! seed's shape: numbers where its examples show numbers, strings where they show strings
//! (grpc-gateway writes 64-bit integers as strings, so balances, lists and websocket frames
//! carry amounts as text).

mod accounts;
mod error;
mod input;
mod lightning;
mod notices;
mod onchain;
mod outgoing;
mod withdrawals;

pub use self::accounts::{
    Empty, HubPublicKey, MerchantIdReply, PssPublicKey, PssSignup, PssUserId, SetupDone, Tokens,
};
pub use self::error::{key_refused, too_many_requests, ErrorBody, PeachError};
pub use self::input::PeachInput;
pub use self::lightning::{CreatedInvoice, LightningPayment, LightningPayments};
pub use self::notices::{
    Frame, LightningNotice, LightningPaymentStatus, OnchainNotice, OnchainPaidWebhook,
    OnchainPaymentStatus, Partial, PartialNotice, PartialPayment,
};
pub use self::onchain::{OnchainAddress, OnchainPayment, OnchainPayments, Refund};
pub use self::outgoing::{
    LightningPaymentSent, OnchainPaymentSent, OutgoingPayment, PaymentIdReply,
};
pub use self::withdrawals::{Balance, WithdrawalQueued, WithdrawalView};

#[cfg(test)]
mod wire_tests;
