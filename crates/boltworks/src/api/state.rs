//! The assembled application's state: the hub context, each service, the operator token and
//! what readiness looks at. Handlers take the part they need (axum's `FromRef`); services see
//! only their own state.

use std::sync::Arc;

use axum::extract::FromRef;

use super::MetricsEndpoint;
use crate::dev::DemoNetwork;
use crate::hub::HubContext;
use crate::node::chain_tip::ChainTip;
use crate::services::escrow::EscrowService;
use crate::services::gifts::GiftsService;
use crate::services::lsp::LspService;
use crate::services::merchant::MerchantService;

/// The token that opens the operator routes.
#[derive(Clone)]
pub struct OperatorToken(pub Arc<str>);

/// What `/ready` looks at besides the hub context.
#[derive(Clone)]
pub struct Readiness {
    /// The chain source's tip.
    pub chain_tip: ChainTip,
    /// The demo network, on regtest with the devchain.
    pub demo: Option<Arc<DemoNetwork>>,
}

/// Everything the routes of the hub can reach.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The hub context.
    pub hub: HubContext,
    /// The operator token.
    pub operator: OperatorToken,
    /// What readiness checks.
    pub readiness: Readiness,
    /// Escrow.
    pub escrow: EscrowService,
    /// Gifts.
    pub gifts: GiftsService,
    /// The LSP.
    pub lsp: LspService,
    /// The merchant hub.
    pub merchant: MerchantService,
    /// The operator's money-moving node actions.
    pub node_actions: crate::node_actions::NodeActions,
    /// The metrics, and who may scrape them.
    pub metrics: MetricsEndpoint,
}
