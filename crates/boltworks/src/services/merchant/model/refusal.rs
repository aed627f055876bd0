//! Every refusal of the merchant API, with the original's message where it has one (the text is
//! the wire's `error` and `message`), and the kind of refusal it is (which the wire error maps
//! to an HTTP status and a gRPC code).

use super::{
    MAX_DESCRIPTION, MAX_EXPIRY, MAX_PASSWORD, MAX_PUBLIC_KEYS, MIN_EXPIRY, MIN_PASSWORD,
    MIN_WITHDRAWAL_SAT,
};
use crate::node::PaymentFailure;
use crate::treasury::MIN_OUTPUT_SAT;

/// What kind of refusal a `Refusal` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Bad input.
    Invalid,
    /// Missing, expired or forged credentials.
    Unauthenticated,
    /// An unknown object.
    NotFound,
    /// Refused by the state of things (not enough funds, paid already...).
    FailedPrecondition,
}

/// A refusal of the merchant API. Its `Display` is the message sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body could not be read.
    #[error("request body too large")]
    BodyTooLarge,
    /// The body is not a JSON object (or holds NUL characters).
    #[error("request body must be a JSON object without NUL characters")]
    MalformedBody,
    /// A text field holds another JSON type.
    #[error("{0} must be a string")]
    NotText(&'static str),
    /// A required field is missing or empty.
    #[error("{0} is required")]
    Required(&'static str),
    /// A number field holds something else.
    #[error("{0} must be a whole number")]
    NotWholeNumber(&'static str),
    /// An amount is neither a number nor a string.
    #[error("{0} must be a whole number of satoshis")]
    AmountNotNumber(&'static str),
    /// An amount is not decimal digits (what was given, cut to 40 characters).
    #[error("{field} must be a whole number of satoshis, got: {got}")]
    AmountNotDigits {
        /// The field.
        field: &'static str,
        /// The start of what was given.
        got: String,
    },
    /// An amount is zero.
    #[error("{0} must be positive")]
    AmountNotPositive(&'static str),
    /// An amount is more than there will ever be.
    #[error("{0} is more than 21 million bitcoin")]
    AmountOverSupply(&'static str),
    /// An amount does not fit in millisatoshis.
    #[error("amount is too large")]
    AmountTooLarge,
    /// `expiry` is below the minimum.
    #[error("expiry is too small, minimal allowed is {MIN_EXPIRY}, got: {0}")]
    ExpiryTooSmall(i64),
    /// `expiry` is above the maximum.
    #[error("expiry is too big, maximum allowed is {MAX_EXPIRY}, got: {0}")]
    ExpiryTooBig(i64),
    /// `description` is too long for an invoice.
    #[error("description is longer than {MAX_DESCRIPTION} characters")]
    DescriptionTooLong,
    /// A URL field is not an http(s) URL.
    #[error("{0} must be an http(s) URL")]
    NotHttpUrl(&'static str),
    /// `limit` or `offset` is out of range.
    #[error("{field} must be a whole number from 0 to {max}")]
    PageOutOfRange {
        /// The parameter.
        field: &'static str,
        /// Its largest value.
        max: i64,
    },
    /// `raw_public_key_list` is not a list of 1 to 16 keys.
    #[error("raw_public_key_list must list 1 to {MAX_PUBLIC_KEYS} base64 public keys")]
    BadPublicKeyList,
    /// A key of `raw_public_key_list` is not a base64 key.
    #[error("raw_public_key_list holds a value that is not a base64 secp256k1 public key")]
    PublicKeyNotBase64,
    /// A key field is not a hex key.
    #[error("{0} must be a hex secp256k1 public key")]
    PublicKeyNotHex(&'static str),
    /// Hub signup without `X-Pss-User-Id`.
    #[error("X-Pss-User-Id header is required")]
    NoPssUserId,
    /// A signature is missing or does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// No such user (PSS user at signup, email at signin).
    #[error("user not found")]
    UserNotFound,
    /// The email is not an address.
    #[error("not valid email address")]
    BadEmail,
    /// The password is too short or too long.
    #[error("password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")]
    BadPasswordLength,
    /// The id or the email has a merchant already.
    #[error("user is already registered")]
    AlreadyRegistered,
    /// Wrong password.
    #[error("invalid email or password")]
    WrongPassword,
    /// No token, or not one of ours.
    #[error("token not found")]
    TokenNotFound,
    /// The token expired.
    #[error("token is expired")]
    TokenExpired,
    /// The refresh token was used before.
    #[error("token already used")]
    TokenUsed,
    /// The refresh token is not 48 hex characters.
    #[error("incorrect recovery token")]
    BadRefreshToken,
    /// A valid token names a merchant that is gone.
    #[error("user not found")]
    MerchantGone,
    /// The request names another merchant than the token's.
    #[error("token does not belong to this merchant")]
    OtherMerchant,
    /// A Bitcoin address that is not one of the hub's network.
    #[error("invalid BTC address")]
    BadAddress,
    /// A withdrawal before merchant setup gave an address.
    #[error("no bitcoin_address set: run merchant setup first")]
    NoWithdrawalAddress,
    /// The hub has no treasury.
    #[error("on-chain payments are not available on this hub")]
    OnchainUnavailable,
    /// No such payment or invoice of this merchant.
    #[error("payment not found")]
    PaymentNotFound,
    /// No such withdrawal of this merchant.
    #[error("withdrawal not found")]
    WithdrawalNotFound,
    /// The payee is the payer.
    #[error("cannot pay to self")]
    SelfPayment,
    /// The payee is no merchant of this hub.
    #[error("merchant does not exist")]
    MerchantNotFound,
    /// The balance does not cover the amount (and its fee reserve).
    #[error("not enough funds to complete payment")]
    NotEnoughFunds,
    /// The merchant invoice paid internally is paid already (or held for a Lightning payment).
    #[error("invoice is already paid")]
    InvoiceAlreadyPaid,
    /// `payment_request` is not a BOLT11 invoice.
    #[error("payment_request is not a BOLT11 invoice")]
    NotAnInvoice,
    /// The invoice cannot be paid (network, expiry), as the node's check words it.
    #[error("{0}")]
    InvoiceUnusable(String),
    /// `amount` differs from the invoice's.
    #[error("amount {amount_sat} does not match the invoice's {asked_msat} msat")]
    AmountMismatch {
        /// What was given, sats.
        amount_sat: u64,
        /// What the invoice asks, msat.
        asked_msat: u64,
    },
    /// No route, or an invoice of the hub's own that is no merchant's.
    #[error("wrong destination")]
    WrongDestination,
    /// The node refused the payment (its words).
    #[error("wrong destination: {0}")]
    NodeRefused(String),
    /// The node failed the payment.
    #[error("payment failed: {0:?}")]
    PaymentFailed(Option<PaymentFailure>),
    /// A payment of this invoice is pending or succeeded.
    #[error("this invoice is already paid or being paid")]
    AlreadyBeingPaid,
    /// The node has not the liquidity.
    #[error("the hub cannot send this payment now")]
    HubCannotSend,
    /// An on-chain amount below the dust limit.
    #[error("amount must be at least {MIN_OUTPUT_SAT} satoshis (the dust limit)")]
    BelowDust,
    /// The treasury did not send an on-chain payment (its words).
    #[error("the on-chain payment was not sent: {0}")]
    OnchainNotSent(String),
    /// The on-chain invoice is settled: it cannot be cancelled.
    #[error("payment is already settled")]
    AlreadySettled,
    /// The treasury did not send a refund (its words).
    #[error("the refund could not be sent: {0}")]
    RefundNotSent(String),
    /// The whole sats of the balance are below the minimum withdrawal.
    #[error(
        "amount to withdraw: {balance_sat} is less than minimum allowed: {MIN_WITHDRAWAL_SAT}"
    )]
    BelowWithdrawalMinimum {
        /// The whole sats of the balance.
        balance_sat: u64,
    },
}

impl Refusal {
    /// What kind of refusal it is.
    pub fn kind(&self) -> RefusalKind {
        use Refusal::*;
        match self {
            WrongPassword | TokenNotFound | TokenExpired | TokenUsed | BadRefreshToken
            | MerchantGone | OtherMerchant => RefusalKind::Unauthenticated,
            UserNotFound | PaymentNotFound | WithdrawalNotFound | MerchantNotFound => {
                RefusalKind::NotFound
            }
            AlreadyRegistered
            | OnchainUnavailable
            | SelfPayment
            | NotEnoughFunds
            | InvoiceAlreadyPaid
            | WrongDestination
            | NodeRefused(_)
            | PaymentFailed(_)
            | AlreadyBeingPaid
            | HubCannotSend
            | OnchainNotSent(_)
            | AlreadySettled
            | RefundNotSent(_)
            | BelowWithdrawalMinimum { .. } => RefusalKind::FailedPrecondition,
            BodyTooLarge
            | MalformedBody
            | NotText(_)
            | Required(_)
            | NotWholeNumber(_)
            | AmountNotNumber(_)
            | AmountNotDigits { .. }
            | AmountNotPositive(_)
            | AmountOverSupply(_)
            | AmountTooLarge
            | ExpiryTooSmall(_)
            | ExpiryTooBig(_)
            | DescriptionTooLong
            | NotHttpUrl(_)
            | PageOutOfRange { .. }
            | BadPublicKeyList
            | PublicKeyNotBase64
            | PublicKeyNotHex(_)
            | NoPssUserId
            | BadSignature
            | BadEmail
            | BadPasswordLength
            | BadAddress
            | NoWithdrawalAddress
            | NotAnInvoice
            | InvoiceUnusable(_)
            | AmountMismatch { .. }
            | BelowDust => RefusalKind::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RefusalKind::*;

    #[test]
    fn every_refusal_has_the_original_message_and_kind() {
        let cases = [
            (Refusal::BodyTooLarge, "request body too large", Invalid),
            (Refusal::NotText("email"), "email must be a string", Invalid),
            (Refusal::Required("amount"), "amount is required", Invalid),
            (
                Refusal::NotWholeNumber("expiry"),
                "expiry must be a whole number",
                Invalid,
            ),
            (
                Refusal::AmountOverSupply("amount"),
                "amount is more than 21 million bitcoin",
                Invalid,
            ),
            (
                Refusal::ExpiryTooBig(4_000),
                "expiry is too big, maximum allowed is 3600, got: 4000",
                Invalid,
            ),
            (
                Refusal::DescriptionTooLong,
                "description is longer than 639 characters",
                Invalid,
            ),
            (
                Refusal::NotHttpUrl("ntfn_url"),
                "ntfn_url must be an http(s) URL",
                Invalid,
            ),
            (
                Refusal::BadPublicKeyList,
                "raw_public_key_list must list 1 to 16 base64 public keys",
                Invalid,
            ),
            (
                Refusal::PublicKeyNotHex("pub_key"),
                "pub_key must be a hex secp256k1 public key",
                Invalid,
            ),
            (Refusal::BadSignature, "invalid signature", Invalid),
            (Refusal::UserNotFound, "user not found", NotFound),
            (Refusal::MerchantGone, "user not found", Unauthenticated),
            (Refusal::BadEmail, "not valid email address", Invalid),
            (
                Refusal::BadPasswordLength,
                "password must be 8 to 1024 characters",
                Invalid,
            ),
            (
                Refusal::AlreadyRegistered,
                "user is already registered",
                FailedPrecondition,
            ),
            (
                Refusal::WrongPassword,
                "invalid email or password",
                Unauthenticated,
            ),
            (Refusal::TokenExpired, "token is expired", Unauthenticated),
            (Refusal::TokenUsed, "token already used", Unauthenticated),
            (
                Refusal::BadRefreshToken,
                "incorrect recovery token",
                Unauthenticated,
            ),
            (
                Refusal::OtherMerchant,
                "token does not belong to this merchant",
                Unauthenticated,
            ),
            (
                Refusal::SelfPayment,
                "cannot pay to self",
                FailedPrecondition,
            ),
            (
                Refusal::MerchantNotFound,
                "merchant does not exist",
                NotFound,
            ),
            (
                Refusal::NotEnoughFunds,
                "not enough funds to complete payment",
                FailedPrecondition,
            ),
            (
                Refusal::AmountMismatch {
                    amount_sat: 5,
                    asked_msat: 6_000,
                },
                "amount 5 does not match the invoice's 6000 msat",
                Invalid,
            ),
            (
                Refusal::PaymentFailed(None),
                "payment failed: None",
                FailedPrecondition,
            ),
            (
                Refusal::BelowDust,
                "amount must be at least 330 satoshis (the dust limit)",
                Invalid,
            ),
            (
                Refusal::WithdrawalNotFound,
                "withdrawal not found",
                NotFound,
            ),
            (
                Refusal::BelowWithdrawalMinimum { balance_sat: 20 },
                "amount to withdraw: 20 is less than minimum allowed: 1000",
                FailedPrecondition,
            ),
        ];
        for (refusal, message, kind) in cases {
            assert_eq!(refusal.to_string(), message);
            assert_eq!(refusal.kind(), kind, "{message}");
        }
    }
}
