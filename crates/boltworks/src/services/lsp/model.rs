//! The order engine's rules, without I/O: the order states (the v0.0.1 numbers) and the states of
//! an order's payment and refund, what those states mean (paid, refunded, delivered, ready for
//! `/open`), the fee formula (Blocktank's, in integer arithmetic), the retry plan of opening, the
//! limits both APIs advertise, and the refusals the engine makes (`Refusal`), which each API
//! words in its own format.

use super::store::Order;
use crate::store::columns::stored_enum;

/// An order's state, numbered as the v0.0.1 API numbers it (LSPS1 derives its enums from it).
/// Stored as its number (`lsp_orders.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Awaiting payment.
    Created = 0,
    /// Paid (the HTLC is held, or on-chain money confirmed).
    Paid = 100,
    /// Refunded.
    Refunded = 150,
    /// Paid and the buyer's node is known: queued for opening.
    UriSet = 200,
    /// Funding transaction broadcast.
    Opening = 300,
    /// The LSP is closing the channel.
    Closing = 350,
    /// Opening failed for good.
    GiveUp = 400,
    /// Not paid in time.
    Expired = 410,
    /// Channel closed.
    Closed = 450,
    /// Channel open.
    Open = 500,
}

impl OrderState {
    /// Every state with its v0.0.1 name, as `/node/info` lists them.
    pub const ALL: [(&'static str, OrderState); 10] = [
        ("CREATED", OrderState::Created),
        ("PAID", OrderState::Paid),
        ("REFUNDED", OrderState::Refunded),
        ("URI_SET", OrderState::UriSet),
        ("OPENING", OrderState::Opening),
        ("CLOSING", OrderState::Closing),
        ("GIVE_UP", OrderState::GiveUp),
        ("EXPIRED", OrderState::Expired),
        ("CLOSED", OrderState::Closed),
        ("OPEN", OrderState::Open),
    ];

    /// The state stored as `number`.
    pub fn from_number(number: i64) -> Option<Self> {
        Self::ALL
            .iter()
            .map(|(_, state)| *state)
            .find(|state| *state as i64 == number)
    }

    /// The stored number.
    pub fn number(self) -> i64 {
        self as i64
    }

    /// The v0.0.1 name (`CREATED`, `URI_SET`, ...).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, state)| *state == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether the channel's funding was broadcast: the order is delivered (the channel may have
    /// closed since).
    pub fn is_delivered(self) -> bool {
        matches!(
            self,
            OrderState::Opening | OrderState::Open | OrderState::Closing | OrderState::Closed
        )
    }

    /// Whether the order is still to be delivered: unpaid, paid, or queued for opening.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            OrderState::Created | OrderState::Paid | OrderState::UriSet
        )
    }
}

/// A stored state number that names no order state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown order state {0}")]
pub struct UnknownOrderState(pub i64);

impl TryFrom<i64> for OrderState {
    type Error = UnknownOrderState;

    fn try_from(number: i64) -> Result<Self, Self::Error> {
        Self::from_number(number).ok_or(UnknownOrderState(number))
    }
}

stored_enum! {
    /// Where the order's hold-invoice payment (the buyer's HTLC) stands (`htlc_state`).
    pub enum HtlcState {
        /// Nothing arrived.
        None = "none",
        /// Held, until the channel's funding is broadcast or the order fails.
        Held = "held",
        /// Claimed: the money is the hub's.
        Settled = "settled",
        /// Failed back: the money went back to the payer.
        FailedBack = "failed_back",
    }
}

impl HtlcState {
    /// Whether the buyer's Lightning payment arrived and was not given back.
    pub fn received(self) -> bool {
        matches!(self, HtlcState::Held | HtlcState::Settled)
    }
}

stored_enum! {
    /// Where an on-chain (or Lightning-invoice) refund of the order stands (`refund_state`).
    pub enum RefundState {
        /// Claimed and committed, being sent.
        InFlight = "in_flight",
        /// Sent.
        PaidOut = "paid_out",
    }
}

stored_enum! {
    /// The API that created an order (`api`).
    pub enum OrderApi {
        /// LSP v0.0.1 (Blocktank v1).
        V1 = "v1",
        /// LSPS1 v0.0.2.
        Lsps1 = "lsps1",
    }
}

/// Whether the buyer's money went back: the held HTLC failed back (for an order not paid on
/// chain), or a refund was sent.
pub(super) fn refunded(order: &Order) -> bool {
    (order.payment.htlc_state == HtlcState::FailedBack && order.payment.onchain_paid_sat.is_none())
        || order.refund.refund_state == Some(RefundState::PaidOut)
        || order.state == OrderState::Refunded
}

/// Whether the order counts as paid: paid on chain, or its Lightning payment arrived for an order
/// past `CREATED` (one that expired meanwhile does not count), and not refunded.
pub(super) fn paid(order: &Order) -> bool {
    !refunded(order)
        && (order.payment.onchain_paid_sat.is_some()
            || (order.payment.htlc_state.received() && order.state != OrderState::Created))
}

/// Sats received for the order so far: the held (or settled) Lightning payment and what arrived
/// at its address (`onchain_sat`).
pub(super) fn amount_paid_sat(order: &Order, onchain_sat: u64) -> u64 {
    let lightning = match order.payment.held_msat {
        Some(held) if order.payment.htlc_state.received() => held.0 / 1_000,
        _ => 0,
    };
    lightning.saturating_add(onchain_sat)
}

/// Why an order cannot take a request to open its channel now (LSPS1's `/open`), if it cannot.
pub(super) fn open_refusal(order: &Order) -> Option<Refusal> {
    let in_progress = order.state == OrderState::UriSet && order.channel.user_channel_id.is_some();
    match order.state {
        state if state.is_delivered() => Some(Refusal::AlreadyOpen),
        _ if in_progress => Some(Refusal::BeingOpened),
        OrderState::GiveUp => Some(Refusal::GaveUp(order.channel.open_error.clone())),
        OrderState::Expired => Some(Refusal::Expired),
        _ if !paid(order) => Some(Refusal::NotPaid),
        _ => None,
    }
}

/// Whether `id` can be an order id: hex or a UUID, at most 64 characters. Anything else is no
/// order, and never reaches the database.
pub fn is_order_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A refusal of the order engine. Each API answers it in its own format (v0.0.1 with the
/// original's texts, LSPS1 with a `fail_reason` or a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The amounts asked for do not fit the hub's integers (absurd inputs).
    AmountsTooLarge,
    /// The hub's on-chain funds cannot fund a channel of this size now.
    CannotFundNow,
    /// The order's channel is open (or was).
    AlreadyOpen,
    /// The order's channel is being opened.
    BeingOpened,
    /// The order gave up opening: the last attempt's error, if recorded.
    GaveUp(Option<String>),
    /// The order expired.
    Expired,
    /// The order is not paid (yet).
    NotPaid,
    /// Refunds on chain need the hub's treasury, which this hub does not run.
    RefundsUnsupported,
    /// Nothing is refundable: the order is still to be delivered, or the hub holds nothing for it.
    NothingToRefund,
    /// Nothing is refundable because the payment went back by itself (its held HTLC was failed
    /// back).
    PaidBack,
    /// A refund was already claimed (by a rival request, or before).
    AlreadyRefunded,
    /// The refund address is not one of this network.
    BadRefundAddress,
    /// The invoice cannot be a refund: the reason.
    BadRefundInvoice(String),
    /// The node refused to pay the refund invoice (nothing was sent): the reason.
    RefundPaymentRefused(String),
    /// The refund cannot be sent on chain (it would not pay its own fee): the reason.
    RefundTooSmall(String),
}

/// A daily rate as an exact decimal fraction: `numerator / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyRate {
    numerator: u128,
    scale: u32,
}

impl DailyRate {
    /// Parses a decimal such as `0.0001` (at most 24 decimal places, below 1).
    pub fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        if whole != "0" && !whole.is_empty() || fraction.len() > 24 {
            return None;
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let numerator = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        Some(Self {
            numerator,
            scale: u32::try_from(fraction.len()).ok()?,
        })
    }
}

/// What the hub's node wallet keeps beyond a channel's capacity to pay its funding transaction's
/// fee (and the anchor reserve).
pub const FUNDING_RESERVE_SAT: u64 = 50_000;

/// Blocktank's dust floor for the fee: twice the 546-sat dust limit.
pub const MIN_FEE_SAT: u64 = 1_092;

/// The fee for keeping `lsp_balance_sat` of inbound liquidity for `weeks`: the daily rate times
/// the days times the balance, rounded half up, at least 1,092 sats.
pub fn fee_sat(lsp_balance_sat: u64, weeks: u64, rate: DailyRate) -> Option<u64> {
    let days = u128::from(weeks).checked_mul(7)?;
    let scaled = u128::from(lsp_balance_sat)
        .checked_mul(days)?
        .checked_mul(rate.numerator)?;
    let divisor = 10u128.checked_pow(rate.scale)?;
    let rounded = scaled.checked_add(divisor / 2)? / divisor;
    Some(u64::try_from(rounded).ok()?.max(MIN_FEE_SAT))
}

/// What follows a failed open attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPlan {
    /// The delay before the next attempt, in seconds.
    pub backoff_secs: i64,
    /// Give up instead.
    pub give_up: bool,
}

/// After a failed open attempt (`attempts` made so far): the delay before the next one (5 s
/// doubling, at most 640 s), and whether to give up instead.
pub fn retry_plan(attempts: i64, max_attempts: u32) -> RetryPlan {
    RetryPlan {
        backoff_secs: 5i64 << attempts.clamp(0, 7),
        give_up: attempts >= i64::from(max_attempts),
    }
}

/// The LSP's product limits, advertised by both info endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LspLimits {
    /// Smallest channel advertised (sats).
    pub min_channel_sat: u64,
    /// Largest channel (LSP side plus buyer side), enforced.
    pub max_channel_sat: u64,
    /// Shortest lease, in weeks.
    pub min_expiry_weeks: u64,
    /// Longest lease, in weeks.
    pub max_expiry_weeks: u64,
    /// The daily fee rate.
    pub daily_rate: DailyRate,
    /// How long an order can be paid, in seconds.
    pub order_expiry_secs: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocktank_test_vector_is_reproduced_exactly() {
        let rate = DailyRate::parse("0.00010332054794520548").expect("rate");
        let fee = fee_sat(500_000_000, 12, rate).expect("fee");
        assert_eq!(fee, 4_339_463);
        assert_eq!(fee + 100_000_000, 104_339_463);
        assert_eq!(fee_sat(1, 12, rate), Some(MIN_FEE_SAT));
        assert_eq!(fee_sat(0, 1, rate), Some(MIN_FEE_SAT));
    }

    #[test]
    fn rounding_is_half_up_and_huge_inputs_do_not_overflow() {
        let rate = DailyRate::parse("0.00015").expect("rate");
        assert_eq!(fee_sat(10_000_000, 1, rate), Some(10_500));
        // 1575 sats * 7 days * 0.1 = 1102.5: half up gives 1103 (banker's rounding 1102).
        let tenth = DailyRate::parse("0.1").expect("rate");
        assert_eq!(fee_sat(1_575, 1, tenth), Some(1_103));
        assert_eq!(fee_sat(u64::MAX, u64::MAX, tenth), None);
    }

    #[test]
    fn rates_parse_only_as_plain_fractions() {
        assert!(DailyRate::parse("0.0001").is_some());
        assert!(DailyRate::parse(".0001").is_some());
        assert!(DailyRate::parse("1.5").is_none());
        assert!(DailyRate::parse("-0.1").is_none());
        assert!(DailyRate::parse("0.1e3").is_none());
    }

    #[test]
    fn stored_numbers_decode_into_states_or_fail() {
        assert_eq!(OrderState::try_from(200), Ok(OrderState::UriSet));
        assert_eq!(OrderState::try_from(7), Err(UnknownOrderState(7)));
        assert_eq!(OrderState::GiveUp.name(), "GIVE_UP");
    }

    #[test]
    fn states_round_trip_through_their_numbers() {
        for (_, state) in OrderState::ALL {
            assert_eq!(OrderState::from_number(state.number()), Some(state));
        }
        assert_eq!(OrderState::from_number(1), None);
    }
}
