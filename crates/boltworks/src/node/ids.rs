//! The hub's own names for Lightning identifiers: payment hashes, preimages and channel ids, as
//! fixed-size values that print and parse in the one text form the hub stores and sends (lowercase
//! hex; a channel's user id in decimal). Services use these, never ldk-node's types.

use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::{sha256, Hash};
use rand::RngCore;

/// Why a text is not the identifier asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadIdentifier(&'static str);

/// 32 bytes from 64 hex characters (either case).
fn hex32(text: &str, what: &'static str) -> Result<[u8; 32], BadIdentifier> {
    let bytes = hex::decode(text).map_err(|_| BadIdentifier(what))?;
    <[u8; 32]>::try_from(bytes).map_err(|_| BadIdentifier(what))
}

/// A payment hash: the SHA-256 of the payment's preimage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentHash(pub [u8; 32]);

/// A payment preimage: the secret whose hash an invoice names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Preimage(pub [u8; 32]);

/// ldk-node's id of a channel, chosen when the channel is opened (stored in decimal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserChannelId(pub u128);

impl Preimage {
    /// A fresh random preimage.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The payment hash this preimage unlocks.
    pub fn payment_hash(&self) -> PaymentHash {
        PaymentHash(sha256::Hash::hash(&self.0).to_byte_array())
    }
}

impl fmt::Debug for Preimage {
    /// Never printed in logs: a preimage is the proof of payment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Preimage(..)")
    }
}

impl fmt::Display for PaymentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Display for Preimage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Display for UserChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for PaymentHash {
    type Err = BadIdentifier;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        hex32(text, "a payment hash is 64 hex characters").map(Self)
    }
}

impl FromStr for Preimage {
    type Err = BadIdentifier;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        hex32(text, "a preimage is 64 hex characters").map(Self)
    }
}

impl FromStr for UserChannelId {
    type Err = BadIdentifier;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse()
            .map(Self)
            .map_err(|_| BadIdentifier("a user channel id is a decimal integer"))
    }
}

impl serde::Serialize for PaymentHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_through_their_text() {
        let preimage = Preimage::random();
        let hash = preimage.payment_hash();
        assert_eq!(hash.to_string().parse::<PaymentHash>(), Ok(hash));
        assert_eq!(
            preimage.to_string().parse::<Preimage>().map(|p| p.0),
            Ok(preimage.0)
        );
        assert_eq!(format!("{preimage:?}"), "Preimage(..)");
        assert!("abc".parse::<PaymentHash>().is_err());
        assert!("zz".repeat(32).parse::<PaymentHash>().is_err());
        assert_eq!("42".parse::<UserChannelId>(), Ok(UserChannelId(42)));
        assert!("-1".parse::<UserChannelId>().is_err());
    }
}
