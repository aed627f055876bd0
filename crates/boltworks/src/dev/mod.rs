//! Regtest-only: the embedded devchain, the demo nodes alice and bob (each with a confirmed,
//! balanced channel to the hub), optionally carol behind bob (a routing hop with a fee), and the
//! `/dev` API (its command-line client is `cli::dev`).

pub mod api;
mod demo_network;
pub mod demo_start;
mod routing_hop;

pub use self::api::DevState;
pub use self::demo_network::{DemoChannels, DemoNetwork, DEMO_CHANNEL_SAT, DEMO_PUSH_MSAT};
pub use self::routing_hop::BOB_FORWARDING_FEES;

/// A loopback address with a port that was free a moment ago (for nodes, which must be told
/// their listening port before they bind it).
pub fn free_loopback_addr() -> std::io::Result<std::net::SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}
