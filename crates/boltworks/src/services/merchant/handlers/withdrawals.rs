//! Balances and withdrawals of the whole balance.

use axum::extract::State;
use axum::Json;

use crate::http::{KeyOfRequest, PathId};
use crate::services::merchant::api::{Balance, PeachError, WithdrawalQueued, WithdrawalView};
use crate::services::merchant::model::{self, Refusal};
use crate::services::merchant::session::Session;
use crate::services::merchant::store;
use crate::services::merchant::{withdrawals, MerchantService};

/// `GET /api/v2/merchant/balance`: spendable whole sats, as a string.
#[tracing::instrument(name = "merchant_balance", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn balance(session: Session) -> Json<Balance> {
    Json(Balance {
        balance: model::whole_sats(session.merchant.balance_msat)
            .0
            .to_string(),
    })
}

/// `POST /api/v2/merchant/withdraw`: queues the whole balance for the next batch.
#[tracing::instrument(name = "merchant_withdraw", skip_all, fields(merchant_id = %session.merchant_id()))]
pub async fn withdraw(
    State(state): State<MerchantService>,
    session: Session,
    key: KeyOfRequest,
) -> Result<Json<WithdrawalQueued>, PeachError> {
    state.treasury()?;
    let address = session
        .merchant
        .bitcoin_address
        .clone()
        .filter(|a| !a.is_empty())
        .ok_or(Refusal::NoWithdrawalAddress)?;
    let withdrawal = withdrawals::queue(&state, &session.merchant, address, &key).await?;
    Ok(Json(WithdrawalQueued::from(&withdrawal)))
}

/// `GET /api/v2/merchant/withdraw/{id}`.
#[tracing::instrument(
    name = "merchant_withdrawal_status",
    skip_all,
    fields(merchant_id = %session.merchant_id(), withdrawal_id = id.as_str())
)]
pub async fn status(
    State(state): State<MerchantService>,
    session: Session,
    id: PathId,
) -> Result<Json<WithdrawalView>, PeachError> {
    let withdrawal = store::withdrawals::by_id(&state.hub.store, id.as_str())
        .await?
        .filter(|w| w.merchant_id == session.merchant_id())
        .ok_or(Refusal::WithdrawalNotFound)?;
    Ok(Json(WithdrawalView::from(withdrawal)))
}
