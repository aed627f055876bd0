//! The merchant hub's money rules: amounts as requests give them, the hub's fee on incoming
//! payments, what an outgoing payment reserves and how its reserve ends, and what a withdrawal
//! takes. Amounts are `Sat`/`Msat`; a sum that overflows is refused, never wrapped.

use serde_json::Value;

use super::Refusal;
use crate::money::{Msat, Sat, MAX_STORED};
use crate::node::PaymentFailure;
use crate::treasury::MIN_OUTPUT_SAT;

/// The most sats any amount may be: all the bitcoin there will ever be.
pub const MAX_AMOUNT_SAT: u64 = 21_000_000 * 100_000_000;
/// Smallest withdrawal, sats.
pub const MIN_WITHDRAWAL_SAT: u64 = 1_000;

/// An amount of whole sats from JSON: a positive integer, or a string of decimal digits, at
/// most 21 million bitcoin; with the exact text it was given as (signatures cover the amount as
/// sent).
pub fn parse_amount(field: &'static str, value: &Value) -> Result<(Sat, String), Refusal> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(Refusal::AmountNotNumber(field)),
    };
    if text.is_empty() || text.len() > 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        let got = text.chars().take(40).collect();
        return Err(Refusal::AmountNotDigits { field, got });
    }
    match text.parse::<u64>() {
        Ok(0) => Err(Refusal::AmountNotPositive(field)),
        Ok(sat) if sat <= MAX_AMOUNT_SAT => Ok((Sat(sat), text)),
        _ => Err(Refusal::AmountOverSupply(field)),
    }
}

/// `amount` in msat, as a column holds it.
pub fn to_msat(amount: Sat) -> Result<Msat, Refusal> {
    amount
        .to_msat()
        .filter(|msat| msat.0 <= MAX_STORED)
        .ok_or(Refusal::AmountTooLarge)
}

/// The hub's fee on an incoming payment: 1% of the amount, at least 1 sat.
pub fn incoming_fee_sat(amount: Sat) -> Sat {
    Sat((amount.0 / 100).max(1))
}

/// What the merchant keeps of `amount` after `fee` (the fee never exceeds the amount it is
/// taken from; a larger one leaves nothing rather than wrap).
pub fn net_of_fee(amount: Sat, fee: Sat) -> Sat {
    Sat(amount.0.saturating_sub(fee.0))
}

/// The fee of a settled on-chain invoice: 1% of what it asked (of what it received, for an open
/// amount), never more than it received.
pub fn onchain_fee_sat(asked: Option<Sat>, received: Sat) -> Sat {
    incoming_fee_sat(asked.unwrap_or(received)).min(received)
}

/// Whether an on-chain invoice received all it asked (any amount, for an open amount).
pub fn paid_in_full(asked: Option<Sat>, received: Sat) -> bool {
    asked.is_none_or(|asked| received >= asked)
}

/// Whether what the node holds for a Lightning invoice pays its amount.
pub fn held_enough(asked: Sat, held: Msat) -> bool {
    held.0 >= asked.0.saturating_mul(1_000)
}

/// Checks `amount` against the invoice's own: equal, or the invoice has none. `true` when the
/// invoice is amountless (the payment then names the amount).
pub fn check_invoice_amount(
    asked: Option<Msat>,
    amount_sat: Sat,
    amount: Msat,
) -> Result<bool, Refusal> {
    match asked {
        Some(asked) if asked != amount => Err(Refusal::AmountMismatch {
            amount_sat: amount_sat.0,
            asked_msat: asked.0,
        }),
        Some(_) => Ok(false),
        None => Ok(true),
    }
}

/// The refusal of a payment the node failed.
pub fn payment_failed(reason: Option<PaymentFailure>) -> Refusal {
    match reason {
        Some(PaymentFailure::RouteNotFound) => Refusal::WrongDestination,
        other => Refusal::PaymentFailed(other),
    }
}

/// An on-chain payout amount: at least the dust limit.
pub fn onchain_payout_amount(amount: Sat) -> Result<Sat, Refusal> {
    if amount.0 < MIN_OUTPUT_SAT {
        return Err(Refusal::BelowDust);
    }
    Ok(amount)
}

/// What an outgoing payment takes from the balance before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserve {
    /// The routing-fee reserve, as stored (capped at what a column holds).
    pub fee_limit: Msat,
    /// The amount and the fee reserve.
    pub total: Msat,
}

/// The reserve of a payment of `amount` with routing-fee cap `fee_limit`; refused as not
/// enough funds when it is more than any balance can be.
pub fn reserve(amount: Msat, fee_limit: Msat) -> Result<Reserve, Refusal> {
    let fee_limit = Msat(fee_limit.0.min(MAX_STORED));
    let total = amount
        .checked_add(fee_limit)
        .filter(|total| total.0 <= MAX_STORED)
        .ok_or(Refusal::NotEnoughFunds)?;
    Ok(Reserve { fee_limit, total })
}

/// How a settled Lightning payment's reserve ends: the merchant pays the amount and the actual
/// fee, the rest of the fee reserve goes back; a fee above the reserve (the node caps it, so
/// this cannot happen) the hub bears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutEnd {
    /// What the payment held: amount and fee reserve.
    pub reserved: Msat,
    /// What goes back to the merchant.
    pub returned: Msat,
    /// The fee above the reserve, the hub's expense.
    pub over: Msat,
}

impl PayoutEnd {
    /// The end of a payment of `amount` that reserved `fee_limit` and paid `fee`; `None` if the
    /// sums overflow.
    pub fn settled(amount: Msat, fee_limit: Msat, fee: Msat) -> Option<Self> {
        Some(Self {
            reserved: amount.checked_add(fee_limit)?,
            returned: Msat(fee_limit.0.saturating_sub(fee.0)),
            over: Msat(fee.0.saturating_sub(fee_limit.0)),
        })
    }
}

/// The whole sats of `balance`.
pub fn whole_sats(balance: Msat) -> Sat {
    Sat(balance.0 / 1_000)
}

/// What a withdrawal takes of `balance`: its whole sats, if at least the minimum (the msat
/// remainder stays).
pub fn withdrawable(balance: Msat) -> Result<Msat, Refusal> {
    let whole = whole_sats(balance);
    if whole.0 == 0 || whole.0 < MIN_WITHDRAWAL_SAT {
        return Err(Refusal::BelowWithdrawalMinimum {
            balance_sat: whole.0,
        });
    }
    Ok(Msat(whole.0 * 1_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_whole_positive_sats_as_numbers_or_strings() {
        assert_eq!(
            parse_amount("amount", &json!(20000)).expect("ok").0,
            Sat(20000)
        );
        assert_eq!(
            parse_amount("amount", &json!("20000")).expect("ok").1,
            "20000"
        );
        for bad in [
            json!(0),
            json!(-5),
            json!(1.5),
            json!("1e3"),
            json!(" 5"),
            json!("-1"),
            json!(true),
            json!("99999999999999999999999"),
            json!(MAX_AMOUNT_SAT + 1),
        ] {
            assert!(parse_amount("amount", &bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_amount("amount", &json!("abc")).map_err(|r| r.to_string()),
            Err("amount must be a whole number of satoshis, got: abc".into())
        );
    }

    #[test]
    fn the_fee_is_one_percent_or_one_sat() {
        assert_eq!(incoming_fee_sat(Sat(20_000)), Sat(200));
        assert_eq!(incoming_fee_sat(Sat(100)), Sat(1));
        assert_eq!(incoming_fee_sat(Sat(1)), Sat(1));
        assert_eq!(incoming_fee_sat(Sat(199)), Sat(1));
        assert_eq!(onchain_fee_sat(Some(Sat(10_000)), Sat(50)), Sat(50));
        assert_eq!(onchain_fee_sat(None, Sat(10_000)), Sat(100));
    }

    #[test]
    fn a_reserve_never_exceeds_what_a_balance_holds() {
        let reserve = reserve(Msat(1_000), Msat(u64::MAX)).map(|r| r.fee_limit);
        assert_eq!(reserve, Err(Refusal::NotEnoughFunds));
        assert_eq!(
            super::reserve(Msat(1_000), Msat(10)).map(|r| r.total),
            Ok(Msat(1_010))
        );
        let end = PayoutEnd::settled(Msat(1_000), Msat(10), Msat(3));
        assert_eq!(
            end.map(|e| (e.reserved, e.returned, e.over)),
            Some((Msat(1_010), Msat(7), Msat(0)))
        );
    }

    #[test]
    fn withdrawals_take_whole_sats_from_the_minimum() {
        assert_eq!(withdrawable(Msat(1_000_999)), Ok(Msat(1_000_000)));
        assert_eq!(
            withdrawable(Msat(999_999)).map_err(|r| r.to_string()),
            Err("amount to withdraw: 999 is less than minimum allowed: 1000".into())
        );
    }
}
