//! The order engine shared by both LSP APIs: making a quote (fee, hold invoice), setting where a
//! paid order's channel goes, and the worker that moves orders along: it expires orders with no
//! node by their deadline, opens channels one at a time (`opening`), settles or fails back held
//! payments (`held_payment`) and closes channels whose lease is over (`lease`).

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::model::{fee_sat, LspLimits, OrderState, FUNDING_RESERVE_SAT};
use super::store::{self, Order};
use super::{held_payment, lease, onchain, opening, order_webhook};
use crate::app::AppState;
use crate::ledger;
use crate::money::Msat;

/// The LSP's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LspConfig {
    /// Product limits and pricing.
    pub limits: LspLimits,
    /// Open attempts before an order gives up.
    pub max_open_attempts: u32,
    /// Resolve a held payment this many blocks before its claim deadline at the latest.
    pub settle_margin_blocks: u32,
    /// Close channels cooperatively once their lease is over.
    pub close_expired: bool,
    /// Confirmations before an on-chain payment counts.
    pub onchain_confirmations: u32,
    /// Smallest order total offered an on-chain address (sats).
    pub onchain_min_sat: u64,
    /// A configured USD price of one bitcoin, for display only.
    pub usd_per_btc: Option<u64>,
}

/// The LSP's in-process state: its configuration and the signal that wakes its worker.
pub struct LspState {
    /// Configuration.
    pub config: LspConfig,
    /// When this process started, on the hub's clock: work claimed before it was left by an
    /// earlier process.
    pub started_at: i64,
    wake: Notify,
}

impl LspState {
    /// New state for a process started at `started_at` (the hub's clock).
    pub fn new(config: LspConfig, started_at: i64) -> Self {
        Self {
            config,
            started_at,
            wake: Notify::new(),
        }
    }

    /// Wakes the worker now (it also runs every second).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

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
    state: &AppState,
    api: &str,
    id: String,
    request: OrderRequest,
) -> Result<Order, QuoteError> {
    let (lsp_sat, client_sat, weeks) = (request.lsp_sat, request.client_sat, request.weeks);
    let limits = &state.lsp.config.limits;
    let fee = fee_sat(lsp_sat, weeks, limits.daily_rate).ok_or(QuoteError::Overflow)?;
    let total = fee.checked_add(client_sat).ok_or(QuoteError::Overflow)?;
    let capacity = lsp_sat
        .checked_add(client_sat)
        .ok_or(QuoteError::Overflow)?;
    // The node's wallet funds the channel, topped up from the treasury when short.
    let treasury = match &state.treasury {
        Some(treasury) => treasury.balance().await.confirmed.0,
        None => 0,
    };
    let available = state
        .node
        .onchain_balance()
        .spendable
        .0
        .saturating_add(treasury);
    if available < capacity.saturating_add(FUNDING_RESERVE_SAT) {
        return Err(QuoteError::Unavailable);
    }
    let mut preimage = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut preimage);
    let hash = sha256::Hash::hash(&preimage).to_byte_array();
    let total_msat = total.checked_mul(1_000).ok_or(QuoteError::Overflow)?;
    let expiry = u32::try_from(limits.order_expiry_secs).unwrap_or(u32::MAX);
    let invoice = state
        .node
        .create_hold_invoice(
            Msat(total_msat),
            &format!("Channel order {id}"),
            expiry,
            hash,
        )
        .map_err(|e| QuoteError::Internal(format!("hold invoice: {e}")))?;
    let btc_address = match &state.treasury {
        Some(treasury) if total >= state.lsp.config.onchain_min_sat => Some(
            treasury
                .new_address(&format!("lsp:{id}"), &ledger::lsp_order_liability(&id))
                .await
                .map_err(|e| QuoteError::Internal(format!("treasury address: {e}")))?
                .to_string(),
        ),
        _ => None,
    };
    let now = state.clock.now_unix();
    let as_i64 = |n: u64| i64::try_from(n).map_err(|_| QuoteError::Overflow);
    let order = Order {
        id,
        api: api.to_string(),
        hub_node_id: state.node.node_id().to_string(),
        lsp_balance_sat: as_i64(lsp_sat)?,
        client_balance_sat: as_i64(client_sat)?,
        expiry_weeks: as_i64(weeks)?,
        fee_sat: as_i64(fee)?,
        total_sat: as_i64(total)?,
        order_expires_at: now.saturating_add(as_i64(limits.order_expiry_secs)?),
        state: OrderState::Created.number(),
        payment_hash: hex::encode(hash),
        preimage: hex::encode(preimage),
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
    store::insert(&state.store, &order)
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
    state: &AppState,
    order_id: &str,
    pubkey: &str,
    address: Option<&str>,
    announce: bool,
    requeue: bool,
) -> Result<bool, sqlx::Error> {
    let now = state.clock.now_unix();
    let mut tx = state.store.pool().begin().await?;
    if !store::set_target(&mut tx, order_id, pubkey, address, announce, requeue, now).await? {
        return Ok(false);
    }
    order_webhook::state_changed(&mut tx, &state.clock, order_id).await?;
    tx.commit().await?;
    state.notifier.outbox_committed();
    state.lsp.wake();
    tracing::info!(%order_id, %pubkey, announce, "channel order target set");
    Ok(true)
}

/// Runs the worker until shutdown.
pub fn spawn_worker(state: AppState, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let lsp = Arc::clone(&state.lsp);
        loop {
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "LSP worker step failed; retrying");
            }
            tokio::select! {
                _ = lsp.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

async fn step(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_unix();
    // This process serves its own node's orders only.
    let node = state.node.node_id().to_string();
    for order in store::expired_unfinalised(&state.store, &node, now).await? {
        let mut tx = state.store.pool().begin().await?;
        let from = [OrderState::Created, OrderState::Paid];
        if store::transition(&mut tx, &order.id, &from, OrderState::Expired, now).await? {
            order_webhook::state_changed(&mut tx, &state.clock, &order.id).await?;
            tracing::info!(order_id = %order.id, was = order.state, "channel order expired");
        }
        tx.commit().await?;
        state.notifier.outbox_committed();
    }
    onchain::count_payments(state, now).await?;
    onchain::resume_refunds(state).await?;
    for order in store::stalled_opens(&state.store, &node, now).await? {
        opening::stalled(state, &order).await?;
    }
    if !store::open_in_progress(&state.store, &node).await? {
        if let Some(order) = store::due_for_opening(&state.store, &node, now)
            .await?
            .into_iter()
            .next()
        {
            opening::open(state, &order).await?;
        }
    }
    for order in store::held_to_resolve(&state.store, &node, now).await? {
        held_payment::resolve(state, &order).await?;
    }
    if state.lsp.config.close_expired {
        let retry_before = now - lease::CLOSE_RETRY_SECS;
        for order in store::leases_to_close(&state.store, &node, now, retry_before).await? {
            lease::close_expired(state, &order).await?;
        }
    }
    Ok(())
}
