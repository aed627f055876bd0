//! Dev helpers for notifications (regtest): emit test events to a webhook, an email address and
//! a stream topic, and subscribe to a topic over a websocket. Service `dev`.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::DevState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::notify::outbox::{self, EmailEvent, EnqueueError, WebhookEvent};
use crate::notify::stream;

/// Most events one emit call makes.
const MAX_EMIT: u32 = 10_000;

/// The routes.
pub(super) fn routes() -> ApiRoutes<DevState> {
    ApiRoutes::new("dev")
        .post(
            "/dev/notify/emit",
            "Emit test events to a webhook, an email address and/or a stream topic",
            emit,
        )
        .get(
            "/dev/notify/ws/{topic}",
            "Subscribe to a dev stream topic over a websocket (?last_id=N resumes)",
            subscribe,
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmitRequest {
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    data: Value,
    webhook: Option<String>,
    email: Option<String>,
    topic: Option<String>,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

async fn emit(
    State(state): State<DevState>,
    HubJson(req): HubJson<EmitRequest>,
) -> Result<Json<Value>, HubError> {
    if req.count == 0 || req.count > MAX_EMIT {
        return Err(HubError::BadRequest(format!(
            "count must be between 1 and {MAX_EMIT}"
        )));
    }
    if req.webhook.is_none() && req.email.is_none() && req.topic.is_none() {
        return Err(HubError::BadRequest(
            "give at least one of webhook, email, topic".into(),
        ));
    }
    let mut tx = state.hub.store.pool().begin().await?;
    let (mut event_ids, mut stream_ids) = (Vec::new(), Vec::new());
    for n in 0..req.count {
        let body = json!({"type": req.event_type, "n": n, "data": req.data});
        if let Some(url) = &req.webhook {
            let event = WebhookEvent {
                service: "dev",
                event_type: &req.event_type,
                url,
                body: &body,
            };
            event_ids.push(
                outbox::enqueue_webhook(&mut tx, &state.hub.clock, event)
                    .await
                    .map_err(enqueue_error)?,
            );
        }
        if let Some(to) = &req.email {
            let text = format!("Event {} #{n}\n\n{}", req.event_type, req.data);
            let event = EmailEvent {
                service: "dev",
                event_type: &req.event_type,
                to,
                subject: &req.event_type,
                text: &text,
            };
            event_ids.push(
                outbox::enqueue_email(&mut tx, &state.hub.clock, event)
                    .await
                    .map_err(enqueue_error)?,
            );
        }
        if let Some(topic) = &req.topic {
            stream_ids.push(
                stream::publish(
                    &mut tx,
                    state.hub.store.backend(),
                    &state.hub.clock,
                    "dev",
                    topic,
                    &req.event_type,
                    &body,
                )
                .await?,
            );
        }
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.hub.notifier.stream_committed();
    Ok(Json(
        json!({"event_ids": event_ids, "stream_ids": stream_ids}),
    ))
}

fn enqueue_error(e: EnqueueError) -> HubError {
    match e {
        EnqueueError::InvalidTarget(message) => HubError::BadRequest(message),
        EnqueueError::Store(e) => HubError::from(e),
    }
}

#[derive(Deserialize)]
struct SubscribeQuery {
    last_id: Option<i64>,
}

async fn subscribe(
    State(state): State<DevState>,
    Path(topic): Path<String>,
    Query(query): Query<SubscribeQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let notifier = state.hub.notifier.clone();
    let last_id = query.last_id.unwrap_or(0).max(0);
    ws.on_upgrade(move |socket| {
        stream::serve(
            socket,
            notifier,
            "dev".into(),
            topic,
            last_id,
            stream::Framing::Envelope,
        )
    })
}
