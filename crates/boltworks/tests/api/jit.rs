//! JIT channels (LSPS2) with a real client: a fresh ldk-node with no channels and no coins, its
//! LSPS2 liquidity source set to the hub, asks the hub for JIT invoices (a fixed amount, then a
//! variable one); alice pays each through the hub; the hub opens a channel to the new node, which
//! receives the amount less the opening fee; the hub records the channel and books the fee. Then a
//! JIT payment to a client that went offline fails back to alice and costs nobody anything, and
//! the operator is told.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ldk_node::bitcoin::hashes::Hash;
use ldk_node::config::AnchorChannelsConfig;
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};
use ldk_node::payment::PaymentStatus;
use ldk_node::Node;
use serde_json::Value;

use crate::harness::own_node;
use crate::harness::ports::free_addr;
use crate::harness::webhook::Receiver;
use crate::harness::{eventually, ServeOptions, TestStack};

/// The hub's terms in this test: 1% with a 1,000-sat minimum, payments of 10,000 to 500,000 sat;
/// a channel left unpaid for is closed after 3 s.
const TERMS: [(&str, &str); 5] = [
    ("jit-opening-fee-ppm", "10000"),
    ("jit-min-opening-fee-sat", "1000"),
    ("jit-min-payment-sat", "10000"),
    ("jit-max-payment-sat", "500000"),
    ("jit-unpaid-close-secs", "3"),
];

/// A wallet node of the test's own, whose liquidity source is the hub.
struct JitClient {
    node: Arc<Node>,
    _dir: tempfile::TempDir,
}

impl JitClient {
    async fn start(stack: &TestStack, hub_id: &str, hub_address: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let hub_id = ldk_node::bitcoin::secp256k1::PublicKey::from_str(hub_id).expect("hub id");
        let mut builder = own_node::builder(stack, dir.path(), free_addr(), |config| {
            // A wallet with no coins: it trusts its LSP not to need an on-chain reserve for
            // anchors.
            config.anchor_channels_config = Some(AnchorChannelsConfig {
                trusted_peers_no_reserve: vec![hub_id],
                ..Default::default()
            });
        });
        let hub_address = SocketAddress::from_str(hub_address).expect("hub address");
        builder.set_liquidity_source_lsps2(hub_id, hub_address, None);
        let node = own_node::start(builder).await;
        Self { node, _dir: dir }
    }

    /// A JIT invoice for `amount_msat` (or any amount), through the node's LSPS2 client.
    async fn invoice(&self, amount_msat: Option<u64>) -> Bolt11Invoice {
        let node = Arc::clone(&self.node);
        tokio::task::spawn_blocking(move || {
            let description = Bolt11InvoiceDescription::Direct(
                Description::new("jit test".to_string()).expect("description"),
            );
            let bolt11 = node.bolt11_payment();
            match amount_msat {
                Some(amount) => bolt11.receive_via_jit_channel(amount, &description, 3600, None),
                None => bolt11.receive_variable_amount_via_jit_channel(&description, 3600, None),
            }
        })
        .await
        .expect("invoice task")
        .expect("the hub answers the LSPS2 buy")
    }

    /// What the node received for `invoice`, once it succeeded.
    async fn received(&self, invoice: &Bolt11Invoice) -> u64 {
        let id = PaymentId(invoice.payment_hash().to_byte_array());
        eventually("the client received the JIT payment", || async {
            let payment = self.node.payment(&id)?;
            (payment.status == PaymentStatus::Succeeded).then_some(payment.amount_msat)?
        })
        .await
    }

    async fn stop(&self) {
        let node = Arc::clone(&self.node);
        tokio::task::spawn_blocking(move || node.stop())
            .await
            .expect("stop task")
            .expect("client stops");
    }
}

async fn jit_overview(stack: &TestStack) -> Value {
    let (status, body) = stack.hub.admin.get("/admin/lsp/jit").await;
    assert_eq!(status, 200, "{body}");
    body
}

fn fee_income(ledger: &Value) -> i64 {
    ledger["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["account"] == "income:lsp-fees")
        .map_or(0, |a| -a["balance_msat"].as_i64().expect("balance"))
}

/// Pays `invoice` from alice (with `amount_msat` for a variable one) and returns the time from
/// the pay call to the client's channel being usable with the payment received.
async fn pay_from_alice(
    stack: &TestStack,
    client: &JitClient,
    invoice: &Bolt11Invoice,
    amount_msat: Option<u64>,
) -> (u64, Duration) {
    let started = Instant::now();
    stack
        .hub
        .dev
        .pay_amount("alice", &invoice.to_string(), amount_msat)
        .await
        .expect("alice pays");
    let received = client.received(invoice).await;
    eventually("the client's JIT channel is usable", || async {
        client
            .node
            .list_channels()
            .iter()
            .any(|c| c.is_usable)
            .then_some(())
    })
    .await;
    (received, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fresh_wallet_gets_jit_channels_and_an_offline_one_costs_nothing() {
    let (operator, operator_url) = Receiver::default().start().await;
    let stack = TestStack::builder()
        .demo_nodes()
        .jit_channels(&TERMS)
        .operator_webhook_url(&operator_url)
        .build()
        .await;
    let hub = &stack.hub;
    let nodes = hub.dev.nodes().await;
    let client = JitClient::start(&stack, &nodes.hub.node_id, &nodes.hub.address).await;
    let (_, ledger) = hub.admin.ledger().await;
    let income_before = fee_income(&ledger);
    let hub_wallet_start = nodes.hub.onchain_sat;

    // A fixed amount of 50,000 sat: 1% is 500 sat, so the 1,000-sat minimum is the fee.
    let fixed = client.invoice(Some(50_000_000)).await;
    let (received, fixed_open) = pay_from_alice(&stack, &client, &fixed, None).await;
    assert_eq!(received, 49_000_000, "the amount less the opening fee");
    let alice_paid = hub
        .dev
        .wait_payment("alice", &fixed.payment_hash().to_string(), "succeeded")
        .await;
    assert_eq!(alice_paid.status, "succeeded");
    // The hub's wallet funded it.
    eventually("the JIT funding spent from the hub's wallet", || async {
        (hub.dev.nodes().await.hub.onchain_sat < hub_wallet_start).then_some(())
    })
    .await;

    // A variable amount: alice pays 150,000 sat, the fee would be 1% (1,500 sat). ldk-node
    // 0.7.1's client bounds it by the rate applied to what reaches it (148,500 sat: 1,485 sat),
    // so it refuses the payment (upstream: ldk-node #1095). The payment fails back to alice at
    // no cost; the hub books nothing, and closes the channel it funded for it.
    let variable = client.invoice(None).await;
    let alice_before_variable = hub.dev.local_msat("alice").await;
    let hash = hub
        .dev
        .pay_amount("alice", &variable.to_string(), Some(150_000_000))
        .await
        .expect("alice pays");
    let refused = hub.dev.wait_payment("alice", &hash, "failed").await;
    assert_eq!(refused.status, "failed");
    let id = PaymentId(variable.payment_hash().to_byte_array());
    assert_ne!(
        client.node.payment(&id).map(|p| p.status),
        Some(PaymentStatus::Succeeded)
    );
    eventually("alice's refused payment is back with her", || async {
        (hub.dev.local_msat("alice").await == alice_before_variable).then_some(())
    })
    .await;
    println!(
        "JIT open, from alice's pay call to the client's channel usable with the payment: {} ms",
        fixed_open.as_millis()
    );

    // The hub recorded both channels and booked both fees as LSP income.
    let client_id = client.node.node_id().to_string();
    let overview = eventually("the unpaid JIT channel closed", || async {
        let overview = jit_overview(&stack).await;
        let channels = overview["channels"].as_array()?;
        let unpaid = channels.iter().find(|c| c["paid_at"].is_null())?;
        (channels.len() == 2 && unpaid["closed_at"].is_i64()).then_some(overview)
    })
    .await;
    let mut fees: Vec<(i64, i64)> = overview["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter(|c| !c["paid_at"].is_null())
        .map(|c| {
            assert_eq!(c["client_node_id"], client_id.as_str(), "{c}");
            assert!(c["capacity_sat"].as_i64().expect("capacity") > 0, "{c}");
            (
                c["forwarded_msat"].as_i64().expect("forwarded"),
                c["opening_fee_msat"].as_i64().expect("fee"),
            )
        })
        .collect();
    fees.sort_unstable();
    assert_eq!(fees, vec![(49_000_000, 1_000_000)]);
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(fee_income(&ledger) - income_before, 1_000_000);
    assert_eq!(ledger["balanced"], true, "{ledger}");

    // The client goes offline with an unpaid JIT invoice: alice's payment reaches the hub, which
    // cannot open the channel. The operator is told, the payment fails back once its HTLC nears
    // expiry, no channel is opened and nothing is charged.
    let offline = client.invoice(Some(60_000_000)).await;
    client.stop().await;
    let alice_before = hub.dev.local_msat("alice").await;
    let client_channels = |nodes: crate::harness::clients::dev::Nodes| {
        nodes
            .hub
            .channels
            .iter()
            .filter(|c| c.peer == client_id)
            .count()
    };
    let channels_before = client_channels(hub.dev.nodes().await);
    hub.dev
        .pay("alice", &offline.to_string())
        .await
        .expect("alice pays");
    let failure = eventually("the failed open is recorded", || async {
        let overview = jit_overview(&stack).await;
        overview["failures"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(failure["kind"], "client_offline", "{failure}");
    eventually("the operator is told", || async {
        operator
            .seen()
            .iter()
            .find_map(|r| {
                let body: Value = serde_json::from_slice(&r.body).ok()?;
                (body["event"] == "jit_channel.open_failed").then_some(body)
            })
            .filter(|body| body["kind"] == "client_offline")
    })
    .await;
    // The intercepted HTLC is failed back a few blocks before its expiry (the JIT invoice's
    // final CLTV delta is short).
    let hash = offline.payment_hash().to_string();
    let failed = eventually("alice's payment fails back", || async {
        hub.dev.mine(10).await;
        let payment = hub.dev.payment("alice", &hash).await.ok()?;
        (payment.status == "failed").then_some(payment)
    })
    .await;
    assert_eq!(failed.status, "failed");
    assert_eq!(
        hub.dev.local_msat("alice").await,
        alice_before,
        "alice kept her money"
    );
    let overview = jit_overview(&stack).await;
    assert_eq!(overview["channels"].as_array().expect("channels").len(), 2);
    let (_, ledger) = hub.admin.ledger().await;
    assert_eq!(
        fee_income(&ledger) - income_before,
        1_000_000,
        "no fee for it"
    );
    assert_eq!(
        client_channels(hub.dev.nodes().await),
        channels_before,
        "no channel was opened to the offline client"
    );
}
