//! The merchant hub (wire-compatible with the Peach API; see specs/peach.md), custodial: a
//! merchant signs up with its secp256k1 key, takes Lightning and on-chain payments (credited
//! net of the hub's 1% fee), pays other merchants for free, pays Lightning invoices and
//! on-chain addresses, and withdraws its balance in batched transactions. Every invoice and
//! address the hub hands out is signed by the hub's and the PSS's keys; every payment out is
//! signed by the merchant. Balances are ledger accounts; money is taken (with the routing-fee
//! reserve) in the transaction that records a payment, before anything is sent, and a payment
//! ends only as the node (or the treasury) says.
//!
//! Where things are: `api` (the wire: request extractor, error envelope, every reply as a
//! type), `model` (the rules and every `Refusal`, no I/O), `store` (the SQL, by aggregate),
//! `handlers` (one file per resource, thin), `session` (who calls). The jobs that move money:
//! `transfer` (internal payments), `payouts` (the books of outgoing payments),
//! `lightning_payout` and `onchain_payout` (sending them), `onchain_review` (settling on-chain
//! invoices), `onchain_refund` (cancelling them), `withdrawals` (queue and batcher), `claims`
//! (held Lightning payments), `effects` (node events), `reconcile` (at start), `notices`
//! (webhooks and frames), `books` (the ledger accounts).

pub mod api;
pub mod books;
mod claims;
mod config;
mod effects;
mod handlers;
mod lightning_payout;
pub mod model;
mod notices;
mod onchain_payout;
mod onchain_refund;
mod onchain_review;
mod payouts;
mod reconcile;
mod session;
pub mod store;
mod transfer;
mod withdrawals;

use std::str::FromStr;
use std::sync::Arc;

use bitcoin::Address;
use rand::RngCore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use self::config::{MerchantArgs, MerchantConfig};
use self::effects::MerchantEffects;
use self::handlers::{accounts, invoices, onchain, payments, setup, stream};
use self::model::Refusal;
use crate::auth::jwt::JwtKey;
use crate::auth::signing_key::SigningKey;
use crate::http::idempotency::{CallerOf, Idempotency};
use crate::http::{ApiRoutes, RateLimit};
use crate::hub::HubContext;
use crate::node::event_loop::EventEffect;
use crate::treasury::Treasury;

/// The merchant hub service: the hub context, its settings and its keys.
#[derive(Clone)]
pub struct MerchantService {
    hub: HubContext,
    config: Arc<MerchantConfig>,
    keys: Arc<MerchantKeys>,
}

impl MerchantService {
    /// The service on `hub` with `config`, its keys in `DATA_DIR/merchant/` (made on first
    /// start).
    pub fn new(
        hub: HubContext,
        config: MerchantConfig,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            hub,
            config: Arc::new(config),
            keys: Arc::new(MerchantKeys::load_or_create(data_dir)?),
        })
    }

    /// The merchant API under its base path, given this service as their state.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> ApiRoutes<S> {
        let state = self.clone();
        let caller: CallerOf = Arc::new(move |parts| {
            let token = session::bearer_token(&parts.headers)?;
            session::merchant_of_access_token(&state, token).ok()
        });
        let keys = Idempotency::new(
            self.hub.store.clone(),
            self.hub.clock.clone(),
            "merchant",
            caller,
            api::key_refused,
        );
        routes(&self.config.base, &self.hub.rate_limit)
            .idempotent(&keys)
            .with_state(self.clone())
    }

    /// What the hub's node events mean for merchants.
    pub fn effects(&self) -> Arc<dyn EventEffect> {
        Arc::new(MerchantEffects::new(self.clone()))
    }

    /// Reconciles the payments the last stop left pending (before any request), then starts the
    /// claimer of held invoice payments, the on-chain invoice worker and the withdrawal batcher.
    pub async fn start(
        &self,
        shutdown: &watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<JoinHandle<()>>> {
        reconcile::reconcile(self).await?;
        let interval = self.config.withdraw_interval_secs;
        Ok(vec![
            claims::spawn(self.clone(), shutdown.clone()),
            onchain_review::spawn(self.clone(), shutdown.clone()),
            withdrawals::spawn_batcher(self.clone(), interval, shutdown.clone()),
        ])
    }

    /// Outgoing merchant payments by `kind:status` (for metrics).
    pub async fn payment_outcomes(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        self.hub
            .store
            .grouped_counts(
                "SELECT kind || ':' || status, COUNT(*) FROM merchant_payments GROUP BY kind, status",
            )
            .await
    }

    /// The hub's merchant books.
    pub async fn books(&self) -> Result<books::MerchantBooks, sqlx::Error> {
        books::merchant_books(&self.hub.store).await
    }

    /// Merchants for the console, newest first, created before `before`.
    pub async fn list_merchants(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<store::listing::MerchantRow>, sqlx::Error> {
        store::listing::merchants(&self.hub.store, before, limit).await
    }

    /// A merchant with its latest `limit` invoices, payments and withdrawals.
    pub async fn merchant_activity(
        &self,
        merchant_id: &str,
        limit: i64,
    ) -> Result<Option<store::listing::MerchantActivity>, sqlx::Error> {
        store::listing::activity(&self.hub.store, merchant_id, limit).await
    }

    /// An address of the hub's network.
    pub(crate) fn parse_address(&self, text: &str) -> Option<Address> {
        Address::from_str(text.trim())
            .ok()?
            .require_network(self.hub.network)
            .ok()
    }

    /// The treasury, which on-chain features need.
    pub(crate) fn treasury(&self) -> Result<&Treasury, Refusal> {
        self.hub
            .treasury
            .as_deref()
            .ok_or(Refusal::OnchainUnavailable)
    }
}

/// The merchant API's keys, and the signal that wakes its claimer.
pub struct MerchantKeys {
    /// Signs invoices and addresses as the hub.
    pub hub_key: SigningKey,
    /// Signs PSS user ids, invoices and addresses as the secure server.
    pub pss_key: SigningKey,
    /// Signs access tokens.
    pub jwt: JwtKey,
    /// Woken when a payment the node holds for an invoice is to be claimed.
    pub claims: tokio::sync::Notify,
}

impl MerchantKeys {
    /// The keys in `DATA_DIR/merchant/`, made on first start.
    pub fn load_or_create(data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let dir = data_dir.join("merchant");
        Ok(Self {
            hub_key: SigningKey::load_or_create(&dir.join("hub.key"))?,
            pss_key: SigningKey::load_or_create(&dir.join("pss.key"))?,
            jwt: JwtKey::load_or_create(&dir.join("jwt.key"))?,
            claims: tokio::sync::Notify::new(),
        })
    }
}

/// A fresh payment or invoice id: 48 hex characters.
pub(crate) fn new_payment_id() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The merchant API: `/pss/api/v1/...` and `/api/v2/...` under `base`.
fn routes(base: &str, limit: &RateLimit) -> ApiRoutes<MerchantService> {
    ApiRoutes::mounted_at("merchant", base)
        .post(
            "/pss/api/v1/signup",
            "PSS signup: register the merchant's public keys (rate-limited per client address)",
            accounts::pss_signup,
        )
        .post(
            "/api/v2/auth/signup",
            "Hub signup (X-Pss-User-Id: <id>.<pss signature>; rate-limited per client address)",
            accounts::signup,
        )
        .post(
            "/api/v2/auth/signin",
            "Tokens for email and password (rate-limited per client address)",
            accounts::signin,
        )
        .rate_limited(limit, api::too_many_requests)
        .get(
            "/pss/api/v1/pss/public_key",
            "The PSS's public key (base64)",
            accounts::pss_public_key,
        )
        .get(
            "/api/v2/hub/pubkey",
            "The hub's public key (base64)",
            accounts::hub_public_key,
        )
        .post(
            "/api/v2/auth/validate",
            "The merchant of an access token",
            accounts::validate,
        )
        .post(
            "/api/v2/auth/token/{refresh_token}",
            "New tokens for a refresh token (used once)",
            accounts::refresh,
        )
        .post(
            "/api/v2/user/pubkey/add",
            "The key that verifies the merchant's signatures (hex)",
            setup::add_pubkey,
        )
        .post(
            "/api/v2/merchant",
            "Merchant setup: key, webhooks, withdrawal address (signed)",
            setup::setup,
        )
        .post(
            "/api/v2/payment/lightning",
            "A Lightning invoice for the merchant, signed by hub and PSS",
            invoices::create,
        )
        .get(
            "/api/v2/payment/lightning/{rhash}",
            "A Lightning invoice's status",
            invoices::status,
        )
        .get(
            "/api/v2/payments/lightning",
            "The merchant's Lightning invoices (limit, offset)",
            invoices::list,
        )
        .get(
            "/api/v2/payments/on_chain",
            "The merchant's on-chain invoices (limit, offset)",
            onchain::list,
        )
        .get(
            "/api/v2/payments/subscribe",
            "Websocket of the merchant's notifications",
            stream::subscribe,
        )
        .get(
            "/api/v2/payments/{rhash}",
            "A Lightning invoice's status (the seed's curl path)",
            invoices::status,
        )
        .post(
            "/api/v2/payment/on_chain",
            "A fixed-amount on-chain invoice: its own address, signed",
            onchain::create_fixed,
        )
        .post(
            "/api/v2/payment/on_chain_open_amount",
            "An open-amount on-chain invoice",
            onchain::create_open,
        )
        .post(
            "/api/v2/payment/on_chain/cancel",
            "Cancel a partly paid on-chain invoice and refund it",
            onchain::cancel,
        )
        .get(
            "/api/v2/merchant/on_chain_address",
            "An open-amount on-chain address",
            onchain::address,
        )
        .get(
            "/api/v2/merchant/balance/locked",
            "Sats held for on-chain invoices not yet complete",
            onchain::locked_balance,
        )
        .post(
            "/api/v2/payment/internal",
            "Pay another merchant (X-Signature over amount + destination)",
            payments::internal,
        )
        .post(
            "/api/v2/payment/outgoing/lightning",
            "Pay an invoice (X-Signature over amount + payment_request)",
            payments::lightning,
        )
        .post(
            "/api/v2/payment/outgoing/on_chain",
            "Pay an address (X-Signature over amount + destination)",
            payments::onchain,
        )
        .get(
            "/api/v2/payment/outgoing/{payment_id}",
            "An outgoing payment's status (boltworks)",
            payments::status,
        )
        .get(
            "/api/v2/merchant/balance",
            "The spendable balance",
            handlers::withdrawals::balance,
        )
        .post(
            "/api/v2/merchant/withdraw",
            "Withdraw the whole balance in the next batch",
            handlers::withdrawals::withdraw,
        )
        .get(
            "/api/v2/merchant/withdraw/{id}",
            "A withdrawal's status",
            handlers::withdrawals::status,
        )
        .get(
            "/api/v2/user/messages/subscribe",
            "Websocket of the merchant's notifications",
            stream::subscribe,
        )
}
