//! Opening an order's channel, one attempt at a time. Each attempt is committed before the node
//! is asked (`begin_open`), so the target cannot change under it and a crash in between is found
//! again: the node's channel is adopted, not opened twice. An attempt the node does not fund in
//! time is dropped at the node first, and counts as failed only once the node no longer has it,
//! so a late funding can never leave a channel no order knows. Failures are retried with a
//! doubling delay and give up after the configured attempts. A node wallet too low for the
//! channel is topped up from the treasury first.

use bitcoin::secp256k1::PublicKey;

use super::model::{retry_plan, FUNDING_RESERVE_SAT};
use super::store::{self, Order};
use super::LspService;
use super::{held_payment, order_webhook};
use crate::ledger;
use crate::money::Sat;
use crate::node::{NodeErrorKind, UserChannelId};
use crate::treasury::{FeeFrom, SendError};

/// How long the node may take from an open request to the funding broadcast.
const OPEN_DEADLINE_SECS: i64 = 60;

fn peer_of(order: &Order) -> Option<PublicKey> {
    order
        .channel
        .node_pubkey
        .as_deref()
        .and_then(|k| k.parse().ok())
}

fn capacity_of(order: &Order) -> u64 {
    order.terms.capacity().map_or(0, |c| c.0)
}

fn user_channel_id(text: &str) -> Option<UserChannelId> {
    text.parse().ok()
}

/// Starts an attempt to open the order's channel.
#[tracing::instrument(skip_all, fields(order_id = %order.id, attempt = order.channel.open_attempts + 1))]
pub(super) async fn open(state: &LspService, order: &Order) -> Result<(), sqlx::Error> {
    if !held_payment::still_claimable(state, order).await? {
        return Ok(());
    }
    let now = state.hub.clock.now_unix();
    if !store::begin_open(&state.hub.store, &order.id, now + OPEN_DEADLINE_SECS, now).await? {
        return Ok(());
    }
    let Some(peer) = peer_of(order) else {
        return open_failed(state, &order.id, None, "PEERING_FAILED: no node to open to").await;
    };
    let address = order
        .channel
        .node_address
        .as_deref()
        .and_then(|a| a.parse().ok())
        .or_else(|| state.hub.node.peer_address(peer));
    let Some(address) = address else {
        let why = "PEERING_FAILED: the node has no known address; connect to the LSP first";
        return open_failed(state, &order.id, None, why).await;
    };
    let short = capacity_of(order)
        .saturating_add(FUNDING_RESERVE_SAT)
        .saturating_sub(state.hub.node.onchain_balance().spendable.0);
    if short > 0 {
        return top_up_first(state, order, short).await;
    }
    let Some(push) = order.terms.client_balance_sat.to_msat() else {
        let why = "REJECTED_BY_LSP: the balance to push does not fit in millisatoshis";
        return open_failed(state, &order.id, None, why).await;
    };
    let capacity = Sat(capacity_of(order));
    crate::pause::pause_point("lsp.open.before_node").await;
    let result = state
        .hub
        .node
        .open_channel(
            peer,
            address,
            capacity,
            push,
            order.channel.announce_channel,
        )
        .await;
    crate::pause::pause_point("lsp.open.after_node").await;
    match result {
        Ok(channel) => {
            let ucid = channel.to_string();
            if store::record_open_started(&state.hub.store, &order.id, &ucid, now).await? {
                tracing::info!(order_id = %order.id, %peer, "channel open requested");
            } else {
                // Its funding event was faster and matched it already.
                tracing::info!(order_id = %order.id, %peer, "channel open requested and already matched");
            }
            Ok(())
        }
        Err(e) => {
            let reason = match e.kind {
                NodeErrorKind::PeerUnreachable => "PEERING_FAILED",
                NodeErrorKind::InsufficientFunds => "REJECTED_BY_LSP",
                _ => "CHANNEL_REJECTED_BY_DESTINATION",
            };
            let why = format!("{reason}: {}", e.message);
            open_failed(state, &order.id, None, &why).await
        }
    }
}

/// How long an order waiting for the node wallet's top-up waits between looks.
const TOP_UP_RECHECK_SECS: i64 = 5;

/// The node's wallet cannot fund the channel: the treasury sends it what is missing (once per
/// attempt number), and the attempt is taken back until that confirms. Without a treasury, or
/// with too little in it, the attempt fails as the LSP's refusal.
async fn top_up_first(state: &LspService, order: &Order, short: u64) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let Some(treasury) = &state.hub.treasury else {
        let why = "REJECTED_BY_LSP: the LSP's wallet cannot fund this channel now";
        return open_failed(state, &order.id, None, why).await;
    };
    let address = match state.hub.node.new_onchain_address() {
        Ok(address) => address,
        Err(e) => {
            tracing::warn!(order_id = %order.id, error = %e, "no node address for a top-up; retrying");
            return store::postpone_open(&state.hub.store, &order.id, now + TOP_UP_RECHECK_SECS)
                .await;
        }
    };
    // What is missing plus a reserve's worth, so the next open does not need another at once.
    let amount = Sat(short.saturating_add(FUNDING_RESERVE_SAT));
    let key = format!("node-top-up:{}:{}", order.id, order.channel.open_attempts);
    match treasury.sent(&key).await {
        // This attempt's top-up confirmed and the wallet is still short (another open used
        // it): the attempt fails, and the next one (another number) tops up again.
        Ok(Some((_, confirmations))) if confirmations > 0 => {
            let why = "REJECTED_BY_LSP: the node's wallet is still short after its top-up";
            return open_failed(state, &order.id, None, why).await;
        }
        Ok(Some(_)) => {
            return store::postpone_open(&state.hub.store, &order.id, now + TOP_UP_RECHECK_SECS)
                .await
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(order_id = %order.id, error = %e, "looking up a top-up; retrying");
            return store::postpone_open(&state.hub.store, &order.id, now + TOP_UP_RECHECK_SECS)
                .await;
        }
    }
    match treasury
        .send(
            &key,
            &[(address, amount)],
            FeeFrom::Treasury,
            ledger::ASSETS_NODE_WALLET,
        )
        .await
    {
        Ok(sent) => {
            tracing::info!(order_id = %order.id, txid = %sent.txid, %amount, "node wallet topped up from the treasury; the open waits for it to confirm");
            store::postpone_open(&state.hub.store, &order.id, now + TOP_UP_RECHECK_SECS).await
        }
        Err(SendError::InsufficientFunds(detail)) => {
            let why = format!(
                "REJECTED_BY_LSP: the LSP's wallets cannot fund this channel now ({detail})"
            );
            open_failed(state, &order.id, None, &why).await
        }
        Err(e) => {
            tracing::warn!(order_id = %order.id, error = %e, "topping up the node wallet failed; retrying");
            store::postpone_open(&state.hub.store, &order.id, now + TOP_UP_RECHECK_SECS).await
        }
    }
}

/// An attempt not funded by its deadline: adopt the node's channel if the hub lost its id in a
/// crash; drop an unfunded channel at the node (its close event records the failure); record the
/// failure once the node has no channel for it.
#[tracing::instrument(skip_all, fields(order_id = %order.id, user_channel_id = order.channel.user_channel_id.as_deref()))]
pub(super) async fn stalled(state: &LspService, order: &Order) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let peer = peer_of(order);
    let channels = state.hub.node.channels();
    let Some(ucid) = order.channel.user_channel_id.as_deref() else {
        // The hub stopped between asking the node and recording its answer.
        for channel in channels.iter().filter(|c| {
            c.outbound_opened && Some(c.peer) == peer && c.capacity.0 == capacity_of(order)
        }) {
            let candidate = channel.user_channel_id.to_string();
            let hub_node = state.hub.node.node_id().to_string();
            let operator_s = {
                let mut conn = state.hub.store.pool().acquire().await?;
                let peer = channel.peer.to_string();
                crate::node_actions::store::is_operator_open(
                    &mut conn, &hub_node, &candidate, &peer,
                )
                .await?
            };
            if !operator_s
                && !store::channel_is_known(&state.hub.store, &candidate).await?
                && store::record_open_started(&state.hub.store, &order.id, &candidate, now).await?
            {
                tracing::warn!(order_id = %order.id, user_channel_id = %candidate, "adopted the node's channel of an interrupted open");
                store::extend_open(&state.hub.store, &order.id, now + OPEN_DEADLINE_SECS).await?;
                return Ok(());
            }
        }
        let why = "PEERING_FAILED: the open did not complete in time";
        return open_failed(state, &order.id, None, why).await;
    };
    match channels
        .iter()
        .find(|c| c.user_channel_id.to_string() == ucid)
    {
        None => {
            let why = "PEERING_FAILED: the open did not complete in time";
            open_failed(state, &order.id, Some(ucid), why).await
        }
        Some(channel) if channel.funding.is_some() => {
            // Funded after all: its event moves the order on.
            store::extend_open(&state.hub.store, &order.id, now + OPEN_DEADLINE_SECS).await
        }
        Some(channel) => {
            if let (Some(id), Some(peer)) = (user_channel_id(ucid), peer) {
                let dropped = state.hub.node.close_channel(id, peer).or_else(|_| {
                    state
                        .hub
                        .node
                        .force_close_channel(id, peer, "open timed out")
                });
                if let Err(e) = dropped {
                    tracing::warn!(order_id = %order.id, error = %e, "dropping a stalled open at the node");
                }
            }
            tracing::warn!(order_id = %order.id, channel_id = %channel.channel_id, "channel open stalled; dropping it");
            store::extend_open(&state.hub.store, &order.id, now + OPEN_DEADLINE_SECS).await
        }
    }
}

/// Records that attempt `attempt` (the node's channel id, `None` if the node never took it)
/// failed: retried after a doubling delay, or given up after the configured attempts.
pub(super) async fn open_failed(
    state: &LspService,
    order_id: &str,
    attempt: Option<&str>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let now = state.hub.clock.now_unix();
    let mut tx = state.hub.store.pool().begin().await?;
    let Some(order) = store::order(&mut tx, order_id).await? else {
        return Ok(());
    };
    let plan = retry_plan(order.channel.open_attempts, state.config.max_open_attempts);
    let give_up = plan.give_up;
    if store::record_open_failed(&mut tx, order_id, attempt, reason, plan, now).await? {
        order_webhook::state_changed(&mut tx, &state.hub.clock, order_id).await?;
        let attempts = order.channel.open_attempts;
        tracing::warn!(%order_id, %reason, attempts, give_up, "channel open failed");
    }
    tx.commit().await?;
    state.hub.notifier.outbox_committed();
    if give_up {
        state.wake();
    }
    Ok(())
}
