//! What merchants are told, written in the transaction of the change that causes it: webhooks
//! through the outbox (the seed's bodies; the outbox adds boltworks' signature header) and
//! websocket frames on the merchant's stream (`{"result": ...}`, as grpc-gateway streams them).

use serde_json::{json, Value};
use sqlx::AnyConnection;

use super::api;
use super::store::{LightningInvoice, OnchainInvoice};
use crate::clock::Clock;
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

async fn send(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    event_type: &str,
    webhook: &Value,
    frame: &Value,
) -> Result<(), sqlx::Error> {
    if let Some(url) = to.url.filter(|u| !u.is_empty()) {
        let event = WebhookEvent {
            service: STREAM_SERVICE,
            event_type,
            url,
            body: webhook,
        };
        enqueue_webhook_unless_invalid(conn, clock, event).await?;
    }
    stream::publish(
        conn,
        backend,
        clock,
        STREAM_SERVICE,
        to.merchant_id,
        event_type,
        frame,
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
    let webhook = api::lightning_payment(invoice);
    let frame = api::lightning_payment_frame(invoice);
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
    let amount = invoice.paid_sat;
    let fee = invoice.fee_sat.unwrap_or(0);
    let mut webhook = json!({
        "amount": amount,
        "description": invoice.description,
        "fee": fee,
        "amount_without_fee": amount - fee,
        "type": "success",
        "bitcoin_address": invoice.btc_address,
    });
    if invoice.amount_sat.is_none() {
        webhook["payment_id"] = json!(invoice.invoice_id);
        webhook["tx"] = json!(txids);
    }
    let frame = json!({"result": {"ntfn_type": "on_chain", "on_chain_payment_status": {
        "amount": amount.to_string(),
        "description": invoice.description,
        "fee": fee.to_string(),
        "amount_without_fee": (amount - fee).to_string(),
        "bitcoin_address": invoice.btc_address,
    }}});
    send(conn, backend, clock, to, "on_chain", &webhook, &frame).await
}

/// An on-chain invoice received part of its amount (held as locked balance).
pub async fn onchain_partial(
    conn: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    to: &Recipient<'_>,
    invoice: &OnchainInvoice,
    paid_sat: i64,
) -> Result<(), sqlx::Error> {
    let partial = json!({
        "payment_id": invoice.invoice_id,
        "btc_address": invoice.btc_address,
        "already_paid_amount": paid_sat.to_string(),
        "merchant_id": invoice.merchant_id,
        "status": "Pending",
        "created_at": invoice.created_at.to_string(),
    });
    let payment =
        json!({"payment_id": invoice.invoice_id, "payment_type": "PARTIAL", "partial": partial});
    let frame = json!({"result": {"payment": payment}});
    send(conn, backend, clock, to, "partial", &payment, &frame).await
}
