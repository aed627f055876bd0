//! boltworks: one Lightning node (embedded ldk-node) and the service APIs built on it.
//!
//! Layers, top to bottom: `app` (start and shutdown) and `api` (the assembled router, the
//! operator routes, OpenAPI); the pages (`web`), the regtest-only demo network and `/dev` API
//! (`dev`) and the command-line clients (`cli`); the `services` (escrow, gifts, the LSP, the
//! merchant hub), which never import each other; the `hub` context they receive; the shared
//! domain (`ledger`, `notify`, `auth`, `treasury`, `channel_closures`) and the `http` toolbox; and at the bottom
//! `store` (SQLite or PostgreSQL through sqlx) and `node` (the Lightning adapter over ldk-node,
//! which speaks the hub's own types). Imports point down only. See ARCHITECTURE.md in the shared
//! folder.
#![deny(missing_docs)]

pub mod api;
pub mod app;
pub mod auth;
pub mod bench;
pub mod channel_closures;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod dev;
pub mod http;
pub mod hub;
pub mod ledger;
pub mod lnurl;
pub mod memory;
pub mod metrics;
pub mod money;
pub mod node;
pub mod node_actions;
pub mod notify;
pub mod pause;
pub mod services;
pub mod store;
pub mod treasury;
pub mod web;

/// What is logged unless `RUST_LOG` says otherwise. `ldk_node::liquidity` is off: ldk-node's
/// LSPS2 handler logs an error for every channel and forward that is not one of its JIT channels.
/// The lines that matter, JIT opens it gave up on, are read by the node's log writer before any
/// filter (`node::jit`) and recorded and logged by the LSP.
const DEFAULT_LOG_FILTER: &str = "info,lightning=warn,lightning_background_processor=warn,ldk_node=info,ldk_node::liquidity=off,sqlx=warn,tower_http=info";

/// Installs the tracing subscriber (ldk-node's `log` records join it). `RUST_LOG` overrides the
/// default filter. Safe to call more than once.
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
