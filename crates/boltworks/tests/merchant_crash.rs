//! A hub killed with SIGKILL during a merchant's outgoing Lightning payment: after a restart
//! the payment ends as the node recorded it, and the balance is debited exactly once (the node
//! paid) or not at all (the node never had it).

mod common;

use common::hub_process::{scene, wait_for_pause, HubProcess};
use common::merchant_client::{assert_books_exact, Merchant};
use common::{eventually, preimage_and_hash, HubClient};

async fn funded_merchant(hub: &HubClient) -> Merchant {
    let merchant = Merchant::sign_up(hub, "shop", None).await;
    let invoice = merchant.invoice(hub, 20_000).await;
    hub.pay(
        "alice",
        invoice["payment_request"].as_str().expect("bolt11"),
    )
    .await
    .expect("alice pays");
    eventually("the merchant to be credited", || async {
        (merchant.balance().await == 19_800).then_some(())
    })
    .await;
    merchant
}

/// The merchant pays 5000 sats to `bolt11` in a task (the request stops at the hub's pause
/// point, and dies with the hub).
fn pay_in_background(merchant: &Merchant, bolt11: &str) -> tokio::task::JoinHandle<()> {
    let http = merchant.http.clone();
    let url = format!("{}/api/v2/payment/outgoing/lightning", merchant.base);
    let token = merchant.access_token.clone();
    let signature = merchant.sign(&["5000", bolt11]);
    let body = serde_json::json!({"payment_request": bolt11, "amount": "5000"});
    tokio::spawn(async move {
        let _ = http
            .post(url)
            .bearer_auth(token)
            .header("X-Signature", signature)
            .json(&body)
            .send()
            .await;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_the_payment_is_in_flight_it_is_debited_once_when_the_node_settles() {
    let scene = scene("merchant_crash", "after_send");
    let first = HubProcess::start(
        &scene.data,
        Some("merchant.outgoing.after_send"),
        &scene.marker,
    )
    .await;
    let mut merchant = funded_merchant(&first.hub).await;
    let (preimage, hash) = preimage_and_hash();
    let invoice = first.hub.hold_invoice("bob", 5_000_000, &hash).await;
    let paying = pay_in_background(&merchant, &invoice.bolt11);
    wait_for_pause(&scene.marker).await;
    first.hub.wait_payment("bob", &hash, "held").await;
    first.kill();
    paying.abort();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    merchant.base = second.hub.base.clone();
    // In flight at the node: reserved, not yet final.
    // 5000 sats and the default fee reserve, 0.5% of it.
    let reserve_msat = 5_000_000 + 25_000;
    assert_eq!(
        merchant.balance().await,
        (19_800_000 - reserve_msat) / 1_000
    );
    second
        .hub
        .claim("bob", &hash, &preimage)
        .await
        .expect("bob settles");
    second.hub.wait_payment("bob", &hash, "succeeded").await;
    let books = eventually("the payment to be final", || async {
        let books = assert_books_exact(&second.hub).await;
        (books["merchant"]["payouts_in_flight_msat"] == 0).then_some(books)
    })
    .await;
    assert_eq!(
        books["merchant"]["balances_msat"],
        19_800_000 - 5_000_000,
        "debited once, no fee on bob's channel: {books}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_the_node_took_the_payment_nothing_is_debited() {
    let scene = scene("merchant_crash", "before_send");
    let first = HubProcess::start(
        &scene.data,
        Some("merchant.outgoing.before_send"),
        &scene.marker,
    )
    .await;
    let mut merchant = funded_merchant(&first.hub).await;
    let invoice = first.hub.invoice("bob", 5_000_000).await;
    let paying = pay_in_background(&merchant, &invoice.bolt11);
    wait_for_pause(&scene.marker).await;
    assert!(
        merchant.balance().await < 19_800,
        "the reserve was taken before sending"
    );
    first.kill();
    paying.abort();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    merchant.base = second.hub.base.clone();
    assert_eq!(
        merchant.balance().await,
        19_800,
        "never sent: all of it back"
    );
    assert!(second
        .hub
        .payment("bob", &invoice.payment_hash)
        .await
        .map_or(true, |p| p.status != "succeeded"));
    let books = assert_books_exact(&second.hub).await;
    assert_eq!(books["merchant"]["payouts_in_flight_msat"], 0, "{books}");
}
