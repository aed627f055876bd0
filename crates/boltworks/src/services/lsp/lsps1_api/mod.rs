//! The LSPS1 v0.0.2 wire format (see specs/lsps1-v0.0.2.md): JSON bodies with integer amounts;
//! errors as `{"message","code"}` with HTTP 400 (`BAD_REQUEST`) or 404 (`NOT_FOUND`); the nested
//! order model, whose states are derived from the engine's one state; timestamps in seconds.
//!
//! Balance names are the opposite of v0.0.1's: `remote_balance` is the LSP's side (the buyer's
//! inbound liquidity), `local_balance` the buyer's own.
//!
//! `input` reads request bodies, `error` is the wire error, `states` derives LSPS1's states,
//! `order` holds the order replies (created, nested, flat), `answers` the others (info, open,
//! refund, LNURL), and `refusal` words the engine's refusals.

mod answers;
mod error;
mod input;
mod order;
mod refusal;
mod states;

pub use self::answers::{
    Feature, Info, InfoLimits, LnurlAnswer, OpenAnswer, RefundAmounts, RefundAnswer, RefundStatus,
    RefundStatusState,
};
pub use self::error::{key_refused, too_many_requests, Lsps1Error};
pub use self::input::Lsps1Body;
pub use self::order::{Created, FlatOrder, OrderView, RequestEcho, ViewContext};
pub use self::refusal::{fail_reason, FailReason, Lsps1Refusal};
pub use self::states::{Lsps1OrderState, PaymentState};
