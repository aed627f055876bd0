//! The final LSPS1, bLIP-51, over HTTP, as wallets reach LSPs with it (Zeus, Olympus, LQWD):
//! `GET /api/v1/get_info`, `POST /api/v1/create_order` and `GET /api/v1/get_order?order_id=`
//! under `--blip51-base`, on the same order engine as the v0.0.1 and LSPS1 v0.0.2 APIs.
//!
//! - Leases are sold in weeks: `channel_expiry_blocks` is rounded up to whole weeks of 1,008
//!   blocks (the spec lets an LSP overprovision) and mirrored as asked.
//! - A payment that arrived is PAID whether still held or settled: bLIP-51's HOLD is not sent,
//!   because LDK's own client (lightning-liquidity 0.2) cannot read it.
//! - Payment is a BOLT11 hold invoice only; BOLT12 and on-chain payment are omitted, as the spec
//!   allows (an on-chain refund to `refund_onchain_address` would need an automatic refund path
//!   the engine does not have).
//! - Over HTTP the client's node is not the request's peer, so the order names it in
//!   `public_key`; once paid, the worker queues the open to it (`finalise_paid`). The client
//!   connects to the hub's node, as bLIP-51 expects.

mod answer;
mod handlers;
mod request;
pub mod wire;

use serde::{Deserialize, Serialize};

use self::request::CreateOrder;
use super::engine::set_open_target;
use super::store::{self, OpenTarget, Order};
use super::{LspConfig, LspService};
use crate::http::{ApiRoutes, Idempotency, RateLimit};
use crate::money::Sat;

/// Blocks in a week of leasing.
pub const BLOCKS_PER_WEEK: u32 = 1_008;

/// `get_info`'s options, from the LSP's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blip51Options {
    /// Fewest confirmations before `channel_ready` (the hub sells no zero-conf channels).
    pub min_required_channel_confirmations: u16,
    /// Fewest blocks within which the funding confirms (a normal fee).
    pub min_funding_confirms_within_blocks: u16,
    /// Longest lease, in blocks.
    pub max_channel_expiry_blocks: u32,
    /// Least pushed to the client.
    pub min_initial_client_balance_sat: u64,
    /// Most pushed to the client.
    pub max_initial_client_balance_sat: u64,
    /// Least on the LSP's side.
    pub min_initial_lsp_balance_sat: u64,
    /// Most on the LSP's side.
    pub max_initial_lsp_balance_sat: u64,
    /// Smallest channel.
    pub min_channel_balance_sat: u64,
    /// Largest channel.
    pub max_channel_balance_sat: u64,
}

impl Blip51Options {
    /// The options of `config`.
    pub fn of(config: &LspConfig) -> Self {
        let limits = &config.limits;
        let weeks = u32::try_from(limits.max_expiry_weeks).unwrap_or(u32::MAX);
        Self {
            min_required_channel_confirmations: 1,
            min_funding_confirms_within_blocks: 6,
            max_channel_expiry_blocks: weeks.saturating_mul(BLOCKS_PER_WEEK),
            min_initial_client_balance_sat: 0,
            max_initial_client_balance_sat: limits.max_channel_sat,
            min_initial_lsp_balance_sat: 1,
            max_initial_lsp_balance_sat: limits.max_channel_sat,
            min_channel_balance_sat: limits.min_channel_sat,
            max_channel_balance_sat: limits.max_channel_sat,
        }
    }

    /// As `get_info` answers them.
    pub fn wire(&self) -> wire::Options {
        wire::Options {
            min_required_channel_confirmations: self.min_required_channel_confirmations,
            min_funding_confirms_within_blocks: self.min_funding_confirms_within_blocks,
            supports_zero_channel_reserve: false,
            max_channel_expiry_blocks: self.max_channel_expiry_blocks,
            min_initial_client_balance_sat: wire::SatString(Sat(
                self.min_initial_client_balance_sat
            )),
            max_initial_client_balance_sat: wire::SatString(Sat(
                self.max_initial_client_balance_sat
            )),
            min_initial_lsp_balance_sat: wire::SatString(Sat(self.min_initial_lsp_balance_sat)),
            max_initial_lsp_balance_sat: wire::SatString(Sat(self.max_initial_lsp_balance_sat)),
            min_channel_balance_sat: wire::SatString(Sat(self.min_channel_balance_sat)),
            max_channel_balance_sat: wire::SatString(Sat(self.max_channel_balance_sat)),
        }
    }
}

/// A bLIP-51 order's request echo, as stored: `{"blip51": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
struct Echo {
    blip51: CreateOrder,
}

/// The bLIP-51 request `order` was made with, if it was made through this API.
fn request_of(order: &Order) -> Option<CreateOrder> {
    let echo: Echo = serde_json::from_str(order.request_echo.as_deref()?).ok()?;
    Some(echo.blip51)
}

/// The routes under `base` (default `/`).
pub fn routes(base: &str, limit: &RateLimit, keys: &Idempotency) -> ApiRoutes<LspService> {
    ApiRoutes::mounted_at("blip51", base)
        .post(
            "/api/v1/create_order",
            "bLIP-51 create_order: a channel order with its hold invoice (rate-limited per client address)",
            handlers::create_order,
        )
        .rate_limited(limit, wire::too_many_requests)
        .get(
            "/api/v1/get_info",
            "bLIP-51 get_info: the LSP's options",
            handlers::get_info,
        )
        .get(
            "/api/v1/get_order",
            "bLIP-51 get_order (?order_id=): the order, its payment and channel",
            handlers::get_order,
        )
        .idempotent(keys)
}

/// Queues the open of every paid bLIP-51 order to the node its request named (the worker
/// calls it each pass).
pub async fn finalise_paid(state: &LspService, now: i64) -> Result<(), sqlx::Error> {
    let node = state.hub.node.node_id().to_string();
    for order in store::paid_with_named_node(&state.hub.store, &node, now).await? {
        let Some(request) = request_of(&order) else {
            continue;
        };
        let target = OpenTarget {
            pubkey: request.public_key,
            address: None,
            announce: request.announce_channel,
        };
        set_open_target(state, &order.id, &target, false).await?;
    }
    Ok(())
}
