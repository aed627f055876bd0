//! Operator endpoints for notifications: list (failed ones, say), inspect a delivery log, and
//! redeliver. They require the operator token (`Authorization: Bearer ...`).

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::notify::outbox::{self, DeliveryStatus, NotificationFilter, NotificationRecord};

/// The operator routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin")
        .get(
            "/admin/notifications",
            "List notifications (?status=failed|pending|delivered, ?service=, ?before=cursor, ?limit=n)",
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

/// A page of notifications, newest first.
#[derive(Serialize)]
struct NotificationPage {
    notifications: Vec<NotificationRecord>,
    /// The cursor of the next page (`?before=`), when this one is full; `null` otherwise.
    next_before: Option<i64>,
}

/// A notification queued again.
#[derive(Serialize)]
struct Redelivered {
    event_id: String,
    status: DeliveryStatus,
}

/// A webhook target's signing secret.
#[derive(Serialize)]
struct WebhookSecret {
    url: String,
    secret: String,
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    service: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

#[tracing::instrument(skip_all, fields(status = ?query.status, before = ?query.before))]
async fn list(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<ListQuery>,
) -> Result<Json<NotificationPage>, HubError> {
    let status = query
        .status
        .as_deref()
        .map(str::parse::<DeliveryStatus>)
        .transpose()
        .map_err(|_| HubError::BadRequest("status must be pending, delivered or failed".into()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(HubError::BadRequest(
            "limit must be between 1 and 500".into(),
        ));
    }
    let filter = NotificationFilter {
        status,
        service: query.service.filter(|s| !s.is_empty()),
        before: query.before,
        limit,
    };
    let rows = outbox::list(&state.store, &filter).await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    let notifications = rows.into_iter().map(|(_, record)| record).collect();
    Ok(Json(NotificationPage {
        notifications,
        next_before,
    }))
}

#[tracing::instrument(skip_all, fields(%event_id))]
async fn show(
    _: Operator,
    State(state): State<HubContext>,
    Path(event_id): Path<String>,
) -> Result<Json<NotificationRecord>, HubError> {
    let record = outbox::find(&state.store, &event_id)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("no notification {event_id}")))?;
    Ok(Json(record))
}

#[tracing::instrument(skip_all, fields(%event_id))]
async fn redeliver(
    _: Operator,
    State(state): State<HubContext>,
    Path(event_id): Path<String>,
) -> Result<Json<Redelivered>, HubError> {
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
    Ok(Json(Redelivered {
        event_id,
        status: DeliveryStatus::Pending,
    }))
}

#[derive(Deserialize)]
struct SecretQuery {
    url: String,
}

#[tracing::instrument(skip_all, fields(url = %query.url))]
async fn webhook_secret(
    _: Operator,
    State(state): State<HubContext>,
    Query(query): Query<SecretQuery>,
) -> Result<Json<WebhookSecret>, HubError> {
    crate::notify::guard::check_url(&query.url, true)
        .map_err(|e| HubError::BadRequest(e.to_string()))?;
    let secret = outbox::target_secret(&state.store, &state.clock, &query.url).await?;
    Ok(Json(WebhookSecret {
        url: query.url,
        secret,
    }))
}
