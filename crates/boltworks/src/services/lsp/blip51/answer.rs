//! An order as bLIP-51 shows it, derived from the engine's one state: `order_state`, the
//! bolt11 payment's state, and the channel once its funding is published.

use super::request::CreateOrder;
use super::wire::{
    Bolt11Payment, Channel, OrderAnswer, OrderState, Payment, PaymentState, SatString,
};
use crate::clock::iso_time;
use crate::services::lsp::model::{HtlcState, OrderState as EngineState};
use crate::services::lsp::store::Order;

fn order_state(order: &Order) -> OrderState {
    match order.state {
        state if state.is_delivered() => OrderState::Completed,
        EngineState::Expired | EngineState::GiveUp | EngineState::Refunded => OrderState::Failed,
        _ => OrderState::Created,
    }
}

fn payment_state(order: &Order) -> PaymentState {
    match order.payment.htlc_state {
        // bLIP-51 names a held payment HOLD, but LDK's own client (lightning-liquidity 0.2)
        // cannot read that state and calls any sufficient payment received PAID: so do we.
        HtlcState::Held | HtlcState::Settled => PaymentState::Paid,
        HtlcState::FailedBack => PaymentState::Refunded,
        // An invoice nobody paid in time is cancelled, which bLIP-51 writes REFUNDED.
        HtlcState::None if order_state(order) == OrderState::Failed => PaymentState::Refunded,
        HtlcState::None => PaymentState::ExpectPayment,
    }
}

fn channel(order: &Order) -> Option<Channel> {
    let channel = &order.channel;
    let (txid, vout) = (channel.funding_txid.as_ref()?, channel.funding_vout?);
    let funded_at = channel.opened_at.unwrap_or(order.updated_at);
    let expires_at = channel.channel_expires_at.unwrap_or(funded_at);
    Some(Channel {
        funded_at: iso_time(funded_at.saturating_mul(1_000)),
        funding_outpoint: format!("{txid}:{vout}"),
        expires_at: iso_time(expires_at.saturating_mul(1_000)),
    })
}

/// `order`, made with `request`, as `create_order` and `get_order` answer it.
pub fn of(order: &Order, request: &CreateOrder) -> OrderAnswer {
    let terms = &order.terms;
    OrderAnswer {
        order_id: order.id.clone(),
        lsp_balance_sat: SatString(terms.lsp_balance_sat),
        client_balance_sat: SatString(terms.client_balance_sat),
        required_channel_confirmations: request.required_channel_confirmations,
        funding_confirms_within_blocks: request.funding_confirms_within_blocks,
        channel_expiry_blocks: request.channel_expiry_blocks,
        token: String::new(),
        announce_channel: request.announce_channel,
        created_at: iso_time(order.created_at_ms),
        order_state: order_state(order),
        payment: Payment {
            bolt11: Bolt11Payment {
                state: payment_state(order),
                expires_at: iso_time(terms.order_expires_at.saturating_mul(1_000)),
                fee_total_sat: SatString(terms.fee_sat),
                order_total_sat: SatString(terms.total_sat),
                invoice: order.payment.payment_request.clone(),
            },
        },
        channel: channel(order),
    }
}
