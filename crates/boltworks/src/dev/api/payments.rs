//! The payments part of the `/dev` API: alice and bob issue, hold, claim, fail and pay invoices,
//! and show a payment by hash.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{any_node, demo_node, hex32, DevState};
use crate::http::{HubError, HubJson};
use crate::money::Msat;
use crate::node::payments::{self, SendError};
use crate::node::{
    Invoice, LightningNode, PaymentDirection, PaymentHash, PaymentRecord, PaymentStatus, Payments,
    Preimage,
};

/// Default invoice expiry.
const DEFAULT_EXPIRY_SECS: u32 = 3_600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InvoiceRequest {
    amount_msat: Msat,
    #[serde(default)]
    description: String,
    payment_hash: Option<String>,
    expiry_secs: Option<u32>,
}

pub(super) async fn invoice(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<InvoiceRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    if req.amount_msat.0 == 0 {
        return Err(HubError::BadRequest("amount_msat must be positive".into()));
    }
    if req.amount_msat.to_db().is_none() {
        return Err(HubError::BadRequest("amount_msat is too large".into()));
    }
    let expiry = req.expiry_secs.unwrap_or(DEFAULT_EXPIRY_SECS);
    if expiry == 0 {
        return Err(HubError::BadRequest("expiry_secs must be positive".into()));
    }
    let invoice = match &req.payment_hash {
        Some(hash) => {
            node.create_hold_invoice(
                req.amount_msat,
                &req.description,
                expiry,
                hex32::<PaymentHash>(hash, "payment_hash")?,
            )
            .await?
        }
        None => {
            node.create_invoice(req.amount_msat, &req.description, expiry)
                .await?
        }
    };
    let hash = invoice.payment_hash();
    payments::record_invoice(
        &mut *state.hub.store.pool().acquire().await?,
        &state.hub.clock,
        node.label(),
        hash,
        req.amount_msat,
        invoice.expires_at(),
    )
    .await?;
    Ok(Json(
        json!({"bolt11": invoice.to_string(), "payment_hash": hash.to_string()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClaimRequest {
    payment_hash: String,
    preimage: String,
}

pub(super) async fn claim(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<ClaimRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let hash = hex32::<PaymentHash>(&req.payment_hash, "payment_hash")?;
    let preimage = hex32::<Preimage>(&req.preimage, "preimage")?;
    if preimage.payment_hash() != hash {
        return Err(HubError::BadRequest(
            "preimage does not hash to payment_hash".into(),
        ));
    }
    let record = held_payment(&state, node, hash).await?;
    node.claim_held(hash, record.amount_msat.unwrap_or(Msat(0)), preimage)?;
    Ok(Json(
        json!({"payment_hash": req.payment_hash, "status": "claiming"}),
    ))
}

async fn held_payment(
    state: &DevState,
    node: &LightningNode,
    hash: PaymentHash,
) -> Result<PaymentRecord, HubError> {
    let record = payments::find(&state.hub.store, node.label(), hash)
        .await?
        .ok_or_else(|| {
            HubError::NotFound(format!("{} has no payment with this hash", node.label()))
        })?;
    if record.status != PaymentStatus::Held {
        return Err(HubError::Conflict(format!(
            "payment is {}, not held",
            record.status
        )));
    }
    Ok(record)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FailRequest {
    payment_hash: String,
}

pub(super) async fn fail(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<FailRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let hash = hex32::<PaymentHash>(&req.payment_hash, "payment_hash")?;
    held_payment(&state, node, hash).await?;
    node.fail_held(hash)?;
    // No event follows a manual fail: the node's own answer is the final word.
    payments::mark(
        &state.hub.store,
        &state.hub.clock,
        node.label(),
        hash,
        PaymentDirection::Inbound,
        PaymentStatus::Failed,
        Some("failed back by the receiver"),
    )
    .await?;
    Ok(Json(
        json!({"payment_hash": req.payment_hash, "status": "failed"}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PayRequest {
    bolt11: String,
    amount_msat: Option<Msat>,
}

pub(super) async fn pay(
    State(state): State<DevState>,
    Path(name): Path<String>,
    HubJson(req): HubJson<PayRequest>,
) -> Result<Json<Value>, HubError> {
    let node = demo_node(&state, &name)?;
    let invoice = Invoice::parse(&req.bolt11).map_err(|e| HubError::BadRequest(e.to_string()))?;
    let payer = Payments::new(
        state.hub.store.clone(),
        state.hub.clock.clone(),
        state.hub.network,
        std::sync::Arc::clone(node),
        state.hub.events.clone(),
    );
    let hash = payer
        .send(&invoice, req.amount_msat, None)
        .await
        .map_err(|e| match e {
            SendError::Duplicate => HubError::Conflict(e.to_string()),
            SendError::Store(e) => HubError::from(e),
            SendError::Node(e) => HubError::from(e),
            other => HubError::BadRequest(other.to_string()),
        })?;
    Ok(Json(json!({"payment_hash": hash.to_string()})))
}

pub(super) async fn payment(
    State(state): State<DevState>,
    Path((name, hash)): Path<(String, String)>,
) -> Result<Json<Value>, HubError> {
    let node = any_node(&state, &name)?;
    let hash = hex32::<PaymentHash>(&hash, "payment_hash")?;
    let record = payments::find(&state.hub.store, node.label(), hash)
        .await?
        .ok_or_else(|| HubError::NotFound(format!("{name} has no payment with this hash")))?;
    // Whether the node still keeps its own record (see `node::record_pruning`).
    let node_record = node.payment(hash).is_some();
    let mut body = json!({"status": record.status, "amount_msat": record.amount_msat, "node_record": node_record});
    if let Some(preimage) = record.preimage {
        body["preimage"] = json!(preimage);
    }
    if let Some(reason) = record.failure_reason {
        body["failure_reason"] = json!(reason);
    }
    if let Some(fee) = record.fee_paid_msat {
        body["fee_paid_msat"] = json!(fee);
    }
    Ok(Json(body))
}
