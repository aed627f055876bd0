//! The boltworks integration tests, one binary: a module per area of the hub, all over one
//! harness (`harness`). Tests drive the hub over HTTP, as a client would: an in-process stack
//! per test, or the real binary as a child where only a process shows what is tested.

mod harness;

mod bad_bytes;
mod cli;
mod http_api;
mod lightning;
mod restart;
mod store;
