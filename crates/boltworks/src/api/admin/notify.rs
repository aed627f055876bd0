//! Operator endpoints for notifications: list (failed ones, say), inspect a delivery log, and
//! redeliver. They require the operator token (`Authorization: Bearer ...`).

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::notify::outbox;

/// The operator routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin")
        .get(
            "/admin/notifications",
            "List notifications (?status=failed|pending|delivered, ?before=cursor, ?limit=n)",
            list,
        )
        .get(
            "/admin/notifications/{event_id}",
            "A notification with its delivery log",
            show,
        )
        .post(
            "/admin/notifications/{event_id}/redeliver",
            "Queue a notification for delivery again now",
            redeliver,
        )
        .get(
            "/admin/webhook-secret",
            "The signing secret of a webhook target (?url=...), made on first use",
            webhook_secret,
        )
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, HubError> {
    if let Some(status) = &query.status {
        if !["pending", "delivered", "failed"].contains(&status.as_str()) {
            return Err(HubError::BadRequest(
                "status must be pending, delivered or failed".into(),
            ));
        }
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(HubError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let rows = outbox::list(&state.store, query.status.as_deref(), query.before, limit).await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    let items: Vec<_> = rows.into_iter().map(|(_, record)| record).collect();
    Ok(Json(json!({"notifications": items, "next_before": next})))
}

async fn show(
    _: Operator,
    State(state): State<HubContext>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, HubError> {
    let record = outbox::find(&state.store, &event_id)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("no notification {event_id}")))?;
    Ok(Json(json!(record)))
}

async fn redeliver(
    _: Operator,
    State(state): State<HubContext>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, HubError> {
    match outbox::redeliver(&state.store, &state.clock, &event_id).await? {
        outbox::Redelivery::Queued => {}
        outbox::Redelivery::InFlight => {
            return Err(HubError::Conflict(format!(
                "{event_id} is being delivered right now"
            )))
        }
        outbox::Redelivery::NotFound => {
            return Err(HubError::NotFound(format!("no notification {event_id}")))
        }
    }
    state.notifier.outbox_committed();
    Ok(Json(json!({"event_id": event_id, "status": "pending"})))
}

#[derive(Deserialize)]
struct SecretQuery {
    url: String,
}

async fn webhook_secret(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<SecretQuery>,
) -> Result<Json<Value>, HubError> {
    crate::notify::guard::check_url(&query.url, true)
        .map_err(|e| HubError::BadRequest(e.to_string()))?;
    let secret = outbox::target_secret(&state.store, &state.clock, &query.url).await?;
    Ok(Json(json!({"url": query.url, "secret": secret})))
}
