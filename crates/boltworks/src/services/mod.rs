//! The service APIs, each wire-compatible with its original: escrow and gifts (so far).

pub mod escrow;
pub mod gifts;
