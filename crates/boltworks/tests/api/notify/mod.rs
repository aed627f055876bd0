//! Notifications end to end: signed webhooks retried with the same id and logged, the SSRF
//! guard, redirects not followed, delivery after a SIGKILL, exactly-once delivery by two hubs
//! on one PostgreSQL, websocket resumption, and email through SMTP or into the data dir.

mod delivery;
mod streams;
mod webhooks;

use serde_json::Value;

use crate::harness::TestStack;

/// The log filter of the hub processes here: only what should never show is left at warn.
const PROCESS_LOG: &str =
    "info,lightning=warn,ldk_node=warn,tower_http=warn,sqlx_postgres::options::pgpass=error";

async fn emit(stack: &TestStack, body: Value) -> Value {
    let (status, answer) = stack.hub.dev.notify_emit(&body).await;
    assert!(status.is_success(), "{answer}");
    answer
}
