//! Running the node and reading the services from the operator console, in a real headless
//! Chromium: the node page's figures are the admin API's; a peer is connected and disconnected
//! from the page; the node wallet gives a new address, sends once per form (sent twice, one
//! send) and moves coins to the treasury; a channel's fees are set, a force close without its
//! confirmation is refused and changes nothing, a cooperative close and a confirmed force close
//! close their channels. The service pages show an LSP order in full (not its preimage), the
//! merchants with the balances their API reports and one merchant's payments, escrow
//! transactions by status, notifications by service and ledger entries by posting kind.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::escrow::deal_of;
use crate::harness::browser::{
    attrs, click, csrf_of, screenshot, submit, text, texts, wait_path, Driver,
};
use crate::harness::clients::merchant::Merchant;
use crate::harness::own_node;
use crate::harness::ports::free_addr;
use crate::harness::serve_options::ADMIN_TOKEN;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, Hub, ServeOptions, TestStack};

const SHOTS: &str = "console_ops";

/// Whether the hub lists `peer` as connected (`None`: not listed at all).
async fn peer_state(hub: &Hub, peer: &str) -> Option<bool> {
    let (_, peers) = hub.admin.get("/admin/node/peers").await;
    peers["peers"]
        .as_array()?
        .iter()
        .find(|p| p["node_id"] == peer)
        .and_then(|p| p["connected"].as_bool())
}

async fn sign_in(browser: &Client, base: &str) {
    browser
        .goto(&format!("{base}/console/login"))
        .await
        .expect("sign-in page");
    let token = browser
        .find(Locator::Css("#token"))
        .await
        .expect("token field");
    token.send_keys(ADMIN_TOKEN).await.expect("type");
    click(browser, "#sign-in").await;
    wait_path(browser, "/console").await;
}

async fn fill(browser: &Client, css: &str, value: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn goto(browser: &Client, base: &str, path: &str) {
    browser
        .goto(&format!("{base}{path}"))
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
}

fn channel_of<'a>(channels: &'a Value, peer: &str) -> Option<&'a Value> {
    channels["channels"]
        .as_array()?
        .iter()
        .find(|c| c["peer"] == peer)
}

fn actions_of_kind(actions: &Value, kind: &str) -> usize {
    actions["actions"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|x| x["kind"] == kind).count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_runs_the_node_and_reads_every_service_from_the_console() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let nodes = hub.dev.nodes().await;
    let (alice_id, bob_id) = (nodes.alice.node_id.clone(), nodes.bob.node_id.clone());

    // What the service pages will show.
    let (_, _, escrow_tx, _) = deal_of(&hub.escrow, "console-ops", 2_000).await;
    let (status, order) = hub.lsps1.create(&json!({"remote_balance": 300_000})).await;
    assert_eq!(status, 201, "{order}");
    let order_id = order["id"].as_str().expect("order id").to_string();
    let bolt11 = order["ln_invoice"]
        .as_str()
        .expect("the order's invoice")
        .to_string();
    let shop = Merchant::funded(hub, "console-shop").await;
    let payee = Merchant::sign_up(&hub.merchant, "console-payee", None).await;
    let (status, paid) = shop.pay_internal(&payee.id, 1_000).await;
    assert_eq!(status, 200, "{paid}");
    let (_, url) = Receiver::default().start().await;
    let (status, emitted) = hub
        .dev
        .notify_emit(&json!({"type": "probe", "webhook": url}))
        .await;
    assert!(status.is_success(), "{emitted}");

    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let browser = driver.browser(profile.path()).await;
    sign_in(&browser, &hub.base).await;
    let session = browser
        .get_named_cookie("boltworks_console")
        .await
        .expect("the session cookie")
        .value()
        .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // The node page's figures are the admin API's.
    goto(&browser, &hub.base, "/console/node").await;
    let (_, node) = hub.admin.get("/admin/node").await;
    assert_eq!(
        text(&browser, "#node-id").await,
        node["node_id"].as_str().expect("node id")
    );
    assert_eq!(
        text(&browser, "#node-synced-height").await,
        node["synced_height"].to_string()
    );
    assert_eq!(
        text(&browser, "#node-wallet").await,
        node["wallet"]["total_sat"].to_string()
    );
    screenshot(&browser, SHOTS, "node").await;

    // Connect a node of the test's own with the page's form, then disconnect it from the page.
    // (Not a demo node: those opened their channels to the hub and reconnect by themselves.)
    let peer_dir = tempfile::tempdir().expect("peer dir");
    let peer_listen = free_addr();
    let peer = own_node::start(own_node::builder(
        &stack,
        peer_dir.path(),
        peer_listen,
        |_| {},
    ))
    .await;
    let peer_id = peer.node_id().to_string();
    fill(&browser, "#uri", &format!("{peer_id}@{peer_listen}")).await;
    submit(&browser, "#connect").await;
    wait_path(&browser, "/console/node").await;
    let row = format!("tr[data-peer='{peer_id}']");
    assert_eq!(text(&browser, &format!("{row} td.connected")).await, "yes");
    assert_eq!(peer_state(hub, &peer_id).await, Some(true));
    submit(&browser, &format!("{row} button.disconnect")).await;
    eventually("the peer disconnected", || async {
        (peer_state(hub, &peer_id).await != Some(true)).then_some(())
    })
    .await;
    wait_path(&browser, "/console/node").await;
    peer.stop().expect("the peer stops");

    // The node wallet: a new address; a send (the same form twice sends once); a move to the
    // treasury.
    goto(&browser, &hub.base, "/console/node").await;
    click(&browser, "#new-address").await;
    wait_path(&browser, "/console/node/wallet/address").await;
    assert!(text(&browser, "#value").await.starts_with("bcrt1"));
    goto(&browser, &hub.base, "/console/node").await;
    let send_key = browser
        .find(Locator::Css(
            "form[action='/console/node/wallet/send'] input[name='key']",
        ))
        .await
        .expect("the send form's key")
        .attr("value")
        .await
        .expect("attr")
        .expect("a key");
    let (_, out) = hub.admin.treasury_address("console-ops").await;
    let out = out["address"].as_str().expect("address").to_string();
    fill(&browser, "#send-address", &out).await;
    fill(&browser, "#send-amount", "12000").await;
    submit(&browser, "#send").await;
    eventually("the send recorded", || async {
        let (_, actions) = hub.admin.get("/admin/node/actions").await;
        (actions_of_kind(&actions, "wallet_send") == 1).then_some(())
    })
    .await;
    let resent = client
        .post(format!("{}/console/node/wallet/send", hub.base))
        .header("cookie", format!("boltworks_console={session}"))
        .form(&[
            ("csrf", csrf_of(&browser).await.as_str()),
            ("key", send_key.as_str()),
            ("address", out.as_str()),
            ("amount_sat", "12000"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(resent.status(), 303, "the same form again: answered");
    let bad_amount = client
        .post(format!("{}/console/node/wallet/send", hub.base))
        .header("cookie", format!("boltworks_console={session}"))
        .form(&[
            ("csrf", csrf_of(&browser).await.as_str()),
            ("key", "another-key"),
            ("address", out.as_str()),
            ("amount_sat", "-5"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(bad_amount.status(), 400, "a negative amount is refused");
    goto(&browser, &hub.base, "/console/node").await;
    fill(&browser, "#to-treasury-amount", "15000").await;
    submit(&browser, "#to-treasury").await;
    let actions = eventually("the move recorded, once per form", || async {
        let (_, actions) = hub.admin.get("/admin/node/actions").await;
        (actions_of_kind(&actions, "to_treasury") == 1).then_some(actions)
    })
    .await;
    assert_eq!(actions_of_kind(&actions, "wallet_send"), 1, "{actions}");

    // Channels: set alice's fees; a force close without the confirmation changes nothing.
    goto(&browser, &hub.base, "/console/channels").await;
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    let alice = channel_of(&channels, &alice_id)
        .expect("alice's channel")
        .clone();
    let bob = channel_of(&channels, &bob_id)
        .expect("bob's channel")
        .clone();
    let alice_row = format!(
        "tr[data-channel='{}']",
        alice["user_channel_id"].as_str().expect("channel id")
    );
    click(&browser, &format!("{alice_row} summary")).await;
    fill(&browser, &format!("{alice_row} input.fee-base"), "1500").await;
    fill(&browser, &format!("{alice_row} input.fee-ppm"), "250").await;
    submit(&browser, &format!("{alice_row} button.set-fees")).await;
    eventually("alice's channel charges the new fees", || async {
        let (_, channels) = hub.admin.get("/admin/node/channels").await;
        let alice = channel_of(&channels, &alice_id)?.clone();
        (alice["fee_base_msat"] == 1500 && alice["fee_ppm"] == 250).then_some(())
    })
    .await;
    wait_path(&browser, "/console/channels").await;
    assert_eq!(
        text(&browser, &format!("{alice_row} td.fees")).await,
        "1500 msat + 250 ppm"
    );
    screenshot(&browser, SHOTS, "channels").await;
    click(&browser, &format!("{alice_row} summary")).await;
    click(&browser, &format!("{alice_row} button.force-close")).await;
    assert!(
        crate::harness::browser::wait_text(&browser, "#error")
            .await
            .contains("confirm"),
        "an unconfirmed force close is refused"
    );
    let (_, channels) = hub.admin.get("/admin/node/channels").await;
    assert!(
        channel_of(&channels, &alice_id).is_some(),
        "alice's channel is still open"
    );

    // A confirmed force close of alice's channel, a cooperative close of bob's.
    goto(&browser, &hub.base, "/console/channels").await;
    click(&browser, &format!("{alice_row} summary")).await;
    click(&browser, &format!("{alice_row} input.confirm-force")).await;
    submit(&browser, &format!("{alice_row} button.force-close")).await;
    wait_path(&browser, "/console/channels").await;
    let bob_row = format!(
        "tr[data-channel='{}']",
        bob["user_channel_id"].as_str().expect("channel id")
    );
    click(&browser, &format!("{bob_row} summary")).await;
    submit(&browser, &format!("{bob_row} button.close")).await;
    eventually("both channels closed", || async {
        let (_, channels) = hub.admin.get("/admin/node/channels").await;
        (channel_of(&channels, &alice_id).is_none() && channel_of(&channels, &bob_id).is_none())
            .then_some(())
    })
    .await;

    // An LSP order in full; the hub never shows its preimage (only its hash).
    goto(&browser, &hub.base, "/console/lsp").await;
    click(&browser, &format!("tr[data-order='{order_id}'] a")).await;
    wait_path(&browser, &format!("/console/lsp/{order_id}")).await;
    assert_eq!(text(&browser, "#order-state").await, "CREATED");
    let source = browser.source().await.expect("source");
    assert!(source.contains(&bolt11), "the order's invoice on its page");
    assert!(
        !source.to_lowercase().contains("preimage"),
        "no preimage on the page"
    );
    screenshot(&browser, SHOTS, "lsp-order").await;

    // Merchants: the balances are the merchant API's; one merchant's payments and invoices.
    goto(&browser, &hub.base, "/console/merchants").await;
    for merchant in [&shop, &payee] {
        let shown = text(
            &browser,
            &format!("tr[data-merchant='{}'] td.balance", merchant.id),
        )
        .await;
        assert_eq!(
            shown,
            (merchant.balance().await * 1000).to_string(),
            "{}",
            merchant.email
        );
    }
    assert_eq!(text(&browser, "#merchant-books").await, "yes");
    click(&browser, &format!("tr[data-merchant='{}'] a", shop.id)).await;
    wait_path(&browser, &format!("/console/merchants/{}", shop.id)).await;
    assert_eq!(
        text(&browser, "#merchant-payments tr:nth-child(2) td.status").await,
        "succeeded"
    );
    assert_eq!(
        text(&browser, "#merchant-invoices tr:nth-child(2) td.paid-by").await,
        "lightning"
    );
    screenshot(&browser, SHOTS, "merchant").await;

    // Escrow transactions by status.
    goto(&browser, &hub.base, "/console/escrow?status=needs+invoice").await;
    browser
        .find(Locator::Css(&format!(
            "#transactions tr[data-tx='{escrow_tx}']"
        )))
        .await
        .expect("the new transaction needs its invoice");
    goto(&browser, &hub.base, "/console/escrow?status=paid").await;
    assert!(browser
        .find(Locator::Css(&format!(
            "#transactions tr[data-tx='{escrow_tx}']"
        )))
        .await
        .is_err());

    // Notifications by service: the page's log is the admin API's, for the dev probe and for
    // escrow's own notifications, and each row is of the service asked for.
    for service in ["dev", "escrow"] {
        let (_, listed) = hub
            .admin
            .get(&format!("/admin/notifications?service={service}"))
            .await;
        let wanted: Vec<String> = listed["notifications"]
            .as_array()
            .expect("notifications")
            .iter()
            .map(|n| n["event_id"].as_str().expect("event id").to_string())
            .collect();
        goto(
            &browser,
            &hub.base,
            &format!("/console/notifications?service={service}"),
        )
        .await;
        let events = attrs(&browser, "#recent td.status", "data-event").await;
        assert_eq!(events, wanted, "{service}");
        let services = texts(&browser, "#recent td.service").await;
        assert!(services.iter().all(|s| s == service), "{services:?}");
    }
    let (_, dev) = hub.admin.get("/admin/notifications?service=dev").await;
    assert!(dev["notifications"]
        .as_array()
        .is_some_and(|n| n.iter().any(|n| n["event_id"] == emitted["event_ids"][0])));

    // Ledger entries by posting kind, the same as the admin API's.
    let (_, ledger) = hub.admin.get("/admin/ledger").await;
    let account = ledger["accounts"][0]["account"]
        .as_str()
        .expect("an account")
        .to_string();
    let query = format!("/admin/ledger/entries?account={}", urlencode(&account));
    let (status, all) = hub.admin.get(&query).await;
    assert_eq!(status, 200, "{all}");
    let kind = all["entries"][0]["kind"]
        .as_str()
        .expect("an entry")
        .to_string();
    let (_, of_kind) = hub
        .admin
        .get(&format!("{query}&kind={}", urlencode(&kind)))
        .await;
    let wanted = of_kind["entries"].as_array().expect("entries").len();
    goto(
        &browser,
        &hub.base,
        &format!(
            "/console/ledger?account={}&kind={}",
            urlencode(&account),
            urlencode(&kind)
        ),
    )
    .await;
    let rows = browser
        .find_all(Locator::Css("#entries tr td:nth-child(3)"))
        .await
        .expect("rows");
    assert_eq!(
        rows.len(),
        wanted,
        "the page lists the API's entries of {kind}"
    );
    for row in rows {
        assert_eq!(row.text().await.expect("text"), kind);
    }
    let (status, _) = hub
        .admin
        .get("/admin/ledger/entries?account=x&before=soon")
        .await;
    assert_eq!(status, 400);
    let (status, _) = hub.admin.get("/admin/ledger/entries").await;
    assert_eq!(status, 400);
    browser.close().await.expect("close");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
