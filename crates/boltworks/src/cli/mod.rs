//! The command-line clients of a running hub: `boltworks dev ...` (the `/dev` API of a regtest
//! hub) and `boltworks admin ...` (the operator routes, with the operator token).

pub mod admin;
pub mod admin_node;
pub mod dev;

use serde_json::Value;

/// Sends a request of a command-line client, prints the JSON answer, and fails on a non-2xx.
async fn send_and_print(request: reqwest::RequestBuilder, base: &str) -> anyhow::Result<()> {
    let response = request
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {base}: {e}"))?;
    let status = response.status();
    let url = response.url().path().to_string();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    println!("{}", serde_json::to_string_pretty(&body)?);
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}
