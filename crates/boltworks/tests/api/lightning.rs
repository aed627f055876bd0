//! Lightning over devchain, end to end through the HTTP API: payments through the hub, hold
//! invoices claimed and failed back, cooperative and force closes, and a reorg of a funding
//! block. Each test has its own stack, so they run in parallel without interfering.

use bitcoin::hashes::{sha256, Hash};

use crate::harness::invoices::preimage_and_hash;
use crate::harness::{eventually, ServeOptions, TestStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alice_pays_bob_through_the_hub() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let invoice = hub.dev.invoice("bob", 100_000).await;
    let hash = hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    assert_eq!(hash, invoice.payment_hash);

    let sent = hub.dev.wait_payment("alice", &hash, "succeeded").await;
    let received = hub.dev.wait_payment("bob", &hash, "succeeded").await;
    let preimage = hex::decode(sent.preimage.expect("preimage")).expect("hex");
    assert_eq!(
        hex::encode(sha256::Hash::hash(&preimage).to_byte_array()),
        hash
    );
    assert_eq!(received.amount_msat, Some(100_000));

    // The hub forwarded it: alice's channel to the hub moved by the amount plus the hub's fee.
    let (status, body) = hub.dev.payment_answer("alice", &hash).await;
    assert!(status.is_success());
    assert!(body["fee_paid_msat"].as_u64().expect("fee") > 0, "{body}");

    // Paying the same invoice again is refused, and nothing is sent twice.
    let again = hub
        .dev
        .pay("alice", &invoice.bolt11)
        .await
        .expect_err("duplicate");
    assert_eq!(again.status, 409, "{:?}", again.body);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hold_invoice_is_held_then_claimed() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (preimage, hash) = preimage_and_hash();
    let invoice = hub.dev.hold_invoice("bob", 250_000, &hash).await;
    assert_eq!(invoice.payment_hash, hash);
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");

    let held = hub.dev.wait_payment("bob", &hash, "held").await;
    assert_eq!(held.amount_msat, Some(250_000));
    assert_eq!(
        hub.dev.payment("alice", &hash).await.expect("alice").status,
        "pending"
    );

    // A wrong preimage is refused before it reaches the node.
    let (wrong, _) = preimage_and_hash();
    let refused = hub
        .dev
        .claim("bob", &hash, &wrong)
        .await
        .expect_err("wrong preimage");
    assert_eq!(refused.status, 400);

    hub.dev.claim("bob", &hash, &preimage).await.expect("claim");
    let paid = hub.dev.wait_payment("alice", &hash, "succeeded").await;
    assert_eq!(paid.preimage.as_deref(), Some(preimage.as_str()));
    hub.dev.wait_payment("bob", &hash, "succeeded").await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_payment_failed_back_fails_for_the_payer() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let (preimage, hash) = preimage_and_hash();
    let invoice = hub.dev.hold_invoice("bob", 120_000, &hash).await;
    hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.dev.wait_payment("bob", &hash, "held").await;

    hub.dev.fail("bob", &hash).await.expect("fail back");
    let failed = hub.dev.wait_payment("alice", &hash, "failed").await;
    assert!(failed.failure_reason.is_some());
    assert_eq!(
        hub.dev.payment("bob", &hash).await.expect("bob").status,
        "failed"
    );

    // Once failed back, it can no longer be claimed.
    let late = hub
        .dev
        .claim("bob", &hash, &preimage)
        .await
        .expect_err("too late");
    assert_eq!(late.status, 409);
    stack.stop().await;
}

/// Opens a channel from alice to the hub and waits until it is usable. Returns its id.
async fn open_alice_channel(stack: &TestStack, capacity_sat: u64) -> String {
    let hub = &stack.hub;
    let id = hub.dev.open_channel("alice", "hub", capacity_sat, 0).await;
    hub.dev.wait_funding_broadcast("alice", &id).await;
    hub.dev.mine(6).await;
    eventually("channel ready", || async {
        hub.dev
            .channel("alice", &id)
            .await
            .filter(|c| c.ready)
            .map(|_| ())
    })
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cooperative_close_returns_funds_on_chain() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let id = open_alice_channel(&stack, 300_000).await;
    let before = hub.dev.nodes().await.alice.onchain_sat;

    hub.dev.close_channel("alice", &id, false).await;
    eventually("channel gone", || async {
        hub.dev.channel("alice", &id).await.is_none().then_some(())
    })
    .await;
    hub.dev.mine(1).await;
    let after = eventually("closing funds on-chain", || async {
        let now = hub.dev.nodes().await.alice.onchain_sat;
        (now > before + 290_000).then_some(now)
    })
    .await;
    assert!(
        after <= before + 300_000,
        "alice got back more than she put in: {before} -> {after}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_force_close_is_swept_after_its_csv_delay() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let id = open_alice_channel(&stack, 300_000).await;
    let before = hub.dev.nodes().await.alice.onchain_sat;

    hub.dev.close_channel("alice", &id, true).await;
    eventually("channel gone", || async {
        hub.dev.channel("alice", &id).await.is_none().then_some(())
    })
    .await;
    hub.dev.mine(10).await;
    // The commitment confirmed, but alice's own output is locked by the hub's to_self_delay.
    let locked = hub.dev.nodes().await.alice.onchain_sat;
    assert!(
        locked < before + 250_000,
        "swept before the CSV delay: {before} -> {locked}"
    );

    // LDK's default to_self_delay is 144 blocks; past it the sweeper spends the output.
    hub.dev.mine(140).await;
    let swept = eventually("sweep of the delayed output", || async {
        hub.dev.mine(1).await;
        let now = hub.dev.nodes().await.alice.onchain_sat;
        (now > before + 250_000).then_some(now)
    })
    .await;
    assert!(swept <= before + 300_000);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reorg_of_a_confirmed_funding_block_is_survived() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let hub = &stack.hub;
    let id = hub.dev.open_channel("alice", "hub", 300_000, 0).await;
    hub.dev.wait_funding_broadcast("alice", &id).await;
    let tip = hub.dev.mine(2).await;
    let confirmed = hub.dev.channel("alice", &id).await.expect("channel");
    assert_eq!(confirmed.confirmations, Some(2));

    // Invalidate the block that confirmed the funding transaction: it returns to the mempool.
    let (status, body) = hub.dev.invalidate(tip - 1).await;
    assert!(status.is_success(), "{body}");
    hub.dev.mine(1).await;
    hub.dev.mine(6).await;
    let ready = eventually("channel ready after the reorg", || async {
        hub.dev.channel("alice", &id).await.filter(|c| c.ready)
    })
    .await;
    assert!(ready.confirmations.unwrap_or(0) >= 6);

    // The hub still routes.
    let invoice = hub.dev.invoice("bob", 40_000).await;
    let hash = hub.dev.pay("alice", &invoice.bolt11).await.expect("pay");
    hub.dev.wait_payment("alice", &hash, "succeeded").await;
    stack.stop().await;
}
