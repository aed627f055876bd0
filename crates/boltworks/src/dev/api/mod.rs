//! The `/dev` API, mounted only on regtest with the embedded devchain: mine, fund, inspect the
//! nodes, make alice and bob (and carol) issue, hold, claim, fail and pay invoices, and move the
//! clock.

mod chain;
mod nodes;
mod notify;
mod payments;

use std::sync::Arc;

use self::chain::{advance_clock, fund, invalidate, mine, tx_outputs};
use self::nodes::{close_channel, nodes, open_channel, send_onchain};
use self::payments::{claim, fail, invoice, pay, payment};
use super::DemoNetwork;
use crate::http::{ApiRoutes, HubError};
use crate::hub::HubContext;
use crate::node::LightningNode;

/// What the dev routes work on: the hub and the demo network.
#[derive(Clone)]
pub struct DevState {
    /// The hub context.
    pub hub: HubContext,
    /// The devchain, alice and bob.
    pub demo: Arc<DemoNetwork>,
}

/// The dev routes, given `state`.
pub fn routes<S: Clone + Send + Sync + 'static>(state: DevState) -> ApiRoutes<S> {
    dev_routes().with_state(state)
}

fn dev_routes() -> ApiRoutes<DevState> {
    notify::routes()
        .merge(ApiRoutes::new("dev"))
        .post(
            "/dev/mine",
            "Mine blocks and let every node process them",
            mine,
        )
        .post(
            "/dev/fund",
            "Send coins from the faucet to an address",
            fund,
        )
        .get(
            "/dev/nodes",
            "The hub, alice and bob: ids, addresses, funds, channels",
            nodes,
        )
        .post(
            "/dev/clock/advance",
            "Move the hub's clock forward",
            advance_clock,
        )
        .post(
            "/dev/invalidate",
            "Reorg: invalidate the active block at a height (and its descendants)",
            invalidate,
        )
        .post(
            "/dev/{node}/open-channel",
            "hub, alice or bob opens a channel to another of them",
            open_channel,
        )
        .post(
            "/dev/{node}/close-channel",
            "hub, alice or bob closes a channel (cooperatively or by force)",
            close_channel,
        )
        .post(
            "/dev/{node}/invoice",
            "alice or bob issues an invoice (a hold invoice with payment_hash)",
            invoice,
        )
        .post(
            "/dev/{node}/claim",
            "alice or bob settles a held payment with its preimage",
            claim,
        )
        .post(
            "/dev/{node}/fail",
            "alice or bob fails a held payment back",
            fail,
        )
        .post("/dev/{node}/pay", "alice or bob pays an invoice", pay)
        .get(
            "/dev/tx/{txid}/outputs",
            "The confirmed, unspent outputs of a transaction (address, amount, height)",
            tx_outputs,
        )
        .post(
            "/dev/{node}/send-onchain",
            "hub, alice or bob sends coins from its on-chain wallet ({address, amount_sat})",
            send_onchain,
        )
        .get(
            "/dev/{node}/payments/{payment_hash}",
            "A payment of the hub, alice or bob by hash, as the hub's records hold it",
            payment,
        )
}

pub(super) fn any_node<'a>(
    state: &'a DevState,
    name: &str,
) -> Result<&'a Arc<LightningNode>, HubError> {
    if name == "hub" {
        return Ok(&state.hub.node);
    }
    demo_node(state, name)
}

pub(super) fn demo_node<'a>(
    state: &'a DevState,
    name: &str,
) -> Result<&'a Arc<LightningNode>, HubError> {
    state.demo.node(name).ok_or_else(|| {
        HubError::NotFound(format!(
            "unknown demo node '{name}': use alice or bob (or carol, with --demo-carol)"
        ))
    })
}

/// A 32-byte identifier (a payment hash, a preimage) given as 64 hex characters.
pub(super) fn hex32<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, HubError> {
    text.parse()
        .map_err(|_| HubError::BadRequest(format!("{field} must be 64 hex characters")))
}
