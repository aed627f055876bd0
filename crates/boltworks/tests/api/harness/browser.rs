//! A real headless Chromium (Debian's), driven through ChromeDriver, for the page tests, and what
//! those tests do with a page: read a text, click, wait for a navigation, keep a screenshot (in
//! `target/tmp/test-artifacts/`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::ports::free_addr;
use super::wait::eventually;

/// ChromeDriver on a free loopback port, killed on drop.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let port = free_addr().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (scripts/test.sh installs Debian's chromium-driver)");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let status = format!("{}/status", driver.url);
        eventually("chromedriver to answer", || async {
            reqwest::get(&status)
                .await
                .ok()?
                .status()
                .is_success()
                .then_some(())
        })
        .await;
        driver
    }

    pub async fn browser(&self, profile: &std::path::Path) -> Client {
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,1400",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": "/usr/bin/chromium", "args": args}),
        );
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory of screenshots kept as test artifacts, `dir` below them.
pub fn artifacts(dir: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("test-artifacts")
        .join(dir);
    std::fs::create_dir_all(&dir).expect("artifact dir");
    dir
}

/// Keeps a screenshot of the page open in `browser` as `dir/name.png` of the artifacts.
pub async fn screenshot(browser: &Client, dir: &str, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    std::fs::write(artifacts(dir).join(format!("{name}.png")), png).expect("save screenshot");
}

/// The text of the element `css` names (which must be there).
pub async fn text(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

/// The text of every element `css` names, in page order.
pub async fn texts(browser: &Client, css: &str) -> Vec<String> {
    let mut texts = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await.expect("find") {
        texts.push(element.text().await.expect("text"));
    }
    texts
}

/// The attribute `name` of every element `css` names, in page order.
pub async fn attrs(browser: &Client, css: &str, name: &str) -> Vec<String> {
    let mut values = Vec::new();
    for element in browser.find_all(Locator::Css(css)).await.expect("find") {
        values.push(element.attr(name).await.expect("attr").unwrap_or_default());
    }
    values
}

/// Clicks the element `css` names (which must be there).
pub async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// Clicks `css`, a form's button, and waits until the page the form leads to has loaded: the
/// old document gone (its root element stale) and the new one complete. A form that answers with
/// a redirect back to the same path leaves the URL as it was, so the URL cannot tell.
pub async fn submit(browser: &Client, css: &str) {
    let old = browser
        .find(Locator::Css("html"))
        .await
        .expect("the page's root");
    click(browser, css).await;
    eventually(&format!("the page after {css}"), || async {
        let gone = old.tag_name().await.is_err();
        let state = browser
            .execute("return document.readyState", Vec::new())
            .await
            .ok()?;
        (gone && state == "complete").then_some(())
    })
    .await
}

/// The CSRF token of the page open in `browser` (once it has loaded).
pub async fn csrf_of(browser: &Client) -> String {
    eventually("a form with its token", || async {
        browser
            .find(Locator::Css("input[name='csrf']"))
            .await
            .ok()?
            .attr("value")
            .await
            .ok()?
    })
    .await
}

/// Waits until the browser shows `path` (a click's navigation has completed).
pub async fn wait_path(browser: &Client, path: &str) {
    eventually(&format!("the browser at {path}"), || async {
        (browser.current_url().await.ok()?.path() == path).then_some(())
    })
    .await
}

/// Waits until the page shows `css`, and its text.
pub async fn wait_text(browser: &Client, css: &str) -> String {
    eventually(&format!("{css} on the page"), || async {
        browser
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()
    })
    .await
}
