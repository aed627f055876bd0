//! What the operator may ask of the node, checked once for the admin API and the console alike:
//! keys, amounts, peers (`pubkey@ip:port`), addresses of the hub's network, channel sizes. Each
//! check answers the hub's own 400 with a sentence the operator can act on.

use std::net::SocketAddr;
use std::str::FromStr;

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Address, Network};

use super::OpenRequest;
use crate::http::HubError;
use crate::money::{Msat, Sat};

/// The smallest channel the operator may open (LDK refuses smaller ones' reserves).
pub const MIN_CHANNEL_SAT: u64 = 20_000;
/// The most there will ever be, in sats.
pub const MAX_SAT: u64 = 2_100_000_000_000_000;
/// The most a node may ask to forward: 1 % (a higher `ppm` is almost surely a typo).
pub const MAX_FEE_PPM: u32 = 10_000;

fn bad(why: impl Into<String>) -> HubError {
    HubError::BadRequest(why.into())
}

/// An operator's key: 1 to 100 visible ASCII characters.
pub fn key(key: &str) -> Result<String, HubError> {
    let ok = (1..=100).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| key.to_string())
        .ok_or_else(|| bad("key must be 1 to 100 visible ASCII characters"))
}

/// An amount to send or move: 1 sat to all there will ever be.
pub fn amount(amount_sat: u64) -> Result<Sat, HubError> {
    if amount_sat == 0 || amount_sat > MAX_SAT {
        return Err(bad(format!("amount_sat must be 1 to {MAX_SAT}")));
    }
    Ok(Sat(amount_sat))
}

/// A node id: 33 bytes, hex.
pub fn node_id(text: &str) -> Result<PublicKey, HubError> {
    PublicKey::from_str(text.trim()).map_err(|_| bad("not a node id (33 bytes, hex)"))
}

/// A peer as `pubkey@ip:port`.
pub fn peer_uri(uri: &str) -> Result<(PublicKey, SocketAddr), HubError> {
    let (id, address) = uri
        .trim()
        .split_once('@')
        .ok_or_else(|| bad("the peer must be pubkey@ip:port"))?;
    let address =
        SocketAddr::from_str(address).map_err(|_| bad("the peer's address must be ip:port"))?;
    Ok((node_id(id)?, address))
}

/// An address of the hub's network.
pub fn address(text: &str, network: Network) -> Result<Address, HubError> {
    Address::from_str(text.trim())
        .ok()
        .and_then(|a| a.require_network(network).ok())
        .ok_or_else(|| bad(format!("address must be a {network} address")))
}

/// A channel to open: at least `MIN_CHANNEL_SAT`, the push below the capacity.
pub fn open_request(
    key_text: &str,
    peer: &str,
    capacity_sat: u64,
    push_msat: u64,
    public: bool,
) -> Result<OpenRequest, HubError> {
    let key = key(key_text)?;
    let (peer, address) = peer_uri(peer)?;
    if !(MIN_CHANNEL_SAT..=MAX_SAT).contains(&capacity_sat) {
        return Err(bad(format!(
            "capacity_sat must be {MIN_CHANNEL_SAT} to {MAX_SAT}"
        )));
    }
    let capacity = Sat(capacity_sat);
    if capacity.to_msat().is_none_or(|c| push_msat >= c.0) {
        return Err(bad("push_msat must be below the capacity"));
    }
    Ok(OpenRequest {
        key,
        peer,
        address,
        capacity,
        push: Msat(push_msat),
        public,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: &str = "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619";

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(key("console:abc").is_ok());
        assert!(key("").is_err());
        assert!(key("has space").is_err());
        assert!(key(&"k".repeat(101)).is_err());
    }

    #[test]
    fn amounts_are_positive_and_bounded() {
        assert_eq!(amount(1).expect("one sat"), Sat(1));
        assert!(amount(0).is_err());
        assert!(amount(MAX_SAT + 1).is_err());
    }

    #[test]
    fn a_peer_is_a_node_id_at_a_socket_address() {
        let (id, address) = peer_uri(&format!("{PEER}@127.0.0.1:9735")).expect("a uri");
        assert_eq!(id.to_string(), PEER);
        assert_eq!(address.port(), 9735);
        assert!(peer_uri(PEER).is_err());
        assert!(peer_uri(&format!("{PEER}@localhost")).is_err());
        assert!(peer_uri("02ab@127.0.0.1:9735").is_err());
    }

    #[test]
    fn addresses_must_be_of_the_hubs_network() {
        let regtest = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
        assert!(address(regtest, Network::Regtest).is_ok());
        assert!(address(regtest, Network::Bitcoin).is_err());
        assert!(address("not an address", Network::Regtest).is_err());
    }

    #[test]
    fn a_channel_is_big_enough_and_pushes_less_than_it_holds() {
        let peer = format!("{PEER}@127.0.0.1:9735");
        let open = open_request("k", &peer, 100_000, 1_000, true).expect("an open");
        assert_eq!(
            (open.capacity, open.push, open.public),
            (Sat(100_000), Msat(1_000), true)
        );
        assert!(open_request("k", &peer, MIN_CHANNEL_SAT - 1, 0, false).is_err());
        assert!(open_request("k", &peer, 100_000, 100_000_000, false).is_err());
        assert!(open_request("", &peer, 100_000, 0, false).is_err());
    }
}
