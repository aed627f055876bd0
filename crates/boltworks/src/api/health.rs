//! Liveness and readiness.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::state::Readiness;
use crate::http::HubError;
use crate::hub::HubContext;

/// `GET /health`: the process is up.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /ready`: the database answers, the node runs synced to the chain tip, and (in dev mode)
/// the demo channels are usable.
pub async fn ready(
    State(hub): State<HubContext>,
    State(readiness): State<Readiness>,
) -> Result<Json<Value>, HubError> {
    let database = hub.store.is_reachable().await;
    let node_running = hub.node.is_running();
    let node_height = hub.node.synced_height();
    let chain_height = readiness.chain_tip.height().await;
    let synced =
        node_running && hub.node.has_synced() && chain_height.is_some_and(|tip| node_height >= tip);
    let demo_network = readiness.demo.as_ref().map(|dev| dev.is_ready());
    let body = json!({
        "demo_network": demo_network,
        "database": database,
        "node_running": node_running,
        "node_height": node_height,
        "chain_height": chain_height,
        "synced": synced,
    });
    if database && synced && demo_network != Some(false) {
        Ok(Json(json!({"status": "ready", "checks": body})))
    } else {
        Err(HubError::Unavailable(format!("not ready: {body}")))
    }
}
