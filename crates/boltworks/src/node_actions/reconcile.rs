//! What the last stop interrupted: actions recorded `requested` whose node call may or may not
//! have happened. An open is matched to the node's channel to its peer of its size (adopted), or
//! failed if the node has none (an unfunded open does not survive a restart). A send from the
//! node wallet is matched to the node's on-chain payment of its amount that no action has; with
//! none it is `unknown` and never sent again (the node may yet show it: the operator looks). A
//! move from the treasury is sent again under its key, which the treasury pays at most once.

use super::store::{self, NodeAction, Outcome};
use super::{record_sent, treasury_to_node, ActionError};
use crate::hub::HubContext;
use crate::money::Sat;

/// Settles every interrupted action.
pub(super) async fn interrupted(hub: &HubContext) -> Result<(), sqlx::Error> {
    let hub_node = hub.node.node_id().to_string();
    for action in store::interrupted(&hub.store, &hub_node).await? {
        let sat = Sat(u64::try_from(action.amount_sat).unwrap_or(0));
        match action.kind.as_str() {
            "channel_open" => open(hub, &action).await?,
            "wallet_send" | "to_treasury" => send(hub, &action, sat).await?,
            "from_treasury" => match send_from_treasury(hub, &action.key, sat).await {
                Ok(()) | Err(ActionError::Invalid(_)) | Err(ActionError::NoTreasury) => {}
                Err(ActionError::Store(e)) => return Err(e),
                Err(ActionError::KeyReused(_)) => {}
            },
            _ => {}
        }
    }
    Ok(())
}

async fn open(hub: &HubContext, action: &NodeAction) -> Result<(), sqlx::Error> {
    let now = hub.clock.now_unix();
    let capacity = u64::try_from(action.amount_sat).unwrap_or(0);
    for channel in hub.node.channels() {
        let candidate = channel.user_channel_id.to_string();
        if channel.outbound_opened
            && action.peer.as_deref() == Some(channel.peer.to_string().as_str())
            && channel.capacity.0 == capacity
            && !store::is_known(&hub.store, None, Some(&candidate)).await?
            && !crate::services::lsp::is_order_channel(&hub.store, &candidate).await?
        {
            let mut tx = hub.store.pool().begin().await?;
            let state = if channel.usable {
                "ready"
            } else if channel.funding.is_some() {
                "funded"
            } else {
                "opening"
            };
            let outcome = Outcome {
                user_channel_id: Some(&candidate),
                ..Outcome::default()
            };
            store::advance(&mut tx, &action.key, &["requested"], state, outcome, now).await?;
            tx.commit().await?;
            tracing::warn!(key = %action.key, user_channel_id = %candidate, "adopted the node's channel of an interrupted operator open");
            return Ok(());
        }
    }
    let why = "the hub stopped before the node took the open";
    fail(hub, &action.key, why).await
}

async fn send(hub: &HubContext, action: &NodeAction, amount: Sat) -> Result<(), sqlx::Error> {
    // A channel's funding is no send of the operator's.
    let fundings: Vec<String> = hub
        .node
        .channels()
        .iter()
        .filter_map(|c| c.funding.map(|f| f.txid.to_string()))
        .collect();
    for (txid, sent) in hub.node.onchain_sends() {
        let txid = txid.to_string();
        if sent == amount
            && !fundings.contains(&txid)
            && !store::is_known(&hub.store, Some(&txid), None).await?
        {
            record_sent(hub, &action.key, &action.kind, amount, &txid).await?;
            tracing::warn!(key = %action.key, %txid, "matched an interrupted operator send to the node's payment");
            return Ok(());
        }
    }
    let now = hub.clock.now_unix();
    let mut tx = hub.store.pool().begin().await?;
    let outcome = Outcome {
        error: Some(
            "the hub stopped while the node was asked; no matching payment: not sent again",
        ),
        ..Outcome::default()
    };
    store::advance(
        &mut tx,
        &action.key,
        &["requested"],
        "unknown",
        outcome,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::error!(key = %action.key, "an interrupted operator send matches no node payment: left unknown, not resent");
    Ok(())
}

async fn fail(hub: &HubContext, key: &str, why: &str) -> Result<(), sqlx::Error> {
    let now = hub.clock.now_unix();
    let mut tx = hub.store.pool().begin().await?;
    let outcome = Outcome {
        error: Some(why),
        ..Outcome::default()
    };
    store::advance(&mut tx, key, &["requested"], "failed", outcome, now).await?;
    tx.commit().await
}

/// Sends a recorded move from the treasury and records it sent (or failed, when the treasury
/// cannot pay it).
pub(super) async fn send_from_treasury(
    hub: &HubContext,
    key: &str,
    amount: Sat,
) -> Result<(), ActionError> {
    match treasury_to_node(hub, key, amount).await {
        Ok(txid) => {
            let now = hub.clock.now_unix();
            let mut tx = hub.store.pool().begin().await?;
            let outcome = Outcome {
                txid: Some(&txid),
                ..Outcome::default()
            };
            store::advance(&mut tx, key, &["requested"], "sent", outcome, now).await?;
            tx.commit().await?;
            tracing::info!(%key, %txid, %amount, "treasury sent to the node wallet");
            Ok(())
        }
        Err(ActionError::Invalid(why)) => {
            fail(hub, key, &why).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}
