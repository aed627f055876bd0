//! The HTTP toolbox services build their APIs with: routers that document themselves
//! (`ApiRoutes`), the hub's own error shape (`HubError`) and JSON extractor, path ids, request
//! fields read as the original services read them, LNURL's error shape, the hard cap on request
//! bodies, the per-client rate limit of creation routes, and idempotency keys on POSTs, and the count of every request for `/metrics`. The router that assembles every
//! service is `api`'s.

mod api_routes;
pub mod body_cap;
mod error;
mod hub_json;
pub mod idempotency;
mod lnurl_error;
mod path_id;
mod rate_limit;
pub mod request_fields;
pub mod request_metrics;

pub use self::api_routes::{ApiRoutes, RouteDoc};
pub use self::error::{key_refused, HubError};
pub use self::hub_json::HubJson;
pub use self::idempotency::{Idempotency, KeyOfRequest, KeyRefusal, KeyedAnswer};
pub use self::lnurl_error::LnurlError;
pub use self::path_id::PathId;
pub use self::rate_limit::RateLimit;

/// `path` under `base`: `/escrow` + `/gettx` is `/escrow/gettx`; `/` + `/x` is `/x`.
pub fn join_path(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}
