//! The LNURL-channel answers (LUD-02) of the endpoint under the v0.0.1 base; its errors are the
//! shared `crate::http::LnurlError`.

use serde::Serialize;

/// LUD-02's channel request: where the wallet connects and calls back.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelRequest {
    /// The hub's node, `pubkey@host:port`.
    pub uri: String,
    /// The callback URL.
    pub callback: String,
    /// The order's id.
    pub k1: String,
    /// Always `channelRequest`.
    pub tag: &'static str,
}

impl ChannelRequest {
    /// The channel request of order `k1`.
    pub fn new(uri: String, callback: String, k1: String) -> Self {
        Self {
            uri,
            callback,
            k1,
            tag: "channelRequest",
        }
    }
}

/// LUD-01's success answer, `{"status":"OK"}`.
#[derive(Debug, Clone, Serialize)]
pub struct LnurlOk {
    /// Always `OK`.
    pub status: &'static str,
}

impl LnurlOk {
    /// The answer.
    pub const OK: LnurlOk = LnurlOk { status: "OK" };
}

/// The answer of `GET /lnurl/channel`: the channel request (first step), or OK (callback).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LnurlChannelAnswer {
    /// The channel request of a paid order.
    Request(ChannelRequest),
    /// The callback was taken (or cancelled).
    Done(LnurlOk),
}
