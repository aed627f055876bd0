//! LSPS1's states, derived from the engine's one state (`model`): the order's, its payment's,
//! its channel's, and the flat view's (the seed's older model).

use serde::Serialize;

use crate::services::lsp::model::{self, OrderState};
use crate::services::lsp::store::Order;

/// The order's LSPS1 `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lsps1OrderState {
    /// Not paid yet.
    AwaitingPayment,
    /// Not paid in time.
    OfferExpired,
    /// The channel's funding was broadcast.
    Completed,
    /// Paid (or given up): the channel is to be opened.
    PendingChannelOpen,
}

impl Lsps1OrderState {
    /// The state of `order`.
    pub fn of(order: &Order) -> Self {
        match order.state {
            OrderState::Created => Lsps1OrderState::AwaitingPayment,
            OrderState::Expired => Lsps1OrderState::OfferExpired,
            state if state.is_delivered() => Lsps1OrderState::Completed,
            _ => Lsps1OrderState::PendingChannelOpen,
        }
    }
}

/// The order's LSPS1 `payment.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentState {
    /// The money went back.
    Refunded,
    /// Paid.
    Paid,
    /// Some money arrived on chain, not enough.
    UnderFunded,
    /// Nothing arrived.
    Created,
}

impl PaymentState {
    /// The payment state of `order`, with `onchain_sat` received at its address so far.
    pub fn of(order: &Order, onchain_sat: u64) -> Self {
        if model::refunded(order) {
            PaymentState::Refunded
        } else if model::paid(order) {
            PaymentState::Paid
        } else if onchain_sat > 0 {
            PaymentState::UnderFunded
        } else {
            PaymentState::Created
        }
    }
}

/// The channel's LSPS1 `state`, once its funding transaction is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChannelState {
    /// Funding broadcast.
    Opening,
    /// Usable.
    Opened,
    /// Being closed.
    Closing,
    /// Closed.
    Closed,
}

impl ChannelState {
    /// The channel state of `order`, if its funding is out.
    pub fn of(order: &Order) -> Option<Self> {
        match order.state {
            OrderState::Opening => Some(ChannelState::Opening),
            OrderState::Open => Some(ChannelState::Opened),
            OrderState::Closing => Some(ChannelState::Closing),
            OrderState::Closed => Some(ChannelState::Closed),
            _ => None,
        }
    }
}

/// The flat view's `state` (the seed's older model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlatState {
    /// The money went back.
    Refunded,
    /// Some money arrived on chain, not enough.
    UnderFunded,
    /// Nothing arrived.
    Created,
    /// Not paid in time.
    OfferExpired,
    /// Opening failed (for now, or for good).
    Failed,
    /// Funding broadcast.
    Opening,
    /// Usable.
    Opened,
    /// Being closed.
    Closing,
    /// Closed.
    Closed,
    /// Paid, the channel to be opened.
    Pending,
}

impl FlatState {
    /// The flat state of `order`, with `onchain_sat` received at its address so far.
    pub fn of(order: &Order, onchain_sat: u64) -> Self {
        if model::refunded(order) {
            return FlatState::Refunded;
        }
        match order.state {
            OrderState::Created if onchain_sat > 0 => FlatState::UnderFunded,
            OrderState::Created => FlatState::Created,
            OrderState::Expired => FlatState::OfferExpired,
            OrderState::GiveUp => FlatState::Failed,
            OrderState::UriSet if order.channel.open_error.is_some() => FlatState::Failed,
            OrderState::Opening => FlatState::Opening,
            OrderState::Open => FlatState::Opened,
            OrderState::Closing => FlatState::Closing,
            OrderState::Closed => FlatState::Closed,
            _ => FlatState::Pending,
        }
    }
}
