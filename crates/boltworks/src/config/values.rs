//! Value parsers for flags, shared by the hub's and the services' flag groups: each turns a
//! flag's text into its type or says, in one line, what is wrong (clap names the flag).

use bitcoin::Network;

use crate::store::DatabaseConfig;

/// `regtest`, `signet`, `testnet` or `bitcoin` (also `mainnet`).
pub fn network(text: &str) -> Result<Network, String> {
    match text {
        "regtest" => Ok(Network::Regtest),
        "signet" => Ok(Network::Signet),
        "testnet" => Ok(Network::Testnet),
        "bitcoin" | "mainnet" => Ok(Network::Bitcoin),
        other => Err(format!(
            "'{other}' is not one of regtest, signet, testnet, bitcoin"
        )),
    }
}

/// A base path: starts with `/`, plain path characters only, no trailing `/` except for `/`.
pub fn base_path(text: &str) -> Result<String, String> {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c));
    if !text.starts_with('/')
        || !plain
        || text.contains("//")
        || (text.len() > 1 && text.ends_with('/'))
    {
        return Err(format!("'{text}' is not a base path like /escrow or /"));
    }
    Ok(text.to_string())
}

/// A node alias: 1 to 32 bytes.
pub fn alias(text: &str) -> Result<String, String> {
    if text.is_empty() || text.len() > 32 {
        return Err("must be 1 to 32 bytes".into());
    }
    Ok(text.to_string())
}

/// An http(s) URL, kept without its trailing `/`.
pub fn public_url(text: &str) -> Result<String, String> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.trim_end_matches('/').to_string())
    } else {
        Err(format!("'{text}' must start with http:// or https://"))
    }
}

/// `postgres://...`, `postgresql://...` or `sqlite://PATH`.
pub fn database_url(text: &str) -> Result<DatabaseConfig, String> {
    DatabaseConfig::from_url(text)
        .ok_or_else(|| format!("'{text}' must start with postgres://, postgresql:// or sqlite://"))
}

/// An operator token: at least 16 characters.
pub fn admin_token(text: &str) -> Result<String, String> {
    if text.len() < 16 {
        return Err("must be at least 16 characters".into());
    }
    Ok(text.to_string())
}
