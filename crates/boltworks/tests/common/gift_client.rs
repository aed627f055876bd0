//! Test helpers for the gifts API: create and fund gifts over HTTP (alice pays), wait for a
//! gift's state, check the ledger, and make invoices of nodes the hub cannot reach.

use serde_json::{json, Value};

use super::{eventually, HubClient};

/// `POST /gifts/create`; panics unless it answers 200.
pub async fn create_gift(hub: &HubClient, body: Value) -> Value {
    let (status, gift) = hub.post("/gifts/create", body).await;
    assert_eq!(status, 200, "create: {gift}");
    gift
}

/// A gift of `amount_sat` paid by alice, waited for until `/status` says `paid`.
pub async fn funded_gift(hub: &HubClient, amount_sat: u64, notify: Option<&str>) -> Value {
    let mut body = json!({"amount": amount_sat});
    if let Some(url) = notify {
        body["notify"] = json!(url);
    }
    let gift = create_gift(hub, body).await;
    let payreq = gift["lightning_invoice"]["payreq"]
        .as_str()
        .expect("payreq");
    hub.pay("alice", payreq)
        .await
        .expect("alice pays the gift invoice");
    let charge = gift["charge_id"].as_str().expect("charge id").to_string();
    eventually("the gift invoice to be paid", || async {
        let (_, status) = hub.get(&format!("/gifts/status/{charge}")).await;
        (status["status"] == "paid").then_some(())
    })
    .await;
    gift
}

/// Waits until `GET /gift/{order_id}` has `spent` equal to `spent`; returns the gift.
pub async fn wait_spent(hub: &HubClient, order_id: &str, spent: Value) -> Value {
    eventually(&format!("gift {order_id} spent = {spent}"), || async {
        let (_, gift) = hub.get(&format!("/gifts/gift/{order_id}")).await;
        (gift["spent"] == spent).then_some(gift)
    })
    .await
}

/// What bob can send over his channels, in msat.
pub async fn bob_local_msat(hub: &HubClient) -> u64 {
    hub.nodes()
        .await
        .bob
        .channels
        .iter()
        .map(|c| c.local_msat)
        .sum()
}

/// Waits until bob's channels hold `before + gained` (the last commitment update may trail the
/// payer's success event), then checks it stays there: bob was paid exactly once.
pub async fn assert_bob_gained(hub: &HubClient, before: u64, gained: u64) {
    eventually("bob's balance to show the payment", || async {
        let now = bob_local_msat(hub).await;
        assert!(
            now <= before + gained,
            "bob got more than once: {before} -> {now}"
        );
        (now == before + gained).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        bob_local_msat(hub).await,
        before + gained,
        "paid exactly once"
    );
}

/// Asserts the ledger is balanced and gift liabilities equal the unredeemed gifts; returns
/// the liabilities in msat.
pub async fn assert_books_balance(hub: &HubClient) -> i64 {
    let (status, ledger) = hub.admin_get("/admin/ledger").await;
    assert_eq!(status, 200, "{ledger}");
    assert_eq!(ledger["balanced"], true, "trial balance: {ledger}");
    let (status, audit) = hub.admin_get("/admin/gifts/audit").await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["matches"], true, "gift audit: {audit}");
    audit["liabilities_msat"].as_i64().expect("liabilities")
}

/// A validly signed invoice of a node nobody has a channel with.
pub fn foreign_invoice(
    currency: ldk_node::lightning_invoice::Currency,
    amount_msat: Option<u64>,
    created_secs_ago: u64,
    expiry_secs: u64,
) -> String {
    use bitcoin::hashes::{sha256, Hash};
    use bitcoin::secp256k1::{Secp256k1, SecretKey};
    use ldk_node::lightning_invoice::{InvoiceBuilder, PaymentSecret};
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("key");
    let hash = sha256::Hash::hash(&rand::random::<[u8; 32]>());
    let created = std::time::SystemTime::now() - std::time::Duration::from_secs(created_secs_ago);
    let builder = InvoiceBuilder::new(currency)
        .description("elsewhere".into())
        .payment_hash(hash)
        .payment_secret(PaymentSecret(rand::random()))
        .timestamp(created)
        .expiry_time(std::time::Duration::from_secs(expiry_secs))
        .min_final_cltv_expiry_delta(144);
    let signed = match amount_msat {
        Some(msat) => builder
            .amount_milli_satoshis(msat)
            .build_signed(|m| secp.sign_ecdsa_recoverable(m, &key)),
        None => builder.build_signed(|m| secp.sign_ecdsa_recoverable(m, &key)),
    };
    signed.expect("signed invoice").to_string()
}
