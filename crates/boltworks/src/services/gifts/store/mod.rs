//! The gifts tables, one file per aggregate: `gifts` (a gift and its funding) and
//! `withdrawals` (its redemption attempts, which also move the gift's `spent` state). Rows map
//! with `sqlx::FromRow`; states bind and decode as their `model` enums and amounts as
//! `Sat`/`Msat`. Every state change is one conditional UPDATE, so two requests racing for the
//! same gift cannot both win; the unique indexes on live withdrawals back that up in the
//! database itself.

mod gifts;
pub mod listing;
mod withdrawals;

pub use self::gifts::{charge_status, gift, insert_gift, mark_funded, unredeemed_msat, Gift};
pub use self::withdrawals::{
    claim_for_payout, live_withdrawals, mark_confirmed, mark_failed, withdrawal,
    withdrawal_status_by_hash, ClaimError, PayoutClaim, Withdrawal, WithdrawalKey,
};
