//! TCP_NODELAY on the Lightning nodes' peer connections.
//!
//! lightning-net-tokio 0.2, ldk-node's networking, never turns Nagle's algorithm off. A node
//! that writes `update_add_htlc` and `commitment_signed` back to back then holds the second
//! message until the peer acknowledges the first, and the peer's delayed ACK puts that off by
//! about 40 ms: measured on the demo network, the hub -> bob hop of every payment waited 42 ms
//! for bob's `revoke_and_ack` (sequential alice -> hub -> bob p50 217 ms; 142 ms with quick ACKs).
//! ldk-node offers no hook on its sockets, so a keeper finds them among this process's file
//! descriptors (Linux only) and sets TCP_NODELAY on each TCP socket bound to a node's listen
//! address (peers that connected to it) or connected to one of its peers' addresses. A socket
//! is looked at once, when first seen; new connections are found within `SWEEP_EVERY`.
//!
//! The option changes only when bytes leave, never what: a socket the keeper misses, or one
//! that closes under it, is a slower connection, not a lost message.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::LightningNode;

/// How often the keeper looks for new peer connections.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Starts the keeper for `nodes`; it stops when `shutdown` turns true.
pub fn spawn(
    nodes: Vec<Arc<LightningNode>>,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        if !cfg!(target_os = "linux") {
            tracing::info!(
                "peer connections keep Nagle's algorithm: TCP_NODELAY is set on Linux only"
            );
            return;
        }
        let mut seen = HashSet::new();
        loop {
            let addresses = PeerAddresses::of(&nodes);
            let set = tokio::task::spawn_blocking({
                let mut seen = std::mem::take(&mut seen);
                move || {
                    let set = sweep(&addresses, &mut seen);
                    (seen, set)
                }
            })
            .await;
            match set {
                Ok((kept, set)) => {
                    seen = kept;
                    if set > 0 {
                        tracing::debug!(sockets = set, "TCP_NODELAY set on peer connections");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "the peer socket sweep stopped"),
            }
            tokio::select! {
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    })
}

/// The addresses that mark a socket as a peer connection of one of the nodes.
struct PeerAddresses {
    /// Where the nodes listen: the local end of every inbound peer connection.
    listen: Vec<SocketAddr>,
    /// Where the nodes' peers are reached: the remote end of every outbound one.
    peers: Vec<SocketAddr>,
}

impl PeerAddresses {
    fn of(nodes: &[Arc<LightningNode>]) -> Self {
        Self {
            listen: nodes.iter().map(|node| node.listen_address()).collect(),
            peers: nodes
                .iter()
                .flat_map(|node| node.peers())
                .filter_map(|peer| peer.address.parse().ok())
                .collect(),
        }
    }

    /// Whether a TCP socket from `local` to `remote` is a peer connection.
    fn is_peer_connection(&self, local: SocketAddr, remote: SocketAddr) -> bool {
        self.listen.iter().any(|listen| {
            listen.port() == local.port()
                && (listen.ip().is_unspecified() || listen.ip() == local.ip())
        }) || self.peers.contains(&remote)
    }
}

/// Sets TCP_NODELAY on every peer connection among this process's sockets not in `seen`
/// (socket inodes), and adds every socket looked at to it; returns how many it set.
#[cfg(target_os = "linux")]
fn sweep(addresses: &PeerAddresses, seen: &mut HashSet<u64>) -> usize {
    use std::os::fd::{BorrowedFd, RawFd};

    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    let mut open = HashSet::new();
    let mut set = 0;
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok())
        else {
            continue;
        };
        let Some(inode) = std::fs::read_link(entry.path())
            .ok()
            .and_then(|target| socket_inode(&target.to_string_lossy()))
        else {
            continue;
        };
        open.insert(inode);
        if !seen.insert(inode) {
            continue;
        }
        // SAFETY: `fd` was open a moment ago and is only borrowed for these calls. If another
        // thread closed it since, the calls fail (EBADF); if the number was reused meanwhile,
        // they read another socket's addresses, or set TCP_NODELAY on another TCP socket,
        // which changes when its bytes are sent, never what they are.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let socket = socket2::SockRef::from(&fd);
        let is_stream = socket.r#type().is_ok_and(|t| t == socket2::Type::STREAM);
        let ends = socket
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .zip(socket.peer_addr().ok().and_then(|a| a.as_socket()));
        if let (true, Some((local, remote))) = (is_stream, ends) {
            if addresses.is_peer_connection(local, remote) && socket.set_tcp_nodelay(true).is_ok() {
                set += 1;
            }
        }
    }
    // Forget closed sockets, so a reused inode number is looked at again.
    seen.retain(|inode| open.contains(inode));
    set
}

#[cfg(not(target_os = "linux"))]
fn sweep(_: &PeerAddresses, _: &mut HashSet<u64>) -> usize {
    0
}

/// The inode of a `/proc/self/fd` link target `socket:[12345]`.
fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_links_name_their_inode() {
        assert_eq!(socket_inode("socket:[8812]"), Some(8812));
        assert_eq!(socket_inode("pipe:[8812]"), None);
        assert_eq!(socket_inode("/tmp/x"), None);
    }

    #[test]
    fn peer_connections_are_told_by_either_end() {
        let addresses = PeerAddresses {
            listen: vec![
                "127.0.0.1:9735".parse().expect("addr"),
                "0.0.0.0:9800".parse().expect("addr"),
            ],
            peers: vec!["127.0.0.1:9736".parse().expect("addr")],
        };
        let at = |s: &str| s.parse::<SocketAddr>().expect("addr");
        // Inbound to a node.
        assert!(addresses.is_peer_connection(at("127.0.0.1:9735"), at("127.0.0.1:50000")));
        assert!(addresses.is_peer_connection(at("10.0.0.1:9800"), at("10.0.0.2:50000")));
        // Outbound to a peer.
        assert!(addresses.is_peer_connection(at("127.0.0.1:50001"), at("127.0.0.1:9736")));
        // Anything else (HTTP, the database).
        assert!(!addresses.is_peer_connection(at("127.0.0.1:50002"), at("127.0.0.1:5432")));
    }

    #[tokio::test]
    async fn a_peer_connection_gets_tcp_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let listen = listener.local_addr().expect("addr");
        let other = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let (peer, other_client) = tokio::join!(
            tokio::net::TcpStream::connect(listen),
            tokio::net::TcpStream::connect(other.local_addr().expect("addr"))
        );
        let (peer, other_client) = (peer.expect("connect"), other_client.expect("connect"));
        let (inbound, _) = listener.accept().await.expect("accept");
        let addresses = PeerAddresses {
            listen: vec![listen],
            peers: Vec::new(),
        };
        assert!(!inbound.nodelay().expect("nodelay"));
        let mut seen = HashSet::new();
        assert!(sweep(&addresses, &mut seen) >= 1);
        assert!(
            inbound.nodelay().expect("nodelay"),
            "the inbound end is a peer connection"
        );
        assert!(
            !other_client.nodelay().expect("nodelay"),
            "not a peer connection"
        );
        // Seen once: the next sweep looks at nothing new.
        assert_eq!(sweep(&addresses, &mut seen), 0);
        drop(peer);
    }
}
