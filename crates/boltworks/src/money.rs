//! Money as integers: millisatoshis and satoshis, never floats, with overflow as an error.

use serde::{Deserialize, Serialize};

/// An amount in millisatoshis.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Msat(pub u64);

/// An amount in satoshis.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Sat(pub u64);

/// The largest amount any boltworks column holds: i64::MAX, since both databases store BIGINT.
pub const MAX_STORED: u64 = i64::MAX as u64;

impl Msat {
    /// Adds, or `None` on overflow.
    pub fn checked_add(self, other: Msat) -> Option<Msat> {
        self.0.checked_add(other.0).map(Msat)
    }

    /// Subtracts, or `None` below zero.
    pub fn checked_sub(self, other: Msat) -> Option<Msat> {
        self.0.checked_sub(other.0).map(Msat)
    }

    /// The value as a database BIGINT; `None` if it does not fit.
    pub fn to_db(self) -> Option<i64> {
        i64::try_from(self.0).ok()
    }
}

impl Sat {
    /// Millisatoshis, or `None` on overflow.
    pub fn to_msat(self) -> Option<Msat> {
        self.0.checked_mul(1_000).map(Msat)
    }
}

impl std::fmt::Display for Msat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} msat", self.0)
    }
}

impl std::fmt::Display for Sat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} sat", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_none_not_a_wrap() {
        assert_eq!(Msat(u64::MAX).checked_add(Msat(1)), None);
        assert_eq!(Msat(1).checked_sub(Msat(2)), None);
        assert_eq!(Sat(u64::MAX).to_msat(), None);
        assert_eq!(Sat(2).to_msat(), Some(Msat(2_000)));
        assert_eq!(Msat(u64::MAX).to_db(), None);
    }

    #[test]
    fn json_rejects_negative_float_and_string() {
        assert!(serde_json::from_str::<Msat>("-1").is_err());
        assert!(serde_json::from_str::<Msat>("1.5").is_err());
        assert!(serde_json::from_str::<Msat>("\"10\"").is_err());
        assert!(serde_json::from_str::<Msat>("18446744073709551616").is_err());
        assert_eq!(serde_json::from_str::<Msat>("10").ok(), Some(Msat(10)));
    }
}
