//! The rules of a gift, without I/O: its states (stored as their text), amount limits, the
//! optional sender fields, which `notify` URLs are kept, the refusal codes, when a gift can be
//! redeemed, the LNURL `k1` check, and the checks a payout invoice must pass.

use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use serde_json::Value;

use crate::clock::Clock;
use crate::node::{Invoice, InvoiceProblem};
use crate::store::columns::stored_enum;

stored_enum! {
    /// Whether the gift's own invoice (its "charge") is paid; the wire's words too.
    pub enum ChargeStatus {
        /// Not paid yet.
        Unpaid = "unpaid",
        /// Paid: the gift exists and the hub owes its value.
        Paid = "paid",
    }
}

stored_enum! {
    /// Whether the gift was redeemed. Stored as text; the wire says `false`, `"pending"` or
    /// `true` (see `api`).
    pub enum Spent {
        /// Redeemable (once paid).
        No = "false",
        /// A payout is in flight.
        Pending = "pending",
        /// Paid out.
        Yes = "true",
    }
}

stored_enum! {
    /// Where a redemption attempt stands; the wire's words too.
    pub enum WithdrawalStatus {
        /// Claimed, the payout in flight (or not yet handed to the node).
        Initial = "initial",
        /// Paid out.
        Confirmed = "confirmed",
        /// The payout failed; the gift is redeemable again.
        Error = "error",
    }
}

stored_enum! {
    /// How the gift is being redeemed.
    pub enum Via {
        /// `POST /redeem/{order_id}`.
        Redeem = "redeem",
        /// The LNURL-withdraw callback.
        Lnurl = "lnurl",
    }
}

/// Smallest gift, in sats.
pub const MIN_GIFT_SAT: u64 = 100;
/// Largest gift, in sats.
pub const MAX_GIFT_SAT: u64 = 500_000;
/// Longest sender name, in characters.
pub const MAX_SENDER_NAME: usize = 15;
/// Longest sender message, in characters.
pub const MAX_SENDER_MESSAGE: usize = 100;

/// Every refusal of the gifts API, by its wire code (the original's where it had one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `amount` is missing or not a whole number.
    AmountNotWholeNumber,
    /// `amount` is below 100 sats.
    AmountUnder100,
    /// `amount` is above 500,000 sats.
    AmountOver500k,
    /// `senderName` is not a string.
    SenderNameNotString,
    /// `senderName` is longer than 15 characters.
    SenderNameBadLength,
    /// `senderMessage` is not a string.
    SenderMessageNotString,
    /// `senderMessage` is longer than 100 characters.
    SenderMessageBadLength,
    /// No charge with this id.
    ChargeNotFound,
    /// No gift with this id.
    GiftNotFound,
    /// The gift's own invoice is not paid yet.
    GiftInvoiceUnpaid,
    /// A payout of this gift is in flight.
    GiftRedeemPending,
    /// The gift was redeemed.
    GiftSpent,
    /// No invoice was given.
    NoInvoice,
    /// The invoice is not a BOLT11 invoice.
    BadInvoice,
    /// The invoice is amountless or not for exactly the gift's amount.
    BadInvoiceAmount,
    /// The invoice is for another Bitcoin network.
    BadInvoiceNetwork,
    /// The invoice has expired.
    InvoiceExpired,
    /// The invoice is the hub's own (the node cannot pay itself).
    InvoicePaysThisHub,
    /// The invoice is already the target of another payout.
    InvoiceAlreadyUsed,
    /// The LNURL callback's `k1` is missing or wrong.
    BadK1,
    /// No withdrawal with this id.
    WithdrawalNotFound,
}

impl Refusal {
    /// The code sent as `message` (API) or `reason` (LNURL).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::AmountNotWholeNumber => "GIFT_AMOUNT_NOT_WHOLE_NUMBER",
            Refusal::AmountUnder100 => "GIFT_AMOUNT_UNDER_100",
            Refusal::AmountOver500k => "GIFT_AMOUNT_OVER_500K",
            Refusal::SenderNameNotString => "SENDER_NAME_NOT_STRING",
            Refusal::SenderNameBadLength => "SENDER_NAME_BAD_LENGTH",
            Refusal::SenderMessageNotString => "SENDER_MESSAGE_NOT_STRING",
            Refusal::SenderMessageBadLength => "SENDER_MESSAGE_BAD_LENGTH",
            Refusal::ChargeNotFound => "CHARGE_NOT_FOUND",
            Refusal::GiftNotFound => "GIFT_NOT_FOUND",
            Refusal::GiftInvoiceUnpaid => "GIFT_INVOICE_UNPAID",
            Refusal::GiftRedeemPending => "GIFT_REDEEM_PENDING",
            Refusal::GiftSpent => "GIFT_SPENT",
            Refusal::NoInvoice => "NO_INVOICE",
            Refusal::BadInvoice => "BAD_INVOICE",
            Refusal::BadInvoiceAmount => "BAD_INVOICE_AMOUNT",
            Refusal::BadInvoiceNetwork => "BAD_INVOICE_NETWORK",
            Refusal::InvoiceExpired => "INVOICE_EXPIRED",
            Refusal::InvoicePaysThisHub => "INVOICE_PAYS_THIS_HUB",
            Refusal::InvoiceAlreadyUsed => "INVOICE_ALREADY_USED",
            Refusal::BadK1 => "BAD_K1",
            Refusal::WithdrawalNotFound => "WITHDRAWAL_NOT_FOUND",
        }
    }

    /// The HTTP status on API routes: 404 for unknown charges and withdrawals (the digest's
    /// recommendation), 400 for everything else, unknown gifts included (as the original's
    /// `/redeem`; `GET /gift` answers 404 itself).
    pub fn http_status(self) -> u16 {
        match self {
            Refusal::ChargeNotFound | Refusal::WithdrawalNotFound => 404,
            _ => 400,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A gift's amount from a JSON value or a form string: a whole number of sats from 100 to
/// 500,000. `5000.0` counts as whole (as JavaScript's `Number.isInteger` has it).
pub fn gift_amount(value: Option<&Value>) -> Result<u64, Refusal> {
    let number = match value {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite() && n.fract() == 0.0)
    .ok_or(Refusal::AmountNotWholeNumber)?;
    if number < MIN_GIFT_SAT as f64 {
        return Err(Refusal::AmountUnder100);
    }
    if number > MAX_GIFT_SAT as f64 {
        return Err(Refusal::AmountOver500k);
    }
    // In range and whole, so exact.
    Ok(number as u64)
}

/// An optional sender field: a string of at most `max` characters; empty counts as absent.
pub fn sender_text(
    value: Option<&Value>,
    max: usize,
    not_string: Refusal,
    bad_length: Refusal,
) -> Result<Option<String>, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.trim().chars().count() > max => Err(bad_length),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(not_string),
    }
}

/// The `notify` URL to keep: an http(s) URL that parses; anything else is ignored (no error),
/// as the digest recommends. Delivery checks the address again.
pub fn notify_url(value: Option<&Value>) -> Option<String> {
    let Some(Value::String(text)) = value else {
        return None;
    };
    let text = text.trim();
    if text.len() > 2_000 || !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    url::Url::parse(text).ok().map(|url| url.to_string())
}

/// Checks a payout invoice for a gift of `amount_sat`: it decodes, is for this network, has
/// not expired by the hub's clock, asks exactly the gift's amount, and is not the hub's own.
pub fn payout_invoice(
    text: &str,
    amount_sat: u64,
    network: Network,
    clock: &Clock,
    hub: PublicKey,
) -> Result<Invoice, Refusal> {
    let text = text.trim();
    let text = text
        .strip_prefix("lightning:")
        .or_else(|| text.strip_prefix("LIGHTNING:"))
        .unwrap_or(text);
    if text.is_empty() {
        return Err(Refusal::NoInvoice);
    }
    let invoice = Invoice::parse(text).map_err(|_| Refusal::BadInvoice)?;
    match invoice.check_usable(network, clock) {
        Ok(()) => {}
        Err(InvoiceProblem::WrongNetwork { .. }) => return Err(Refusal::BadInvoiceNetwork),
        Err(InvoiceProblem::Expired { .. }) => return Err(Refusal::InvoiceExpired),
    }
    let wanted = amount_sat
        .checked_mul(1_000)
        .ok_or(Refusal::BadInvoiceAmount)?;
    if invoice.amount().map(|a| a.0) != Some(wanted) {
        return Err(Refusal::BadInvoiceAmount);
    }
    if invoice.payee() == hub {
        return Err(Refusal::InvoicePaysThisHub);
    }
    Ok(invoice)
}

/// Refuses a gift that cannot be redeemed now, with the code for its state: unpaid first,
/// then a payout in flight, then spent.
pub fn check_redeemable(charge: ChargeStatus, spent: Spent) -> Result<(), Refusal> {
    match (charge, spent) {
        (ChargeStatus::Unpaid, _) => Err(Refusal::GiftInvoiceUnpaid),
        (ChargeStatus::Paid, Spent::Pending) => Err(Refusal::GiftRedeemPending),
        (ChargeStatus::Paid, Spent::Yes) => Err(Refusal::GiftSpent),
        (ChargeStatus::Paid, Spent::No) => Ok(()),
    }
}

/// Whether the LNURL callback's `k1` is the gift's, compared in constant time.
pub fn k1_matches(given: Option<&str>, k1: &str) -> bool {
    given.is_some_and(|given| {
        given.len() == k1.len()
            && given
                .bytes()
                .zip(k1.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_follow_the_original_limits_and_codes() {
        let cases = [
            (json!(5000), Ok(5000)),
            (json!("5000"), Ok(5000)),
            (json!(5000.0), Ok(5000)),
            (json!(100), Ok(100)),
            (json!(500000), Ok(500_000)),
            (json!(99), Err(Refusal::AmountUnder100)),
            (json!(0), Err(Refusal::AmountUnder100)),
            (json!(-5000), Err(Refusal::AmountUnder100)),
            (json!(500001), Err(Refusal::AmountOver500k)),
            (json!(1e300), Err(Refusal::AmountOver500k)),
            (json!(18446744073709551615u64), Err(Refusal::AmountOver500k)),
            (json!(100.5), Err(Refusal::AmountNotWholeNumber)),
            (json!("abc"), Err(Refusal::AmountNotWholeNumber)),
            (json!("NaN"), Err(Refusal::AmountNotWholeNumber)),
            (json!("inf"), Err(Refusal::AmountNotWholeNumber)),
            (json!(true), Err(Refusal::AmountNotWholeNumber)),
            (json!([5000]), Err(Refusal::AmountNotWholeNumber)),
        ];
        for (value, expected) in cases {
            assert_eq!(gift_amount(Some(&value)), expected, "{value}");
        }
        assert_eq!(gift_amount(None), Err(Refusal::AmountNotWholeNumber));
    }

    #[test]
    fn sender_fields_are_optional_bounded_strings() {
        let name = |v: Value| {
            sender_text(
                Some(&v),
                MAX_SENDER_NAME,
                Refusal::SenderNameNotString,
                Refusal::SenderNameBadLength,
            )
        };
        assert_eq!(name(json!("Ann")), Ok(Some("Ann".into())));
        assert_eq!(name(json!("")), Ok(None));
        assert_eq!(
            name(json!("ééééééééééééééé")),
            Ok(Some("ééééééééééééééé".into()))
        );
        assert_eq!(
            name(json!("a".repeat(16))),
            Err(Refusal::SenderNameBadLength)
        );
        assert_eq!(name(json!(5)), Err(Refusal::SenderNameNotString));
    }

    #[test]
    fn redeemable_only_when_paid_and_unspent() {
        use ChargeStatus::{Paid, Unpaid};
        assert_eq!(check_redeemable(Paid, Spent::No), Ok(()));
        assert_eq!(
            check_redeemable(Paid, Spent::Pending),
            Err(Refusal::GiftRedeemPending)
        );
        assert_eq!(check_redeemable(Paid, Spent::Yes), Err(Refusal::GiftSpent));
        for spent in Spent::ALL {
            assert_eq!(
                check_redeemable(Unpaid, *spent),
                Err(Refusal::GiftInvoiceUnpaid)
            );
        }
    }

    #[test]
    fn states_keep_their_stored_text() {
        let spent: Vec<_> = Spent::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(spent, ["false", "pending", "true"]);
        assert_eq!("paid".parse(), Ok(ChargeStatus::Paid));
        assert_eq!(WithdrawalStatus::Error.as_str(), "error");
        assert_eq!(Via::Lnurl.as_str(), "lnurl");
    }

    #[test]
    fn k1_must_match_exactly() {
        assert!(k1_matches(Some("ab12"), "ab12"));
        assert!(!k1_matches(Some("ab13"), "ab12"));
        assert!(!k1_matches(Some("ab1"), "ab12"));
        assert!(!k1_matches(None, "ab12"));
    }

    #[test]
    fn only_http_notify_urls_are_kept() {
        assert_eq!(
            notify_url(Some(&json!("https://example.com/hook"))),
            Some("https://example.com/hook".into())
        );
        assert_eq!(notify_url(Some(&json!("ftp://example.com"))), None);
        assert_eq!(notify_url(Some(&json!("http://"))), None);
        assert_eq!(notify_url(Some(&json!(42))), None);
        assert_eq!(notify_url(None), None);
    }
}
