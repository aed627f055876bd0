//! LNURL (LUD-01): a URL encoded as bech32 with the human-readable part `lnurl`, for wallets
//! and QR codes. Shared by the services that hand out LNURLs (gifts' withdraw links, the LSP's
//! channel requests). Encoding is lowercase; QR codes use the uppercase form, which is denser.

use bech32::{Bech32, Hrp};

/// The human-readable part of every LNURL.
const HRP: &str = "lnurl";

/// Why a string is not an LNURL.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an LNURL: {0}")]
pub struct NotAnLnurl(String);

/// The lowercase bech32 LNURL of `url`. Bech32's 90-character limit does not apply (LUD-01);
/// URLs up to 1,023 characters of code are supported, far beyond any URL the hub makes.
pub fn encode(url: &str) -> Result<String, NotAnLnurl> {
    let hrp = Hrp::parse(HRP).map_err(|e| NotAnLnurl(e.to_string()))?;
    bech32::encode::<Bech32>(hrp, url.as_bytes()).map_err(|e| NotAnLnurl(e.to_string()))
}

/// The URL inside an LNURL (either case, with or without a `lightning:` prefix).
pub fn decode(lnurl: &str) -> Result<String, NotAnLnurl> {
    let text = lnurl.trim();
    let text = text
        .strip_prefix("lightning:")
        .or_else(|| text.strip_prefix("LIGHTNING:"))
        .unwrap_or(text);
    let (hrp, data) = bech32::decode(text).map_err(|e| NotAnLnurl(e.to_string()))?;
    if !hrp.as_str().eq_ignore_ascii_case(HRP) {
        return Err(NotAnLnurl(format!("prefix is '{}', not 'lnurl'", hrp)));
    }
    String::from_utf8(data).map_err(|_| NotAnLnurl("the URL is not UTF-8".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LUD-01's own example.
    const URL: &str = "https://service.com/api?q=3fc3645b439ce8e7f2553a69e5267081d96dcd340693afabe04be7b0ccd178df";
    const LNURL: &str = "LNURL1DP68GURN8GHJ7UM9WFMXJCM99E3K7MF0V9CXJ0M385EKVCENXC6R2C35XVUKXEFCV5MKVV34X5EKZD3EV56NYD3HXQURZEPEXEJXXEPNXSCRVWFNV9NXZCN9XQ6XYEFHVGCXXCMYXYMNSERXFQ5FNS";

    #[test]
    fn the_lud01_test_vector_round_trips() {
        assert_eq!(encode(URL).expect("encode").to_uppercase(), LNURL);
        assert_eq!(decode(LNURL).expect("decode"), URL);
        assert_eq!(decode(&LNURL.to_lowercase()).expect("decode"), URL);
        assert_eq!(decode(&format!("lightning:{LNURL}")).expect("decode"), URL);
    }

    #[test]
    fn other_strings_are_refused() {
        assert!(decode("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq").is_err());
        assert!(decode("lnurl1notbech32").is_err());
        assert!(decode("").is_err());
    }
}
