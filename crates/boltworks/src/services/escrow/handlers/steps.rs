//! The status steps after the invoice: `buyerpaid` (buyer, optional), `confirmpayment` and
//! `goodssent` (seller), `goodsreceived` (buyer), and `getpreimage`, the seller fetching the
//! preimage once the buyer confirmed receipt. Each step is a conditional update on the status
//! just read: of two racing requests, one wins and the other is told.

use axum::extract::State;
use axum::Json;

use super::{announce, authenticate, tx_for, Answer, EscrowInput};
use crate::services::escrow::api::{PreimageReply, TxReply};
use crate::services::escrow::model::{self, Action, Refusal};
use crate::services::escrow::notices::Notice;
use crate::services::escrow::store;
use crate::services::escrow::EscrowService;

/// `buyerpaid` (buyer, optional).
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn buyerpaid(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    step(&state, &input, Action::BuyerPaid).await
}

/// `confirmpayment` (seller): also records the height by which the seller must settle.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn confirmpayment(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    step(&state, &input, Action::ConfirmPayment).await
}

/// `goodssent` (seller).
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn goodssent(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    step(&state, &input, Action::GoodsSent).await
}

/// `goodsreceived` (buyer).
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn goodsreceived(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    step(&state, &input, Action::GoodsReceived).await
}

async fn step(
    state: &EscrowService,
    input: &EscrowInput,
    action: Action,
) -> Answer<TxReply<String>> {
    let user = authenticate(state, input).await?;
    let (tx, roles) = tx_for(state, user, input.tx()?).await?;
    action.permitted(roles, tx.status)?;
    let mut db = state.hub.store.pool().begin().await?;
    if !store::transition(&mut db, tx.id, tx.status, action.target()).await? {
        return Err(Refusal::ChangedMeanwhile.into());
    }
    if action == Action::ConfirmPayment {
        let delta = tx
            .invoice
            .as_ref()
            .and_then(|invoice| invoice.min_final_cltv_expiry_delta)
            .unwrap_or(0);
        let settle_by = model::settle_by_height(
            input.optional_height("htlc_expiry_height")?,
            state.hub.node.synced_height(),
            delta,
        );
        store::set_settle_by(&mut db, tx.id, settle_by).await?;
    }
    let tx = announce(state, db, tx.id, Notice::after(action)).await?;
    tracing::info!(status = %tx.status, "escrow status changed");
    Ok(Json(TxReply::changed(&tx)))
}

/// `getpreimage` (seller, after `goods received`): the preimage, once the buyer confirmed.
/// Every refusal answers `nice try!`, as the original did.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn getpreimage(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<PreimageReply> {
    let user = authenticate(&state, &input).await?;
    let tx_id = input.tx()?;
    let (_, roles) = tx_for(&state, user, tx_id)
        .await
        .map_err(|_| Refusal::PreimageWithheld)?;
    if !roles.seller {
        return Err(Refusal::PreimageWithheld.into());
    }
    let mut db = state.hub.store.pool().begin().await?;
    let preimage = store::release_preimage(&mut db, tx_id, user, state.hub.clock.now_unix())
        .await?
        .ok_or(Refusal::PreimageWithheld)?;
    let tx = announce(&state, db, tx_id, Notice::PreimageReleased).await?;
    tracing::info!("escrow preimage released to the seller");
    Ok(Json(PreimageReply::new(preimage, &tx)))
}
