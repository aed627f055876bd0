//! The `lsp_orders` table, by aggregate: the order row and its creation (`orders`), its payment
//! (the held HTLC, on-chain payment: `payments`), its open attempts (`attempts`), its channel's
//! life and lease (`channels`), and its refunds (`refunds`). Every transition is one conditional
//! UPDATE on the state it leaves, so racing requests and replayed node events change an order at
//! most once.

mod attempts;
mod channels;
pub mod listing;
mod orders;
mod payments;
mod refunds;

pub use self::attempts::{
    begin_open, channel_is_known, due_for_opening, extend_open, open_in_progress, order_of_channel,
    postpone_open, record_open_failed, record_open_started, set_target, stalled_opens,
    unrecorded_attempt, OpenTarget,
};
pub use self::channels::{
    leases_to_close, mark_closing, record_closed, record_funding, record_ready,
};
pub use self::orders::{
    expired_unfinalised, insert, order, paid_with_named_node, touch, transition, NewOrder, Order,
    OrderTerms,
};
pub use self::payments::{
    awaiting_onchain, held_to_resolve, record_held, record_htlc, record_paid_onchain,
};
pub use self::refunds::{
    claim_refund, record_refund_sent, refund_in_flight_by_hash, refunds_in_flight, release_refund,
    RefundClaim,
};
