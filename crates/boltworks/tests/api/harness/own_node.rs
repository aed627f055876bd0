//! A Lightning node of the test's own (a wallet, a client of the hub's LSP), a plain ldk-node on
//! the stack's chain, listening on loopback.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use ldk_node::config::Config;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::{Builder, Node};

use super::TestStack;

/// A builder for a regtest node storing in `dir`, listening on `listen`, its chain the stack's,
/// logging with the hub's logs; `tweak` adjusts its config first.
pub fn builder(
    stack: &TestStack,
    dir: &Path,
    listen: SocketAddr,
    tweak: impl FnOnce(&mut Config),
) -> Builder {
    let mut config = Config {
        network: ldk_node::bitcoin::Network::Regtest,
        storage_dir_path: dir.display().to_string(),
        listening_addresses: Some(vec![
            SocketAddress::from_str(&listen.to_string()).expect("address")
        ]),
        ..Default::default()
    };
    tweak(&mut config);
    let mut builder = Builder::from_config(config);
    builder.set_log_facade_logger();
    let (host, port, user, password) = stack.chain_rpc();
    builder.set_chain_source_bitcoind_rpc(host, port, user, password);
    builder
}

/// Builds and starts the node.
pub async fn start(builder: Builder) -> Arc<Node> {
    let node = Arc::new(builder.build().expect("the test's node builds"));
    let started = Arc::clone(&node);
    tokio::task::spawn_blocking(move || started.start())
        .await
        .expect("start task")
        .expect("the test's node starts");
    node
}
