//! The chain source's tip height, which readiness compares the node's synced height against.

use std::time::Duration;

use devchain::Devchain;
use serde_json::json;

/// Where to ask for the current tip.
#[derive(Clone)]
pub enum ChainTip {
    /// The embedded chain.
    Devchain(Devchain),
    /// bitcoind JSON-RPC (`getblockcount`).
    BitcoindRpc {
        /// `http://host:port/`.
        url: String,
        /// RPC user.
        user: String,
        /// RPC password.
        password: String,
    },
    /// Esplora (`GET /blocks/tip/height`).
    Esplora(String),
    /// Electrum: the node's own successful sync stands for the tip.
    Electrum,
}

impl ChainTip {
    /// The tip height, or `None` if the source does not answer. For Electrum, where no cheap
    /// query exists here, `Some(0)`: readiness then rests on the node having synced.
    pub async fn height(&self) -> Option<u32> {
        let client = || {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()
                .ok()
        };
        match self {
            ChainTip::Devchain(chain) => Some(chain.height()),
            ChainTip::BitcoindRpc {
                url,
                user,
                password,
            } => {
                let body = json!({"jsonrpc": "1.0", "id": "ready", "method": "getblockcount", "params": []});
                let reply: serde_json::Value = client()?
                    .post(url)
                    .basic_auth(user, Some(password))
                    .json(&body)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                reply["result"].as_u64().and_then(|h| u32::try_from(h).ok())
            }
            ChainTip::Esplora(base) => {
                let text = client()?
                    .get(format!("{base}/blocks/tip/height"))
                    .send()
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                text.trim().parse().ok()
            }
            ChainTip::Electrum => Some(0),
        }
    }
}
