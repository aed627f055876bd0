//! The outbox table: enqueue a notification inside the caller's transaction (`enqueue`), claim
//! due rows for delivery under a lease and record each attempt with its outcome and the next
//! retry (`delivery`), and what operators see and do (`operator`: list, inspect, redeliver).
//! Webhook targets' signing secrets live in `targets`.

mod delivery;
mod enqueue;
mod health;
mod operator;
mod targets;

pub use self::delivery::{claim, record_attempt, AttemptResult, Claimed, Outcome};
pub use self::enqueue::{
    enqueue_email, enqueue_webhook, enqueue_webhook_unless_invalid, new_event_id, EmailEvent,
    EmailPayload, EnqueueError, WebhookEvent,
};
pub use self::health::{health, OutboxHealth};
pub use self::operator::{
    find, list, redeliver, AttemptRecord, NotificationFilter, NotificationRecord, Redelivery,
};
pub use self::targets::target_secret;
use crate::store::columns::stored_enum;

stored_enum! {
    /// How a notification reaches its target.
    pub enum Channel {
        /// An HTTP POST of the exact stored body, signed.
        Webhook = "webhook",
        /// An email (SMTP, or a file in dev).
        Email = "email",
    }
}

stored_enum! {
    /// Where a notification stands.
    pub enum DeliveryStatus {
        /// Due now or at its next attempt.
        Pending = "pending",
        /// The target took it: final.
        Delivered = "delivered",
        /// Given up (refused target, or the retry window ran out) until an operator redelivers.
        Failed = "failed",
    }
}

stored_enum! {
    /// What one attempt came to, in the delivery log.
    pub enum AttemptOutcome {
        /// The target took it.
        Delivered = "delivered",
        /// Not taken; another attempt is scheduled.
        Retry = "retry",
        /// Not taken, and no attempt follows.
        Failed = "failed",
    }
}
