//! The operator console in a real headless Chromium: the operator signs in with the token (a
//! wrong one is refused), the overview's figures equal the admin API's, a failed notification is
//! redelivered from its page and arrives, an escrow dispute is resolved from its page and the
//! seller can then fetch the preimage, and signing out ends the session. A POST without the
//! session, or with the session but a wrong CSRF token, is refused and changes nothing. The
//! landing page links the docs, the gift pages and the console. Screenshots land in
//! `target/tmp/test-artifacts/console/`.

use fantoccini::Locator;
use serde_json::json;

use crate::escrow::deal_of;
use crate::harness::browser::{
    click, csrf_of, screenshot, submit, text, wait_path, wait_text, Driver,
};
use crate::harness::serve_options::ADMIN_TOKEN;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, ServeOptions, TestStack};

/// A disputed escrow transaction whose seller's invoice is bob's hold invoice: (seller, tx).
async fn disputed(stack: &TestStack, tag: &str) -> (String, String) {
    let escrow = &stack.hub.escrow;
    let (seller, _buyer, tx, pmthash) = deal_of(escrow, tag, 1_000).await;
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .success();
    escrow
        .goods_sent(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    escrow
        .dispute(json!({"session_id": seller, "tx": tx, "reason": "buyer silent"}))
        .await
        .success();
    (seller, tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_signs_in_reads_the_overview_and_acts_from_the_pages() {
    // A notification whose target fails once is given up at once (a one-second retry window).
    let stack = TestStack::builder()
        .demo_nodes()
        .flags(&[("notify-retry-window", "1")])
        .build()
        .await;
    let hub = &stack.hub;
    let (receiver, url) = Receiver {
        statuses: std::sync::Arc::new(std::sync::Mutex::new(vec![500])),
        ..Receiver::default()
    }
    .start()
    .await;
    let (status, emitted) = hub
        .dev
        .notify_emit(&json!({"type": "probe", "webhook": url}))
        .await;
    assert!(status.is_success(), "{emitted}");
    let event_id = emitted["event_ids"][0].as_str().expect("id").to_string();
    eventually("the notification failed", || async {
        let (_, record) = hub.admin.notification(&event_id).await;
        (record["status"] == "failed").then_some(())
    })
    .await;
    // A gift funded by alice: money received over Lightning, for the overview's chart.
    crate::harness::clients::gifts::funded_gift(hub, 2_500, None).await;
    let (seller, tx) = disputed(&stack, "console").await;
    let (_, untouched_tx) = disputed(&stack, "console-csrf").await;

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = driver.browser(profile.path()).await;

    // The landing page.
    browser
        .goto(&format!("{}/", hub.base))
        .await
        .expect("landing");
    for link in ["/docs", "/console"] {
        browser
            .find(Locator::Css(&format!("a[href='{link}']")))
            .await
            .unwrap_or_else(|e| panic!("a link to {link}: {e}"));
    }
    screenshot(&browser, "console", "landing").await;

    // Unsigned, the console sends to the sign-in page; a wrong token is refused.
    browser
        .goto(&format!("{}/console", hub.base))
        .await
        .expect("console");
    wait_path(&browser, "/console/login").await;
    let token = browser
        .find(Locator::Css("#token"))
        .await
        .expect("token field");
    token.send_keys("not-the-token").await.expect("type");
    click(&browser, "#sign-in").await;
    assert!(wait_text(&browser, "#error")
        .await
        .contains("not the operator token"));
    let token = browser
        .find(Locator::Css("#token"))
        .await
        .expect("token field");
    token.send_keys(ADMIN_TOKEN).await.expect("type");
    click(&browser, "#sign-in").await;
    wait_path(&browser, "/console").await;
    screenshot(&browser, "console", "overview").await;

    // The overview's figures are the admin API's.
    let (_, node) = hub.admin.get("/admin/node").await;
    assert_eq!(
        text(&browser, "#node-wallet-total").await,
        node["wallet"]["total_sat"].to_string()
    );
    assert_eq!(
        text(&browser, "#usable-channels").await,
        node["usable_channels"].to_string()
    );
    assert_eq!(
        text(&browser, "#synced-height").await,
        node["synced_height"].to_string()
    );
    assert_eq!(text(&browser, "#books-ledger_balanced").await, "holds");
    assert_eq!(text(&browser, "#books-merchant_books").await, "holds");
    assert_eq!(text(&browser, "#outbox-failed").await, "1");
    assert_eq!(
        text(&browser, "tr[data-service='gift'] td.received").await,
        "2500",
        "the funded gift in the chart"
    );

    // A POST with the session but a wrong CSRF token is refused and changes nothing; without the
    // session it is sent to sign in.
    let cookie = browser
        .get_named_cookie("boltworks_console")
        .await
        .expect("the session cookie");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(
        cookie.same_site().map(|s| s.to_string()),
        Some("Strict".to_string())
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resolve = format!("{}/console/escrow/{untouched_tx}/resolve", hub.base);
    let forged = client
        .post(&resolve)
        .header("cookie", format!("boltworks_console={}", cookie.value()))
        .form(&[("csrf", "forged"), ("resolution", "release")])
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 403);
    let anonymous = client
        .post(&resolve)
        .form(&[("csrf", "forged"), ("resolution", "release")])
        .send()
        .await
        .expect("answer");
    assert_eq!(anonymous.status(), 303);
    let redeliver = format!("{}/console/notifications/{event_id}/redeliver", hub.base);
    let forged = client
        .post(&redeliver)
        .header("cookie", format!("boltworks_console={}", cookie.value()))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .expect("answer");
    assert_eq!(forged.status(), 403);
    let (_, record) = hub.admin.notification(&event_id).await;
    assert_eq!(record["status"], "failed", "nothing redelivered: {record}");

    // Redeliver the failed notification from its page: it arrives.
    browser
        .goto(&format!("{}/console/notifications", hub.base))
        .await
        .expect("notifications");
    screenshot(&browser, "console", "notifications").await;
    submit(
        &browser,
        &format!("button.redeliver[data-event='{event_id}']"),
    )
    .await;
    eventually("the redelivered notification arrives", || async {
        let (_, record) = hub.admin.notification(&event_id).await;
        (record["status"] == "delivered").then_some(())
    })
    .await;
    assert_eq!(
        receiver
            .seen()
            .iter()
            .filter(|r| r.event_id == event_id)
            .count(),
        2
    );

    // Resolve a dispute from the escrow page: the seller can fetch the preimage; the other
    // dispute (the forged request's) is still open.
    browser
        .goto(&format!("{}/console/escrow", hub.base))
        .await
        .expect("escrow");
    screenshot(&browser, "console", "escrow").await;
    submit(
        &browser,
        &format!("#disputes tr[data-tx='{tx}'] button.release"),
    )
    .await;
    eventually("the page reloaded without the resolved dispute", || async {
        let url = browser.current_url().await.ok()?;
        let gone = browser
            .find(Locator::Css(&format!("#disputes tr[data-tx='{tx}']")))
            .await
            .is_err();
        (url.path() == "/console/escrow" && gone).then_some(())
    })
    .await;
    let released = hub
        .escrow
        .get_preimage(json!({"session_id": seller, "tx": tx}))
        .await
        .success();
    assert_eq!(released["preimage"].as_str().map(str::len), Some(64));
    browser
        .find(Locator::Css(&format!(
            "#disputes tr[data-tx='{untouched_tx}']"
        )))
        .await
        .expect("the other dispute is still open");

    // Open a channel to bob from the channels page; sent twice (the same form), it opens once,
    // and it is usable after mining.
    browser
        .goto(&format!("{}/console/channels", hub.base))
        .await
        .expect("channels");
    let nodes = hub.dev.nodes().await;
    let bob = format!("{}@{}", nodes.bob.node_id, nodes.bob.address);
    let source = browser.source().await.expect("source");
    assert!(
        source.contains("open-channel"),
        "the channels page: {source}"
    );
    let form_key = browser
        .find(Locator::Css("input[name='key']"))
        .await
        .expect("the form's key")
        .attr("value")
        .await
        .expect("attr")
        .expect("a key");
    for (css, value) in [("#peer", bob.as_str()), ("#capacity", "200000")] {
        let field = browser.find(Locator::Css(css)).await.expect("field");
        field.send_keys(value).await.expect("type");
    }
    submit(&browser, "#open-channel").await;
    eventually("the open recorded", || async {
        let (_, actions) = hub.admin.get("/admin/node/actions").await;
        (!actions["actions"].as_array()?.is_empty()).then_some(())
    })
    .await;
    let resent = client
        .post(format!("{}/console/channels", hub.base))
        .header("cookie", format!("boltworks_console={}", cookie.value()))
        .form(&[
            ("csrf", csrf_of(&browser).await.as_str()),
            ("key", form_key.as_str()),
            ("peer", bob.as_str()),
            ("capacity_sat", "200000"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(
        resent.status(),
        303,
        "the same form again: answered, not opened again"
    );
    let ucid = eventually("the channel funded", || async {
        let (_, actions) = hub.admin.get("/admin/node/actions").await;
        let action = actions["actions"].as_array()?.first()?.clone();
        (action["state"] == "funded")
            .then(|| action["user_channel_id"].as_str().map(str::to_string))?
    })
    .await;
    hub.dev.wait_funding_broadcast("hub", &ucid).await;
    hub.dev.mine(6).await;
    eventually("the channel usable on the page", || async {
        browser.refresh().await.ok()?;
        let cell = browser
            .find(Locator::Css("tr[data-capacity='200000'] td.usable"))
            .await
            .ok()?;
        (cell.text().await.ok()? == "yes").then_some(())
    })
    .await;
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let opened = channels["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|c| c["capacity_sat"] == 200_000)
        .count();
    assert_eq!(opened, 1, "one channel for the form sent twice");
    screenshot(&browser, "console", "channels").await;

    // LSP orders and gifts, narrowed by state.
    let (status, order) = hub.lsps1.create(&json!({"remote_balance": 400_000})).await;
    assert_eq!(status, 201, "{order}");
    let order_id = order["id"].as_str().expect("id").to_string();
    let gift = hub.gifts.create_ok(&json!({"amount": 1_500})).await;
    let gift_id = gift["order_id"].as_str().expect("order id").to_string();
    browser
        .goto(&format!("{}/console/lsp?state=CREATED", hub.base))
        .await
        .expect("lsp");
    assert_eq!(
        text(&browser, &format!("tr[data-order='{order_id}'] td.state")).await,
        "CREATED"
    );
    screenshot(&browser, "console", "lsp").await;
    browser
        .goto(&format!("{}/console/lsp?state=OPEN", hub.base))
        .await
        .expect("lsp");
    assert!(browser
        .find(Locator::Css(&format!("tr[data-order='{order_id}']")))
        .await
        .is_err());
    browser
        .goto(&format!("{}/console/gifts?status=unpaid", hub.base))
        .await
        .expect("gifts");
    browser
        .find(Locator::Css(&format!("tr[data-gift='{gift_id}']")))
        .await
        .expect("the unpaid gift");
    let bad = client
        .get(format!("{}/console/gifts?status=lost", hub.base))
        .header("cookie", format!("boltworks_console={}", cookie.value()))
        .send()
        .await
        .expect("answer");
    assert_eq!(bad.status(), 400);

    // The ledger: balanced, and an account's entries a click away (a send from the node wallet
    // posts one).
    let (_, out) = hub.admin.treasury_address("elsewhere").await;
    let send = json!({"key": "console-send", "address": out["address"], "amount_sat": 10_000});
    let (status, sent) = hub.admin.post("/admin/node/wallet/send", &send).await;
    assert_eq!(status, 200, "{sent}");
    browser
        .goto(&format!("{}/console/ledger", hub.base))
        .await
        .expect("ledger");
    assert_eq!(text(&browser, "#ledger-total").await, "0");
    click(&browser, "#trial-balance a").await;
    browser
        .find(Locator::Css("#entries"))
        .await
        .expect("the account's entries");
    screenshot(&browser, "console", "ledger").await;

    // Sign out: the session is gone.
    click(&browser, "#sign-out").await;
    wait_path(&browser, "/console/login").await;
    let after = client
        .get(format!("{}/console", hub.base))
        .header("cookie", format!("boltworks_console={}", cookie.value()))
        .send()
        .await
        .expect("answer");
    assert_eq!(after.status(), 303, "the old session cookie opens nothing");
    browser.close().await.expect("close");
}
