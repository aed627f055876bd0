//! Lightning Escrow (v2 API, wire-compatible with the original; see specs/escrow.md): the
//! hub keeps a random preimage per transaction, the seller invoices with its hash on their own
//! node, the buyer's payment waits there as a held HTLC, and the preimage reaches the seller
//! only after the buyer confirms receipt. Every path answers with and without a trailing slash,
//! to GET and POST, as the original did.

pub mod admin_api;
mod api;
pub mod deadline_watch;
mod error;
mod handlers;
pub mod login_throttle;
pub mod model;
mod notices;
mod store;

use axum::handler::Handler;

/// Escrow's in-process state.
#[derive(Default)]
pub struct EscrowState {
    /// Failed-login counts.
    pub logins: login_throttle::LoginThrottle,
}

use crate::app::AppState;
use crate::http::ApiRoutes;

/// The escrow routes under the configured base path (default `/escrow`).
pub fn routes(base: &str) -> ApiRoutes<AppState> {
    let routes = ApiRoutes::mounted_at("escrow", base);
    let routes = both_forms(
        routes,
        "/setuser/v2",
        "Create a user (an existing email with its password logs in); tx attaches the buyer",
        handlers::setuser,
    );
    let routes = both_forms(
        routes,
        "/login/v2",
        "Log in; with tx, also attach the caller as that transaction's buyer",
        handlers::login,
    );
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
fn both_forms<H: Handler<T, AppState>, T: 'static>(
    routes: ApiRoutes<AppState>,
    path: &str,
    summary: &'static str,
    handler: H,
) -> ApiRoutes<AppState> {
    routes
        .get_and_post(path, summary, handler.clone())
        .get_and_post(&format!("{path}/"), summary, handler)
}
