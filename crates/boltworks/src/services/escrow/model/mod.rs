//! The escrow rules, as the original implemented them: each action checks who calls and a
//! deny-list of current statuses (not a strict predecessor), so `buyerpaid` is optional and
//! `goodssent` may come before `confirmpayment`. Also the limits on input, the checks a seller's
//! invoice must pass (`invoice`), and [`Refusal`], every refusal the API makes with its wire
//! message (`refusal`). No I/O here.

mod invoice;
mod refusal;

pub use self::invoice::{check_invoice, AcceptedInvoice, InvoiceTerms};
pub use self::refusal::Refusal;
use crate::store::columns::stored_enum;

/// A session lasts 14 days, as the documentation says.
pub const SESSION_SECS: i64 = 14 * 24 * 3600;
/// `extend-session` moves the expiry to this fixed time (2038), as the original did.
pub const EXTENDED_EXPIRY: i64 = 2_176_860_314;
/// A transaction's informational expiry: 2 weeks after creation.
pub const TX_LIFETIME_SECS: i64 = 14 * 24 * 3600;
/// Largest final CLTV delta accepted in an invoice (two weeks of blocks).
pub const MAX_FINAL_CLTV_DELTA: u64 = 2_016;
/// Longest accepted email address (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest accepted password.
pub const MAX_PASSWORD: usize = 1_000;
/// Longest dispute reason.
pub const MAX_REASON: usize = 2_000;
/// Largest amount: 21 million bitcoin, in sats.
pub const MAX_SAT: u64 = 21_000_000 * 100_000_000;

stored_enum! {
    /// Transaction statuses, with the exact strings of the API (stored as the same text).
    pub enum Status {
        /// Created; the seller must submit an invoice.
        NeedsInvoice = "needs invoice",
        /// Invoice stored; the buyer should pay it.
        NeedsPaid = "needs paid",
        /// The buyer says they paid.
        ClaimsPaid = "claims paid",
        /// The seller confirms the payment is held at their node.
        Paid = "paid",
        /// The seller shipped.
        GoodsSent = "goods sent",
        /// The buyer confirmed receipt: the seller may fetch the preimage.
        GoodsReceived = "goods received",
        /// The seller fetched the preimage.
        FundsReceived = "funds received",
        /// Extension: an operator refunded the buyer after a dispute; the preimage is destroyed.
        Refunded = "refunded",
    }
}

impl Status {
    /// Parses a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }

    /// Settled: the preimage went to the seller or was destroyed. Nothing changes afterwards:
    /// no dispute opens, no deadline warning goes out.
    pub const SETTLED: [Status; 2] = [Status::FundsReceived, Status::Refunded];

    /// Too far along to take an invoice: the buyer confirmed receipt, or it is settled.
    pub const PAST_INVOICE: [Status; 3] = [
        Status::GoodsReceived,
        Status::FundsReceived,
        Status::Refunded,
    ];

    /// The seller may fetch the preimage (again, once fetched) when no dispute is open.
    pub const RELEASABLE: [Status; 2] = [Status::GoodsReceived, Status::FundsReceived];
}

stored_enum! {
    /// How an operator settles a dispute (stored as `release` / `refund`).
    pub enum Resolution {
        /// The seller may fetch the preimage.
        Release = "release",
        /// The preimage is destroyed; the seller must fail the payment back.
        Refund = "refund",
    }
}

/// Who is calling, relative to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The transaction's seller.
    Seller,
    /// The transaction's attached buyer.
    Buyer,
}

impl Role {
    /// The word the API uses for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Seller => "seller",
            Role::Buyer => "buyer",
        }
    }
}

/// The caller's roles in a transaction: one account may be both (the original documented this
/// for services acting for their users).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles {
    /// The caller is the seller.
    pub seller: bool,
    /// The caller is the attached buyer.
    pub buyer: bool,
}

impl Roles {
    /// `user`'s roles in a transaction of `seller` with the attached `buyer`; strangers have
    /// none (and learn nothing, not even that the transaction exists).
    pub fn of(user: i64, seller: i64, buyer: Option<i64>) -> Result<Roles, Refusal> {
        let roles = Roles {
            seller: seller == user,
            buyer: buyer == Some(user),
        };
        if roles.seller || roles.buyer {
            Ok(roles)
        } else {
            Err(Refusal::TxNotFound)
        }
    }

    fn has(self, role: Role) -> bool {
        match role {
            Role::Seller => self.seller,
            Role::Buyer => self.buyer,
        }
    }
}

/// A status-changing action after the invoice is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `buyerpaid`.
    BuyerPaid,
    /// `confirmpayment`.
    ConfirmPayment,
    /// `goodssent`.
    GoodsSent,
    /// `goodsreceived`.
    GoodsReceived,
}

impl Action {
    /// Who may take it.
    pub fn actor(self) -> Role {
        match self {
            Action::BuyerPaid | Action::GoodsReceived => Role::Buyer,
            Action::ConfirmPayment | Action::GoodsSent => Role::Seller,
        }
    }

    /// The status it leads to.
    pub fn target(self) -> Status {
        match self {
            Action::BuyerPaid => Status::ClaimsPaid,
            Action::ConfirmPayment => Status::Paid,
            Action::GoodsSent => Status::GoodsSent,
            Action::GoodsReceived => Status::GoodsReceived,
        }
    }

    /// Statuses from which the original refused it.
    fn refused_from(self) -> &'static [Status] {
        use Status::*;
        match self {
            Action::BuyerPaid => &[
                ClaimsPaid,
                Paid,
                GoodsSent,
                GoodsReceived,
                FundsReceived,
                Refunded,
            ],
            Action::ConfirmPayment => &[Paid, GoodsSent, GoodsReceived, FundsReceived, Refunded],
            Action::GoodsSent => &[GoodsSent, GoodsReceived, FundsReceived, Refunded],
            Action::GoodsReceived => &[GoodsReceived, FundsReceived, Refunded],
        }
    }

    /// Whether `role` may take this action on a transaction in `status`.
    pub fn allowed(self, roles: Roles, status: Status) -> Result<(), Refusal> {
        if !roles.has(self.actor()) {
            return Err(Refusal::NotYours);
        }
        if self.refused_from().contains(&status) {
            return Err(Refusal::WrongStatus(status));
        }
        Ok(())
    }

    /// [`Action::allowed`], with `NotYours` told as the wire tells it: whose action it is.
    pub fn permitted(self, roles: Roles, status: Status) -> Result<(), Refusal> {
        self.allowed(roles, status)
            .map_err(|refusal| match refusal {
                Refusal::NotYours => Refusal::OnlyThe(self.actor()),
                other => other,
            })
    }
}

/// The height by which the seller must settle a confirmed payment: the height they report, or
/// the chain height now plus the invoice's final CLTV delta (the earliest the HTLC can expire).
pub fn settle_by_height(reported: Option<i64>, chain_height: u32, final_cltv_delta: i64) -> i64 {
    reported.unwrap_or_else(|| i64::from(chain_height).saturating_add(final_cltv_delta))
}

/// A login's email as stored: trimmed, lowercased, at most [`MAX_EMAIL`] long.
pub fn login_email(raw: &str) -> Result<String, Refusal> {
    let email = raw.trim().to_lowercase();
    if email.len() > MAX_EMAIL {
        return Err(Refusal::TooLong {
            field: "email",
            max: MAX_EMAIL,
        });
    }
    Ok(email)
}

/// A password within [`MAX_PASSWORD`].
pub fn check_password_length(password: &str) -> Result<(), Refusal> {
    if password.len() > MAX_PASSWORD {
        return Err(Refusal::TooLong {
            field: "password",
            max: MAX_PASSWORD,
        });
    }
    Ok(())
}

/// A dispute reason within [`MAX_REASON`].
pub fn check_reason_length(reason: &str) -> Result<(), Refusal> {
    if reason.len() > MAX_REASON {
        return Err(Refusal::TooLong {
            field: "reason",
            max: MAX_REASON,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_with_their_exact_strings() {
        for text in [
            "needs invoice",
            "needs paid",
            "claims paid",
            "paid",
            "goods sent",
            "goods received",
            "funds received",
        ] {
            assert_eq!(Status::parse(text).map(Status::as_str), Some(text));
        }
        assert_eq!(Status::parse("Paid"), None);
    }

    const SELLER: Roles = Roles {
        seller: true,
        buyer: false,
    };
    const BUYER: Roles = Roles {
        seller: false,
        buyer: true,
    };

    #[test]
    fn one_account_may_act_as_both_parties() {
        let both = Roles {
            seller: true,
            buyer: true,
        };
        assert!(Action::GoodsSent.allowed(both, Status::Paid).is_ok());
        assert!(Action::GoodsReceived
            .allowed(both, Status::GoodsSent)
            .is_ok());
    }

    #[test]
    fn the_deny_list_allows_the_originals_permissive_orders() {
        // buyerpaid is optional: the seller may confirm straight from "needs paid".
        assert!(Action::ConfirmPayment
            .allowed(SELLER, Status::NeedsPaid)
            .is_ok());
        // goodssent may come before confirmpayment.
        assert!(Action::GoodsSent.allowed(SELLER, Status::NeedsPaid).is_ok());
        assert_eq!(
            Action::GoodsSent.allowed(SELLER, Status::GoodsSent),
            Err(Refusal::WrongStatus(Status::GoodsSent))
        );
        assert_eq!(
            Action::GoodsReceived.allowed(SELLER, Status::GoodsSent),
            Err(Refusal::NotYours)
        );
        assert_eq!(
            Action::BuyerPaid.allowed(BUYER, Status::Paid),
            Err(Refusal::WrongStatus(Status::Paid))
        );
    }
}
