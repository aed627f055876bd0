//! The boltworks integration tests, one binary: a module per area of the hub, all over one
//! harness (`harness`). Tests drive the hub over HTTP, as a client would: an in-process stack
//! per test, or the real binary as a child where only a process shows what is tested.

mod harness;

mod bad_bytes;
mod blip51;
mod blocktank_client;
mod cli;
mod console;
mod console_ops;
mod crash_soak;
mod escrow;
mod force_close;
mod full_size;
mod gift_pages;
mod gifts;
mod gifts_crash;
mod group_commit;
mod http_api;
mod idempotency;
mod jit;
mod lightning;
mod lsp_crash;
mod lsp_onchain;
mod lsp_v1;
mod lsps1;
mod merchant;
mod merchant_bad_input;
mod merchant_crash;
mod merchant_money;
mod metrics;
mod node_money;
mod node_ops;
mod node_ops_no_dev;
mod node_records;
mod notify;
mod rate_limits;
mod restart;
mod routing_fees;
mod store;
mod treasury;
