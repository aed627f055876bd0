//! Lightning Gifts (wire-compatible with api.lightning.gifts; see specs/gifts.md): anyone buys
//! a prepaid gift by paying a normal invoice of the hub's node, and whoever holds the gift's
//! id or LNURL redeems it once, to an invoice of exactly its amount or through any
//! LNURL-withdraw wallet. The hub owes each paid, unredeemed gift (a ledger liability); exactly
//! one payout per gift can ever be in flight or succeed. CORS is open (`*`), as the original's.

mod admin_api;
pub mod api;
mod effects;
pub mod error;
pub mod handlers;
pub mod model;
pub mod payout;
pub mod redeem;
pub mod store;

pub use self::effects::GiftEffects;

use axum::http::Method;
use tower_http::cors::{Any, CorsLayer};

use crate::app::AppState;
use crate::config::ServiceBases;
use crate::http::ApiRoutes;

/// How long a gift invoice can be paid.
pub const INVOICE_EXPIRY_SECS: u32 = 3_600;

/// Whether `text` has the shape of an order id (48 lowercase hex characters).
pub fn is_order_id(text: &str) -> bool {
    text.len() == 48 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The LNURL-withdraw URL of a gift (also its callback).
pub fn withdraw_url(state: &AppState, order_id: &str) -> String {
    format!(
        "{}{}",
        state.public_url,
        ServiceBases::join(&state.config.bases.gifts, &format!("/lnurl/{order_id}"))
    )
}

/// The bech32 LNURL of a gift (lowercase).
pub fn lnurl_of(state: &AppState, order_id: &str) -> String {
    // Our URLs are a few hundred characters at most, far inside bech32's 1,023.
    crate::lnurl::encode(&withdraw_url(state, order_id)).unwrap_or_default()
}

/// The gifts API under the configured base path (default `/gifts`), with its pages.
pub fn routes(base: &str) -> ApiRoutes<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers(Any);
    ApiRoutes::mounted_at("gifts", base)
        .post(
            "/create",
            "Create a gift: its invoice, order id and LNURL",
            handlers::create,
        )
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
        .map_router(|router| router.layer(cors))
        .merge(crate::web::gift_pages::routes(base))
}

/// The operator's gifts routes.
pub fn admin_routes() -> ApiRoutes<AppState> {
    admin_api::routes()
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
