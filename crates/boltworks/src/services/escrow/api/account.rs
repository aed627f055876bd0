//! Replies about accounts: sessions (`setuser`, `login`, `extend-session`) and webhooks
//! (`setwebhook`). Ids and times are strings here, as the original sent them.

use serde::Serialize;

use super::ReplyStatus;

/// `setuser` and `login`: a new session.
#[derive(Debug, Serialize)]
pub struct SessionReply {
    /// `success`.
    pub status: ReplyStatus,
    /// The session key (64 hex characters).
    pub session: String,
    /// The user id, as a string.
    pub id: String,
    /// The session's expiry (unix seconds), as a string.
    pub expiry: String,
}

impl SessionReply {
    /// The reply for `user`'s new session `key`, expiring at `expiry`.
    pub fn new(key: String, user: i64, expiry: i64) -> Self {
        Self {
            status: ReplyStatus::Success,
            session: key,
            id: user.to_string(),
            expiry: expiry.to_string(),
        }
    }
}

/// `extend-session`: the session became a long-lived key.
#[derive(Debug, Serialize)]
pub struct ExtendedSessionReply {
    /// `success`.
    pub status: ReplyStatus,
    /// The user id, as a string.
    pub user: String,
    /// The session key, as given.
    pub session_id: String,
    /// The new expiry (unix seconds), as a string.
    pub expiry: String,
}

impl ExtendedSessionReply {
    /// The reply for `user`'s session `key`, now expiring at `expiry`.
    pub fn new(key: String, user: i64, expiry: i64) -> Self {
        Self {
            status: ReplyStatus::Success,
            user: user.to_string(),
            session_id: key,
            expiry: expiry.to_string(),
        }
    }
}

/// `setwebhook`: the URL now set (empty when removed).
#[derive(Debug, Serialize)]
pub struct WebhookReply {
    /// `success`.
    pub status: ReplyStatus,
    /// The webhook URL, or `""`.
    pub webhook: String,
}

impl WebhookReply {
    /// The reply for the URL now set, if any.
    pub fn new(url: Option<String>) -> Self {
        Self {
            status: ReplyStatus::Success,
            webhook: url.unwrap_or_default(),
        }
    }
}
