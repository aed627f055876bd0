//! `POST /lsp/channels/{id}/open`: opens the paid order's channel to the buyer's node and answers
//! once the funding transaction is broadcast (201) or the attempt failed (412). A failed attempt
//! is retried in the background a bounded number of times (the order shows each outcome).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::find;
use crate::http::PathId;
use crate::services::lsp::engine::set_open_target;
use crate::services::lsp::lnurl_channel::hub_uri;
use crate::services::lsp::lsps1_api::{
    fail_reason, FailReason, Lsps1Body, Lsps1Error, Lsps1Refusal, OpenAnswer,
};
use crate::services::lsp::model::{open_refusal, OrderState, Refusal};
use crate::services::lsp::store::OpenTarget;
use crate::services::lsp::v1_api::parse_node_uri;
use crate::services::lsp::LspService;

/// How long `/open` waits for the funding broadcast (or a failure) before it answers that the
/// open is still in progress. Below the hub's default request timeout (30 s).
const OPEN_WAIT: Duration = Duration::from_secs(25);

type Answer = (StatusCode, Json<OpenAnswer>);

/// An answer with `status`: a success only with 201.
fn answer(
    status: StatusCode,
    message: String,
    fail_reason: Option<FailReason>,
    lsp_uri: &str,
) -> Answer {
    let body = OpenAnswer {
        success: status == StatusCode::CREATED,
        message,
        fail_reason,
        lsp_node_connection_string: lsp_uri.to_string(),
    };
    (status, Json(body))
}

/// The 412 answer of a refusal (a refusal LSPS1 words as a 400 is that error).
fn refused(refusal: Refusal, lsp_uri: &str) -> Result<Answer, Lsps1Error> {
    match Lsps1Refusal::from(refusal) {
        Lsps1Refusal::BadRequest(error) => Err(error),
        Lsps1Refusal::Failed { reason, message } => Ok(answer(
            StatusCode::PRECONDITION_FAILED,
            message,
            Some(reason),
            lsp_uri,
        )),
    }
}

/// `POST /lsp/channels/{id}/open`.
#[tracing::instrument(skip_all, fields(order_id = path.as_str()))]
pub async fn open(
    State(state): State<LspService>,
    path: PathId,
    body: Lsps1Body,
) -> Result<Answer, Lsps1Error> {
    let id = path.as_str();
    let order = find(&state, id).await?;
    let announce = body
        .flag("announce_channel")?
        .ok_or_else(|| Lsps1Error::bad("announce_channel is required"))?;
    let connection = body
        .text("node_connection_string")?
        .ok_or_else(|| Lsps1Error::bad("node_connection_string is required"))?;
    let (pubkey, address) = parse_node_uri(connection).ok_or_else(|| {
        Lsps1Error::bad("node_connection_string must be pubkey@ip:port (or a known peer's pubkey)")
    })?;
    let lsp_uri = hub_uri(&state);
    if let Some(refusal) = open_refusal(&order) {
        return refused(refusal, &lsp_uri);
    }
    let target = OpenTarget {
        pubkey,
        address: address.map(|a| a.to_string()),
        announce,
    };
    // Subscribed before the worker can act: the funding event wakes the wait below at once.
    let mut events = state.hub.events.subscribe();
    if !set_open_target(&state, &order.id, &target, false).await? {
        // Another request got there first.
        let order = find(&state, id).await?;
        return refused(
            open_refusal(&order).unwrap_or(Refusal::BeingOpened),
            &lsp_uri,
        );
    }
    let deadline = tokio::time::Instant::now() + OPEN_WAIT;
    loop {
        let order = find(&state, id).await?;
        match (order.state, order.channel.open_error.as_deref()) {
            (OrderState::Opening | OrderState::Open, _) => {
                return Ok(answer(StatusCode::CREATED, "ok".into(), None, &lsp_uri));
            }
            (OrderState::UriSet | OrderState::GiveUp, Some(error)) => {
                let status = StatusCode::PRECONDITION_FAILED;
                let reason = Some(fail_reason(error));
                return Ok(answer(status, error.to_string(), reason, &lsp_uri));
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            let message =
                "the channel open is still in progress; follow the order's channel state".into();
            let status = StatusCode::PRECONDITION_FAILED;
            return Ok(answer(status, message, None, &lsp_uri));
        }
        // A node event (the funding broadcast commits before it is published), or a moment
        // for failures, which the worker records without one.
        tokio::select! {
            _ = events.recv() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}
