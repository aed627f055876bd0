//! Starting a redemption, shared by `POST /redeem/{order_id}` and the LNURL-withdraw callback:
//! the gift must exist, be paid and unspent; the invoice must ask exactly the gift's amount on
//! this network and not be expired; then one conditional update claims the gift and the
//! payout starts in the background.

use axum::http::StatusCode;
use tracing::field::Empty;
use tracing::Instrument;

use super::api::{GiftsError, Redeemed};
use super::model::{self, Refusal, Via, WithdrawalStatus};
use super::store::{self, ClaimError, Gift, Withdrawal};
use super::GiftsService;
use super::{is_order_id, payout};
use crate::http::{KeyOfRequest, KeyedAnswer};

/// A gift by id, or the refusal for an unknown one.
pub async fn find_gift(state: &GiftsService, order_id: &str) -> Result<Gift, GiftsError> {
    if !is_order_id(order_id) {
        return Err(Refusal::GiftNotFound.into());
    }
    let mut conn = state.hub.store.pool().acquire().await?;
    store::gift(&mut conn, order_id)
        .await?
        .ok_or(GiftsError::Refused(Refusal::GiftNotFound))
}

/// Redeems `gift` to `invoice`; returns the withdrawal id (committed with the claim as the answer
/// for the request's `key`). The payout runs asynchronously.
#[tracing::instrument(
    skip_all,
    fields(order_id = %gift.order_id, %via, withdrawal_id = Empty, payment_hash = Empty)
)]
pub async fn redeem(
    state: &GiftsService,
    gift: &Gift,
    invoice: Option<&str>,
    via: Via,
    key: &KeyOfRequest,
) -> Result<String, GiftsError> {
    model::check_redeemable(gift.charge_status, gift.spent)?;
    let invoice = model::payout_invoice(
        invoice.ok_or(Refusal::NoInvoice)?,
        gift.amount_sat.0,
        state.hub.network,
        &state.hub.clock,
        state.hub.node.node_id(),
    )?;
    let (now, nanos) = now_with_nanos(state);
    let withdrawal = Withdrawal {
        withdrawal_id: uuid::Uuid::new_v4().to_string(),
        order_id: gift.order_id.clone(),
        payment_request: invoice.to_string(),
        payment_hash: invoice.payment_hash().to_string(),
        via,
        status: WithdrawalStatus::Initial,
        error: None,
        fee_msat: None,
        created_at: now,
        created_nanos: nanos,
    };
    let span = tracing::Span::current();
    span.record("withdrawal_id", withdrawal.withdrawal_id.as_str());
    span.record("payment_hash", withdrawal.payment_hash.as_str());
    // Claim and start the payout in a task of their own: if the caller goes away mid-request,
    // a committed claim still gets its payout (and the answer is simply not delivered).
    let task_state = state.clone();
    let answer = KeyedAnswer::json(
        key,
        StatusCode::OK,
        &Redeemed::new(withdrawal.withdrawal_id.clone()),
    );
    let claimed = tokio::spawn(
        async move {
            let payer = task_state.hub.node.node_id().to_string();
            let label = task_state.hub.node.label().to_string();
            let claim = store::PayoutClaim {
                payer_node: &payer,
                payer_label: &label,
                now,
                answer: &answer,
            };
            store::claim_for_payout(&task_state.hub.store, &withdrawal, &claim).await?;
            tracing::info!("gift redemption started");
            let id = withdrawal.withdrawal_id.clone();
            payout::spawn(task_state, withdrawal, invoice);
            Ok::<_, ClaimError>(id)
        }
        .in_current_span(),
    )
    .await
    .map_err(|e| GiftsError::Internal(format!("redemption task: {e}")))?;
    match claimed {
        Ok(id) => Ok(id),
        Err(ClaimError::NotRedeemable(Some(current))) => {
            model::check_redeemable(current.charge_status, current.spent)?;
            // Redeemable again already (a payout failed in between): ask the caller to retry.
            Err(Refusal::GiftRedeemPending.into())
        }
        Err(ClaimError::NotRedeemable(None)) => Err(Refusal::GiftNotFound.into()),
        Err(ClaimError::InvoiceInUse) => Err(Refusal::InvoiceAlreadyUsed.into()),
        Err(ClaimError::Store(e)) => Err(e.into()),
    }
}

/// The hub clock's now, with the system clock's nanoseconds (for `createdAt`).
pub fn now_with_nanos(state: &GiftsService) -> (i64, i64) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::from(d.subsec_nanos()))
        .unwrap_or(0);
    (state.hub.clock.now_unix(), nanos)
}
