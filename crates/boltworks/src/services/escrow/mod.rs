//! Lightning Escrow (v2 API, wire-compatible with the original; see specs/escrow.md): the
//! hub keeps a random preimage per transaction, the seller invoices with its hash on their own
//! node, the buyer's payment waits there as a held HTLC, and the preimage reaches the seller
//! only after the buyer confirms receipt. Every path answers with and without a trailing slash,
//! to GET and POST, as the original did.
//!
//! Inside: `api` (the wire: request reader, error shape, reply types), `model` (the rules and
//! every refusal), `store` (the SQL by aggregate), `handlers` (one file per job), `notices`
//! (emails and webhooks through the outbox), `deadline_watch` (the settle-by warnings) and
//! `login_throttle` (failed-login limits).

pub mod api;
mod config;
mod deadline_watch;
mod handlers;
mod login_throttle;
pub mod model;
mod notices;
mod store;

use std::sync::Arc;

use axum::handler::Handler;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use self::api::EscrowError;
pub use self::config::{EscrowArgs, EscrowConfig};
pub use self::model::{Resolution, Status};
pub use self::store::EscrowTx;
use crate::http::idempotency::{self, Idempotency};
use crate::http::{ApiRoutes, RateLimit};
use crate::hub::HubContext;

/// The escrow service: the hub context, its settings and its failed-login counts.
#[derive(Clone)]
pub struct EscrowService {
    hub: HubContext,
    config: Arc<EscrowConfig>,
    logins: Arc<login_throttle::LoginThrottle>,
}

impl EscrowService {
    /// The service on `hub` with `config`.
    pub fn new(hub: HubContext, config: EscrowConfig) -> Self {
        Self {
            hub,
            config: Arc::new(config),
            logins: Arc::default(),
        }
    }

    /// The escrow routes under the configured base path, given this service as their state.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> ApiRoutes<S> {
        let keys = Idempotency::new(
            self.hub.store.clone(),
            self.hub.clock.clone(),
            "escrow",
            idempotency::anyone(),
            api::key_refused,
        );
        routes(&self.config.base, &self.hub.rate_limit)
            .idempotent(&keys)
            .with_state(self.clone())
    }

    /// Starts the deadline watcher.
    pub fn start(&self, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
        vec![deadline_watch::spawn(
            self.clone(),
            self.config.deadline_warning_blocks,
            shutdown,
        )]
    }

    /// Resolves a transaction's open dispute for the operator: the transaction as it now is,
    /// or `None` when it has no open dispute.
    pub async fn resolve_dispute(
        &self,
        tx_id: i64,
        resolution: Resolution,
        note: &str,
    ) -> Result<Option<EscrowTx>, EscrowError> {
        handlers::resolve(self, tx_id, resolution, note).await
    }

    /// Transactions for the operator's console, newest first: in `status` (its wire text) if
    /// given, with ids below `before`; `None` for a status that is not one.
    pub async fn list_txs(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Option<Vec<EscrowTx>>, sqlx::Error> {
        let status = match status {
            None => None,
            Some(text) => match Status::parse(text) {
                Some(status) => Some(status),
                None => return Ok(None),
            },
        };
        Ok(Some(
            store::txs_page(&self.hub.store, status, before, limit).await?,
        ))
    }

    /// The open disputes, oldest first, for the operator.
    pub async fn open_disputes(&self) -> Result<Vec<store::OpenDispute>, sqlx::Error> {
        store::open_disputes(&self.hub.store).await
    }
}

/// The escrow routes under `base` (default `/escrow`).
fn routes(base: &str, limit: &RateLimit) -> ApiRoutes<EscrowService> {
    let routes = ApiRoutes::mounted_at("escrow", base);
    let routes = both_forms(
        routes,
        "/setuser/v2",
        "Create a user (an existing email with its password logs in); tx attaches the buyer (rate-limited per client address)",
        handlers::setuser,
    );
    let routes = both_forms(
        routes,
        "/login/v2",
        "Log in; with tx, also attach the caller as that transaction's buyer (rate-limited per client address)",
        handlers::login,
    )
    .rate_limited(limit, api::too_many_requests);
    let routes = both_forms(
        routes,
        "/extend-session",
        "Turn a session into a long-lived API key (?session_id=...)",
        handlers::extend_session,
    );
    let routes = both_forms(
        routes,
        "/settx/v2",
        "Seller creates a transaction; returns its pmthash",
        handlers::settx,
    );
    let routes = both_forms(
        routes,
        "/getallusertxs/v2",
        "The caller's transactions (a bare array)",
        handlers::getallusertxs,
    );
    let routes = both_forms(
        routes,
        "/gettx/v2",
        "One transaction (bare object)",
        handlers::gettx,
    );
    let routes = both_forms(
        routes,
        "/setinvoice/v2",
        "Seller submits the BOLT11 invoice for pmthash and the exact amount",
        handlers::setinvoice,
    );
    let routes = both_forms(
        routes,
        "/buyerpaid/v2",
        "Buyer says they paid (optional)",
        handlers::buyerpaid,
    );
    let routes = both_forms(
        routes,
        "/confirmpayment/v2",
        "Seller confirms the payment is held at their node",
        handlers::confirmpayment,
    );
    let routes = both_forms(
        routes,
        "/goodssent/v2",
        "Seller has shipped",
        handlers::goodssent,
    );
    let routes = both_forms(
        routes,
        "/goodsreceived/v2",
        "Buyer confirms receipt: the seller may fetch the preimage",
        handlers::goodsreceived,
    );
    let routes = both_forms(
        routes,
        "/getpreimage/v2",
        "Seller fetches the preimage (after goods received)",
        handlers::getpreimage,
    );
    let routes = both_forms(
        routes,
        "/dispute/v2",
        "Extension: open a dispute (seller or buyer); blocks getpreimage until an operator resolves it",
        handlers::dispute,
    );
    both_forms(
        routes,
        "/setwebhook/v2",
        "Extension: a URL told of every status change of your transactions",
        handlers::setwebhook,
    )
}

/// Registers `path` with and without a trailing slash, for GET and POST.
fn both_forms<H: Handler<T, EscrowService>, T: 'static>(
    routes: ApiRoutes<EscrowService>,
    path: &str,
    summary: &'static str,
    handler: H,
) -> ApiRoutes<EscrowService> {
    routes
        .get_and_post(path, summary, handler.clone())
        .get_and_post(&format!("{path}/"), summary, handler)
}
