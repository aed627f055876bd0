//! JIT channels (LSPS2, bLIP-52) on the hub's node. ldk-node's LSPS2 service answers the client's
//! `get_info` and `buy` over the Lightning connection and opens the channel when the client's
//! first payment arrives, funding it from the node wallet and taking its opening fee from that
//! payment (`--jit-*` flags set the terms). Around it the hub makes what ldk-node 0.7.1 leaves
//! silent hold or show: `reserve` keeps the node wallet able to fund the largest JIT channel (from
//! the treasury), `effects` records each open and books the fee of each paid one, `sweeper` closes
//! those never paid for, and `failures` records each open the node gave up on and tells the
//! operator.

mod config;
pub(super) mod effects;
mod failures;
mod reserve;
pub mod store;
mod sweeper;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use self::config::JitArgs;
use super::LspService;

/// Starts the failure recorder and the wallet keeper, when the hub sells JIT channels.
pub(super) fn start(lsp: &LspService, shutdown: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let Some(terms) = lsp.config.jit.clone() else {
        return Vec::new();
    };
    let mut tasks = vec![
        reserve::spawn(lsp.clone(), terms, shutdown.clone()),
        sweeper::spawn(
            lsp.clone(),
            lsp.config.jit_unpaid_close_secs,
            shutdown.clone(),
        ),
    ];
    if let Some(reports) = lsp.hub.node.take_jit_failures() {
        tasks.push(failures::spawn(lsp.clone(), reports, shutdown.clone()));
    }
    tasks
}

/// What the operator sees of JIT channels.
#[derive(Debug, serde::Serialize)]
pub struct JitOverview {
    /// Whether the hub sells JIT channels (`--jit-channels`).
    pub enabled: bool,
    /// The largest channel the terms can open, in sats.
    pub largest_channel_sat: Option<u64>,
    /// What the node wallet can spend now, in sats.
    pub node_wallet_spendable_sat: u64,
    /// The JIT channels paid for, newest first.
    pub channels: Vec<store::JitChannel>,
    /// The opens the node gave up on, newest first.
    pub failures: Vec<store::JitFailureRecord>,
}

impl LspService {
    /// The JIT channels and failures, at most `limit` of each.
    pub async fn jit_overview(&self, limit: u32) -> Result<JitOverview, sqlx::Error> {
        Ok(JitOverview {
            enabled: self.config.jit.is_some(),
            largest_channel_sat: self.config.jit.as_ref().map(|t| t.largest_channel().0),
            node_wallet_spendable_sat: self.hub.node.onchain_balance().spendable.0,
            channels: store::channels(&self.hub.store, limit).await?,
            failures: store::failures(&self.hub.store, limit).await?,
        })
    }
}
