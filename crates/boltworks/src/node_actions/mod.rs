//! The operator's money-moving requests to the hub's node, on every network: open a channel, send
//! from the node wallet, move coins between the node wallet and the treasury. Each request carries
//! the operator's key and is committed (`node_actions`) before the node is asked, so a retry with
//! the key answers with the first request's action and never does it twice; a request under a
//! taken key that differs is refused. The channel's events move an open on (`effect`); a start
//! settles what the last stop interrupted (`reconcile`). What the operator may ask is checked in
//! `checks`; the operations that need no record (peers, closes, fees) are in `direct`.

pub mod checks;
pub mod direct;
mod effect;
mod reconcile;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use bitcoin::secp256k1::PublicKey;
use bitcoin::Address;
use serde_json::json;

pub use self::effect::NodeActionEffects;
pub use self::store::NodeAction;
use self::store::{NewAction, Outcome};
use crate::hub::HubContext;
use crate::ledger::{self, Entry};
use crate::money::{Msat, Sat};
use crate::node::{NodeError, UserChannelId};
use crate::treasury::FeeFrom;

/// Why a request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The key belongs to another request.
    #[error("the key {0} was used for another request")]
    KeyReused(String),
    /// The request cannot be carried out as given.
    #[error("{0}")]
    Invalid(String),
    /// The hub runs no treasury.
    #[error("this hub runs no treasury")]
    NoTreasury,
    /// The database failed (nothing was asked of the node).
    #[error("database: {0}")]
    Store(#[from] sqlx::Error),
}

/// A channel the operator asks for.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// The operator's key.
    pub key: String,
    /// The peer.
    pub peer: PublicKey,
    /// Where it listens.
    pub address: SocketAddr,
    /// The channel's size.
    pub capacity: Sat,
    /// Given to the peer at the open.
    pub push: Msat,
    /// Announced to the network.
    pub public: bool,
}

/// The node's smallest send (the dust limit).
const MIN_SEND_SAT: u64 = 546;

/// The operator's node actions on `hub`.
#[derive(Clone)]
pub struct NodeActions {
    hub: HubContext,
    /// Held from the wallet's sync to the node's send: ldk-node's wallet learns that a send spent
    /// a coin only when it next reads the mempool, so two sends in a row could spend one coin
    /// (the second never confirms).
    sending: Arc<tokio::sync::Mutex<()>>,
}

impl NodeActions {
    /// The actions of `hub`.
    pub fn new(hub: HubContext) -> Self {
        Self {
            hub,
            sending: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// What the node's channel events mean for the actions.
    pub fn effects(&self) -> Arc<dyn crate::node::event_loop::EventEffect> {
        Arc::new(NodeActionEffects::new(self.hub.clock.clone()))
    }

    /// Settles what the last stop interrupted (before requests are served).
    pub async fn start(&self) -> Result<(), sqlx::Error> {
        reconcile::interrupted(&self.hub).await
    }

    /// The action of `key`.
    pub async fn get(&self, key: &str) -> Result<Option<NodeAction>, sqlx::Error> {
        store::get(self.hub.store.pool(), key).await
    }

    /// The newest actions first.
    pub async fn list(&self, limit: u32) -> Result<Vec<NodeAction>, sqlx::Error> {
        store::list(&self.hub.store, limit).await
    }

    /// Records `action` before the node is asked; the action already under its key instead, if
    /// it is the same request.
    async fn begin(&self, action: &NewAction<'_>) -> Result<Option<NodeAction>, ActionError> {
        let now = self.hub.clock.now_unix();
        if store::begin(&self.hub.store, action, now).await? {
            return Ok(None);
        }
        match store::get(self.hub.store.pool(), action.key).await? {
            Some(existing)
                if existing.kind == action.kind && existing.request == action.request =>
            {
                Ok(Some(existing))
            }
            _ => Err(ActionError::KeyReused(action.key.to_string())),
        }
    }

    async fn finish(
        &self,
        key: &str,
        to: &str,
        outcome: Outcome<'_>,
    ) -> Result<NodeAction, ActionError> {
        let now = self.hub.clock.now_unix();
        let mut tx = self.hub.store.pool().begin().await?;
        store::advance(&mut tx, key, &["requested"], to, outcome, now).await?;
        tx.commit().await?;
        self.action(key).await
    }

    async fn action(&self, key: &str) -> Result<NodeAction, ActionError> {
        store::get(self.hub.store.pool(), key)
            .await?
            .ok_or_else(|| ActionError::Invalid(format!("no action {key}")))
    }

    /// Opens a channel (or answers with the open already asked under the key).
    pub async fn open_channel(&self, request: &OpenRequest) -> Result<NodeAction, ActionError> {
        let body = json!({
            "peer": request.peer.to_string(), "address": request.address.to_string(),
            "capacity_sat": request.capacity.0, "push_msat": request.push.0, "public": request.public,
        })
        .to_string();
        let peer = request.peer.to_string();
        let hub_node_id = self.hub.node.node_id().to_string();
        let new = NewAction {
            key: &request.key,
            hub_node_id: &hub_node_id,
            kind: "channel_open",
            request: &body,
            peer: Some(&peer),
            address: Some(&request.address.to_string()),
            amount_sat: db_sat(request.capacity)?,
        };
        if let Some(existing) = self.begin(&new).await? {
            return Ok(existing);
        }
        // From here in a task of its own, as a send (see `send_as`).
        let (actions, request) = (self.clone(), request.clone());
        let done = tokio::spawn(async move {
            crate::pause::pause_point("node_actions.open.before_node").await;
            let opened = actions
                .hub
                .node
                .open_channel(
                    request.peer,
                    request.address,
                    request.capacity,
                    request.push,
                    request.public,
                )
                .await;
            match opened {
                Ok(ucid) => {
                    let id = ucid.to_string();
                    let outcome = Outcome {
                        user_channel_id: Some(&id),
                        ..Outcome::default()
                    };
                    actions.finish(&request.key, "opening", outcome).await?;
                    tracing::info!(key = %request.key, peer = %request.peer, capacity = %request.capacity, "operator opened a channel");
                    // Its events may have come before its id was recorded.
                    actions.catch_up(&request.key, ucid).await?;
                    actions.action(&request.key).await
                }
                Err(e) => actions.failed(&request.key, &e).await,
            }
        });
        done.await
            .map_err(|e| ActionError::Invalid(format!("open task: {e}")))?
    }

    /// Moves an open on to what its channel shows now.
    async fn catch_up(&self, key: &str, ucid: UserChannelId) -> Result<(), ActionError> {
        let now = self.hub.clock.now_unix();
        let mut tx = self.hub.store.pool().begin().await?;
        let Some(channel) = self.hub.node.channel(ucid) else {
            // Closed before its id was recorded (a peer that refused it at once): its close event
            // found no open to move on.
            let gone = Outcome {
                error: Some("the channel closed before it was funded"),
                ..Outcome::default()
            };
            store::advance(&mut tx, key, &["opening"], "failed", gone, now).await?;
            tx.commit().await?;
            return Ok(());
        };
        if channel.funding.is_some() {
            store::advance(
                &mut tx,
                key,
                &["opening"],
                "funded",
                Outcome::default(),
                now,
            )
            .await?;
        }
        if channel.usable {
            let from = ["opening", "funded"];
            store::advance(&mut tx, key, &from, "ready", Outcome::default(), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn failed(&self, key: &str, error: &NodeError) -> Result<NodeAction, ActionError> {
        tracing::warn!(%key, %error, "the node refused an operator action");
        let why = error.to_string();
        let outcome = Outcome {
            error: Some(&why),
            ..Outcome::default()
        };
        self.finish(key, "failed", outcome).await
    }

    /// Sends `amount` from the node wallet to `address` (booked as the operator's withdrawal).
    pub async fn send(
        &self,
        key: &str,
        address: &Address,
        amount: Sat,
    ) -> Result<NodeAction, ActionError> {
        self.send_as(key, "wallet_send", address, amount).await
    }

    /// Moves `amount` from the node wallet to a new treasury address (the treasury books it when
    /// it confirms).
    pub async fn to_treasury(&self, key: &str, amount: Sat) -> Result<NodeAction, ActionError> {
        let treasury = self.hub.treasury.as_ref().ok_or(ActionError::NoTreasury)?;
        if let Some(existing) = store::get(self.hub.store.pool(), key).await? {
            return match existing.kind.as_str() {
                "to_treasury" if existing.amount_sat == db_sat(amount)? => Ok(existing),
                _ => Err(ActionError::KeyReused(key.to_string())),
            };
        }
        let address = treasury
            .new_address(&format!("node-wallet:{key}"), ledger::ASSETS_NODE_WALLET)
            .await
            .map_err(|e| ActionError::Invalid(format!("no treasury address: {e}")))?;
        self.send_as(key, "to_treasury", &address, amount).await
    }

    async fn send_as(
        &self,
        key: &str,
        kind: &str,
        address: &Address,
        amount: Sat,
    ) -> Result<NodeAction, ActionError> {
        if amount.0 < MIN_SEND_SAT {
            return Err(ActionError::Invalid(format!(
                "amount_sat must be at least {MIN_SEND_SAT} (the dust limit)"
            )));
        }
        let body = match kind {
            "to_treasury" => json!({"amount_sat": amount.0}),
            _ => json!({"address": address.to_string(), "amount_sat": amount.0}),
        }
        .to_string();
        let address_text = address.to_string();
        let hub_node_id = self.hub.node.node_id().to_string();
        let new = NewAction {
            key,
            hub_node_id: &hub_node_id,
            kind,
            request: &body,
            peer: None,
            address: Some(&address_text),
            amount_sat: db_sat(amount)?,
        };
        if let Some(existing) = self.begin(&new).await? {
            return Ok(existing);
        }
        // From here in a task of its own: a request dropped now (its client gone, its timeout)
        // cannot stop the send after the node made it, nor its recording.
        let (actions, key_owned, kind_owned, to) = (
            self.clone(),
            key.to_string(),
            kind.to_string(),
            address.clone(),
        );
        let done = tokio::spawn(async move {
            crate::pause::pause_point("node_actions.send.before_node").await;
            let (key, kind) = (key_owned.as_str(), kind_owned.as_str());
            let sending = Arc::clone(&actions.sending);
            let _one_at_a_time = sending.lock().await;
            if let Err(e) = actions.hub.node.sync().await {
                return actions.failed(key, &e).await;
            }
            let node = Arc::clone(&actions.hub.node);
            let sent = tokio::task::spawn_blocking(move || node.send_onchain(&to, amount))
                .await
                .map_err(|e| ActionError::Invalid(format!("send task: {e}")))?;
            match sent {
                Ok(txid) => {
                    let txid = txid.to_string();
                    record_sent(&actions.hub, key, kind, amount, &txid).await?;
                    tracing::info!(%key, %kind, %txid, %amount, "operator sent from the node wallet");
                    actions.action(key).await
                }
                Err(e) => actions.failed(key, &e).await,
            }
        });
        done.await
            .map_err(|e| ActionError::Invalid(format!("send task: {e}")))?
    }

    /// Moves `amount` from the treasury to the node wallet (the treasury's send, once per key).
    pub async fn from_treasury(&self, key: &str, amount: Sat) -> Result<NodeAction, ActionError> {
        if self.hub.treasury.is_none() {
            return Err(ActionError::NoTreasury);
        }
        let body = json!({"amount_sat": amount.0}).to_string();
        let hub_node_id = self.hub.node.node_id().to_string();
        let new = NewAction {
            key,
            hub_node_id: &hub_node_id,
            kind: "from_treasury",
            request: &body,
            peer: None,
            address: None,
            amount_sat: db_sat(amount)?,
        };
        if let Some(existing) = self.begin(&new).await? {
            return Ok(existing);
        }
        reconcile::send_from_treasury(&self.hub, key, amount).await?;
        self.action(key).await
    }
}

/// Records a send the node made: `sent` with its txid, and for a send out of the hub, the
/// operator's withdrawal from the node wallet in the ledger (a move to the treasury is booked by
/// the treasury when it confirms).
async fn record_sent(
    hub: &HubContext,
    key: &str,
    kind: &str,
    amount: Sat,
    txid: &str,
) -> Result<(), sqlx::Error> {
    let now = hub.clock.now_unix();
    let mut tx = hub.store.pool().begin().await?;
    let outcome = Outcome {
        txid: Some(txid),
        ..Outcome::default()
    };
    let moved = store::advance(&mut tx, key, &["requested"], "sent", outcome, now).await?;
    if moved && kind == "wallet_send" {
        let msat = amount.to_msat().and_then(|m| m.to_db()).unwrap_or(i64::MAX);
        ledger::post_or_log(
            &mut tx,
            now,
            "node-wallet-send",
            &format!("node-wallet-send:{key}"),
            &[
                Entry::debit(ledger::EQUITY_NODE_WALLET_WITHDRAWALS, msat),
                Entry::credit(ledger::ASSETS_NODE_WALLET, msat),
            ],
        )
        .await?;
    }
    tx.commit().await
}

fn db_sat(amount: Sat) -> Result<i64, ActionError> {
    i64::try_from(amount.0).map_err(|_| ActionError::Invalid("amount is too large".into()))
}

/// Pays from the treasury to the node wallet under `key` (idempotent: the treasury sends once
/// per key), recording the txid.
pub(crate) async fn treasury_to_node(
    hub: &HubContext,
    key: &str,
    amount: Sat,
) -> Result<String, ActionError> {
    let treasury = hub.treasury.as_ref().ok_or(ActionError::NoTreasury)?;
    let address = hub
        .node
        .new_onchain_address()
        .map_err(|e| ActionError::Invalid(format!("no node address: {e}")))?;
    let sent = treasury
        .send(
            &format!("node-wallet-from-treasury:{key}"),
            &[(address, amount)],
            FeeFrom::Treasury,
            ledger::ASSETS_NODE_WALLET,
        )
        .await
        .map_err(|e| match e {
            crate::treasury::SendError::Store(e) => ActionError::Store(e),
            other => ActionError::Invalid(other.to_string()),
        })?;
    Ok(sent.txid.to_string())
}
