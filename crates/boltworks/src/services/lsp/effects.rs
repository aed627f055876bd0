//! What the hub's node events mean for channel orders, committed in the event's transaction: a
//! held HTLC for an order's invoice pays it; the funding broadcast moves it to OPENING, the
//! channel becoming usable to OPEN, its close to CLOSED; a channel that closes before funding
//! counts as a failed open attempt. Side effects (settling the HTLC, retrying) are the worker's.

use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use sqlx::AnyConnection;
use tracing::field::Empty;

use super::model::{retry_plan, HtlcState, OrderState};
use super::{books, jit, lightning_refund, order_webhook, store, LspService};
use crate::ledger;
use crate::money::{Msat, Sat};
use crate::node::event_loop::{EffectFuture, EventEffect};
use crate::node::{NodeEvent, PaymentHash, UserChannelId};

/// The LSP's reaction to the hub's node events.
pub struct LspEffects {
    lsp: LspService,
}

impl LspEffects {
    /// The effect of the LSP service `lsp` (its node, clock, settings, worker and notifier).
    pub fn new(lsp: LspService) -> Self {
        Self { lsp }
    }

    /// Applies `event` to the orders it concerns, within `conn`'s transaction.
    #[tracing::instrument(
        name = "lsp_effect",
        skip_all,
        fields(order_id = Empty, payment_hash = Empty, user_channel_id = Empty)
    )]
    async fn apply_event(
        &self,
        conn: &mut AnyConnection,
        event: &NodeEvent,
    ) -> Result<(), sqlx::Error> {
        let span = tracing::Span::current();
        match event {
            NodeEvent::PaymentClaimable {
                payment_hash,
                amount,
                claim_deadline,
            } => {
                span.record("payment_hash", tracing::field::display(payment_hash));
                self.payment_held(conn, payment_hash, *amount, *claim_deadline)
                    .await
            }
            NodeEvent::ChannelPending {
                channel_id,
                user_channel_id,
                peer,
                funding,
            } => {
                span.record("user_channel_id", tracing::field::display(user_channel_id));
                let ordered = self
                    .funding_broadcast(conn, channel_id, *user_channel_id, *peer, *funding)
                    .await?;
                if !ordered && self.lsp.config.jit.is_some() {
                    let (node, now) = (&self.lsp.hub.node, self.lsp.hub.clock.now_unix());
                    jit::effects::funding_broadcast(conn, node, channel_id, *funding, now).await?;
                }
                Ok(())
            }
            NodeEvent::PaymentSucceeded {
                payment_hash,
                fee_paid,
                ..
            } => {
                span.record("payment_hash", tracing::field::display(payment_hash));
                let clock = &self.lsp.hub.clock;
                let fee = fee_paid.unwrap_or(Msat(0));
                lightning_refund::paid(conn, clock, &payment_hash.to_string(), fee).await
            }
            NodeEvent::PaymentFailed {
                payment_hash: Some(payment_hash),
                ..
            } => {
                span.record("payment_hash", tracing::field::display(payment_hash));
                let clock = &self.lsp.hub.clock;
                lightning_refund::failed(conn, clock, &payment_hash.to_string()).await
            }
            NodeEvent::ChannelReady {
                user_channel_id, ..
            } => {
                span.record("user_channel_id", tracing::field::display(user_channel_id));
                let (clock, now) = (&self.lsp.hub.clock, self.lsp.hub.clock.now_unix());
                let ucid = user_channel_id.to_string();
                if let Some(id) = store::record_ready(conn, &ucid, now).await? {
                    span.record("order_id", id.as_str());
                    order_webhook::state_changed(conn, clock, &id).await?;
                }
                Ok(())
            }
            NodeEvent::ChannelClosed {
                channel_id,
                user_channel_id,
                reason,
                ..
            } => {
                span.record("user_channel_id", tracing::field::display(user_channel_id));
                let now = self.lsp.hub.clock.now_unix();
                jit::effects::closed(conn, channel_id, now).await?;
                self.channel_closed(conn, *user_channel_id, reason.as_deref())
                    .await
            }
            NodeEvent::PaymentForwarded {
                prev_channel_id,
                next_channel_id,
                next_peer,
                skimmed_fee,
                amount_forwarded,
                ..
            } => {
                let forward = jit::effects::Forward {
                    prev_channel_id,
                    next_channel_id,
                    next_peer: *next_peer,
                    skimmed_fee: *skimmed_fee,
                    amount_forwarded: *amount_forwarded,
                };
                let now = self.lsp.hub.clock.now_unix();
                jit::effects::forwarded(conn, &self.lsp.hub.node, &forward, now).await
            }
            _ => Ok(()),
        }
    }

    /// A held HTLC for an order's invoice: the order is paid (unless it expired meanwhile).
    async fn payment_held(
        &self,
        conn: &mut AnyConnection,
        payment_hash: &PaymentHash,
        amount: Msat,
        claim_deadline: Option<u32>,
    ) -> Result<(), sqlx::Error> {
        let clock = &self.lsp.hub.clock;
        let now = clock.now_unix();
        let deadline = claim_deadline.map(i64::from);
        let grace = i64::try_from(self.lsp.config.limits.order_expiry_secs).unwrap_or(i64::MAX);
        let finalise_by = now.saturating_add(grace);
        let hash = payment_hash.to_string();
        if let Some(order) =
            store::record_held(conn, &hash, amount, deadline, now, finalise_by).await?
        {
            tracing::Span::current().record("order_id", order.id.as_str());
            order_webhook::state_changed(conn, clock, &order.id).await?;
            let state = order.state.number();
            tracing::info!(order_id = %order.id, state, "channel order payment held");
        }
        Ok(())
    }

    /// A channel's funding was broadcast: the order whose channel it is moves to OPENING, and is
    /// delivered if its payment is the hub's already. Whether the channel is an order's.
    async fn funding_broadcast(
        &self,
        conn: &mut AnyConnection,
        channel_id: &str,
        user_channel_id: UserChannelId,
        peer: PublicKey,
        funding: OutPoint,
    ) -> Result<bool, sqlx::Error> {
        let hub = &self.lsp.hub;
        let now = hub.clock.now_unix();
        let ucid = user_channel_id.to_string();
        let order = match store::order_of_channel(conn, &ucid).await? {
            Some(order) => Some(order),
            // The hub stopped between asking the node and recording its id: the order whose
            // attempt this outbound channel of its size is.
            None => match hub
                .node
                .channels()
                .into_iter()
                .find(|c| c.user_channel_id == user_channel_id && c.outbound_opened)
            {
                Some(channel) => {
                    let node = hub.node.node_id().to_string();
                    let capacity: Sat = channel.capacity;
                    let peer = peer.to_string();
                    // An operator's open of the same size to the same peer is not an order's.
                    if crate::node_actions::store::is_operator_open(conn, &node, &ucid, &peer)
                        .await?
                    {
                        None
                    } else {
                        store::unrecorded_attempt(conn, &node, &peer, capacity).await?
                    }
                }
                None => None,
            },
        };
        let Some(order) = order else {
            return Ok(false);
        };
        tracing::Span::current().record("order_id", order.id.as_str());
        let outpoint = (funding.txid.to_string(), i64::from(funding.vout));
        let Some(htlc_state) =
            store::record_funding(conn, &order.id, &ucid, channel_id, outpoint, now).await?
        else {
            return Ok(true);
        };
        if order.payment.onchain_paid_sat.is_some() || htlc_state == HtlcState::Settled {
            // Paid on chain, or settled before the open (its deadline came first): delivered
            // now; what it held covers fee and push.
            let account = ledger::lsp_order_liability(&order.id);
            let total = order.terms.total_sat.to_msat().unwrap_or(Msat(u64::MAX));
            books::delivered(conn, now, &order, &account, total).await?;
        }
        order_webhook::state_changed(conn, &hub.clock, &order.id).await?;
        tracing::info!(order_id = %order.id, %funding, "channel order funding broadcast");
        Ok(true)
    }

    /// A channel closed: CLOSED for a funded channel; before funding, that open attempt failed
    /// (the worker retries or gives up).
    async fn channel_closed(
        &self,
        conn: &mut AnyConnection,
        user_channel_id: UserChannelId,
        reason: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let clock = &self.lsp.hub.clock;
        let now = clock.now_unix();
        let ucid = user_channel_id.to_string();
        if let Some(id) = store::record_closed(conn, &ucid, now).await? {
            tracing::Span::current().record("order_id", id.as_str());
            return order_webhook::state_changed(conn, clock, &id).await;
        }
        let Some(order) = store::order_of_channel(conn, &ucid).await? else {
            return Ok(());
        };
        if order.state != OrderState::UriSet {
            return Ok(());
        }
        tracing::Span::current().record("order_id", order.id.as_str());
        let plan = retry_plan(
            order.channel.open_attempts,
            self.lsp.config.max_open_attempts,
        );
        let error = format!(
            "CHANNEL_REJECTED_BY_DESTINATION: {}",
            reason.unwrap_or_default()
        );
        if store::record_open_failed(conn, &order.id, Some(&ucid), &error, plan, now).await? {
            order_webhook::state_changed(conn, clock, &order.id).await?;
            let give_up = plan.give_up;
            tracing::warn!(order_id = %order.id, %error, give_up, "channel open failed");
        }
        Ok(())
    }
}

impl EventEffect for LspEffects {
    fn apply<'a>(&'a self, conn: &'a mut AnyConnection, event: &'a NodeEvent) -> EffectFuture<'a> {
        Box::pin(self.apply_event(conn, event))
    }

    fn committed(&self) {
        self.lsp.wake();
        self.lsp.hub.notifier.outbox_committed();
    }
}
