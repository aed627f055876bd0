//! The LSP in the ledger. A Lightning payment settled before its channel opened is held for the
//! order (`liabilities:lsp:<order>`), as on-chain money is. A delivered order (its channel's funding broadcast, its payment the
//! hub's) books what paid for it, `paid_msat` from `paid_from` (`assets:lightning` for a settled
//! Lightning payment; the order's liability for on-chain money, which the treasury credited there
//! when it confirmed), against the LSP's fee (`income:lsp-fees`), the balance pushed to the buyer
//! at open (out of `assets:node-wallet`, whose coins funded the channel) and any surplus of a
//! Lightning payment (`income:overpayments`). A surplus on chain stays in the liability: it is
//! refundable. Once per order.

use sqlx::AnyConnection;

use super::store::Order;
use crate::ledger::{self, Entry};

/// Books a Lightning payment settled before its order's channel opened (its claim deadline came
/// first): `paid_msat` is held for the order until it is delivered or refunded.
pub(super) async fn prepaid(
    conn: &mut AnyConnection,
    now: i64,
    order: &Order,
    paid_msat: i64,
) -> Result<(), sqlx::Error> {
    let entries = [
        Entry::debit(ledger::ASSETS_LIGHTNING, paid_msat),
        Entry::credit(ledger::lsp_order_liability(&order.id), paid_msat),
    ];
    let reference = format!("lsp-prepaid:{}", order.id);
    ledger::post_or_log(conn, now, "lsp-prepaid", &reference, &entries).await
}

/// Books the delivery of `order`, paid with `paid_msat` from `paid_from`.
pub(super) async fn delivered(
    conn: &mut AnyConnection,
    now: i64,
    order: &Order,
    paid_from: &str,
    paid_msat: i64,
) -> Result<(), sqlx::Error> {
    let fee = order.fee_sat.saturating_mul(1_000);
    let pushed = order.client_balance_sat.saturating_mul(1_000);
    let (debit, surplus) = if paid_from == ledger::ASSETS_LIGHTNING {
        let surplus = paid_msat.saturating_sub(fee).saturating_sub(pushed).max(0);
        (paid_msat, surplus)
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
