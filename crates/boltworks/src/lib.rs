//! boltworks: one Lightning node (embedded ldk-node) and the service APIs built on it.
//!
//! Layers, top to bottom: `http` (axum routers, one error type per wire format, OpenAPI),
//! services, shared domain, `store` (SQLite or PostgreSQL through sqlx) and `node` (the
//! Lightning adapter over ldk-node). `dev` holds the regtest-only pieces: the embedded devchain,
//! the demo nodes alice and bob, and the `/dev` API. See ARCHITECTURE.md in the shared folder.
#![deny(missing_docs)]

pub mod app;
pub mod auth;
pub mod bench;
pub mod clock;
pub mod config;
pub mod dev;
pub mod http;
pub mod ledger;
pub mod lnurl;
pub mod money;
pub mod node;
pub mod notify;
pub mod services;
pub mod store;
pub mod treasury;
pub mod web;

/// Installs the tracing subscriber (ldk-node's `log` records join it). `RUST_LOG` overrides the
/// default filter. Safe to call more than once.
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,lightning=warn,lightning_background_processor=warn,ldk_node=info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
