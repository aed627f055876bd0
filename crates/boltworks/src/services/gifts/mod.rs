//! Lightning Gifts (wire-compatible with api.lightning.gifts; see specs/gifts.md): anyone buys
//! a prepaid gift by paying a normal invoice of the hub's node, and whoever holds the gift's
//! id or LNURL redeems it once, to an invoice of exactly its amount or through any
//! LNURL-withdraw wallet. The hub owes each paid, unredeemed gift (a ledger liability); exactly
//! one payout per gift can ever be in flight or succeed. CORS is open (`*`), as the original's.
//!
//! Layout: `api` (the wire: input, replies, error), `model` (the rules, the states and
//! `Refusal`, no I/O), `store` (the tables), `create` and `redeem` (the two commands, shared by
//! `handlers` and the pages), `payout` (the payout task and the start-up reconciliation) and
//! `effects` (what node events mean for gifts).

pub mod api;
mod config;
pub mod create;
mod effects;
pub mod handlers;
pub mod model;
mod payout;
pub mod redeem;
pub mod store;

use std::sync::Arc;

use axum::http::Method;
use tower_http::cors::{Any, CorsLayer};

pub use self::config::{GiftsArgs, GiftsConfig};
use self::effects::GiftEffects;
pub use self::store::listing::{GiftRow, STATUSES as GIFT_STATUSES};
use crate::http::idempotency::{self, Idempotency};
use crate::http::{join_path, ApiRoutes, RateLimit};
use crate::hub::HubContext;
use crate::node::event_loop::EventEffect;

/// The gifts service: the hub context and its settings.
#[derive(Clone)]
pub struct GiftsService {
    hub: HubContext,
    config: Arc<GiftsConfig>,
}

impl GiftsService {
    /// The service on `hub` with `config`.
    pub fn new(hub: HubContext, config: GiftsConfig) -> Self {
        Self {
            hub,
            config: Arc::new(config),
        }
    }

    /// The hub context the service runs on.
    pub fn hub(&self) -> &HubContext {
        &self.hub
    }

    /// Where the service is mounted.
    pub fn base(&self) -> &str {
        &self.config.base
    }

    /// The gifts API under its base path, given this service as their state.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> ApiRoutes<S> {
        let keys = Idempotency::new(
            self.hub.store.clone(),
            self.hub.clock.clone(),
            "gifts",
            idempotency::anyone(),
            api::key_refused,
        );
        routes(&self.config.base, &self.hub.rate_limit, &keys).with_state(self.clone())
    }

    /// What the hub's node events mean for gifts.
    pub fn effects(&self) -> Arc<dyn EventEffect> {
        Arc::new(GiftEffects::new(
            self.hub.clock.clone(),
            Arc::clone(&self.hub.notifier),
        ))
    }

    /// Settles or sends, before any request, every payout the last stop interrupted.
    pub async fn start(&self) -> Result<(), sqlx::Error> {
        payout::reconcile(self).await
    }

    /// Gift payouts by status (for metrics).
    pub async fn payment_outcomes(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        self.hub
            .store
            .grouped_counts("SELECT status, COUNT(*) FROM gift_withdrawals GROUP BY status")
            .await
    }

    /// Gifts for the console: newest first, made before `before`, with `status` if given.
    pub async fn list_gifts(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<GiftRow>, sqlx::Error> {
        store::listing::list(&self.hub.store, status, before, limit).await
    }

    /// The ledger's gift liabilities against the value of paid, unredeemed gifts (msat).
    pub async fn audit(&self) -> Result<(i64, i64), sqlx::Error> {
        // Liabilities are credits (negative balances).
        let owed =
            -crate::ledger::balance_under(&self.hub.store, effects::LIABILITY_PREFIX).await?;
        let unredeemed = store::unredeemed_msat(&self.hub.store).await?;
        Ok((owed, unredeemed))
    }
}

/// How long a gift invoice can be paid.
pub const INVOICE_EXPIRY_SECS: u32 = 3_600;

/// Whether `text` has the shape of an order id (48 lowercase hex characters).
pub fn is_order_id(text: &str) -> bool {
    text.len() == 48 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The LNURL-withdraw URL of a gift (also its callback).
pub fn withdraw_url(state: &GiftsService, order_id: &str) -> String {
    format!(
        "{}{}",
        state.hub.public_url,
        join_path(&state.config.base, &format!("/lnurl/{order_id}"))
    )
}

/// The bech32 LNURL of a gift (lowercase).
pub fn lnurl_of(state: &GiftsService, order_id: &str) -> String {
    // Our URLs are a few hundred characters at most, far inside bech32's 1,023.
    crate::lnurl::encode(&withdraw_url(state, order_id)).unwrap_or_default()
}

/// The gifts API under `base` (default `/gifts`).
fn routes(base: &str, limit: &RateLimit, keys: &Idempotency) -> ApiRoutes<GiftsService> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    ApiRoutes::mounted_at("gifts", base)
        .post(
            "/create",
            "Create a gift: its invoice, order id and LNURL (rate-limited per client address)",
            handlers::create,
        )
        .rate_limited(limit, api::too_many_requests)
        .get(
            "/status/{charge_id}",
            "Whether the gift invoice is paid (unpaid | paid)",
            handlers::status,
        )
        .post(
            "/redeem/{order_id}",
            "Redeem a gift to an invoice of exactly its amount",
            handlers::redeem,
        )
        .get_and_post(
            "/redeemStatus/{withdrawal_id}",
            "Status of a redemption (initial | confirmed | error)",
            handlers::redeem_status,
        )
        .get(
            "/gift/{order_id}",
            "A gift with its latest redemption",
            handlers::gift,
        )
        .get(
            "/lnurl/{order_id}",
            "LNURL-withdraw (LUD-03): the request, or with k1 and pr the callback",
            handlers::lnurl,
        )
        .idempotent(keys)
        .map_router(|router| router.layer(cors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_48_lowercase_hex() {
        assert!(is_order_id(&"a1".repeat(24)));
        assert!(!is_order_id(&"A1".repeat(24)));
        assert!(!is_order_id(&"a1".repeat(23)));
        assert!(!is_order_id("channel"));
    }
}
