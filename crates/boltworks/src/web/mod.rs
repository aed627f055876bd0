//! Pages for people: server-rendered HTML with a little inline script, no build step. Every
//! page gets a strict Content-Security-Policy (scripts only with the page's nonce, no outside
//! requests), `no-referrer` (gift links are bearer secrets) and `no-store`. Everything
//! interpolated into HTML goes through `escape`.

pub mod gift_pages;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use rand::RngCore;

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A QR code of `text` as an SVG `data:` URI for an `<img>`, or `None` if it does not fit.
pub fn qr_data_uri(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(280, 280)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// A whole HTML page.
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// `<title>`, plain text.
    pub title: String,
    /// The `<main>` content, already escaped HTML.
    pub body: String,
    /// Inline script, run with the page's nonce.
    pub script: Option<String>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#faf7f2;color:#222}\
main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 2px 10px #0001}\
h1{font-size:1.5rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem;font-weight:600}\
input,textarea{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #bbb;border-radius:6px}\
textarea{font-family:monospace;font-size:.8rem}button{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;border:0;border-radius:6px;background:#f7931a;color:#fff;cursor:pointer}\
.qr{display:block;margin:1rem auto;width:280px;height:280px;image-rendering:pixelated}\
.note{padding:.7rem;border-radius:6px;background:#eef}.error{background:#fdd}.ok{background:#dfd}\
.mono{font-family:monospace;word-break:break-all;font-size:.8rem}.amount{font-size:2rem;font-weight:700}";

/// A fresh nonce for a page's inline script and style.
pub fn nonce() -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    hex::encode(nonce)
}

/// `html` as a page under the pages' strict policy: scripts and styles only with `nonce`, no
/// outside requests, forms only to the hub, `no-referrer`, `no-store`.
pub fn html_response(status: StatusCode, html: String, nonce: &str) -> Response {
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let nonce = nonce();
        let script = self
            .script
            .map(|s| format!("<script nonce=\"{nonce}\">{s}</script>"))
            .unwrap_or_default();
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
             <title>{title}</title><style nonce=\"{nonce}\">{STYLE}</style></head>\
             <body><main>{body}</main>{script}</body></html>",
            title = escape(&self.title),
            body = self.body,
        );
        html_response(self.status, html, &nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn a_qr_code_is_an_svg_data_uri() {
        let uri = qr_data_uri("LNURL1DP68GURN8GHJ7").expect("fits");
        assert!(uri.starts_with("data:image/svg+xml;base64,"));
    }
}
