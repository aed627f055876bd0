//! The order webhook (a boltworks extension of both LSP APIs): an order created with
//! `webhook_url` gets every state change POSTed there, written to the outbox in the transaction
//! that made the change, so a change that committed is announced and one that rolled back is not.
//!
//! The body is the same for both APIs and deliberately small: which order, its state in the
//! v0.0.1 numbering and in LSPS1's, and when. Clients fetch the full order from their own API.

use serde_json::json;
use sqlx::AnyConnection;

use super::lsps1_api::{lsps1_order_state, payment_state};
use super::model::OrderState;
use super::store;
use crate::clock::Clock;
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};

/// The event type of every order webhook.
pub const EVENT_TYPE: &str = "lsp.order.state_changed";

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
    let name = order
        .order_state()
        .and_then(|s| OrderState::ALL.iter().find(|(_, x)| *x == s))
        .map(|(name, _)| *name);
    let body = json!({
        "event": EVENT_TYPE,
        "order_id": order.id,
        "api": order.api,
        "state": order.state,
        "state_name": name,
        "lsps1_state": lsps1_order_state(&order),
        // (UNDER_FUNDED is not announced: partial on-chain payments change no state.)
        "payment_state": payment_state(&order, 0),
        "updated_at": order.updated_at,
    });
    let event = WebhookEvent {
        service: "lsp",
        event_type: EVENT_TYPE,
        url,
        body: &body,
    };
    enqueue_webhook_unless_invalid(conn, clock, event).await?;
    Ok(())
}
