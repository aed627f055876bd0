//! What merchants are told, written in the transaction of the change that causes it: webhooks
//! through the outbox (the seed's bodies, `api::notices`; the outbox adds boltworks' signature
//! header) and websocket frames on the merchant's stream.

use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;

use super::api::{
    Frame, LightningNotice, LightningPayment, OnchainNotice, OnchainPaidWebhook, OutgoingPayment,
    PartialNotice, PartialPayment,
};
use super::store::{LightningInvoice, OnchainInvoice, Payment};
use crate::clock::Clock;
use crate::money::Sat;
use crate::notify::outbox::{enqueue_webhook_unless_invalid, WebhookEvent};
use crate::notify::stream;
use crate::store::Backend;

/// The stream service name of merchant notifications; the topic is the merchant id.
pub const STREAM_SERVICE: &str = "merchant";

/// Where a merchant's notifications go.
pub struct Recipient<'a> {
    /// Merchant id (the stream topic).
    pub merchant_id: &'a str,
    /// Webhook URL, if any.
    pub url: Option<&'a str>,
}

/// The outbox's JSON of a wire body.
fn json(body: &impl Serialize) -> Result<Value, sqlx::Error> {
    serde_json::to_value(body).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

async fn send(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    event_type: &str,
    webhook: &impl Serialize,
    frame: &impl Serialize,
) -> Result<(), sqlx::Error> {
    if let Some(url) = to.url.filter(|u| !u.is_empty()) {
        let body = json(webhook)?;
        let event = WebhookEvent {
            service: STREAM_SERVICE,
            event_type,
            url,
            body: &body,
        };
        enqueue_webhook_unless_invalid(conn, clock, event).await?;
    }
    let frame = json(frame)?;
    stream::publish(
        conn,
        backend,
        clock,
        STREAM_SERVICE,
        to.merchant_id,
        event_type,
        &frame,
    )
    .await?;
    Ok(())
}

/// A Lightning invoice was paid.
pub async fn lightning_paid(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    invoice: &LightningInvoice,
) -> Result<(), sqlx::Error> {
    let webhook = LightningPayment::from(invoice);
    let frame = Frame {
        result: LightningNotice::of(invoice),
    };
    send(conn, backend, clock, to, "lightning", &webhook, &frame).await
}

/// An on-chain invoice was paid in full and settled.
pub async fn onchain_paid(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    invoice: &OnchainInvoice,
    txids: &[String],
) -> Result<(), sqlx::Error> {
    let webhook = OnchainPaidWebhook::of(invoice, txids);
    let frame = Frame {
        result: OnchainNotice::of(invoice),
    };
    send(conn, backend, clock, to, "on_chain", &webhook, &frame).await
}

/// An on-chain invoice received part of its amount (held as locked balance).
pub async fn onchain_partial(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    invoice: &OnchainInvoice,
    paid: Sat,
) -> Result<(), sqlx::Error> {
    let payment = PartialPayment::of(invoice, paid);
    let frame = Frame {
        result: PartialNotice {
            payment: payment.clone(),
        },
    };
    send(conn, backend, clock, to, "partial", &payment, &frame).await
}

/// The webhook event of an outgoing payment's status update.
pub const OUTGOING_UPDATED: &str = "outgoing_payment";

/// An outgoing payment ended (succeeded or failed): its `ntfn_url`, if it gave one, receives the
/// payment as `GET /api/v2/payment/outgoing/{id}` answers it (not on the stream: the seed's
/// frames are for incoming payments).
pub async fn outgoing_updated(
    conn: &mut AnyConnection,
    clock: &Clock,
    payment: &Payment,
) -> Result<(), sqlx::Error> {
    let Some(url) = payment.ntfn_url.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(());
    };
    let body = json(&OutgoingPayment::from(payment.clone()))?;
    let event = WebhookEvent {
        service: STREAM_SERVICE,
        event_type: OUTGOING_UPDATED,
        url,
        body: &body,
    };
    enqueue_webhook_unless_invalid(conn, clock, event).await?;
    Ok(())
}
