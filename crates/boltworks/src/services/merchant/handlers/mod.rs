//! The merchant API's HTTP handlers, by resource: each extracts the request, checks it with
//! the model, calls the store (or the job that moves the money) and maps the result to its
//! typed reply or to the wire error. Every handler is a traced entry point.

pub mod accounts;
pub mod invoices;
pub mod onchain;
pub mod payments;
pub mod setup;
pub mod stream;
pub mod withdrawals;
