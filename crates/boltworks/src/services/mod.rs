//! The service APIs, each wire-compatible with its original: escrow, gifts and the LSP (so far).

pub mod escrow;
pub mod gifts;
pub mod lsp;
