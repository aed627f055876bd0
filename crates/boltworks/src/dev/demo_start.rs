//! Starting the demo network with the hub: alice and bob (and carol, if asked) built and
//! started with their event loops, then the network bootstrapped in the background.

use std::net::SocketAddr;
use std::sync::Arc;

use devchain::Devchain;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::DemoNetwork;
use crate::config::Config;
use crate::hub::HubContext;
use crate::node::event_loop::spawn_event_loop;
use crate::node::{LightningNode, NodeSettings};

/// Starts alice and bob (and carol, if asked) with their event loops, and bootstraps the demo network in the
/// background (funding, channels; `/ready` waits for it), retried until it succeeds.
pub async fn start(
    config: &Config,
    chain: Devchain,
    node_settings: &impl Fn(&str, SocketAddr, Option<String>) -> NodeSettings,
    hub: &HubContext,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(Arc<DemoNetwork>, Vec<JoinHandle<()>>)> {
    let [alice_listen, bob_listen] = config.demo_node_listen;
    // Aliases let alice and bob accept announced channels (ldk-node refuses them otherwise).
    let alice = Arc::new(LightningNode::build(&node_settings(
        "alice",
        alice_listen,
        Some("alice".into()),
    ))?);
    let bob = Arc::new(LightningNode::build(&node_settings(
        "bob",
        bob_listen,
        Some("bob".into()),
    ))?);
    // carol accepts bob's announced channel, so she needs an alias too.
    let carol = match config.demo_carol_listen {
        Some(listen) => Some(Arc::new(LightningNode::build(&node_settings(
            "carol",
            listen,
            Some("carol".into()),
        ))?)),
        None => None,
    };
    let mut loops = Vec::new();
    for node in [&alice, &bob].into_iter().chain(&carol) {
        node.start().await?;
        tracing::info!(node = node.label(), "demo node started");
        // Before HTTP serves `/dev/{node}/pay`: a send the last stop cut off between its record
        // and the node is failed, not left pending for ever.
        let unsent = crate::node::payments::fail_unsent(&hub.store, &hub.clock, node).await?;
        if unsent > 0 {
            tracing::info!(
                node = node.label(),
                unsent,
                "failed payments that never reached the node"
            );
        }
        loops.push(spawn_event_loop(
            Arc::clone(node),
            hub.store.clone(),
            hub.clock.clone(),
            hub.events.clone(),
            Vec::new(),
            shutdown.clone(),
        ));
    }
    let network = Arc::new(DemoNetwork::new(
        chain,
        alice,
        bob,
        carol,
        config.demo_channels,
    ));
    let (bootstrap_network, bootstrap_hub) = (Arc::clone(&network), Arc::clone(&hub.node));
    // Not in the background tasks: on shutdown it is simply cancelled (it is idempotent).
    let mut stop = shutdown;
    tokio::spawn(async move {
        tokio::select! {
            () = bootstrap_network.run(&bootstrap_hub) => {}
            _ = stop.wait_for(|stop| *stop) => {}
        }
    });
    Ok((network, loops))
}
