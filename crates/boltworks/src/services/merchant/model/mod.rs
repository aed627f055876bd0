//! The merchant hub's rules, without I/O: what a request's fields must be (expiry, description,
//! URLs, email, password, list pages, keys), the money rules (amounts, the hub's fee, payment
//! reserves, withdrawals; in `money`), and every refusal (`Refusal`, in `refusal`).

mod money;
mod refusal;

use bitcoin::secp256k1::PublicKey;
use serde_json::Value;

use super::store::OnchainInvoiceStatus;
use crate::auth::signing_key;
use crate::money::Sat;

pub use self::money::{
    check_invoice_amount, held_enough, incoming_fee_sat, net_of_fee, onchain_fee_sat,
    onchain_payout_amount, paid_in_full, parse_amount, payment_failed, reserve, to_msat,
    whole_sats, withdrawable, PayoutEnd, Reserve, MAX_AMOUNT_SAT, MIN_WITHDRAWAL_SAT,
};
pub use self::refusal::{Refusal, RefusalKind};

/// Shortest invoice expiry allowed, seconds.
pub const MIN_EXPIRY: i64 = 10;
/// Longest (and default) invoice expiry, seconds.
pub const MAX_EXPIRY: i64 = 3_600;
/// Longest description (BOLT11's limit for a description in the invoice).
pub const MAX_DESCRIPTION: usize = 639;
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;
/// Longest password accepted (argon2 hashes any length; this bounds the work).
pub const MAX_PASSWORD: usize = 1_024;
/// Most keys a PSS signup registers.
pub const MAX_PUBLIC_KEYS: usize = 16;
/// Refresh tokens live 30 days (and are used once).
pub const REFRESH_TOKEN_SECS: i64 = 30 * 86_400;
/// Access tokens live one hour.
pub const ACCESS_TOKEN_SECS: i64 = 3_600;
/// Rows a list page holds unless `limit` says otherwise.
const DEFAULT_PAGE: i64 = 100;
/// Most rows a list page holds.
const MAX_PAGE: i64 = 1_000;

/// An invoice's expiry: the given seconds (default the maximum), within the bounds.
pub fn expiry(given: Option<i64>) -> Result<i64, Refusal> {
    let expiry = given.unwrap_or(MAX_EXPIRY);
    if expiry < MIN_EXPIRY {
        return Err(Refusal::ExpiryTooSmall(expiry));
    }
    if expiry > MAX_EXPIRY {
        return Err(Refusal::ExpiryTooBig(expiry));
    }
    Ok(expiry)
}

/// The optional `description`, at most 639 characters.
pub fn description(given: Option<&str>) -> Result<String, Refusal> {
    let text = given.unwrap_or_default();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Refusal::DescriptionTooLong);
    }
    Ok(text.to_string())
}

/// The optional `ntfn_url` of an invoice or payment: an http(s) URL; empty counts as absent.
pub fn webhook_override(given: Option<&str>) -> Result<Option<String>, Refusal> {
    match given.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) if is_http_url(url) => Ok(Some(url.to_string())),
        Some(_) => Err(Refusal::NotHttpUrl("ntfn_url")),
    }
}

/// A webhook URL of merchant setup, trimmed: empty (none) or an http(s) URL.
pub fn setup_url<'a>(field: &'static str, given: Option<&'a str>) -> Result<&'a str, Refusal> {
    let url = given.unwrap_or_default().trim();
    if !url.is_empty() && !is_http_url(url) {
        return Err(Refusal::NotHttpUrl(field));
    }
    Ok(url)
}

/// An absolute http or https URL.
fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// A sign-in email as stored: trimmed and lower-case.
pub fn normalized_email(given: &str) -> String {
    given.trim().to_ascii_lowercase()
}

/// A signup email: normalized, and plausibly an address.
pub fn signup_email(given: &str) -> Result<String, Refusal> {
    let email = normalized_email(given);
    if !is_email(&email) {
        return Err(Refusal::BadEmail);
    }
    Ok(email)
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces, at most 254.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A signup password: 8 to 1,024 characters.
pub fn check_password(password: &str) -> Result<(), Refusal> {
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&password.chars().count()) {
        return Err(Refusal::BadPasswordLength);
    }
    Ok(())
}

/// A refresh token as the hub issues them: 48 hex characters.
pub fn check_refresh_token(token: &str) -> Result<(), Refusal> {
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Refusal::BadRefreshToken);
    }
    Ok(())
}

/// The keys of a PSS signup: a list of 1 to 16 base64 secp256k1 public keys.
pub fn public_key_list(given: Option<&Value>) -> Result<&[Value], Refusal> {
    let keys = match given {
        Some(Value::Array(keys)) if !keys.is_empty() && keys.len() <= MAX_PUBLIC_KEYS => keys,
        _ => return Err(Refusal::BadPublicKeyList),
    };
    let is_key = |key: &Value| {
        key.as_str()
            .and_then(signing_key::public_key_from_base64)
            .is_some()
    };
    if !keys.iter().all(is_key) {
        return Err(Refusal::PublicKeyNotBase64);
    }
    Ok(keys)
}

/// A key field given as hex SEC (the key that verifies the merchant's signatures).
pub fn hex_public_key(field: &'static str, given: &str) -> Result<PublicKey, Refusal> {
    signing_key::public_key_from_hex(given).ok_or(Refusal::PublicKeyNotHex(field))
}

/// The `limit` (1 to 1,000, default 100; 0 counts as 1) and `offset` (default 0) of a list.
pub fn page(limit: Option<&str>, offset: Option<&str>) -> Result<(i64, i64), Refusal> {
    let number = |given: Option<&str>, field: &'static str, default: i64, max: i64| match given {
        None => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or(Refusal::PageOutOfRange { field, max }),
    };
    Ok((
        number(limit, "limit", DEFAULT_PAGE, MAX_PAGE)?.max(1),
        number(offset, "offset", 0, i64::from(i32::MAX))?,
    ))
}

/// Refuses a payment to oneself.
pub fn not_to_self(payer: &str, payee: &str) -> Result<(), Refusal> {
    if payer == payee {
        return Err(Refusal::SelfPayment);
    }
    Ok(())
}

/// Refuses a request whose `merchant_id` field names another merchant than the caller.
pub fn named_merchant(caller: &str, named: Option<&str>) -> Result<(), Refusal> {
    match named {
        Some(id) if !id.is_empty() && id != caller => Err(Refusal::OtherMerchant),
        _ => Ok(()),
    }
}

/// What cancelling an on-chain invoice does, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelStep {
    /// Nothing more to do: the answer is this refund transaction (empty when nothing was
    /// received).
    Done(String),
    /// Cancelled, but the hub stopped before the refund was sent: send it now (its key makes it
    /// the same one, if it was).
    Resend,
    /// Pending: cancel it now, then refund what it received.
    Cancel,
}

/// How to cancel an invoice in `status` that holds `held` (and was refunded in `refund_txid`).
pub fn cancel_step(
    status: OnchainInvoiceStatus,
    refund_txid: Option<&str>,
    held: Sat,
) -> Result<CancelStep, Refusal> {
    match status {
        OnchainInvoiceStatus::Canceled if refund_txid.is_some() || held.0 == 0 => Ok(
            CancelStep::Done(refund_txid.unwrap_or_default().to_string()),
        ),
        OnchainInvoiceStatus::Canceled => Ok(CancelStep::Resend),
        OnchainInvoiceStatus::Pending => Ok(CancelStep::Cancel),
        OnchainInvoiceStatus::Settled => Err(Refusal::AlreadySettled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(is_email("shop@example.com"));
        for bad in [
            "shop",
            "@example.com",
            "shop@example",
            "a b@c.de",
            "a@b@c.de",
            "a@.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert_eq!(
            signup_email(" Shop@Example.COM ").as_deref(),
            Ok("shop@example.com")
        );
    }

    #[test]
    fn expiry_is_bounded_and_defaults_to_the_maximum() {
        assert_eq!(expiry(None), Ok(MAX_EXPIRY));
        assert_eq!(expiry(Some(10)), Ok(10));
        assert_eq!(expiry(Some(9)), Err(Refusal::ExpiryTooSmall(9)));
        assert_eq!(expiry(Some(3_601)), Err(Refusal::ExpiryTooBig(3_601)));
        assert_eq!(
            Refusal::ExpiryTooSmall(5).to_string(),
            "expiry is too small, minimal allowed is 10, got: 5"
        );
    }

    #[test]
    fn pages_are_bounded() {
        assert_eq!(page(None, None), Ok((100, 0)));
        assert_eq!(page(Some("0"), Some("5")), Ok((1, 5)));
        assert!(page(Some("1001"), None).is_err());
        assert!(page(None, Some("-1")).is_err());
        assert_eq!(
            page(Some("x"), None).map_err(|r| r.to_string()),
            Err("limit must be a whole number from 0 to 1000".into())
        );
    }

    #[test]
    fn webhook_urls_are_http() {
        assert_eq!(webhook_override(Some(" ")), Ok(None));
        assert_eq!(
            webhook_override(Some("https://shop.example/hook")),
            Ok(Some("https://shop.example/hook".into()))
        );
        assert_eq!(
            webhook_override(Some("ftp://x")),
            Err(Refusal::NotHttpUrl("ntfn_url"))
        );
        assert_eq!(setup_url("notification_url", None), Ok(""));
    }
}
