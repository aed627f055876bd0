//! What the hub's node events mean for JIT channels, in the event's transaction. ldk-node opens a
//! JIT channel itself; the hub learns of it from the forward that paid its opening fee (the
//! intercepted HTLC forwarded with a skimmed fee): the channel and the forward are recorded, and
//! the fee is booked as LSP income (the hub's Lightning holdings grew by it: it received the
//! payment and forwarded it less the fee). A JIT channel is recorded already at its funding
//! broadcast, so one whose payment never came can be closed (`sweeper`); its close is recorded.

use bitcoin::secp256k1::PublicKey;
use sqlx::AnyConnection;

use super::store::{self, FeeForward, OpenedChannel};
use crate::ledger::{self, Entry};
use crate::money::Msat;
use crate::node::LightningNode;
use crate::node_actions;

/// A forward, as the effect reads it.
pub(in crate::services::lsp) struct Forward<'a> {
    pub prev_channel_id: &'a str,
    pub next_channel_id: &'a str,
    pub next_peer: Option<PublicKey>,
    pub skimmed_fee: Option<Msat>,
    pub amount_forwarded: Option<Msat>,
}

/// Records a forward that paid a JIT channel's opening fee, and books the fee; any other forward
/// is not the LSP's business.
pub(in crate::services::lsp) async fn forwarded(
    conn: &mut AnyConnection,
    node: &LightningNode,
    forward: &Forward<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let Some(fee) = forward.skimmed_fee.filter(|fee| fee.0 > 0) else {
        return Ok(());
    };
    let forwarded = forward.amount_forwarded.unwrap_or(Msat(0));
    // LDK's event carries no id: a replay of the same event has the same channels and amounts.
    let key = format!(
        "{}:{}:{}:{}",
        forward.next_channel_id, forward.prev_channel_id, forwarded.0, fee.0
    );
    let fee_forward = FeeForward {
        key: key.clone(),
        channel_id: forward.next_channel_id.to_string(),
        forwarded,
        opening_fee: fee,
    };
    let channel = node
        .channels()
        .into_iter()
        .find(|c| c.channel_id == forward.next_channel_id);
    let opened = OpenedChannel {
        channel_id: forward.next_channel_id,
        user_channel_id: channel.as_ref().map(|c| c.user_channel_id.to_string()),
        client_node_id: forward
            .next_peer
            .or(channel.as_ref().map(|c| c.peer))
            .map(|p| p.to_string()),
        capacity_sat: channel
            .as_ref()
            .map_or(0, |c| i64::try_from(c.capacity.0).unwrap_or(i64::MAX)),
        funding_txo: channel
            .as_ref()
            .and_then(|c| c.funding)
            .map(|f| f.to_string()),
    };
    if !store::record_fee_forward(conn, &fee_forward, &opened, now).await? {
        return Ok(());
    }
    let Some(fee_msat) = fee.to_db() else {
        tracing::error!(channel_id = forward.next_channel_id, fee = %fee, "a JIT opening fee beyond the books' range; not booked");
        return Ok(());
    };
    tracing::info!(
        channel_id = forward.next_channel_id,
        client = opened.client_node_id.as_deref().unwrap_or("unknown"),
        forwarded_msat = forwarded.0,
        opening_fee_msat = fee.0,
        "JIT channel paid for: its first payment reached the client less the opening fee"
    );
    ledger::post_or_log(
        conn,
        now,
        "lsp-jit-fee",
        &format!("lsp-jit-fee:{key}"),
        &[
            Entry::debit(ledger::ASSETS_LIGHTNING, fee_msat),
            Entry::credit(ledger::INCOME_LSP_FEES, fee_msat),
        ],
    )
    .await
}

/// A funding broadcast of no channel order: on a hub that sells JIT channels, an outbound one is
/// a JIT channel ldk-node opened (unless the operator opened it); recorded, so that it
/// is closed if its payment never comes.
pub(in crate::services::lsp) async fn funding_broadcast(
    conn: &mut AnyConnection,
    node: &LightningNode,
    channel_id: &str,
    funding: bitcoin::OutPoint,
    now: i64,
) -> Result<(), sqlx::Error> {
    let Some(channel) = node
        .channels()
        .into_iter()
        .find(|c| c.channel_id == channel_id && c.outbound_opened)
    else {
        return Ok(());
    };
    // The operator's own opens are not JIT channels (also one whose id is not recorded yet).
    let (ucid, peer) = (
        channel.user_channel_id.to_string(),
        channel.peer.to_string(),
    );
    let hub_node = node.node_id().to_string();
    if node_actions::store::is_operator_open(conn, &hub_node, &ucid, &peer).await? {
        return Ok(());
    }
    let opened = OpenedChannel {
        channel_id,
        user_channel_id: Some(channel.user_channel_id.to_string()),
        client_node_id: Some(channel.peer.to_string()),
        capacity_sat: i64::try_from(channel.capacity.0).unwrap_or(i64::MAX),
        funding_txo: Some(funding.to_string()),
    };
    tracing::info!(%channel_id, client = %channel.peer, capacity_sat = channel.capacity.0, "JIT channel funded");
    store::record_opened(conn, &opened, now).await
}

/// Records the close of a JIT channel.
pub(in crate::services::lsp) async fn closed(
    conn: &mut AnyConnection,
    channel_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    store::record_closed(conn, channel_id, now).await
}
