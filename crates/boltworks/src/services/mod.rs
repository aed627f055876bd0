//! The service APIs, each wire-compatible with its original: escrow (so far).

pub mod escrow;
