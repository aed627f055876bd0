//! A hub killed with SIGKILL during a merchant's outgoing Lightning payment: after a restart
//! the payment ends as the node recorded it, and the balance is debited exactly once (the node
//! paid) or not at all (the node never had it).

use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::eventually;
use crate::harness::invoices::preimage_and_hash;
use crate::harness::process::Scene;

/// The merchant pays 5000 sats to `bolt11` in a task (the request stops at the hub's pause
/// point, and dies with the hub).
fn pay_in_background(merchant: &Merchant, bolt11: &str) -> tokio::task::JoinHandle<()> {
    let request = merchant.pay_invoice_request(bolt11, 5000);
    tokio::spawn(async move {
        let _ = request.send().await;
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_the_payment_is_in_flight_it_is_debited_once_when_the_node_settles() {
    let scene = Scene::new("merchant_crash", "after_send");
    let first = scene
        .hub()
        .pause_at("merchant.outgoing.after_send")
        .start()
        .await;
    let mut merchant = Merchant::funded(&first.hub, "shop").await;
    let (preimage, hash) = preimage_and_hash();
    let invoice = first.hub.dev.hold_invoice("bob", 5_000_000, &hash).await;
    let paying = pay_in_background(&merchant, &invoice.bolt11);
    scene.wait_for_pause().await;
    first.hub.dev.wait_payment("bob", &hash, "held").await;
    first.kill();
    paying.abort();

    let second = scene.hub().start().await;
    merchant.reconnect(&second.hub.merchant);
    // In flight at the node: reserved, not yet final.
    // 5000 sats and the default fee reserve, 0.5% of it.
    let reserve_msat = 5_000_000 + 25_000;
    assert_eq!(
        merchant.balance().await,
        (19_800_000 - reserve_msat) / 1_000
    );
    second
        .hub
        .dev
        .claim("bob", &hash, &preimage)
        .await
        .expect("bob settles");
    second.hub.dev.wait_payment("bob", &hash, "succeeded").await;
    let books = eventually("the payment to be final", || async {
        let books = assert_books_exact(&second.hub.admin).await;
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
    let scene = Scene::new("merchant_crash", "before_send");
    let first = scene
        .hub()
        .pause_at("merchant.outgoing.before_send")
        .start()
        .await;
    let mut merchant = Merchant::funded(&first.hub, "shop").await;
    let invoice = first.hub.dev.invoice("bob", 5_000_000).await;
    let paying = pay_in_background(&merchant, &invoice.bolt11);
    scene.wait_for_pause().await;
    assert!(
        merchant.balance().await < 19_800,
        "the reserve was taken before sending"
    );
    first.kill();
    paying.abort();

    let second = scene.hub().start().await;
    merchant.reconnect(&second.hub.merchant);
    assert_eq!(
        merchant.balance().await,
        19_800,
        "never sent: all of it back"
    );
    assert!(second
        .hub
        .dev
        .payment("bob", &invoice.payment_hash)
        .await
        .map_or(true, |p| p.status != "succeeded"));
    let books = assert_books_exact(&second.hub.admin).await;
    assert_eq!(books["merchant"]["payouts_in_flight_msat"], 0, "{books}");
}
