//! `GET` and `POST /lsp/channels/{id}/refund`. A Lightning payment is a held HTLC, so an order
//! that fails is refunded by failing it back (`PAID_OUT`, paid to the payer); money the hub holds
//! for an order it cannot deliver is `AVAILABLE` to refund on chain or by invoice, then
//! `IN_FLIGHT`, then `PAID_OUT`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::find;
use crate::http::PathId;
use crate::services::lsp::lightning_refund;
use crate::services::lsp::lsps1_api::{
    Lsps1Body, Lsps1Error, Lsps1Refusal, RefundAmounts, RefundAnswer, RefundStatus,
    RefundStatusState,
};
use crate::services::lsp::model::{self, RefundState};
use crate::services::lsp::onchain_refund::{self, RefundOutcome};
use crate::services::lsp::store::Order;
use crate::services::lsp::LspService;

/// The amounts of a refund made (or in flight), under the method it used.
fn refunded_amounts(order: &Order) -> RefundAmounts {
    let amount = order.refund.refund_amount_sat.map(|a| a.0);
    if order.refund.refund_payment_hash.is_some() {
        RefundAmounts {
            lightning: amount,
            onchain: None,
        }
    } else {
        RefundAmounts {
            lightning: None,
            onchain: amount,
        }
    }
}

/// `GET /lsp/channels/{id}/refund`: where the order's refund stands.
#[tracing::instrument(skip_all, fields(order_id = path.as_str()))]
pub async fn refund_status(
    State(state): State<LspService>,
    path: PathId,
) -> Result<Json<RefundStatus>, Lsps1Error> {
    let order = find(&state, path.as_str()).await?;
    let refund = &order.refund;
    if refund.refund_state == Some(RefundState::InFlight) {
        return Ok(Json(RefundStatus {
            refund_state: RefundStatusState::InFlight,
            amounts: Some(refunded_amounts(&order)),
            paid_to: refund.refund_to.clone(),
            paid_ts: None,
        }));
    }
    // Money that arrived after a refund is available again.
    let refundable = onchain_refund::refundable_sat(&state, &order).await?;
    let status = if refundable > 0 {
        RefundStatus {
            refund_state: RefundStatusState::Available,
            amounts: Some(RefundAmounts {
                lightning: Some(refundable),
                onchain: Some(refundable),
            }),
            paid_to: None,
            paid_ts: None,
        }
    } else if refund.refund_state == Some(RefundState::PaidOut) {
        RefundStatus {
            refund_state: RefundStatusState::PaidOut,
            amounts: Some(refunded_amounts(&order)),
            paid_to: refund.refund_to.clone(),
            paid_ts: refund.refunded_at,
        }
    } else if model::refunded(&order) {
        // Failed back to the payer.
        RefundStatus {
            refund_state: RefundStatusState::PaidOut,
            amounts: None,
            paid_to: None,
            paid_ts: Some(order.updated_at),
        }
    } else {
        RefundStatus {
            refund_state: RefundStatusState::Unsupported,
            amounts: None,
            paid_to: None,
            paid_ts: None,
        }
    };
    Ok(Json(status))
}

/// What a refund request did, for a person.
fn outcome_message(outcome: RefundOutcome) -> String {
    match outcome {
        RefundOutcome::InFlight => {
            "the refund payment is on its way; GET /refund shows when it arrived".into()
        }
        RefundOutcome::Sent { txid, amount } => {
            format!("refunded {amount} sat in transaction {txid}")
        }
        RefundOutcome::Pending => "the refund is committed and will be sent shortly".into(),
    }
}

/// `POST /lsp/channels/{id}/refund` with exactly one of `lightning_invoice` or
/// `onchain_address`: refunds the order's refundable money there, exactly once (racing
/// requests: one pays, the others are told it is refunded).
#[tracing::instrument(skip_all, fields(order_id = path.as_str()))]
pub async fn refund(
    State(state): State<LspService>,
    path: PathId,
    body: Lsps1Body,
) -> Result<(StatusCode, Json<RefundAnswer>), Lsps1Error> {
    let order = find(&state, path.as_str()).await?;
    let invoice = body.text("lightning_invoice")?;
    let address = body.text("onchain_address")?;
    let outcome = match (invoice, address) {
        (Some(invoice), None) => {
            lightning_refund::refund_by_invoice(&state, &order, invoice).await?
        }
        (None, Some(address)) => onchain_refund::refund(&state, &order, address).await?,
        _ => {
            return Err(Lsps1Error::bad(
                "give exactly one of lightning_invoice or onchain_address",
            ))
        }
    };
    match outcome.map_err(Lsps1Refusal::from) {
        Ok(outcome) => Ok((
            StatusCode::OK,
            Json(RefundAnswer {
                success: true,
                message: outcome_message(outcome),
                fail_reason: None,
            }),
        )),
        Err(Lsps1Refusal::BadRequest(error)) => Err(error),
        Err(Lsps1Refusal::Failed { reason, message }) => Ok((
            StatusCode::PRECONDITION_FAILED,
            Json(RefundAnswer {
                success: false,
                message,
                fail_reason: Some(reason),
            }),
        )),
    }
}
