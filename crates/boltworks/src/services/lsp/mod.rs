//! The LSP: selling inbound channels on the hub's node. One order engine (`engine`, `store`,
//! `effects`) behind the LSP v0.0.1 API (Blocktank v1, `/lsp/v1`); the LSPS1 v0.0.2 API is to
//! come. An order is paid by a hold invoice: the buyer's HTLC is held until the channel's funding
//! transaction is broadcast, and failed back (a refund) if the order expires or gives up.
//!
//! Not yet: on-chain payment (`btc_address` is null until the treasury exists), the LSPS1 API,
//! closing channels past their lease, refunds after a settled payment.

mod effects;
pub mod engine;
pub mod model;
mod store;
mod v1_api;
mod v1_handlers;

pub use self::effects::LspEffects;
pub use self::engine::{LspConfig, LspState};

use crate::app::AppState;
use crate::http::ApiRoutes;

/// The v0.0.1 API under its base path (default `/lsp/v1`).
pub fn v1_routes(base: &str) -> ApiRoutes<AppState> {
    ApiRoutes::mounted_at("lsp-v1", base)
        .get(
            "/node/info",
            "The LSP's node and its channel product",
            v1_handlers::node_info,
        )
        .post(
            "/channel/buy",
            "Quote a channel: fee, total and a hold invoice for it",
            v1_handlers::buy,
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
            v1_handlers::lnurl_channel_step,
        )
}
