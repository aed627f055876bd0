//! Payments that cross a routing hop and pay a real fee: carol is reached only through bob, who
//! charges `BOB_FORWARDING_FEES` on his public channel to her. The hub pays the fee bob asks,
//! exactly: a merchant's reserve gives back what the route did not cost, a gift payout stays
//! within its cap (and is refused cleanly above it), an LSP refund's fee is the hub's expense.
//! carol answers the `boltworks dev` commands as alice and bob do.

use boltworks::dev::BOB_FORWARDING_FEES;
use boltworks::money::Msat;
use serde_json::json;

use crate::harness::clients::gifts::{assert_books_balance, funded_gift};
use crate::harness::clients::merchant::{assert_books_exact, Merchant};
use crate::harness::invoices::random_node_id;
use crate::harness::ports::free_addr;
use crate::harness::{eventually, ServeOptions, TestStack};
use crate::lsp_onchain::books;

/// The routing fees the hub has paid, in msat (the expense account of the ledger).
const ROUTING_FEES: &str = "expenses:routing-fees";

/// What bob charges to forward `amount_msat` to carol.
fn bob_fee(amount_msat: u64) -> i64 {
    BOB_FORWARDING_FEES.for_amount(Msat(amount_msat)).0 as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_pays_carol_through_bob_and_is_charged_the_exact_fee() {
    let stack = TestStack::builder().demo_carol().build().await;
    let hub = &stack.hub;
    let shop = Merchant::sign_up(&hub.merchant, "shop", None).await;
    let invoice = shop.invoice(50_000).await;
    hub.dev
        .pay(
            "alice",
            invoice["payment_request"].as_str().expect("bolt11"),
        )
        .await
        .expect("alice pays");
    let r_hash = invoice["r_hash"].as_str().expect("hash").to_string();
    eventually("the invoice to settle", || async {
        let (_, view) = shop.payment(&r_hash).await;
        (view["settled"] == true).then_some(())
    })
    .await;
    assert_eq!(shop.balance().await, 49_500);

    let carol_invoice = hub.dev.invoice("carol", 10_000_000).await;
    let (status, sent) = shop.pay_invoice(&carol_invoice.bolt11, 10_000).await;
    assert_eq!(status, 200, "{sent}");
    let received = hub
        .dev
        .wait_payment("carol", &carol_invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(received.amount_msat, Some(10_000_000));
    let payment_id = sent["payment_id"].as_str().expect("id").to_string();
    let outgoing = eventually("the payment to succeed", || async {
        let (_, view) = shop.outgoing(&payment_id).await;
        (view["status"] == "succeeded").then_some(view)
    })
    .await;
    let fee_msat: i64 = outgoing["fee_msat"]
        .as_str()
        .expect("fee")
        .parse()
        .expect("msat");
    let fee = bob_fee(10_000_000);
    assert!(fee > 0);
    assert_eq!(fee_msat, fee, "the fee bob charges, no more: {outgoing}");
    // The reserve is gone; the merchant paid the amount and the route's fee.
    let books = assert_books_exact(&hub.admin).await;
    let expected_msat = 49_500_000 - 10_000_000 - fee;
    assert_eq!(books["merchant"]["balances_msat"], expected_msat, "{books}");
    assert_eq!(shop.balance().await as i64, expected_msat / 1_000);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gift_is_redeemed_to_carol_and_its_fee_stays_within_the_cap() {
    let stack = TestStack::builder().demo_carol().build().await;
    let hub = &stack.hub;
    let gift = funded_gift(hub, 20_000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let invoice = hub.dev.invoice("carol", 20_000_000).await;
    let (status, answer) = hub.gifts.redeem_invoice(&order_id, &invoice.bolt11).await;
    assert_eq!(status, 200, "{answer}");
    let received = hub
        .dev
        .wait_payment("carol", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(
        received.amount_msat,
        Some(20_000_000),
        "carol gets the gift"
    );
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    // The default cap is 1 sat + 0.5 %; bob asks 1 sat + 0.1 %, which the hub bears.
    let fee = bob_fee(20_000_000);
    assert!(fee > 0 && fee <= 1_000 + 20_000_000 / 200);
    let fees = eventually("the payout booked", || async {
        let fees = books(hub, ROUTING_FEES).await;
        (fees != 0).then_some(fees)
    })
    .await;
    assert_eq!(fees, fee, "the hub's routing expense is bob's fee");
    assert_eq!(assert_books_balance(hub).await, 0, "nothing owed any more");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_gift_payout_whose_route_costs_more_than_its_cap_is_refused_and_the_gift_stays() {
    // A cap of half a sat: below bob's 1-sat base fee, above a direct payment's zero.
    let stack = TestStack::builder()
        .demo_carol()
        .gifts_fee_limit(0, 500)
        .build()
        .await;
    let hub = &stack.hub;
    let gift = funded_gift(hub, 20_000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let to_carol = hub.dev.invoice("carol", 20_000_000).await;
    let (status, answer) = hub.gifts.redeem_invoice(&order_id, &to_carol.bolt11).await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    eventually("the too-costly payout to fail", || async {
        let (_, status) = hub.gifts.redeem_status(&withdrawal).await;
        (status["status"] == "error").then_some(())
    })
    .await;
    let view = hub.gifts.wait_spent(&order_id, json!(false)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "error", "{view}");
    assert!(
        !hub.dev
            .payment("carol", &to_carol.payment_hash)
            .await
            .is_ok_and(|p| p.status == "succeeded"),
        "carol was not paid"
    );
    assert_eq!(assert_books_balance(hub).await, 20_000_000, "still owed");
    assert_eq!(books(hub, ROUTING_FEES).await, 0, "no fee paid");

    // The same gift redeemed to bob, one hop and no fee, goes through.
    let to_bob = hub.dev.invoice("bob", 20_000_000).await;
    let (status, answer) = hub.gifts.redeem_invoice(&order_id, &to_bob.bolt11).await;
    assert_eq!(status, 200, "{answer}");
    hub.dev
        .wait_payment("bob", &to_bob.payment_hash, "succeeded")
        .await;
    hub.gifts.wait_spent(&order_id, json!(true)).await;
    assert_eq!(assert_books_balance(hub).await, 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_lsp_refund_by_lightning_reaches_carol_and_the_hub_bears_the_fee() {
    let stack = TestStack::builder()
        .demo_carol()
        .lsp_open_attempts(1)
        .build()
        .await;
    let hub = &stack.hub;
    let (status, created) = hub
        .lsps1
        .create(&json!({"remote_balance": 100_000, "local_balance": 60_000}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["order_total"], 61_092);
    let address = created["btc_address"].as_str().expect("address");
    hub.dev.fund(address, 61_092).await;
    hub.dev.mine(1).await;
    eventually("paid on chain", || async {
        let (_, order) = hub.lsps1.order(&id).await;
        (order["payment"]["state"] == "PAID").then_some(())
    })
    .await;
    // The channel cannot open (nobody runs that node), so the money is refundable.
    let (status, failed) = hub
        .lsps1
        .open(&id, &json!({"announce_channel": false, "node_connection_string": format!("{}@{}", random_node_id(), free_addr())}))
        .await;
    assert_eq!(status, 412, "{failed}");
    let (_, available) = hub.lsps1.refund_status(&id).await;
    assert_eq!(available["refund_state"], "AVAILABLE", "{available}");

    let invoice = hub.dev.invoice("carol", 61_092_000).await;
    let (status, refunded) = hub
        .lsps1
        .refund(&id, &json!({"lightning_invoice": invoice.bolt11}))
        .await;
    assert_eq!(status, 200, "{refunded}");
    let received = hub
        .dev
        .wait_payment("carol", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(received.amount_msat, Some(61_092_000), "carol gets it all");
    eventually("the refund recorded", || async {
        let (_, refund) = hub.lsps1.refund_status(&id).await;
        (refund["refund_state"] == "PAID_OUT").then_some(())
    })
    .await;
    assert_eq!(books(hub, &format!("liabilities:lsp:{id}")).await, 0);
    assert_eq!(
        books(hub, ROUTING_FEES).await,
        bob_fee(61_092_000),
        "the hub bears bob's fee"
    );
    stack.stop().await;
}

/// `boltworks dev ...` against `base`: its JSON answer.
async fn dev_command(base: &str, args: &[&str]) -> serde_json::Value {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_boltworks"))
        .args(["dev", "--url", base])
        .args(args)
        .output()
        .await
        .expect("run boltworks dev");
    assert!(
        output.status.success(),
        "boltworks dev {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON answer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn carol_is_driven_by_the_boltworks_dev_commands_like_alice_and_bob() {
    let stack = TestStack::builder().demo_carol().build().await;
    let base = stack.hub.base.as_str();
    let nodes = dev_command(base, &["nodes"]).await;
    let carol_id = nodes["carol"]["node_id"]
        .as_str()
        .expect("carol")
        .to_string();
    assert!(
        nodes["bob"]["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .any(|c| c["peer"] == carol_id.as_str() && c["public"] == true),
        "bob has a public channel to carol: {nodes}"
    );

    // Over that channel, both ways: bob pays carol, carol pays bob. (alice cannot route to
    // carol herself: her channel and the hub's to bob are private; the hub pays carol in the
    // tests above.)
    for (payer, payee) in [("bob", "carol"), ("carol", "bob")] {
        let invoice = dev_command(base, &["invoice", payee, "30000000"]).await;
        let bolt11 = invoice["bolt11"].as_str().expect("bolt11");
        let hash = invoice["payment_hash"].as_str().expect("hash");
        dev_command(base, &["pay", payer, bolt11]).await;
        for node in [payee, payer] {
            let payment = eventually(&format!("{node}'s side of {payer} -> {payee}"), || async {
                let payment = dev_command(base, &["payment", node, hash]).await;
                (payment["status"] == "succeeded").then_some(payment)
            })
            .await;
            assert_eq!(payment["amount_msat"], 30_000_000, "{payment}");
        }
    }
    stack.stop().await;
}
