//! The LSP v0.0.1 wire format (Blocktank v1; see specs/lsp-v0.0.1.md): request fields from the
//! query string or a JSON body, numbers accepted as strings; business errors as HTTP 200
//! `{"error":"..."}`, our own failures as HTTP 500 `LSP server error!`; millisecond timestamps.
//!
//! `input` reads requests, `error` is the wire error, `node_info` the answer of `/node/info`,
//! `order` the quote and the order view, `lnurl` the LNURL-channel answers (LUD-02).

mod error;
mod input;
mod lnurl;
mod node_info;
mod order;

pub use self::error::{key_refused, too_many_requests, V1Error};
pub use self::input::{parse_node_uri, V1Input};
pub use self::lnurl::{ChannelRequest, LnurlChannelAnswer, LnurlOk};
pub use self::node_info::{Capacity, ChannelService, NodeInfo, NodeSummary, Rate};
pub use self::order::{Finalised, OrderAnswer, OrderContext, OrderView, Quote};
