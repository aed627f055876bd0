//! Event streams for websocket subscribers. `publish` writes an event in the caller's
//! transaction; `serve` sends a subscriber every event of its topic after the id it last saw,
//! in order, then new ones as they commit. A client that reconnects with `last_id` gets exactly
//! what it missed. A slow client never holds anyone up: each subscriber reads the table on its
//! own, and one that does not take a message within `SEND_TIMEOUT` is disconnected (it resumes
//! from its last id).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use serde::Serialize;
use serde_json::Value;
use sqlx::AnyConnection;

use super::Notifier;
use crate::clock::Clock;
use crate::store::Backend;

/// Longest a subscriber may take to accept one message.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Events read per query.
const PAGE: i64 = 200;
/// How often an idle stream looks for events committed by other processes.
const POLL: Duration = Duration::from_millis(250);
/// Serializes stream inserts on PostgreSQL so ids are assigned in commit order (a reader never
/// sees id 7 before id 6 commits).
const STREAM_LOCK_KEY: i64 = 0x6274_7374_7265_616d;

/// Publishes an event on `service`/`topic` within `tx`. Returns its id. Call
/// `Notifier::stream_committed` after the commit.
pub async fn publish(
    tx: &mut AnyConnection,
    backend: Backend,
    clock: &Clock,
    service: &str,
    topic: &str,
    event_type: &str,
    data: &Value,
) -> Result<i64, sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(STREAM_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query_scalar(
        "INSERT INTO notify_stream (service, topic, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(service)
    .bind(topic)
    .bind(event_type)
    .bind(data.to_string())
    .bind(clock.now_unix())
    .fetch_one(&mut *tx)
    .await
}

/// A published event, as subscribers read it.
#[derive(sqlx::FromRow)]
struct StreamRow {
    id: i64,
    event_type: String,
    payload: String,
    created_at: i64,
}

/// boltworks' own frame of an event (`Framing::Envelope`).
#[derive(Serialize)]
struct Envelope<'a> {
    id: i64,
    #[serde(rename = "type")]
    event_type: &'a str,
    service: &'a str,
    topic: &'a str,
    created_at: i64,
    data: Value,
}

/// How events are framed for a subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// boltworks' own frame: `{"id","type","service","topic","created_at","data"}`.
    Envelope,
    /// The published data object as it is, with the event's `id` added (a service whose wire
    /// format fixes the frame, e.g. the merchant hub's `{"result": ...}`).
    DataWithId,
}

/// Serves one subscriber until it leaves, is too slow, or the hub shuts down.
pub async fn serve(
    mut socket: WebSocket,
    notifier: Arc<Notifier>,
    service: String,
    topic: String,
    mut last_id: i64,
    framing: Framing,
) {
    let mut committed = notifier.stream_signal();
    loop {
        let rows: Vec<StreamRow> = match sqlx::query_as(
            "SELECT id, event_type, payload, created_at FROM notify_stream
             WHERE service = $1 AND topic = $2 AND id > $3 ORDER BY id LIMIT $4",
        )
        .bind(&service)
        .bind(&topic)
        .bind(last_id)
        .bind(PAGE)
        .fetch_all(notifier.store.pool())
        .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "websocket stream: database error");
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        };
        let fetched = rows.len();
        for row in rows {
            let id = row.id;
            let data: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            let message = match (framing, data) {
                (Framing::DataWithId, Value::Object(mut object)) => {
                    object.insert("id".into(), Value::from(id));
                    Value::Object(object).to_string()
                }
                (_, data) => {
                    let envelope = Envelope {
                        id,
                        event_type: &row.event_type,
                        service: &service,
                        topic: &topic,
                        created_at: row.created_at,
                        data,
                    };
                    match serde_json::to_string(&envelope) {
                        Ok(text) => text,
                        Err(e) => {
                            tracing::warn!(error = %e, id, "websocket stream: unencodable event");
                            return;
                        }
                    }
                }
            };
            match tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(message.into())))
                .await
            {
                Ok(Ok(())) => last_id = id,
                Ok(Err(_)) => return,
                Err(_) => {
                    tracing::info!(
                        service,
                        topic,
                        last_id,
                        "websocket subscriber too slow; disconnecting"
                    );
                    return;
                }
            }
        }
        if fetched as i64 == PAGE {
            continue;
        }
        tokio::select! {
            _ = committed.changed() => {}
            _ = tokio::time::sleep(POLL) => {}
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
