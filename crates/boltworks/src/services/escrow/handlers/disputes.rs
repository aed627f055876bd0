//! Disputes (extension): `dispute`, a party opening one, which blocks `getpreimage`; and
//! [`resolve`], the operator's decision (called by the admin routes).

use axum::extract::State;
use axum::Json;

use super::{announce, authenticate, tx_for, Answer, EscrowError, EscrowInput};
use crate::services::escrow::api::TxReply;
use crate::services::escrow::model::{self, Refusal, Resolution};
use crate::services::escrow::notices::Notice;
use crate::services::escrow::store::{self, EscrowTx};
use crate::services::escrow::EscrowService;

/// `dispute` (extension): the seller or the buyer opens a dispute, which blocks `getpreimage`
/// until an operator resolves it.
#[tracing::instrument(skip_all, fields(user = tracing::field::Empty, tx = tracing::field::Empty))]
pub async fn dispute(
    State(state): State<EscrowService>,
    input: EscrowInput,
) -> Answer<TxReply<String>> {
    let user = authenticate(&state, &input).await?;
    let (tx, _) = tx_for(&state, user, input.tx()?).await?;
    let reason = input.required_text("reason")?;
    model::check_reason_length(&reason)?;
    let mut db = state.hub.store.pool().begin().await?;
    if !store::open_dispute(&mut db, tx.id, user, &reason, state.hub.clock.now_unix()).await? {
        return Err(Refusal::DisputeNotOpened.into());
    }
    let tx = announce(&state, db, tx.id, Notice::DisputeOpened).await?;
    tracing::info!("escrow dispute opened");
    Ok(Json(TxReply::changed(&tx)))
}

/// Resolves a transaction's open dispute for the operator: the transaction as it now is, or
/// `None` when it has no open dispute.
#[tracing::instrument(skip_all, fields(tx = tx_id, resolution = %resolution))]
pub async fn resolve(
    state: &EscrowService,
    tx_id: i64,
    resolution: Resolution,
    note: &str,
) -> Result<Option<EscrowTx>, EscrowError> {
    let mut db = state.hub.store.pool().begin().await?;
    if !store::resolve_dispute(&mut db, tx_id, resolution, note, state.hub.clock.now_unix()).await?
    {
        return Ok(None);
    }
    let tx = announce(state, db, tx_id, Notice::resolved(resolution)).await?;
    tracing::warn!(note, "escrow dispute resolved by the operator");
    Ok(Some(tx))
}
