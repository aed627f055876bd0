//! The order engine's rules, without I/O: the order states (the v0.0.1 numbers), the fee
//! formula (Blocktank's, in integer arithmetic), and the limits both APIs advertise.

/// An order's state, numbered as the v0.0.1 API numbers it (LSPS1 derives its enums from it).
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

/// After a failed open attempt (`attempts` made so far): the delay before the next one, in
/// seconds (5 s doubling, at most 640 s), and whether to give up instead.
pub fn retry_plan(attempts: i64, max_attempts: u32) -> (i64, bool) {
    let backoff = 5i64 << attempts.clamp(0, 7);
    (backoff, attempts >= i64::from(max_attempts))
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
    fn states_round_trip_through_their_numbers() {
        for (_, state) in OrderState::ALL {
            assert_eq!(OrderState::from_number(state.number()), Some(state));
        }
        assert_eq!(OrderState::from_number(1), None);
    }
}
