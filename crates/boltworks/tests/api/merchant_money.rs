//! Merchant money under pressure and on chain: 50 concurrent payments and withdrawals against
//! a balance that covers ten never take more than it holds; an on-chain invoice paid in two
//! parts is PARTIAL (locked) and then settled; a partly paid one is cancelled and refunded on
//! chain; withdrawals of three merchants leave in one batched transaction when the dev clock
//! passes the interval.

use serde_json::{json, Value};

use crate::harness::clients::merchant::{assert_books_exact, assert_signed, Merchant};
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, Hub, ServeOptions, TestStack};

async fn paid_by_alice(hub: &Hub, merchant: &Merchant, amount: u64) {
    let invoice = merchant.invoice(amount).await;
    let before = merchant.balance().await;
    let hash = hub
        .dev
        .pay(
            "alice",
            invoice["payment_request"].as_str().expect("bolt11"),
        )
        .await
        .expect("alice pays");
    // Settled at alice too, so the next payment does not share the channel's in-flight limit.
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    let credited = amount - (amount / 100).max(1);
    eventually("the merchant to be credited", || async {
        (merchant.balance().await == before + credited).then_some(())
    })
    .await;
}

async fn locked(merchant: &Merchant) -> u64 {
    let (_, answer) = merchant.locked_balance().await;
    answer["balance"]
        .as_str()
        .expect("string")
        .parse()
        .expect("sats")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_payments_never_spend_more_than_the_balance() {
    fifty_racing_payments(TestStack::builder().demo_nodes().build().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_payments_never_spend_more_than_the_balance_on_postgres() {
    let stack = TestStack::builder().demo_nodes().postgres().build().await;
    fifty_racing_payments(stack).await;
}

/// Two merchants paying each other at once take their rows in one order: no deadlock. Then
/// 50 racing requests of the payer.
async fn fifty_racing_payments(stack: TestStack) {
    let hub = &stack.hub;
    let payer = Merchant::sign_up(&hub.merchant, "payer", None).await;
    let payee = Merchant::sign_up(&hub.merchant, "payee", None).await;
    // Five times 20_202 sats less the 1% fee: 100_000 sats, ten payments of 10_000 (a
    // Lightning one also reserves its routing-fee limit, so fewer of those fit). (HTLCs in
    // flight may carry at most a tenth of the 1M-sat demo channel, so each is small.)
    for _ in 0..5 {
        paid_by_alice(hub, &payer, 20_202).await;
    }
    paid_by_alice(hub, &payee, 20_202).await;
    let both = std::sync::Arc::new((payer, payee));
    let crossing: Vec<_> = (0..20)
        .map(|i| {
            let both = both.clone();
            tokio::spawn(async move {
                let (from, to) = if i % 2 == 0 {
                    (&both.0, &both.1)
                } else {
                    (&both.1, &both.0)
                };
                from.pay_internal(&to.id, 100).await
            })
        })
        .collect();
    for task in crossing {
        let (status, answer) = task.await.expect("task");
        assert_eq!(status, 200, "opposite payments all pass: {answer}");
    }
    let Ok((payer, payee)) = std::sync::Arc::try_unwrap(both) else {
        panic!("tasks ended")
    };
    assert_eq!(payee.balance().await, 20_000);
    let start = payer.balance().await;
    assert_eq!(start, 100_000);
    let mut bob_invoices = Vec::new();
    for _ in 0..20 {
        bob_invoices.push(hub.dev.invoice("bob", 10_000_000).await.bolt11);
    }
    let payer = std::sync::Arc::new(payer);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let payer = payer.clone();
        let payee_id = payee.id.clone();
        let bolt11 = bob_invoices.get(i % 25).cloned();
        tasks.push(tokio::spawn(async move {
            match (i % 5, bolt11) {
                (4, _) => ("withdraw", payer.withdraw().await),
                (0 | 1, Some(bolt11)) if i < 40 => {
                    ("lightning", payer.pay_invoice(&bolt11, 10_000).await)
                }
                _ => ("internal", payer.pay_internal(&payee_id, 10_000).await),
            }
        }));
    }
    let mut spent = 0u64;
    for task in tasks {
        let (kind, (status, answer)) = task.await.expect("task");
        assert!(status.as_u16() < 500, "{kind}: {answer}");
        if status == 200 {
            spent += match kind {
                "withdraw" => answer["amount"]
                    .as_str()
                    .expect("amount")
                    .parse::<u64>()
                    .expect("sats"),
                _ => 10_000,
            };
        } else {
            assert_eq!(
                answer["code"], 9,
                "{kind} refused for want of funds: {answer}"
            );
        }
    }
    assert!(spent <= start, "spent {spent} of {start}");
    let books = eventually("every payment to end", || async {
        let books = assert_books_exact(&hub.admin).await;
        (books["merchant"]["payouts_in_flight_msat"] == 0).then_some(books)
    })
    .await;
    let left = payer.balance().await;
    // What left: the payments that succeeded and the routing fees they paid (none to bob).
    assert_eq!(left + spent, start, "{books}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn onchain_invoices_partial_settled_cancelled_and_batched_withdrawals() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (receiver, hook) = Receiver::default().start().await;
    let shop = Merchant::sign_up(&hub.merchant, "shop", Some(&hook)).await;
    let (hub_key, pss_key) = hub.merchant.published_keys().await;

    // A fixed-amount invoice, paid in two parts.
    let (status, invoice) = shop
        .create_onchain_invoice(&json!({"amount": "100000", "description": "chair"}))
        .await;
    assert_eq!(status, 200, "{invoice}");
    let address = invoice["btc_address"]
        .as_str()
        .expect("address")
        .to_string();
    assert!(address.starts_with("bcrt1"), "{invoice}");
    assert_signed(
        &hub_key,
        invoice["hub_signature"].as_str().expect("sig"),
        &[&address, &shop.id],
    );
    assert_signed(
        &pss_key,
        invoice["pss_signature"].as_str().expect("sig"),
        &[&address, &shop.id],
    );
    hub.dev.fund(&address, 40_000).await;
    hub.dev.mine(1).await;
    eventually("40000 sats locked", || async {
        (locked(&shop).await == 40_000).then_some(())
    })
    .await;
    let partial = eventually("the PARTIAL webhook", || async {
        receiver.seen().into_iter().find_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).ok()?;
            (body["payment_type"] == "PARTIAL").then_some(body)
        })
    })
    .await;
    assert_eq!(partial["partial"]["already_paid_amount"], "40000");
    assert!(
        partial["partial"]["created_at"].is_u64(),
        "a number, as in the seed: {partial}"
    );
    assert_eq!(partial["partial"]["btc_address"], address.as_str());
    let (_, list) = shop.onchain_payments().await;
    assert_eq!(list["payments"][0]["status"], "Pending", "{list}");
    assert_eq!(shop.balance().await, 0);
    hub.dev.fund(&address, 60_000).await;
    hub.dev.mine(1).await;
    eventually("the invoice to settle", || async {
        (shop.balance().await == 99_000).then_some(())
    })
    .await;
    assert_eq!(locked(&shop).await, 0);
    let (_, list) = shop.onchain_payments().await;
    assert_eq!(list["payments"][0]["status"], "Settled", "{list}");
    assert_eq!(list["payments"][0]["fee"], "1000");
    let settled = eventually("the on-chain webhook", || async {
        receiver.seen().into_iter().find_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).ok()?;
            (body["type"] == "success").then_some(body)
        })
    })
    .await;
    assert_eq!(settled["amount_without_fee"], 99_000);
    assert_eq!(settled["bitcoin_address"], address.as_str());

    // A partly paid invoice, cancelled: the refund goes out on chain.
    let (_, second) = shop
        .create_onchain_invoice(&json!({"amount": 50_000}))
        .await;
    let second_address = second["btc_address"].as_str().expect("address").to_string();
    hub.dev.fund(&second_address, 20_000).await;
    hub.dev.mine(1).await;
    eventually("20000 sats locked", || async {
        (locked(&shop).await == 20_000).then_some(())
    })
    .await;
    let cancel = json!({"btc_address": second_address, "refund_btc_address": shop.bitcoin_address});
    let (status, refund) = shop.cancel_onchain_invoice(&cancel).await;
    assert_eq!(status, 200, "{refund}");
    let txid = refund["refund_txid"].as_str().expect("txid").to_string();
    assert_eq!(refund["refund_txtd"], txid.as_str());
    let (_, again) = shop.cancel_onchain_invoice(&cancel).await;
    assert_eq!(again["refund_txid"], txid.as_str(), "refunded once");
    hub.dev.mine(1).await;
    let (_, outputs) = hub.dev.tx_outputs(&txid).await;
    let refunded = outputs["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .find(|o| o["address"] == shop.bitcoin_address.as_str())
        .unwrap_or_else(|| panic!("refund output: {outputs}"));
    let refunded_sat = refunded["amount_sat"].as_u64().expect("sats");
    assert!(
        (19_000..20_000).contains(&refunded_sat),
        "20000 less the fee: {refunded_sat}"
    );
    assert_eq!(locked(&shop).await, 0);

    // A Lightning payment to the shop before it withdraws, and an invoice nobody pays. Its money
    // is in the hub's channels, so the operator puts coins into the treasury to pay it out.
    let (_, deposit) = hub.admin.treasury_address("operator float").await;
    let deposit = deposit["address"].as_str().expect("address").to_string();
    hub.dev.fund(&deposit, 50_000).await;
    hub.dev.mine(1).await;
    eventually("the float confirmed in the treasury", || async {
        let (_, received) = hub.admin.treasury_received(&deposit).await;
        (received["received"][0]["confirmations"].as_u64() >= Some(1)).then_some(())
    })
    .await;
    let paid_before = shop.invoice(10_000).await;
    let paid_before_hash = paid_before["r_hash"].as_str().expect("hash").to_string();
    hub.dev
        .pay(
            "alice",
            paid_before["payment_request"].as_str().expect("bolt11"),
        )
        .await
        .expect("alice pays");
    eventually("the Lightning payment to settle", || async {
        let (_, view) = shop.payment(&paid_before_hash).await;
        (view["settled"] == true).then_some(())
    })
    .await;
    let unpaid = shop.invoice(5_000).await;

    // Three merchants withdraw; one transaction leaves once the interval passes.
    let second = Merchant::sign_up(&hub.merchant, "second", None).await;
    let third = Merchant::sign_up(&hub.merchant, "third", None).await;
    assert_eq!(shop.pay_internal(&second.id, 30_000).await.0, 200);
    assert_eq!(shop.pay_internal(&third.id, 20_000).await.0, 200);
    let (status, small) = Merchant::sign_up(&hub.merchant, "empty", None)
        .await
        .withdraw()
        .await;
    assert_eq!(
        (status.as_u16(), small["error"].as_str()),
        (
            400,
            Some("amount to withdraw: 0 is less than minimum allowed: 1000")
        )
    );
    let mut withdrawals = Vec::new();
    for merchant in [&shop, &second, &third] {
        let (status, answer) = merchant.withdraw().await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["tx"], "");
        let id = answer["id"].as_str().expect("id").to_string();
        let (_, view) = merchant.withdrawal(&id).await;
        assert_eq!(view["status"], "Pending", "{view}");
        withdrawals.push((
            merchant,
            id,
            answer["amount"].as_str().expect("amount").to_string(),
        ));
        assert_eq!(merchant.balance().await, 0);
    }
    let (status, _) = hub.dev.advance_clock(601).await;
    assert_eq!(status, 200);
    let mut txids = std::collections::BTreeSet::new();
    for (merchant, id, amount) in &withdrawals {
        let view = eventually("the withdrawal to be sent", || async {
            let (_, view) = merchant.withdrawal(id).await;
            (view["status"] == "Withdrawn").then_some(view)
        })
        .await;
        assert_eq!(&view["sent_amount"], amount);
        assert!(view["withdrawn_at"].as_str().expect("time").ends_with('Z'));
        txids.insert(view["sent_tx"].as_str().expect("txid").to_string());
    }
    assert_eq!(txids.len(), 1, "one batch transaction: {txids:?}");
    hub.dev.mine(1).await;
    let txid = txids.into_iter().next().expect("txid");
    let (_, outputs) = hub.dev.tx_outputs(&txid).await;
    for (merchant, _, amount) in &withdrawals {
        assert!(
            outputs["outputs"]
                .as_array()
                .expect("outputs")
                .iter()
                .any(|o| {
                    o["address"] == merchant.bitcoin_address.as_str()
                        && o["amount_sat"]
                            .as_u64()
                            .map(|sat| sat.to_string())
                            .as_deref()
                            == Some(amount.as_str())
                }),
            "{} receives {amount}: {outputs}",
            merchant.id
        );
    }
    // The payments whose money the withdrawal took name its transaction; the others do not.
    let (_, lightning) = shop.lightning_payments().await;
    let withdraw_tx_of = |list: &Value, key: &str, value: &str| {
        list["payments"]
            .as_array()
            .expect("payments")
            .iter()
            .find(|p| p[key] == value)
            .unwrap_or_else(|| panic!("{key} {value} in {list}"))["withdraw_tx"]
            .clone()
    };
    assert_eq!(
        withdraw_tx_of(&lightning, "r_hash", &paid_before_hash),
        txid.as_str()
    );
    let unpaid_hash = unpaid["r_hash"].as_str().expect("hash");
    assert_eq!(withdraw_tx_of(&lightning, "r_hash", unpaid_hash), "");
    let (_, onchain) = shop.onchain_payments().await;
    assert_eq!(
        withdraw_tx_of(&onchain, "btc_address", &address),
        txid.as_str()
    );
    let (_, one) = shop.payment(&paid_before_hash).await;
    assert_eq!(one["withdraw_tx"], txid.as_str(), "{one}");
    // A payment after the withdrawal waits for the next one.
    let paid_after = shop.invoice(3_000).await;
    let paid_after_hash = paid_after["r_hash"].as_str().expect("hash").to_string();
    hub.dev
        .pay(
            "alice",
            paid_after["payment_request"].as_str().expect("bolt11"),
        )
        .await
        .expect("alice pays");
    let after = eventually("the later payment to settle", || async {
        let (_, view) = shop.payment(&paid_after_hash).await;
        (view["settled"] == true).then_some(view)
    })
    .await;
    assert_eq!(after["withdraw_tx"], "", "{after}");

    let books = assert_books_exact(&hub.admin).await;
    assert_eq!(books["merchant"]["withdrawals_pending_msat"], 0, "{books}");
    assert_eq!(books["merchant"]["locked_msat"], 0, "{books}");
}
