//! The order engine shared by both LSP APIs: making a quote (fee, hold invoice, treasury
//! address) and setting where a paid order's channel goes. The worker that moves orders along is
//! `worker`.

use super::model::{fee_sat, OrderApi, Refusal, FUNDING_RESERVE_SAT};
use super::order_webhook;
use super::store::{self, NewOrder, OpenTarget, Order, OrderTerms};
use super::LspService;
use crate::ledger;
use crate::money::{Sat, MAX_STORED};
use crate::node::{NodeError, Preimage};

/// What a buyer asks for, in either API.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    /// The LSP's side: the buyer's inbound liquidity, in sats.
    pub lsp_sat: u64,
    /// The buyer's side: paid by the buyer and pushed at open, in sats.
    pub client_sat: u64,
    /// The lease, in weeks.
    pub weeks: u64,
    /// LSPS1: the request as applied, echoed by the order views (JSON).
    pub request_echo: Option<String>,
    /// Where state changes are POSTed (already checked to be an http(s) URL).
    pub webhook_url: Option<String>,
}

/// A failure of ours while making an order (logged; each API answers its internal error).
#[derive(Debug, thiserror::Error)]
pub enum CreateFailure {
    /// The node could not make the hold invoice.
    #[error("hold invoice: {0}")]
    Invoice(NodeError),
    /// The treasury could not give the order an address.
    #[error("treasury address: {0}")]
    Address(String),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
}

/// An amount as stored (a BIGINT), or the refusal of amounts too large.
fn stored(sat: u64) -> Result<Sat, Refusal> {
    (sat <= MAX_STORED)
        .then_some(Sat(sat))
        .ok_or(Refusal::AmountsTooLarge)
}

/// The terms of an order for `lsp_sat` plus `client_sat` over `weeks` at `fee`, payable until
/// `expires_at`, as stored.
fn order_terms(
    lsp_sat: u64,
    client_sat: u64,
    weeks: u64,
    fee: u64,
    expires_at: i64,
) -> Result<OrderTerms, Refusal> {
    let total = fee
        .checked_add(client_sat)
        .ok_or(Refusal::AmountsTooLarge)?;
    Ok(OrderTerms {
        lsp_balance_sat: stored(lsp_sat)?,
        client_balance_sat: stored(client_sat)?,
        expiry_weeks: i64::try_from(weeks).map_err(|_| Refusal::AmountsTooLarge)?,
        fee_sat: stored(fee)?,
        total_sat: stored(total)?,
        order_expires_at: expires_at,
    })
}

/// Makes and stores an order (`id`, for `api`) for `request.lsp_sat` of inbound liquidity plus
/// `request.client_sat` pushed to the buyer, leased for `request.weeks`, payable by a hold
/// invoice for the total.
pub async fn create_order(
    state: &LspService,
    api: OrderApi,
    id: String,
    request: OrderRequest,
) -> Result<Result<Order, Refusal>, CreateFailure> {
    let (lsp_sat, client_sat, weeks) = (request.lsp_sat, request.client_sat, request.weeks);
    let limits = &state.config.limits;
    let now = state.hub.clock.now_unix();
    let expires_at =
        now.saturating_add(i64::try_from(limits.order_expiry_secs).unwrap_or(i64::MAX));
    let Some(capacity) = lsp_sat.checked_add(client_sat) else {
        return Ok(Err(Refusal::AmountsTooLarge));
    };
    let terms = fee_sat(lsp_sat, weeks, limits.daily_rate)
        .ok_or(Refusal::AmountsTooLarge)
        .and_then(|fee| order_terms(lsp_sat, client_sat, weeks, fee, expires_at));
    let terms = match terms {
        Ok(terms) => terms,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // The node's wallet funds the channel, topped up from the treasury when short.
    let treasury = match &state.hub.treasury {
        Some(treasury) => treasury.balance().await.confirmed.0,
        None => 0,
    };
    let available = state
        .hub
        .node
        .onchain_balance()
        .spendable
        .0
        .saturating_add(treasury);
    if available < capacity.saturating_add(FUNDING_RESERVE_SAT) {
        return Ok(Err(Refusal::CannotFundNow));
    }
    let Some(total_msat) = terms.total_sat.to_msat() else {
        return Ok(Err(Refusal::AmountsTooLarge));
    };
    let preimage = Preimage::random();
    let hash = preimage.payment_hash();
    let expiry = u32::try_from(limits.order_expiry_secs).unwrap_or(u32::MAX);
    let invoice = state
        .hub
        .node
        .create_hold_invoice(total_msat, &format!("Channel order {id}"), expiry, hash)
        .await
        .map_err(CreateFailure::Invoice)?;
    let btc_address = match &state.hub.treasury {
        // Every v0.0.1 order can be paid on chain, as Blocktank's could; LSPS1 advertises its
        // minimum (`min_onchain_payment_size_sat`) and keeps to it.
        Some(treasury)
            if api == OrderApi::V1 || terms.total_sat.0 >= state.config.onchain_min_sat =>
        {
            Some(
                treasury
                    .new_address(&format!("lsp:{id}"), &ledger::lsp_order_liability(&id))
                    .await
                    .map_err(|e| CreateFailure::Address(e.to_string()))?
                    .to_string(),
            )
        }
        _ => None,
    };
    let new = NewOrder {
        id,
        api,
        hub_node_id: state.hub.node.node_id().to_string(),
        terms,
        payment_hash: hash.to_string(),
        preimage: preimage.to_string(),
        payment_request: invoice.to_string(),
        btc_address,
        request_echo: request.request_echo,
        webhook_url: request.webhook_url,
    };
    // The order and the node's record of its invoice commit together.
    let mut tx = state.hub.store.writer().begin().await?;
    let order = store::insert(&mut tx, &new, now).await?;
    state
        .hub
        .payments
        .record_invoice(&mut tx, &invoice, total_msat)
        .await?;
    tx.commit().await?;
    let fee = order.terms.fee_sat.0;
    tracing::info!(order_id = %order.id, lsp_sat, client_sat, fee, "channel order created");
    Ok(Ok(order))
}

/// Sets where a paid order's channel goes, and wakes the worker to open it. While the order is
/// queued and no open is in progress the target may change: always with `requeue` (v0.0.1's
/// `manual_finalise`), else only after a failed attempt (LSPS1's `/open`, so two racing
/// requests cannot both succeed). Whether the order took it.
pub async fn set_open_target(
    state: &LspService,
    order_id: &str,
    target: &OpenTarget,
    requeue: bool,
) -> Result<bool, sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::set_target(&mut tx, order_id, target, requeue, now).await? {
        return Ok(false);
    }
    order_webhook::state_changed(&mut tx, &state.hub.clock, order_id).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.wake();
    let (pubkey, announce) = (&target.pubkey, target.announce);
    tracing::info!(%order_id, %pubkey, announce, "channel order target set");
    Ok(true)
}
