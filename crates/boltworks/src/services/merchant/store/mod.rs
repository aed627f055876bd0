//! The merchant hub's SQL, one file per aggregate: merchants (with their PSS registration and
//! spendable balances), refresh tokens, Lightning invoices, on-chain invoices, outgoing
//! payments, and withdrawals with their batches; and the console's listing of them. Rows are `sqlx::FromRow` structs; state
//! columns are enums stored as their text (the Lightning invoice's hold state as its number);
//! amounts are `Sat`/`Msat`.
//!
//! Writes that move money run inside the caller's transaction, and each transaction that takes
//! money starts with the conditional UPDATE that takes it (so SQLite takes its write lock first
//! and PostgreSQL locks the merchant's row).

pub mod invoices;
pub mod listing;
pub mod merchants;
pub mod onchain_invoices;
pub mod payments;
pub mod tokens;
pub mod withdrawals;

pub use self::invoices::{HeldInvoice, Hold, InvoiceState, LightningInvoice, PaidBy};
pub use self::merchants::{Merchant, Setup};
pub use self::onchain_invoices::{OnchainInvoice, OnchainInvoiceStatus};
pub use self::payments::{NewPayment, Payment, PaymentKind, PaymentStatus};
pub use self::tokens::RefreshUse;
pub use self::withdrawals::{Withdrawal, WithdrawalStatus};
