//! The order webhook (a boltworks extension of both LSP APIs): an order created with
//! `webhook_url` gets every state change POSTed there, written to the outbox in the transaction
//! that made the change, so a change that committed is announced and one that rolled back is not.
//!
//! The body is the same for both APIs and deliberately small: which order, its state in the
//! v0.0.1 numbering and in LSPS1's, and when. Clients fetch the full order from their own API.

use serde::Serialize;
use sqlx::AnyConnection;

use super::lsps1_api::{Lsps1OrderState, PaymentState};
use super::model::OrderApi;
use super::store;
use crate::clock::Clock;
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};

/// The event type of every order webhook.
pub const EVENT_TYPE: &str = "lsp.order.state_changed";

/// The body of an order webhook.
#[derive(Debug, Serialize)]
pub struct OrderStateChanged {
    /// Always `lsp.order.state_changed`.
    pub event: &'static str,
    /// Which order.
    pub order_id: String,
    /// The API that created it.
    pub api: OrderApi,
    /// Its state, in the v0.0.1 numbering.
    pub state: i64,
    /// The state's v0.0.1 name.
    pub state_name: &'static str,
    /// Its LSPS1 state.
    pub lsps1_state: Lsps1OrderState,
    /// Its LSPS1 payment state. (UNDER_FUNDED is not announced: partial on-chain payments
    /// change no state.)
    pub payment_state: PaymentState,
    /// When it changed (unix seconds).
    pub updated_at: i64,
}

/// Writes the order's state-change webhook to the outbox within `conn`'s transaction, if the
/// order has a webhook URL. MUST be called in the transaction that changed the state.
pub async fn state_changed(
    conn: &mut AnyConnection,
    clock: &Clock,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    let Some(order) = store::order(conn, order_id).await? else {
        return Ok(());
    };
    let Some(url) = order.webhook_url.as_deref() else {
        return Ok(());
    };
    let body = OrderStateChanged {
        event: EVENT_TYPE,
        order_id: order.id.clone(),
        api: order.api,
        state: order.state.number(),
        state_name: order.state.name(),
        lsps1_state: Lsps1OrderState::of(&order),
        payment_state: PaymentState::of(&order, 0),
        updated_at: order.updated_at,
    };
    let body = serde_json::to_value(&body).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let event = WebhookEvent {
        service: "lsp",
        event_type: EVENT_TYPE,
        url,
        body: &body,
    };
    enqueue_webhook_unless_invalid(conn, clock, event).await?;
    Ok(())
}
