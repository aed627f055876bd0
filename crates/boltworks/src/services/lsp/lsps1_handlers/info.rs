//! `GET /lsp/channels`: the API's version, features and (a boltworks extension) its limits.

use axum::extract::State;
use axum::Json;

use crate::services::lsp::lsps1_api::{Feature, Info, InfoLimits};
use crate::services::lsp::LspService;

/// The features that work here: on-chain payments and refunds need the treasury.
fn features(state: &LspService) -> Vec<Feature> {
    let mut features = vec![
        Feature::Named("lnurl_lud2"),
        Feature::Named("local_balance"),
    ];
    if state.hub.treasury.is_some() {
        features.push(Feature::Named("refunds"));
        features.push(Feature::OnchainPayments {
            name: "onchain_payments",
            min_satoshi: state.config.onchain_min_sat,
        });
    }
    features
}

/// `GET /lsp/channels`.
#[tracing::instrument(skip_all)]
pub async fn info(State(state): State<LspService>) -> Json<Info> {
    let limits = &state.config.limits;
    Json(Info {
        version: "0.0.2",
        website: format!("{}/docs", state.hub.public_url),
        features: features(&state),
        limits: InfoLimits {
            min_channel_satoshi: limits.min_channel_sat,
            max_channel_satoshi: limits.max_channel_sat,
            min_channel_expiry_weeks: limits.min_expiry_weeks,
            max_channel_expiry_weeks: limits.max_expiry_weeks,
            order_expiry_seconds: limits.order_expiry_secs,
        },
    })
}
