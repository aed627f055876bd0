//! `setinvoice` against every wrong invoice, each refused with its own message, and a
//! transaction that can no longer be rewound.

use bitcoin::hashes::{sha256, Hash};
use serde_json::json;

use super::deal;
use crate::harness::{ServeOptions, TestStack};

/// The BOLT 11 specification's first example: a mainnet invoice ("Please make a donation of
/// any amount using payment_hash 0001..0102 to me @03e7156a..."), validly signed.
const BOLT11_MAINNET_VECTOR: &str = "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setinvoice_refuses_each_wrong_invoice_with_its_own_message() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let hub = &stack.hub;
    let (seller, buyer, tx, pmthash) = deal(escrow, "refusals").await;
    let set = |invoice: String| json!({"session_id": seller, "tx": tx, "invoice": invoice});

    assert!(escrow
        .set_invoice(set("lnbcrt1garbage".into()))
        .await
        .refusal()
        .contains("invalid invoice"));
    assert!(escrow
        .set_invoice(set(BOLT11_MAINNET_VECTOR.into()))
        .await
        .refusal()
        .contains("wrong network"));
    let other_hash = hub.dev.invoice("alice", 1_000_000).await;
    assert_eq!(
        escrow.set_invoice(set(other_hash.bolt11)).await.refusal(),
        "wrong payment hash, try again"
    );
    let wrong_amount = hub.dev.hold_invoice("bob", 999_000, &pmthash).await;
    assert!(escrow
        .set_invoice(set(wrong_amount.bolt11))
        .await
        .refusal()
        .contains("wrong amount"));
    let short = hub
        .dev
        .invoice_expiring("bob", 1_000_000, 60, Some(&pmthash))
        .await;
    hub.dev.advance_clock(120).await;
    assert!(escrow
        .set_invoice(set(short.bolt11))
        .await
        .refusal()
        .contains("expired"));
    let amountless = regtest_invoice_without_amount(&pmthash);
    assert!(escrow
        .set_invoice(set(amountless))
        .await
        .refusal()
        .contains("no amount"));
    let valid = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    let altered = with_altered_amount(&valid.bolt11, 2_000_000);
    assert_ne!(altered, valid.bolt11);
    let message = escrow.set_invoice(set(altered)).await.refusal();
    assert!(
        message.contains("wrong amount") || message.contains("invalid invoice"),
        "{message}"
    );
    // The buyer may not set it, and nothing was stored by the refusals.
    let good = hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .set_invoice(json!({"session_id": buyer, "tx": tx, "invoice": good.bolt11}))
        .await
        .refusal()
        .contains("only the seller"));
    escrow.set_invoice(set(good.bolt11.clone())).await.success();
    assert!(escrow
        .set_invoice(set(good.bolt11))
        .await
        .refusal()
        .contains("already has an invoice"));
    stack.stop().await;
}
/// A validly signed regtest invoice for `payment_hash` with no amount.
fn regtest_invoice_without_amount(payment_hash: &str) -> String {
    use bitcoin::secp256k1::{Secp256k1, SecretKey};
    use ldk_node::lightning_invoice::{Currency, InvoiceBuilder, PaymentSecret};
    let secp = Secp256k1::new();
    let key = SecretKey::from_slice(&[43; 32]).expect("key");
    let hash = sha256::Hash::from_slice(&hex::decode(payment_hash).expect("hex")).expect("hash");
    InvoiceBuilder::new(Currency::Regtest)
        .description("no amount".into())
        .payment_hash(hash)
        .payment_secret(PaymentSecret([9; 32]))
        .current_timestamp()
        .min_final_cltv_expiry_delta(144)
        .build_signed(|message| secp.sign_ecdsa_recoverable(message, &key))
        .expect("signed invoice")
        .to_string()
}

/// `bolt11` re-encoded with another amount but its original signature (a tampered invoice).
fn with_altered_amount(bolt11: &str, amount_msat: u64) -> String {
    use ldk_node::lightning_invoice::{SiPrefix, SignedRawBolt11Invoice};
    let signed: SignedRawBolt11Invoice = bolt11.parse().expect("signed raw invoice");
    let (mut raw, _, signature) = signed.into_parts();
    // Amounts are encoded in pico-bitcoin: 1 msat = 10 pico.
    raw.hrp.raw_amount = Some(amount_msat * 10);
    raw.hrp.si_prefix = Some(SiPrefix::Pico);
    let tampered = raw.sign::<_, ()>(|_| Ok(signature.0)).expect("re-encoded");
    tampered.to_string()
}
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setinvoice_cannot_rewind_a_received_transaction_and_no_invoice_means_no_preimage() {
    let stack = TestStack::builder().demo_nodes().build().await;
    let escrow = &stack.hub.escrow;
    let (seller, buyer, tx, pmthash) = deal(escrow, "rewind").await;
    // The deny-list lets the buyer confirm receipt before any invoice (as the original did) ...
    escrow
        .goods_received(json!({"session_id": buyer, "tx": tx}))
        .await
        .success();
    // ... but with no invoice there is no preimage to release,
    assert_eq!(
        escrow
            .get_preimage(json!({"session_id": seller, "tx": tx}))
            .await
            .refusal(),
        "nice try!"
    );
    // and an invoice can no longer be added to ask the buyer to pay.
    let invoice = stack.hub.dev.hold_invoice("bob", 1_000_000, &pmthash).await;
    assert!(escrow
        .set_invoice(json!({"session_id": seller, "tx": tx, "invoice": invoice.bolt11}))
        .await
        .refusal()
        .contains("already has an invoice"));
    let stored = escrow
        .get_tx(json!({"session_id": seller, "tx": tx}))
        .await
        .body();
    assert_eq!(stored["status"], "goods received");
    stack.stop().await;
}
