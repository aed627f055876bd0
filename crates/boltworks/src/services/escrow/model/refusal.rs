//! [`Refusal`]: every refusal of the escrow API, each with its message exactly as the wire
//! sends it (`{"status":"error","message":...}`, see `api::EscrowError`).

use super::{Role, Status, MAX_FINAL_CLTV_DELTA};
use crate::money::{Msat, Sat};

/// Every refusal of the escrow API, with its message as the wire sends it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is too large or could not be read.
    #[error("request body is too large or unreadable")]
    BodyUnreadable,
    /// The body is JSON but not an object.
    #[error("request body must be a JSON object")]
    BodyNotObject,
    /// The body is not JSON.
    #[error("malformed JSON body: {0}")]
    MalformedBody(String),
    /// A field name or value holds a NUL character.
    #[error("request fields must not contain NUL characters")]
    NulInField,
    /// A required field is missing or empty.
    #[error("{0} is required")]
    Missing(&'static str),
    /// A text field is something else.
    #[error("{0} must be a string")]
    NotText(&'static str),
    /// A text field is too long.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// An integer field is something else.
    #[error("{0} must be a non-negative integer")]
    NotInteger(&'static str),
    /// A height field is out of range.
    #[error("{0} must be a block height")]
    NotHeight(&'static str),
    /// `amount` is missing.
    #[error("amount is required (a positive integer of sats)")]
    AmountMissing,
    /// `amount` is zero.
    #[error("amount must be positive")]
    AmountZero,
    /// `amount` is more than there will ever be.
    #[error("amount is more than 21 million bitcoin")]
    AmountOverSupply,
    /// The session key is unknown or expired.
    #[error("invalid session")]
    InvalidSession,
    /// No such transaction, or not one of the caller's.
    #[error("transaction not found")]
    TxNotFound,
    /// Too many failed logins; `wait_secs` until the window passes.
    #[error("too many failed logins; try again in {} minutes", (.wait_secs + 59) / 60)]
    TooManyLogins {
        /// Seconds to wait.
        wait_secs: i64,
    },
    /// `setuser` with a taken email and another password.
    #[error("user already exists")]
    UserExists,
    /// Unknown email or wrong password (alike, so emails cannot be probed).
    #[error("wrong password")]
    WrongPassword,
    /// The transaction has another buyer.
    #[error("this transaction already has a buyer")]
    HasBuyer,
    /// `setinvoice` by someone other than the seller.
    #[error("only the seller can set the invoice")]
    OnlySellerSetsInvoice,
    /// The text is not a BOLT11 invoice.
    #[error("{0}")]
    NotAnInvoice(String),
    /// The invoice is for another network.
    #[error("wrong network: {0}")]
    WrongNetwork(String),
    /// The invoice has expired.
    #[error("the invoice has expired: {0}")]
    InvoiceExpired(String),
    /// The invoice is not for the transaction's payment hash.
    #[error("wrong payment hash, try again")]
    WrongPaymentHash,
    /// The invoice has no amount.
    #[error("the invoice has no amount; it must be for exactly {} sats", .amount.0)]
    InvoiceWithoutAmount {
        /// The transaction's price.
        amount: Sat,
    },
    /// The invoice is for another amount.
    #[error("wrong amount: the invoice is for {} msat, the transaction for {} msat", .invoice.0, .expected.0)]
    WrongAmount {
        /// The invoice's amount.
        invoice: Msat,
        /// The transaction's price.
        expected: Msat,
    },
    /// The invoice's final CLTV delta is too long.
    #[error("invalid invoice: its final CLTV delta is over {MAX_FINAL_CLTV_DELTA} blocks")]
    CltvDeltaTooLarge,
    /// The transaction already has an invoice.
    #[error("this transaction already has an invoice")]
    HasInvoice,
    /// The invoice could not be stored: one was set meanwhile, or the transaction moved on.
    #[error("this transaction already has an invoice, or is too far along (received, settled, refunded or disputed) to take one")]
    InvoiceNotTaken,
    /// The caller is not the party this action belongs to (the wire says
    /// [`Refusal::OnlyThe`], see [`Action::permitted`]).
    #[error("only the other party can do this")]
    NotYours,
    /// Only this party may take the action.
    #[error("only the {} can do this", .0.as_str())]
    OnlyThe(Role),
    /// The transaction's status does not allow it.
    #[error("not allowed while the transaction is '{}'", .0.as_str())]
    WrongStatus(Status),
    /// The status changed between reading and writing (a racing request won).
    #[error("the transaction changed meanwhile; read it again")]
    ChangedMeanwhile,
    /// The preimage is not the caller's to fetch, or not yet (the original's answer).
    #[error("nice try!")]
    PreimageWithheld,
    /// A dispute is open, was decided, or the transaction is settled.
    #[error("a dispute is already open, or the transaction is settled")]
    DisputeNotOpened,
    /// The webhook URL is refused.
    #[error("{0}")]
    BadWebhookUrl(String),
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Roles, MAX_EMAIL};
    use super::*;

    const SELLER: Roles = Roles {
        seller: true,
        buyer: false,
    };

    #[test]
    fn refusals_keep_the_wire_messages() {
        assert_eq!(
            Action::GoodsReceived
                .permitted(SELLER, Status::GoodsSent)
                .map_err(|r| r.to_string()),
            Err("only the buyer can do this".to_string())
        );
        assert_eq!(
            Refusal::WrongStatus(Status::GoodsSent).to_string(),
            "not allowed while the transaction is 'goods sent'"
        );
        assert_eq!(
            Refusal::TooManyLogins { wait_secs: 61 }.to_string(),
            "too many failed logins; try again in 2 minutes"
        );
        assert_eq!(
            Refusal::WrongAmount {
                invoice: Msat(1_001),
                expected: Msat(1_000)
            }
            .to_string(),
            "wrong amount: the invoice is for 1001 msat, the transaction for 1000 msat"
        );
        assert_eq!(
            Refusal::InvoiceWithoutAmount { amount: Sat(5) }.to_string(),
            "the invoice has no amount; it must be for exactly 5 sats"
        );
        assert_eq!(
            Refusal::TooLong {
                field: "email",
                max: MAX_EMAIL
            }
            .to_string(),
            "email is longer than 254 characters"
        );
    }
}
