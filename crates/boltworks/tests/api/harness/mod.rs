//! The one harness of the integration tests: the in-process stack ([`stack`]) and the real
//! binary as a child ([`process`]), both from typed options ([`serve_options`]) on fresh
//! loopback ports ([`ports`]); typed clients of every service ([`clients`]); waiting
//! ([`wait`]); a webhook receiver, an SMTP sink, fresh PostgreSQL databases, LNURL decoding,
//! and invoices the test makes itself.

pub mod browser;
pub mod clients;
pub mod invoices;
pub mod lnurl;
pub mod mail;
pub mod own_node;
pub mod ports;
pub mod postgres;
pub mod process;
pub mod serve_options;
pub mod stack;
pub mod wait;
pub mod webhook;

pub use self::clients::Hub;
pub use self::serve_options::ServeOptions;
pub use self::stack::TestStack;
pub use self::wait::eventually;
