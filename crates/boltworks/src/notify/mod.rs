//! Notifications to the outside world, for every service: webhooks (signed, retried, logged),
//! emails (SMTP, or files in the data directory in dev), and websocket streams with resumption.
//!
//! A notification is written to the outbox (`outbox::enqueue_*`, `stream::publish`) in the same
//! database transaction as the state change that causes it; workers deliver it afterwards, at
//! least once. Several workers, or several hub processes on one PostgreSQL, never deliver a row
//! twice at once: rows are claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
//! serializes writers).

mod config;
pub mod email;
pub mod guard;
pub mod outbox;
pub mod stream;
pub mod webhook;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;

pub use self::config::{NotifyArgs, NotifyConfig, RetryDelays};

use crate::clock::Clock;
use crate::store::Store;

/// The shared notification machinery: configuration, database, clock, and the signals that
/// wake workers and websocket streams after a commit.
pub struct Notifier {
    /// Configuration.
    pub config: NotifyConfig,
    /// Database.
    pub store: Store,
    /// Clock.
    pub clock: Clock,
    outbox_added: Notify,
    stream_added: tokio::sync::watch::Sender<u64>,
}

impl Notifier {
    /// Creates the notifier.
    pub fn new(config: NotifyConfig, store: Store, clock: Clock) -> Arc<Self> {
        let (stream_added, _) = tokio::sync::watch::channel(0);
        Arc::new(Self {
            config,
            store,
            clock,
            outbox_added: Notify::new(),
            stream_added,
        })
    }

    /// Call after committing a transaction that enqueued notifications: wakes a worker now
    /// (workers also poll, so a missed call only delays delivery).
    pub fn outbox_committed(&self) {
        self.outbox_added.notify_one();
    }

    /// Call after committing a transaction that published stream events: wakes websocket
    /// streams now (they also poll, for events committed by other processes).
    pub fn stream_committed(&self) {
        self.stream_added.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub(crate) fn outbox_signal(&self) -> &Notify {
        &self.outbox_added
    }

    pub(crate) fn stream_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.stream_added.subscribe()
    }
}
