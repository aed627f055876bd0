//! The order engine shared by both LSP APIs: making a quote (fee, hold invoice), setting where a
//! paid order's channel goes, and the worker that moves orders along: it expires orders with no
//! node by their deadline, opens channels one at a time (`opening`), settles or fails back held
//! payments (`held_payment`) and closes channels whose lease is over (`lease`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::model::{fee_sat, OrderState, FUNDING_RESERVE_SAT};
use super::store::{self, Order};
use super::LspService;
use super::{held_payment, lease, onchain, opening, order_webhook};
use crate::ledger;
use crate::money::Msat;
use crate::node::Preimage;

/// Why a quote could not be made.
#[derive(Debug)]
pub enum QuoteError {
    /// The fee does not fit in our integers (absurd inputs).
    Overflow,
    /// The hub's on-chain funds cannot fund this channel now.
    Unavailable,
    /// A failure of ours.
    Internal(String),
}

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

/// Makes and stores an order for `request.lsp_sat` of inbound liquidity plus
/// `request.client_sat` pushed to the buyer, leased for `request.weeks`, payable by a hold
/// invoice for the total.
pub async fn create_order(
    state: &LspService,
    api: &str,
    id: String,
    request: OrderRequest,
) -> Result<Order, QuoteError> {
    let (lsp_sat, client_sat, weeks) = (request.lsp_sat, request.client_sat, request.weeks);
    let limits = &state.config.limits;
    let fee = fee_sat(lsp_sat, weeks, limits.daily_rate).ok_or(QuoteError::Overflow)?;
    let total = fee.checked_add(client_sat).ok_or(QuoteError::Overflow)?;
    let capacity = lsp_sat
        .checked_add(client_sat)
        .ok_or(QuoteError::Overflow)?;
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
        return Err(QuoteError::Unavailable);
    }
    let preimage = Preimage::random();
    let hash = preimage.payment_hash();
    let total_msat = total.checked_mul(1_000).ok_or(QuoteError::Overflow)?;
    let expiry = u32::try_from(limits.order_expiry_secs).unwrap_or(u32::MAX);
    let invoice = state
        .hub
        .node
        .create_hold_invoice(
            Msat(total_msat),
            &format!("Channel order {id}"),
            expiry,
            hash,
        )
        .map_err(|e| QuoteError::Internal(format!("hold invoice: {e}")))?;
    let btc_address = match &state.hub.treasury {
        Some(treasury) if total >= state.config.onchain_min_sat => Some(
            treasury
                .new_address(&format!("lsp:{id}"), &ledger::lsp_order_liability(&id))
                .await
                .map_err(|e| QuoteError::Internal(format!("treasury address: {e}")))?
                .to_string(),
        ),
        _ => None,
    };
    let now = state.hub.clock.now_unix();
    let as_i64 = |n: u64| i64::try_from(n).map_err(|_| QuoteError::Overflow);
    let order = Order {
        id,
        api: api.to_string(),
        hub_node_id: state.hub.node.node_id().to_string(),
        lsp_balance_sat: as_i64(lsp_sat)?,
        client_balance_sat: as_i64(client_sat)?,
        expiry_weeks: as_i64(weeks)?,
        fee_sat: as_i64(fee)?,
        total_sat: as_i64(total)?,
        order_expires_at: now.saturating_add(as_i64(limits.order_expiry_secs)?),
        state: OrderState::Created.number(),
        payment_hash: hash.to_string(),
        preimage: preimage.to_string(),
        payment_request: invoice.to_string(),
        htlc_state: "none".into(),
        btc_address,
        onchain_paid_sat: None,
        refund_state: None,
        refund_to: None,
        refund_payment_hash: None,
        refund_amount_sat: None,
        refund_count: 0,
        refund_txid: None,
        refunded_at: None,
        held_msat: None,
        claim_deadline: None,
        node_pubkey: None,
        node_address: None,
        announce_channel: false,
        open_attempts: 0,
        open_requested_at: None,
        open_error: None,
        user_channel_id: None,
        channel_id: None,
        funding_txid: None,
        funding_vout: None,
        opened_at: None,
        channel_expires_at: None,
        closed_at: None,
        close_attempts: 0,
        created_at: now,
        created_at_ms: now.saturating_mul(1_000),
        updated_at: now,
        request_echo: request.request_echo,
        webhook_url: request.webhook_url,
    };
    store::insert(&state.hub.store, &order)
        .await
        .map_err(|e| QuoteError::Internal(format!("database: {e}")))?;
    tracing::info!(order_id = %order.id, lsp_sat, client_sat, fee, "channel order created");
    Ok(order)
}

/// Sets where a paid order's channel goes, and wakes the worker to open it. While the order is
/// queued and no open is in progress the target may change: always with `requeue` (v0.0.1's
/// `manual_finalise`), else only after a failed attempt (LSPS1's `/open`, so two racing
/// requests cannot both succeed). Whether the order took it.
pub async fn set_open_target(
    state: &LspService,
    order_id: &str,
    pubkey: &str,
    address: Option<&str>,
    announce: bool,
    requeue: bool,
) -> Result<bool, sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    if !store::set_target(&mut tx, order_id, pubkey, address, announce, requeue, now).await? {
        return Ok(false);
    }
    order_webhook::state_changed(&mut tx, &state.hub.clock, order_id).await?;
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    state.wake();
    tracing::info!(%order_id, %pubkey, announce, "channel order target set");
    Ok(true)
}

/// Runs the worker until shutdown.
pub fn spawn_worker(state: LspService, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let wake = Arc::clone(&state.wake);
        let mut blocks = state.hub.blocks.subscribe();
        loop {
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "LSP worker step failed; retrying");
            }
            tokio::select! {
                _ = wake.notified() => {}
                // Deadlines counted in blocks are looked at as blocks arrive.
                _ = blocks.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

async fn step(state: &LspService) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    // This process serves its own node's orders only.
    let node = state.hub.node.node_id().to_string();
    for order in store::expired_unfinalised(&state.hub.store, &node, now).await? {
        let mut tx = state.hub.store.pool().begin().await?;
        let from = [OrderState::Created, OrderState::Paid];
        if store::transition(&mut tx, &order.id, &from, OrderState::Expired, now).await? {
            order_webhook::state_changed(&mut tx, &state.hub.clock, &order.id).await?;
            tracing::info!(order_id = %order.id, was = order.state, "channel order expired");
        }
        tx.commit().await?;
        state.hub.notifier.outbox_committed();
    }
    onchain::count_payments(state, now).await?;
    onchain::resume_refunds(state).await?;
    for order in store::stalled_opens(&state.hub.store, &node, now).await? {
        opening::stalled(state, &order).await?;
    }
    if !store::open_in_progress(&state.hub.store, &node).await? {
        if let Some(order) = store::due_for_opening(&state.hub.store, &node, now)
            .await?
            .into_iter()
            .next()
        {
            opening::open(state, &order).await?;
        }
    }
    for order in store::held_to_resolve(&state.hub.store, &node, now).await? {
        held_payment::resolve(state, &order).await?;
    }
    if state.config.close_expired {
        let retry_before = now - lease::CLOSE_RETRY_SECS;
        for order in store::leases_to_close(&state.hub.store, &node, now, retry_before).await? {
            lease::close_expired(state, &order).await?;
        }
    }
    Ok(())
}
