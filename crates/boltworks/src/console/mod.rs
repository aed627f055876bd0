//! The operator console at `/console`, and the hub's landing page at `/`: server-rendered pages
//! (minijinja templates in `templates/console`, `render`) under the pages' strict CSP, working
//! offline. The operator signs in with the operator token and acts through forms that carry the
//! session's CSRF token (`session`); the pages read and act through the same service calls as
//! the admin API: `pages` (overview, notifications), `node_pages`, `channel_pages`,
//! `escrow_pages`, `merchant_pages`, `service_pages` (LSP, gifts), `ledger_page`.

mod channel_pages;
mod escrow_pages;
mod flows;
mod forms;
mod ledger_page;
mod merchant_pages;
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
            "Page: open escrow disputes, and the transactions by status (signed in)",
            escrow_pages::escrow,
        )
        .post(
            "/console/escrow/{tx}/resolve",
            "Page form: resolve a dispute, release or refund (signed in, CSRF token)",
            escrow_pages::resolve,
        )
        .get(
            "/console/node",
            "Page: the node, its peers, the node wallet and the node's payments (signed in)",
            node_pages::node,
        )
        .post(
            "/console/node/peers",
            "Page form: connect to a peer (signed in, CSRF token)",
            node_pages::connect,
        )
        .post(
            "/console/node/peers/{node_id}/disconnect",
            "Page form: disconnect a peer (signed in, CSRF token)",
            node_pages::disconnect,
        )
        .post(
            "/console/node/wallet/address",
            "Page form: a new node-wallet address (signed in, CSRF token)",
            node_pages::new_address,
        )
        .post(
            "/console/node/wallet/send",
            "Page form: send from the node wallet (signed in, CSRF token; once per form)",
            node_pages::send,
        )
        .post(
            "/console/node/wallet/to-treasury",
            "Page form: move coins to the treasury (signed in, CSRF token; once per form)",
            node_pages::to_treasury,
        )
        .post(
            "/console/node/wallet/from-treasury",
            "Page form: move coins from the treasury (signed in, CSRF token; once per form)",
            node_pages::from_treasury,
        )
        .get(
            "/console/channels",
            "Page: channels with their liquidity and fees, and the node actions (signed in)",
            channel_pages::channels,
        )
        .post(
            "/console/channels",
            "Page form: open a channel (signed in, CSRF token; once per form)",
            channel_pages::open,
        )
        .post(
            "/console/channels/{user_channel_id}/close",
            "Page form: close a channel, or force close it when confirmed (signed in, CSRF token)",
            channel_pages::close,
        )
        .post(
            "/console/channels/{user_channel_id}/fees",
            "Page form: a channel's forwarding fees (signed in, CSRF token)",
            channel_pages::fees,
        )
        .get(
            "/console/lsp",
            "Page: LSP channel orders, by state, a page at a time (signed in)",
            service_pages::lsp_orders,
        )
        .get(
            "/console/lsp/{order_id}",
            "Page: one LSP order with its payment, channel and refund (signed in)",
            service_pages::lsp_order,
        )
        .get(
            "/console/merchants",
            "Page: merchants with their balances, a page at a time (signed in)",
            merchant_pages::merchants,
        )
        .get(
            "/console/merchants/{merchant_id}",
            "Page: one merchant's invoices, payments and withdrawals (signed in)",
            merchant_pages::merchant,
        )
        .get(
            "/console/gifts",
            "Page: gifts, by status, a page at a time (signed in)",
            service_pages::gifts,
        )
        .get(
            "/console/ledger",
            "Page: the trial balance and an account's entries (?account=&kind=; signed in)",
            ledger_page::ledger,
        )
}
