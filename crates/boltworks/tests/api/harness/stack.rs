//! The in-process stack: a whole boltworks hub (devchain, node, every service and, when asked,
//! the demo nodes) in the test's own process, on free loopback ports in a temporary directory.
//! Set TEST_LOG=1 to see the hub's logs.

use std::path::{Path, PathBuf};

use boltworks::app::App;
use boltworks::config::parse_serve_flags;

use super::clients::Hub;
use super::ports::{start_on_fresh_ports, NodePorts};
use super::serve_options::{ServeFlags, ServeOptions};

/// What to start: typed options (see [`ServeOptions`]), then [`StackBuilder::build`].
#[derive(Default)]
pub struct StackBuilder {
    flags: ServeFlags,
}

impl ServeOptions for StackBuilder {
    fn serve_flags(&mut self) -> &mut ServeFlags {
        &mut self.flags
    }
}

impl StackBuilder {
    /// Starts the stack and waits until `/ready` says so.
    pub async fn build(mut self) -> TestStack {
        if std::env::var_os("TEST_LOG").is_some() {
            boltworks::init_logging(false);
        }
        self.flags.prepare().await;
        let options = &self.flags;
        let (temp, dir, flags, app) = start_on_fresh_ports("the stack", || async move {
            // A fresh directory each time: a start that failed may have left half a node.
            let temp = tempfile::tempdir().expect("temp dir");
            let dir = temp.path().join("data");
            let flags = options.render(&dir, "127.0.0.1:0", &NodePorts::fresh());
            let app = App::start(config(&flags)).await?;
            anyhow::Ok((temp, dir, flags, app))
        })
        .await;
        let hub = Hub::new(format!("http://{}", app.http_addr()));
        let stack = TestStack {
            app: Some(app),
            flags,
            dir,
            _temp: temp,
            hub,
        };
        stack.hub.wait_ready().await;
        stack
    }
}

/// A running stack.
pub struct TestStack {
    app: Option<App>,
    flags: Vec<String>,
    dir: PathBuf,
    _temp: tempfile::TempDir,
    /// The clients of this stack's HTTP API.
    pub hub: Hub,
}

impl TestStack {
    /// The hub alone (no demo nodes), SQLite; options on the builder.
    pub fn builder() -> StackBuilder {
        StackBuilder::default()
    }

    /// The stack's chain's bitcoind RPC: (host, port, user, password). A test's own node joins
    /// the chain through it, and a test drives the chain through it as a real one is driven.
    pub fn chain_rpc(&self) -> (String, u16, String, String) {
        let app = self.app.as_ref().expect("the stack runs");
        match app.chain_access().clone() {
            boltworks::node::ChainAccess::BitcoindRpc {
                host,
                port,
                user,
                password,
            } => (host, port, user, password),
            _ => panic!("the test stack runs the devchain"),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// Stops the stack cleanly and starts it again on the same data directory and ports.
    pub async fn restart(&mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
        let app = App::start(config(&self.flags)).await.expect("hub starts");
        self.hub = Hub::new(format!("http://{}", app.http_addr()));
        self.app = Some(app);
        self.hub.wait_ready().await;
    }

    /// Stops the stack.
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }
}

impl Drop for TestStack {
    /// A test that failed before `stop` leaves its stack running: leak it rather than let
    /// ldk-node's drop run while the test's runtime shuts down (which aborts the process and
    /// hides the test's own failure message).
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            std::mem::forget(app);
        }
    }
}

/// The hub's configuration from `flags`, through its own parser and checks.
fn config(flags: &[String]) -> boltworks::config::Config {
    parse_serve_flags(flags.iter().cloned())
        .expect("flags")
        .validate()
        .expect("config")
}
