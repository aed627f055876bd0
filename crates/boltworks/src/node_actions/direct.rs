//! The operator's node operations that need no record of their own, for the admin API and the
//! console alike: connecting and disconnecting peers, closing a channel (a force close only when
//! confirmed: the node's funds stay locked on chain until its timelock ends) and a channel's
//! forwarding fees. A close is recorded by the node's own events (`channel_closures`).

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::secp256k1::PublicKey;

use super::checks;
use crate::http::HubError;
use crate::hub::HubContext;
use crate::node::{ChannelInfo, ForwardingFees, UserChannelId};

/// How a channel is to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// Agreed with the peer.
    Cooperative,
    /// The latest commitment broadcast, with the operator's confirmation.
    Force {
        /// The operator confirmed it.
        confirmed: bool,
    },
}

async fn on_blocking<T: Send + 'static>(
    hub: &HubContext,
    call: impl FnOnce(&crate::node::LightningNode) -> T + Send + 'static,
) -> Result<T, HubError> {
    let node = Arc::clone(&hub.node);
    tokio::task::spawn_blocking(move || call(&node))
        .await
        .map_err(|e| HubError::Internal(format!("node task: {e}")))
}

/// Connects to the peer at `uri` (`pubkey@ip:port`), persisting it for reconnection.
pub async fn connect(hub: &HubContext, uri: &str) -> Result<(PublicKey, SocketAddr), HubError> {
    let (peer, address) = checks::peer_uri(uri)?;
    if let Err(e) = on_blocking(hub, move |node| node.connect(peer, address)).await? {
        // The peer may be connecting to the hub at the same moment (LDK keeps one of two
        // simultaneous connections and closes the other): connected is what was asked. Else
        // one more try, the race being over.
        if !connected_soon(hub, peer).await {
            let again = on_blocking(hub, move |node| node.connect(peer, address)).await?;
            if again.is_err() && !connected_soon(hub, peer).await {
                return Err(e.into());
            }
        }
    }
    tracing::info!(%peer, %address, "operator connected a peer");
    Ok((peer, address))
}

/// Whether `peer` is connected, or gets connected within a second.
async fn connected_soon(hub: &HubContext, peer: PublicKey) -> bool {
    for _ in 0..10 {
        let peers = hub.node.peers();
        if peers.iter().any(|p| p.node_id == peer && p.connected) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Disconnects the peer `node_id` (its channels stay).
pub fn disconnect(hub: &HubContext, node_id: &str) -> Result<(), HubError> {
    let peer = checks::node_id(node_id)?;
    hub.node.disconnect(peer)?;
    tracing::info!(%peer, "operator disconnected a peer");
    Ok(())
}

/// The node's channel `user_channel_id`.
pub fn channel(hub: &HubContext, user_channel_id: &str) -> Result<ChannelInfo, HubError> {
    let id = UserChannelId::from_str(user_channel_id.trim())
        .map_err(|_| HubError::BadRequest("not a user_channel_id".into()))?;
    hub.node
        .channel(id)
        .ok_or_else(|| HubError::NotFound("the node has no such channel".into()))
}

/// Closes channel `user_channel_id`.
pub fn close(hub: &HubContext, user_channel_id: &str, kind: CloseKind) -> Result<(), HubError> {
    let channel = channel(hub, user_channel_id)?;
    let (id, peer) = (channel.user_channel_id, channel.peer);
    match kind {
        CloseKind::Force { confirmed: false } => Err(HubError::BadRequest(
            "a force close locks the node's funds on chain until the timelock ends: confirm it (\"confirm\": true)"
                .into(),
        )),
        CloseKind::Force { confirmed: true } => {
            hub.node
                .force_close_channel(id, peer, "closed by the operator")?;
            tracing::warn!(user_channel_id, %peer, "operator force-closed a channel");
            Ok(())
        }
        CloseKind::Cooperative => {
            hub.node.close_channel(id, peer)?;
            tracing::info!(user_channel_id, %peer, "operator closed a channel");
            Ok(())
        }
    }
}

/// Sets what the node charges to forward over channel `user_channel_id`.
pub fn set_fees(
    hub: &HubContext,
    user_channel_id: &str,
    fees: ForwardingFees,
) -> Result<(), HubError> {
    if fees.ppm > checks::MAX_FEE_PPM {
        return Err(HubError::BadRequest(format!(
            "ppm must be at most {}",
            checks::MAX_FEE_PPM
        )));
    }
    let channel = channel(hub, user_channel_id)?;
    hub.node
        .set_forwarding_fees(channel.user_channel_id, channel.peer, fees)?;
    tracing::info!(
        user_channel_id,
        base_msat = fees.base_msat,
        ppm = fees.ppm,
        "operator set forwarding fees"
    );
    Ok(())
}
