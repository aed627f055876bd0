//! The service APIs, each wire-compatible with its original: escrow, gifts, the LSP and
//! the merchant hub.

pub mod escrow;
pub mod gifts;
pub mod lsp;
pub mod merchant;
