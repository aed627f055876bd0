//! Loopback ports for a hub, and the one retry when a parallel test takes one first: ports are
//! chosen free and bound a moment later (by ldk-node, or by a child process), so a start that
//! fails in between is made again on fresh ports.

use std::fmt::Display;
use std::future::Future;
use std::net::SocketAddr;

/// How many times a hub is started before its failure fails the test.
const STARTS: u32 = 3;

/// A free loopback address (free now; bound by someone a moment later).
pub fn free_addr() -> SocketAddr {
    boltworks::dev::free_loopback_addr().expect("a free port")
}

/// The Lightning ports of the hub's node and of the demo nodes.
#[derive(Clone, Debug)]
pub struct NodePorts {
    pub node: SocketAddr,
    pub alice: SocketAddr,
    pub bob: SocketAddr,
    pub carol: SocketAddr,
}

impl NodePorts {
    /// Four free loopback ports.
    pub fn fresh() -> Self {
        Self {
            node: free_addr(),
            alice: free_addr(),
            bob: free_addr(),
            carol: free_addr(),
        }
    }
}

/// Runs `start` (which picks fresh ports each time) until it succeeds, at most three times:
/// the only failure it may retry is "a port was taken between its choice and its bind". Its
/// other failures panic inside `start`.
pub async fn start_on_fresh_ports<T, E, F, Fut>(what: &str, mut start: F) -> T
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match start().await {
            Ok(started) => return started,
            Err(e) if attempt < STARTS => {
                eprintln!("{what} did not start ({e:#}); retrying on fresh ports");
                attempt += 1;
            }
            Err(e) => panic!("{what} did not start in {STARTS} tries: {e:#}"),
        }
    }
}
