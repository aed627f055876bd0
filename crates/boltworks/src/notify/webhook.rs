//! Webhook delivery: POST the exact stored body, signed.
//!
//! Headers (document for receivers):
//! - `X-Boltworks-Event-Id`: stable across retries; use it to drop duplicates (delivery is at
//!   least once).
//! - `X-Boltworks-Event-Type`, `X-Boltworks-Attempt` (1, 2, ...).
//! - `X-Boltworks-Signature: sha256=<hex>`: HMAC-SHA256 of the exact request body with the
//!   target's secret. To verify, compute the HMAC of the raw body bytes as received (before any
//!   JSON parsing) and compare in constant time.

use std::time::Instant;

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};

use super::guard::check_url;
use super::outbox::{Claimed, Outcome};

/// The signature header value for `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(secret.as_bytes());
    engine.input(body);
    format!(
        "sha256={}",
        hex::encode(hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array())
    )
}

/// Sends one webhook. Returns the HTTP status (if any), the outcome and the latency.
pub async fn deliver(
    client: &reqwest::Client,
    allow_private: bool,
    secret: &str,
    row: &Claimed,
) -> (Option<u16>, Outcome, i64) {
    let started = Instant::now();
    let elapsed =
        |started: Instant| i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    if let Err(refused) = check_url(&row.target, allow_private) {
        return (
            None,
            Outcome::Permanent(refused.to_string()),
            elapsed(started),
        );
    }
    let request = client
        .post(&row.target)
        .header("content-type", "application/json")
        .header("x-boltworks-event-id", &row.event_id)
        .header("x-boltworks-event-type", &row.event_type)
        .header("x-boltworks-attempt", row.attempt.to_string())
        .header(
            "x-boltworks-signature",
            signature(secret, row.payload.as_bytes()),
        )
        .body(row.payload.clone());
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let outcome = if status.is_success() {
                Outcome::Delivered
            } else if status.is_redirection() {
                Outcome::Retry(format!("HTTP {status}: redirects are not followed"))
            } else {
                Outcome::Retry(format!("HTTP {status}"))
            };
            (Some(status.as_u16()), outcome, elapsed(started))
        }
        Err(e) => {
            let message = error_chain(&e);
            // A target the guard refused stays refused: retrying cannot help.
            let outcome = if message.contains("refused webhook target") {
                Outcome::Permanent(message)
            } else {
                Outcome::Retry(message)
            };
            (None, outcome, elapsed(started))
        }
    }
}

/// An error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let sig = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
