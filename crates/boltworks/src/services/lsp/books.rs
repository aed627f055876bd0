//! The LSP in the ledger. A Lightning payment settled before its channel opened is held for the
//! order (`liabilities:lsp:<order>`), as on-chain money is. A delivered order (its channel's
//! funding broadcast, its payment the hub's) books what paid for it, `paid` from `paid_from`
//! (`assets:lightning` for a settled Lightning payment; the order's liability for on-chain money,
//! which the treasury credited there when it confirmed), against the LSP's fee
//! (`income:lsp-fees`), the balance pushed to the buyer at open (out of `assets:node-wallet`,
//! whose coins funded the channel) and any surplus of a Lightning payment
//! (`income:overpayments`). A surplus on chain stays in the liability: it is refundable. Once per
//! order.

use sqlx::AnyConnection;

use super::store::Order;
use crate::ledger::{self, Entry};
use crate::money::{Msat, Sat};

/// `amount` as a ledger amount (signed msat); an amount beyond one is an error, never a wrap.
pub(super) fn ledger_msat(amount: Msat) -> Result<i64, sqlx::Error> {
    amount
        .to_db()
        .ok_or_else(|| sqlx::Error::Encode(format!("{amount} is beyond a ledger amount").into()))
}

/// `amount` in sats as a ledger amount (signed msat).
pub(super) fn ledger_sat(amount: Sat) -> Result<i64, sqlx::Error> {
    let msat = amount
        .to_msat()
        .ok_or_else(|| sqlx::Error::Encode(format!("{amount} is beyond a ledger amount").into()))?;
    ledger_msat(msat)
}

/// Books a Lightning payment settled before its order's channel opened (its claim deadline came
/// first): `paid` is held for the order until it is delivered or refunded.
pub(super) async fn prepaid(
    conn: &mut AnyConnection,
    now: i64,
    order: &Order,
    paid: Msat,
) -> Result<(), sqlx::Error> {
    let paid = ledger_msat(paid)?;
    let entries = [
        Entry::debit(ledger::ASSETS_LIGHTNING, paid),
        Entry::credit(ledger::lsp_order_liability(&order.id), paid),
    ];
    let reference = format!("lsp-prepaid:{}", order.id);
    ledger::post_or_log(conn, now, "lsp-prepaid", &reference, &entries).await
}

/// Books the delivery of `order`, paid with `paid` from `paid_from`.
pub(super) async fn delivered(
    conn: &mut AnyConnection,
    now: i64,
    order: &Order,
    paid_from: &str,
    paid: Msat,
) -> Result<(), sqlx::Error> {
    let fee = ledger_sat(order.terms.fee_sat)?;
    let pushed = ledger_sat(order.terms.client_balance_sat)?;
    let (debit, surplus) = if paid_from == ledger::ASSETS_LIGHTNING {
        let paid = ledger_msat(paid)?;
        let surplus = paid.saturating_sub(fee).saturating_sub(pushed).max(0);
        (paid, surplus)
    } else {
        // Exactly the order's total leaves the liability; any surplus stays refundable.
        (fee.saturating_add(pushed), 0)
    };
    let entries = [
        Entry::debit(paid_from, debit),
        Entry::credit(ledger::INCOME_LSP_FEES, fee),
        Entry::credit(ledger::ASSETS_NODE_WALLET, pushed),
        Entry::credit(ledger::INCOME_OVERPAYMENTS, surplus),
    ];
    let reference = format!("lsp-delivered:{}", order.id);
    ledger::post_or_log(conn, now, "lsp-delivered", &reference, &entries).await
}
