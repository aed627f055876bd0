//! Keeps the node wallet able to fund the largest JIT channel the terms allow: ldk-node gives up
//! on a JIT open, silently, when the wallet is short at the moment the payment arrives, and a
//! top-up then would come too late (the payment's HTLC cannot wait for a confirmation). So the
//! wallet is topped up from the treasury ahead of time, whenever its spendable balance falls
//! below that channel plus a reserve. Each top-up is committed (numbered, with its treasury key)
//! before the treasury sends it, so a crash in between re-sends the same one, never a second.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::store;
use crate::ledger;
use crate::money::Sat;
use crate::node::JitTerms;
use crate::services::lsp::model::FUNDING_RESERVE_SAT;
use crate::services::lsp::LspService;
use crate::treasury::{FeeFrom, SendError};

/// How often the wallet is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// How long after a top-up confirmed the node wallet may take to count it before another is sent.
const SETTLE_SECS: i64 = 60;

/// Runs the keeper until `shutdown`.
pub(super) fn spawn(
    lsp: LspService,
    terms: JitTerms,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = keep_funded(&lsp, &terms).await {
                tracing::warn!(error = %e, "keeping the node wallet funded for JIT channels failed; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(CHECK_EVERY) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// What the wallet must be able to spend: the largest JIT channel and the reserve an open needs.
fn target(terms: &JitTerms) -> Sat {
    Sat(terms
        .largest_channel()
        .0
        .saturating_add(FUNDING_RESERVE_SAT))
}

async fn keep_funded(lsp: &LspService, terms: &JitTerms) -> Result<(), sqlx::Error> {
    let Some(treasury) = &lsp.hub.treasury else {
        return Ok(());
    };
    // Before its first sync the node's wallet reads empty: that is no reason to top it up.
    if !lsp.hub.node.has_synced() {
        return Ok(());
    }
    let balance = lsp.hub.node.onchain_balance();
    let (spendable, target) = (balance.spendable, target(terms));
    // Enough, or enough once what is on its way confirms (a top-up the treasury saw confirm
    // before the node's wallet did is in `total` already).
    if spendable >= target || balance.total >= target {
        return Ok(());
    }
    let now = lsp.hub.clock.now_unix();
    let last = store::last_top_up(&lsp.hub.store).await?;
    if let Some((_, key)) = &last {
        match treasury.sent(key).await {
            // Committed and never sent (a crash in between): send that one.
            Ok(None) => {
                let amount = store::top_up_amount(&lsp.hub.store, key)
                    .await?
                    .unwrap_or(0);
                let amount = Sat(u64::try_from(amount).unwrap_or(0));
                return send(lsp, key, amount).await;
            }
            // On its way: the wallet counts it once it confirms.
            Ok(Some((_, 0))) => return Ok(()),
            Ok(Some(_)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "looking up the last JIT top-up");
                return Ok(());
            }
        }
        if !settled(lsp, key, now).await? {
            return Ok(());
        }
    }
    let seq = last.map_or(1, |(seq, _)| seq + 1);
    let key = format!("node-jit-top-up:{seq}");
    let amount = Sat(target.0 - spendable.0 + FUNDING_RESERVE_SAT);
    let amount_db = i64::try_from(amount.0).unwrap_or(i64::MAX);
    if !store::begin_top_up(&lsp.hub.store, seq, &key, amount_db, now).await? {
        return Ok(());
    }
    send(lsp, &key, amount).await
}

/// Whether top-up `key` is old enough that the node wallet has had time to count it.
async fn settled(lsp: &LspService, key: &str, now: i64) -> Result<bool, sqlx::Error> {
    let created = store::top_up_created_at(&lsp.hub.store, key).await?;
    Ok(created.is_none_or(|at| now - at >= SETTLE_SECS))
}

async fn send(lsp: &LspService, key: &str, amount: Sat) -> Result<(), sqlx::Error> {
    let Some(treasury) = &lsp.hub.treasury else {
        return Ok(());
    };
    let address = match lsp.hub.node.new_onchain_address() {
        Ok(address) => address,
        Err(e) => {
            tracing::warn!(error = %e, "no node address for a JIT top-up");
            return Ok(());
        }
    };
    match treasury
        .send(
            key,
            &[(address, amount)],
            FeeFrom::Treasury,
            ledger::ASSETS_NODE_WALLET,
        )
        .await
    {
        Ok(sent) => {
            tracing::info!(%key, txid = %sent.txid, %amount, "node wallet topped up from the treasury for JIT channels");
            Ok(())
        }
        Err(SendError::InsufficientFunds(detail)) => {
            tracing::error!(%key, %amount, %detail, "the treasury cannot top up the node wallet: JIT channels above its balance will fail");
            Ok(())
        }
        Err(SendError::Store(e)) => Err(e),
        Err(e) => {
            tracing::warn!(%key, error = %e, "a JIT top-up failed; retried");
            Ok(())
        }
    }
}
