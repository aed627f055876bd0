//! The gifts pages in a real headless Chromium (Debian's, driven through ChromeDriver): a
//! person creates a gift, pays its invoice (alice's node), gets the link, and the receiver
//! redeems it by pasting bob's invoice, watching the status change live. The QR code on the
//! redeem page is decoded from a screenshot and must be the gift's LNURL. Screenshots land in
//! `target/tmp/test-artifacts/gift_pages/`.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::harness::browser::{artifacts, screenshot, Driver};
use crate::harness::clients::gifts::{assert_books_balance, funded_gift};
use crate::harness::invoices::preimage_and_hash;
use crate::harness::{eventually, ServeOptions, TestStack};

/// Waits until the element is displayed and its text contains `wanted`.
async fn wait_text(browser: &Client, css: &str, wanted: &str) -> String {
    eventually(&format!("{css} to show '{wanted}'"), || async {
        let element = browser.find(Locator::Css(css)).await.ok()?;
        let text = element.text().await.ok()?;
        (element.is_displayed().await.ok()? && text.contains(wanted)).then_some(text)
    })
    .await
}

/// The content of the QR code in the element's screenshot.
async fn decode_qr(browser: &Client, css: &str) -> String {
    let png = browser
        .find(Locator::Css(css))
        .await
        .expect("QR element")
        .screenshot()
        .await
        .expect("element screenshot");
    std::fs::write(artifacts("gift_pages").join("lnurl-qr.png"), &png).expect("save");
    let image = image::load_from_memory(&png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the screenshot");
    grids[0].decode().expect("decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_creates_pays_shares_and_redeems_a_gift_in_a_real_browser() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = driver.browser(profile.path()).await;

    // Create.
    browser
        .goto(&format!("{}/gifts/", hub.base))
        .await
        .expect("create page");
    browser
        .find(Locator::Css("#amount"))
        .await
        .expect("amount")
        .send_keys("1500")
        .await
        .expect("type");
    browser
        .find(Locator::Css("#senderName"))
        .await
        .expect("name")
        .send_keys("Ann <b>")
        .await
        .expect("type");
    browser
        .find(Locator::Css("#senderMessage"))
        .await
        .expect("message")
        .send_keys("Happy birthday!")
        .await
        .expect("type");
    screenshot(&browser, "gift_pages", "1-create").await;
    browser
        .find(Locator::Css("#create"))
        .await
        .expect("button")
        .click()
        .await
        .expect("submit");

    // Pay: the page shows the invoice (and its QR code), then the link once paid.
    wait_text(&browser, "#status", "Waiting for payment").await;
    assert!(browser
        .current_url()
        .await
        .expect("url")
        .path()
        .starts_with("/gifts/pay/"));
    let invoice = browser
        .find(Locator::Css("#invoice"))
        .await
        .expect("invoice")
        .prop("value")
        .await
        .expect("value")
        .expect("an invoice");
    assert!(invoice.starts_with("lnbcrt15u"), "{invoice}");
    assert!(browser.find(Locator::Css("#invoice-qr")).await.is_ok());
    screenshot(&browser, "gift_pages", "2-pay").await;
    hub.dev.pay("alice", &invoice).await.expect("alice pays");
    wait_text(&browser, "#paid", "Paid!").await;
    let link = browser
        .find(Locator::Css("#gift-link"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");
    screenshot(&browser, "gift_pages", "3-paid").await;
    let order_id = link.rsplit('/').next().expect("id").to_string();

    // Redeem: amount and sender shown (escaped), the LNURL QR code decodes to the gift's LNURL.
    browser.goto(&link).await.expect("redeem page");
    assert_eq!(wait_text(&browser, "#amount", "1500").await, "1500");
    assert_eq!(wait_text(&browser, "#sender", "Ann").await, "Ann <b>");
    let (_, gift) = hub.gifts.gift(&order_id).await;
    let lnurl = gift["lnurl"].as_str().expect("lnurl").to_uppercase();
    assert_eq!(decode_qr(&browser, "#lnurl-qr").await, lnurl);
    screenshot(&browser, "gift_pages", "4-redeem").await;
    let bob = hub.dev.invoice("bob", 1_500_000).await;
    browser
        .find(Locator::Css("#invoice"))
        .await
        .expect("field")
        .send_keys(&bob.bolt11)
        .await
        .expect("paste");
    browser
        .find(Locator::Css("#redeem-button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("redeem");
    wait_text(&browser, "#status", "Redeemed!").await;
    screenshot(&browser, "gift_pages", "5-redeemed").await;
    let paid = hub
        .dev
        .wait_payment("bob", &bob.payment_hash, "succeeded")
        .await;
    assert_eq!(paid.amount_msat, Some(1_500_000));

    // Coming back later, or with a wrong link, says so plainly.
    browser.refresh().await.expect("reload");
    wait_text(&browser, "#status", "already been redeemed").await;
    browser
        .goto(&format!("{}/gifts/redeem/{}", hub.base, "0".repeat(48)))
        .await
        .expect("unknown gift");
    wait_text(&browser, "#status", "There is no gift").await;
    screenshot(&browser, "gift_pages", "6-unknown").await;
    browser.close().await.expect("close");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_redeem_page_shows_refusals_and_a_pending_redemption() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = driver.browser(profile.path()).await;
    let gift = funded_gift(hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id");
    browser
        .goto(&format!("{}/gifts/redeem/{order_id}", hub.base))
        .await
        .expect("redeem page");
    // A wrong amount is refused in words.
    let wrong = hub.dev.invoice("bob", 999_000).await;
    browser
        .find(Locator::Css("#invoice"))
        .await
        .expect("field")
        .send_keys(&wrong.bolt11)
        .await
        .expect("paste");
    browser
        .find(Locator::Css("#redeem-button"))
        .await
        .expect("button")
        .click()
        .await
        .expect("redeem");
    wait_text(&browser, "#status", "exactly the gift's amount").await;
    screenshot(&browser, "gift_pages", "7-wrong-amount").await;
    // A redemption in flight elsewhere (bob holds it) shows as pending, live.
    let (_, hash) = preimage_and_hash();
    let held = hub.dev.hold_invoice("bob", 1_000_000, &hash).await;
    let (status, _) = hub.gifts.redeem_invoice(order_id, &held.bolt11).await;
    assert_eq!(status, 200);
    wait_text(&browser, "#status", "in progress").await;
    // In progress at the hub as soon as it is claimed; bob can fail it only once it reached him.
    hub.dev
        .wait_payment("bob", &held.payment_hash, "held")
        .await;
    hub.dev.fail("bob", &hash).await.expect("bob fails it");
    wait_text(&browser, "#status", "The payout failed").await;
    screenshot(&browser, "gift_pages", "8-failed").await;
    let redeem_visible = browser
        .find(Locator::Css("#redeem"))
        .await
        .expect("form")
        .is_displayed()
        .await
        .expect("displayed");
    assert!(redeem_visible, "the gift can be redeemed again");
    let (_, view): (_, Value) = hub.gifts.gift(order_id).await;
    assert_eq!(view["spent"], false);
    assert_books_balance(hub).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    browser.close().await.expect("close");
    stack.stop().await;
}
