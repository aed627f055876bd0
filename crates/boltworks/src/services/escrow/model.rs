//! The escrow state machine, as the original implemented it: each action checks who calls and a
//! deny-list of current statuses (not a strict predecessor), so `buyerpaid` is optional and
//! `goodssent` may come before `confirmpayment`. No I/O here.

/// Transaction statuses, with the exact strings of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Created; the seller must submit an invoice.
    NeedsInvoice,
    /// Invoice stored; the buyer should pay it.
    NeedsPaid,
    /// The buyer says they paid.
    ClaimsPaid,
    /// The seller confirms the payment is held at their node.
    Paid,
    /// The seller shipped.
    GoodsSent,
    /// The buyer confirmed receipt: the seller may fetch the preimage.
    GoodsReceived,
    /// The seller fetched the preimage.
    FundsReceived,
    /// Extension: an operator refunded the buyer after a dispute; the preimage is destroyed.
    Refunded,
}

impl Status {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NeedsInvoice => "needs invoice",
            Status::NeedsPaid => "needs paid",
            Status::ClaimsPaid => "claims paid",
            Status::Paid => "paid",
            Status::GoodsSent => "goods sent",
            Status::GoodsReceived => "goods received",
            Status::FundsReceived => "funds received",
            Status::Refunded => "refunded",
        }
    }

    /// Parses a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Status::NeedsInvoice,
            Status::NeedsPaid,
            Status::ClaimsPaid,
            Status::Paid,
            Status::GoodsSent,
            Status::GoodsReceived,
            Status::FundsReceived,
            Status::Refunded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
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
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller is not the party this action belongs to.
    NotYours,
    /// The transaction's status does not allow it.
    WrongStatus(Status),
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
