//! The operator console at `/console`, and the hub's landing page at `/`: server-rendered pages
//! (minijinja templates in `templates/console`, `render`) under the pages' strict CSP, working
//! offline. The operator signs in with the operator token and acts through forms that carry the
//! session's CSRF token (`session`); the pages read and act through the same service calls as
//! the admin API (`pages`).

mod flows;
mod node_pages;
mod pages;
mod render;
mod service_pages;
mod session;

use crate::api::AppState;
use crate::http::ApiRoutes;

/// The landing page and the console's pages.
pub fn routes() -> ApiRoutes<AppState> {
    ApiRoutes::new("console")
        .get(
            "/",
            "Page: what this hub offers, with links and its status",
            pages::landing,
        )
        .get(
            "/console/login",
            "Page: sign in to the operator console",
            pages::login_page,
        )
        .post(
            "/console/login",
            "Page form: sign in with the operator token",
            pages::login,
        )
        .post("/console/logout", "Page form: sign out", pages::logout)
        .get(
            "/console",
            "Page: the console's overview (signed in)",
            pages::overview,
        )
        .get(
            "/console/notifications",
            "Page: the notifications, failed first (signed in)",
            pages::notifications,
        )
        .post(
            "/console/notifications/{event_id}/redeliver",
            "Page form: deliver a notification again (signed in, CSRF token)",
            pages::redeliver,
        )
        .get(
            "/console/escrow",
            "Page: open escrow disputes (signed in)",
            pages::escrow,
        )
        .post(
            "/console/escrow/{tx}/resolve",
            "Page form: resolve a dispute, release or refund (signed in, CSRF token)",
            pages::resolve,
        )
        .get(
            "/console/channels",
            "Page: channels, the node wallet and the node actions (signed in)",
            node_pages::channels,
        )
        .post(
            "/console/channels",
            "Page form: open a channel (signed in, CSRF token; once per form)",
            node_pages::open,
        )
        .get(
            "/console/lsp",
            "Page: LSP channel orders, by state, a page at a time (signed in)",
            service_pages::lsp_orders,
        )
        .get(
            "/console/gifts",
            "Page: gifts, by status, a page at a time (signed in)",
            service_pages::gifts,
        )
        .get(
            "/console/ledger",
            "Page: the trial balance and an account's entries (?account=; signed in)",
            node_pages::ledger,
        )
}
