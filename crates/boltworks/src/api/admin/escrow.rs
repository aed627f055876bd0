//! Operator endpoints for escrow disputes (operator token required): resolve an open dispute by
//! releasing the preimage to the seller, or refunding the buyer (the preimage is destroyed).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::Operator;
use crate::api::AppState;
use crate::http::{ApiRoutes, HubError, HubJson};
use crate::services::escrow::model::Status;
use crate::services::escrow::{EscrowError, EscrowService, Resolution};

/// The operator routes.
pub(super) fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("admin").post(
        "/admin/escrow/{tx}/resolve",
        "Resolve an escrow dispute: {\"resolution\": \"release\"|\"refund\", \"note\": \"...\"}",
        resolve,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveRequest {
    resolution: String,
    #[serde(default)]
    note: String,
}

/// The answer: the transaction, the decision, and the status it left.
#[derive(Serialize)]
struct Resolved {
    tx: i64,
    resolution: Resolution,
    status: Status,
}

async fn resolve(
    _: Operator,
    State(escrow): State<EscrowService>,
    Path(tx): Path<i64>,
    HubJson(req): HubJson<ResolveRequest>,
) -> Result<Json<Resolved>, HubError> {
    let resolution: Resolution = req
        .resolution
        .parse()
        .map_err(|_| HubError::BadRequest("resolution must be release or refund".into()))?;
    if req.note.len() > 2_000 {
        return Err(HubError::BadRequest(
            "note is longer than 2000 characters".into(),
        ));
    }
    let resolved = escrow
        .resolve_dispute(tx, resolution, &req.note)
        .await
        .map_err(|e| match e {
            EscrowError::Refused(refusal) => HubError::NotFound(refusal.to_string()),
            EscrowError::Internal(detail) => HubError::Internal(detail),
        })?;
    let tx = resolved.ok_or_else(|| {
        HubError::Conflict(format!("escrow transaction {tx} has no open dispute"))
    })?;
    Ok(Json(Resolved {
        tx: tx.id,
        resolution,
        status: tx.status,
    }))
}
