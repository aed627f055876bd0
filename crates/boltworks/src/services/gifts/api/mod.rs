//! The gifts wire: the request input (`input`), the API routes' error answer (`error`), and
//! every reply, each a `Serialize` struct field for field the original's shape: a gift's
//! replies and its webhook (`gift`), and a redemption's and LNURL-withdraw's (`withdrawal`).
//! Replies carry the seed's snake_case keys and their camelCase twins where the original did.

mod error;
mod gift;
mod input;
mod withdrawal;

pub use self::error::{key_refused, too_many_requests, ErrorBody, GiftsError, INTERNAL_ERROR};
pub use self::gift::{
    ChargeInfo, ChargeStatusReply, Created, GiftRedeemedWebhook, GiftView, LightningInvoice,
    Timestamp,
};
pub use self::input::GiftsInput;
pub use self::withdrawal::{
    LnurlOk, LnurlReply, LnurlStatus, RedeemStatus, Redeemed, WithdrawRequest, WithdrawTag,
    WithdrawalInfo,
};
