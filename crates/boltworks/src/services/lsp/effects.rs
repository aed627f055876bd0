//! What the hub's node events mean for channel orders, committed in the event's transaction: a
//! held HTLC for an order's invoice pays it; the funding broadcast moves it to OPENING, the
//! channel becoming usable to OPEN, its close to CLOSED; a channel that closes before funding
//! counts as a failed open attempt. Side effects (settling the HTLC, retrying) are the worker's.

use sqlx::AnyConnection;

use super::model::{retry_plan, OrderState};
use super::{books, lightning_refund, order_webhook, store, LspService};
use crate::ledger;
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::NodeEvent;

/// The LSP's reaction to the hub's node events.
pub struct LspEffects {
    lsp: LspService,
}

impl LspEffects {
    /// The effect of the LSP service `lsp` (its node, clock, settings, worker and notifier).
    pub fn new(lsp: LspService) -> Self {
        Self { lsp }
    }
}

impl EventEffect for LspEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(async move {
            let (hub, clock) = (&self.lsp.hub, &self.lsp.hub.clock);
            let now = clock.now_unix();
            match event {
                NodeEvent::PaymentClaimable {
                    payment_hash,
                    amount,
                    claim_deadline,
                } => {
                    let held = i64::try_from(amount.0).unwrap_or(i64::MAX);
                    let deadline = claim_deadline.map(i64::from);
                    let hash = payment_hash.to_string();
                    let grace =
                        i64::try_from(self.lsp.config.limits.order_expiry_secs).unwrap_or(i64::MAX);
                    let finalise_by = now.saturating_add(grace);
                    if let Some(order) =
                        store::record_held(conn, &hash, held, deadline, now, finalise_by).await?
                    {
                        order_webhook::state_changed(conn, clock, &order.id).await?;
                        tracing::info!(order_id = %order.id, state = order.state, "channel order payment held");
                    }
                }
                NodeEvent::ChannelPending {
                    channel_id,
                    user_channel_id,
                    peer,
                    funding,
                } => {
                    let ucid = user_channel_id.to_string();
                    let order =
                        match store::order_of_channel(conn, &ucid).await? {
                            Some(order) => Some(order),
                            // The hub stopped between asking the node and recording its id: the
                            // order whose attempt this outbound channel of its size is.
                            None => match hub.node.channels().into_iter().find(|c| {
                                c.user_channel_id == *user_channel_id && c.outbound_opened
                            }) {
                                Some(channel) => {
                                    let capacity =
                                        i64::try_from(channel.capacity.0).unwrap_or(i64::MAX);
                                    let peer = peer.to_string();
                                    store::unrecorded_attempt(
                                        conn,
                                        &hub.node.node_id().to_string(),
                                        &peer,
                                        capacity,
                                    )
                                    .await?
                                }
                                None => None,
                            },
                        };
                    if let Some(order) = order {
                        let funding_txo = funding;
                        let funding =
                            Some((funding_txo.txid.to_string(), i64::from(funding_txo.vout)));
                        if let Some(htlc_state) =
                            store::record_funding(conn, &order.id, &ucid, channel_id, funding, now)
                                .await?
                        {
                            if order.onchain_paid_sat.is_some() || htlc_state == "settled" {
                                // Paid on chain, or settled before the open (its deadline came
                                // first): delivered now; what it held covers fee and push.
                                let account = ledger::lsp_order_liability(&order.id);
                                let total = order.total_sat.saturating_mul(1_000);
                                books::delivered(conn, now, &order, &account, total).await?;
                            }
                            order_webhook::state_changed(conn, clock, &order.id).await?;
                            tracing::info!(order_id = %order.id, funding = %funding_txo, "channel order funding broadcast");
                        }
                    }
                }
                NodeEvent::PaymentSucceeded {
                    payment_hash,
                    fee_paid,
                    ..
                } => {
                    let hash = payment_hash.to_string();
                    lightning_refund::paid(conn, clock, &hash, fee_paid.map_or(0, |f| f.0)).await?;
                }
                NodeEvent::PaymentFailed {
                    payment_hash: Some(payment_hash),
                    ..
                } => {
                    lightning_refund::failed(conn, clock, &payment_hash.to_string()).await?;
                }
                NodeEvent::ChannelReady {
                    user_channel_id, ..
                } => {
                    let ucid = user_channel_id.to_string();
                    if let Some(id) = store::record_ready(conn, &ucid, now).await? {
                        order_webhook::state_changed(conn, clock, &id).await?;
                    }
                }
                NodeEvent::ChannelClosed {
                    user_channel_id,
                    reason,
                    ..
                } => {
                    let ucid = user_channel_id.to_string();
                    if let Some(id) = store::record_closed(conn, &ucid, now).await? {
                        order_webhook::state_changed(conn, clock, &id).await?;
                        return Ok(());
                    }
                    // Closed before funding: that attempt failed; the worker retries or gives up.
                    let Some(order) = store::order_of_channel(conn, &ucid).await? else {
                        return Ok(());
                    };
                    if order.order_state() != Some(OrderState::UriSet) {
                        return Ok(());
                    }
                    let why = reason.clone().unwrap_or_default();
                    let (backoff, give_up) =
                        retry_plan(order.open_attempts, self.lsp.config.max_open_attempts);
                    let error = format!("CHANNEL_REJECTED_BY_DESTINATION: {why}");
                    if store::record_open_failed(
                        conn,
                        &order.id,
                        Some(&ucid),
                        &error,
                        now + backoff,
                        give_up,
                        now,
                    )
                    .await?
                    {
                        order_webhook::state_changed(conn, clock, &order.id).await?;
                        tracing::warn!(order_id = %order.id, %error, give_up, "channel open failed");
                    }
                }
                _ => {}
            }
            Ok(())
        })
    }

    fn committed(&self) {
        self.lsp.wake();
        self.lsp.hub.notifier.outbox_committed();
    }
}
