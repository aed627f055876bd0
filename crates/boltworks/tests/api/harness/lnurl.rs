//! LNURL as a wallet sees it: the bech32 string decoded to its URL, and a plain GET of it.

use serde_json::Value;

/// The URL in a bech32 LNURL (LUD-01), checking its prefix.
pub fn decode(lnurl: &str) -> String {
    let (hrp, data) = bech32::decode(lnurl).expect("bech32");
    assert_eq!(hrp.as_str(), "lnurl");
    String::from_utf8(data).expect("a URL")
}

/// GETs `url` as an LNURL wallet does, returning the JSON answer.
pub async fn get(url: impl reqwest::IntoUrl) -> Value {
    reqwest::get(url)
        .await
        .expect("GET")
        .json()
        .await
        .expect("json")
}
