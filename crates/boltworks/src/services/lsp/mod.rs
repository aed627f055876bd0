//! The LSP: selling inbound channels on the hub's node. One order engine (`model`, `engine`,
//! `store`, `effects`, `worker`) behind two APIs: LSP v0.0.1 (Blocktank v1, `/lsp/v1`:
//! `v1_api`, `v1_handlers`, `lnurl_channel`) and LSPS1 v0.0.2 (`/lsp/channels...`: `lsps1_api`,
//! `lsps1_handlers`). An order is paid by a hold invoice: the buyer's HTLC is held until the
//! channel's funding transaction is broadcast, and failed back (a refund) if the order expires or
//! gives up. Every state change can be POSTed to the order's webhook (`order_webhook`).
//!
//! Orders can also be paid on chain, to an address of the hub's treasury (`onchain`); money the
//! hub cannot deliver a channel for is refunded from it, once.

pub mod blip51;
mod books;
mod config;
mod effects;
mod engine;
mod held_payment;
pub mod jit;
mod lease;
mod lightning_refund;
mod lnurl_channel;
mod lsps1_api;
mod lsps1_handlers;
pub mod model;
mod onchain;
mod onchain_refund;
mod opening;
mod order_webhook;
mod store;
mod v1_api;
mod v1_handlers;
mod worker;

use std::sync::Arc;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

pub use self::config::{LspArgs, LspConfig};
use self::effects::LspEffects;
pub use self::store::listing::{OrderDetail, OrderRow};
use crate::http::idempotency::{self, Idempotency};
use crate::http::{ApiRoutes, RateLimit};
use crate::hub::HubContext;
use crate::node::event_loop::EventEffect;

/// The LSP service: the hub context, its settings, and the signal that wakes its worker.
#[derive(Clone)]
pub struct LspService {
    hub: HubContext,
    config: Arc<LspConfig>,
    /// When this process started, on the hub's clock: work claimed before it was left by an
    /// earlier process.
    started_at: i64,
    wake: Arc<Notify>,
}

impl LspService {
    /// The service on `hub` with `config`, for a process starting now.
    pub fn new(hub: HubContext, config: LspConfig) -> Self {
        let started_at = hub.clock.now_unix();
        Self {
            hub,
            config: Arc::new(config),
            started_at,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Both LSP APIs under their base paths, given this service as their state.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> ApiRoutes<S> {
        let limit = &self.hub.rate_limit;
        let keys = |api, refuse| {
            let (store, clock) = (self.hub.store.clone(), self.hub.clock.clone());
            Idempotency::new(store, clock, api, idempotency::anyone(), refuse)
        };
        v1_routes(&self.config.v1_base, limit)
            .idempotent(&keys("lsp-v1", v1_api::key_refused))
            .merge(
                lsps1_routes(&self.config.lsps1_base, limit)
                    .idempotent(&keys("lsps1", lsps1_api::key_refused)),
            )
            .merge(blip51::routes(
                &self.config.blip51_base,
                limit,
                &keys("blip51", blip51::wire::key_refused),
            ))
            .with_state(self.clone())
    }

    /// Channel orders by state name (v0.0.1's names), for metrics.
    pub async fn order_outcomes(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let counts = self
            .hub
            .store
            .grouped_counts("SELECT CAST(state AS TEXT), COUNT(*) FROM lsp_orders GROUP BY state")
            .await?;
        Ok(counts
            .into_iter()
            .map(|(state, count)| {
                let name = model::OrderState::ALL
                    .iter()
                    .find(|(_, s)| s.number().to_string() == state)
                    .map_or(state, |(name, _)| (*name).to_string());
                (name, count)
            })
            .collect())
    }

    /// Channel orders for the console: newest first, `state` by its v0.0.1 name if given, made
    /// before `before`; `None` for a state name that is not one.
    pub async fn list_orders(
        &self,
        state: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Option<Vec<OrderRow>>, sqlx::Error> {
        let state = match state {
            None => None,
            Some(name) => match model::OrderState::ALL.iter().find(|(n, _)| *n == name) {
                Some((_, state)) => Some(*state),
                None => return Ok(None),
            },
        };
        Ok(Some(
            store::listing::list(&self.hub.store, state, before, limit).await?,
        ))
    }

    /// One channel order with its payment, channel and refund, for the console.
    pub async fn order_detail(&self, id: &str) -> Result<Option<OrderDetail>, sqlx::Error> {
        let mut conn = self.hub.store.pool().acquire().await?;
        let order = store::order(&mut conn, id).await?;
        Ok(order.map(OrderDetail::from))
    }

    /// What the hub's node events mean for channel orders.
    pub fn effects(&self) -> Arc<dyn EventEffect> {
        Arc::new(LspEffects::new(self.clone()))
    }

    /// Starts the order worker.
    pub fn start(&self, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        let mut tasks = jit::start(self, &shutdown);
        tasks.push(worker::spawn_worker(self.clone(), shutdown));
        tasks
    }

    /// Wakes the worker now (it also runs every second, and when blocks arrive).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Whether channel `user_channel_id` of the node is a channel order's.
pub async fn is_order_channel(
    store: &crate::store::Store,
    user_channel_id: &str,
) -> Result<bool, sqlx::Error> {
    store::channel_is_known(store, user_channel_id).await
}

/// The v0.0.1 API under its base path (default `/lsp/v1`).
fn v1_routes(base: &str, limit: &RateLimit) -> ApiRoutes<LspService> {
    ApiRoutes::mounted_at("lsp-v1", base)
        .post(
            "/channel/buy",
            "Quote a channel: fee, total and a hold invoice for it (rate-limited per client address)",
            v1_handlers::buy,
        )
        .rate_limited(limit, v1_api::too_many_requests)
        .get(
            "/node/info",
            "The LSP's node and its channel product",
            v1_handlers::node_info,
        )
        .get(
            "/rate",
            "Exchange rates for Blocktank's client: [[\"tBTCUSD\", price]] with --lsp-usd-per-btc, else []",
            v1_handlers::rate,
        )
        .post(
            "/channel/manual_finalise",
            "Where to open a paid order's channel (node_uri, private)",
            v1_handlers::manual_finalise,
        )
        .get(
            "/channel/order",
            "One order (order_id) or several (comma-separated)",
            v1_handlers::order,
        )
        .get(
            "/lnurl/channel",
            "LNURL-channel (LUD-02): the request (order_id), or the callback (k1, remoteid)",
            lnurl_channel::lnurl_channel_step,
        )
}

/// The LSPS1 v0.0.2 API under its base path (default `/`: its paths begin `/lsp/channels`).
fn lsps1_routes(base: &str, limit: &RateLimit) -> ApiRoutes<LspService> {
    ApiRoutes::mounted_at("lsps1", base)
        .post(
            "/lsp/channels",
            "Create a channel order: fee, total and a hold invoice (201; rate-limited per client address)",
            lsps1_handlers::create,
        )
        .rate_limited(limit, lsps1_api::too_many_requests)
        .get(
            "/lsp/channels",
            "LSPS1 info: version, features and limits",
            lsps1_handlers::info,
        )
        .get(
            "/lsp/channels/{id}",
            "A channel order: state, payment and channel",
            lsps1_handlers::get,
        )
        .post(
            "/lsp/channels/{id}/open",
            "Open the paid order's channel (201 once funded, 412 with fail_reason)",
            lsps1_handlers::open,
        )
        .get(
            "/lsp/channels/{id}/lnurl",
            "The order's LNURL-channel (LUD-02)",
            lsps1_handlers::lnurl,
        )
        .get(
            "/lsp/channels/{id}/refund",
            "Whether the order's payment was refunded",
            lsps1_handlers::refund_status,
        )
        .post(
            "/lsp/channels/{id}/refund",
            "Ask for a refund (Lightning payments go back by themselves)",
            lsps1_handlers::refund,
        )
        .get(
            "/lsp/channel",
            "A channel order in the seed's older flat model (?id=)",
            lsps1_handlers::flat,
        )
}
