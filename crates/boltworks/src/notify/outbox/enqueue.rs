//! Writing notifications to the outbox, inside the caller's transaction: webhooks (their URL
//! checked now and again at delivery) and emails.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;

use super::{Channel, DeliveryStatus};
use crate::clock::Clock;
use crate::notify::guard::{check_url, Refused};

/// A webhook to send.
pub struct WebhookEvent<'a> {
    /// The service it concerns (`escrow`, `gifts`, ...).
    pub service: &'a str,
    /// What happened (`gift.redeemed`, ...).
    pub event_type: &'a str,
    /// Where to POST.
    pub url: &'a str,
    /// The exact JSON body to send (the service's own wire shape).
    pub body: &'a Value,
}

/// An email to send.
pub struct EmailEvent<'a> {
    /// The service it concerns.
    pub service: &'a str,
    /// What happened.
    pub event_type: &'a str,
    /// Recipient address.
    pub to: &'a str,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
}

/// An email's stored payload, `{"subject","text"}` (what the mailer reads back).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailPayload {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Why a notification could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The target is not a usable URL or address.
    #[error("{0}")]
    InvalidTarget(String),
    /// The database failed.
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<Refused> for EnqueueError {
    fn from(e: Refused) -> Self {
        EnqueueError::InvalidTarget(e.0)
    }
}

/// A fresh event id: `evt_` and 32 hex characters.
pub fn new_event_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("evt_{}", hex::encode(bytes))
}

/// Writes a webhook to the outbox within `tx`. The URL must be http(s) (the address is checked
/// again at delivery). Returns the event id.
pub async fn enqueue_webhook(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: WebhookEvent<'_>,
) -> Result<String, EnqueueError> {
    check_url(event.url, true)?;
    let row = NewRow {
        service: event.service,
        event_type: event.event_type,
        channel: Channel::Webhook,
        target: event.url,
        payload: &event.body.to_string(),
    };
    insert(tx, clock, &row).await
}

/// Writes a webhook to the outbox within `tx`, as `enqueue_webhook`, but skips (and logs) a
/// target that is not a usable URL: for services whose callers may give one that is not. The
/// event id when it was written.
pub async fn enqueue_webhook_unless_invalid(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: WebhookEvent<'_>,
) -> Result<Option<String>, sqlx::Error> {
    let (service, url) = (event.service, event.url.to_string());
    match enqueue_webhook(tx, clock, event).await {
        Ok(id) => Ok(Some(id)),
        Err(EnqueueError::Store(e)) => Err(e),
        Err(EnqueueError::InvalidTarget(why)) => {
            tracing::warn!(service, %url, %why, "webhook target skipped");
            Ok(None)
        }
    }
}

/// Writes an email to the outbox within `tx`. Returns the event id.
pub async fn enqueue_email(
    tx: &mut AnyConnection,
    clock: &Clock,
    event: EmailEvent<'_>,
) -> Result<String, EnqueueError> {
    if event.to.parse::<lettre::Address>().is_err() {
        return Err(EnqueueError::InvalidTarget(format!(
            "'{}' is not an email address",
            event.to
        )));
    }
    let payload = EmailPayload {
        subject: event.subject.to_string(),
        text: event.text.to_string(),
    };
    let payload = serde_json::to_string(&payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let row = NewRow {
        service: event.service,
        event_type: event.event_type,
        channel: Channel::Email,
        target: event.to,
        payload: &payload,
    };
    insert(tx, clock, &row).await
}

/// A notification to write.
struct NewRow<'a> {
    service: &'a str,
    event_type: &'a str,
    channel: Channel,
    target: &'a str,
    payload: &'a str,
}

async fn insert(
    tx: &mut AnyConnection,
    clock: &Clock,
    row: &NewRow<'_>,
) -> Result<String, EnqueueError> {
    let event_id = new_event_id();
    let now = clock.now_unix();
    sqlx::query(
        "INSERT INTO notify_outbox (event_id, service, event_type, channel, target, payload, status, next_attempt_at, retry_from, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)",
    )
    .bind(&event_id)
    .bind(row.service)
    .bind(row.event_type)
    .bind(row.channel)
    .bind(row.target)
    .bind(row.payload)
    .bind(DeliveryStatus::Pending)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(event_id)
}
