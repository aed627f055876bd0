//! Secrets, keys and invoices the test makes itself rather than asking a node for: a preimage
//! and its hash, the id of a node nobody runs, a signed invoice of such a node.

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use ldk_node::lightning_invoice::{Currency, InvoiceBuilder, PaymentSecret};

/// A fresh random preimage and its payment hash, hex.
pub fn preimage_and_hash() -> (String, String) {
    let preimage: [u8; 32] = rand::random();
    (
        hex::encode(preimage),
        hex::encode(sha256::Hash::hash(&preimage).to_byte_array()),
    )
}

/// The id of a node nobody runs (a valid key).
pub fn random_node_id() -> String {
    let secret = SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("key");
    PublicKey::from_secret_key(&Secp256k1::new(), &secret).to_string()
}

/// A validly signed invoice of a node nobody has a channel with.
pub fn foreign_invoice(
    currency: Currency,
    amount_msat: Option<u64>,
    created_secs_ago: u64,
    expiry_secs: u64,
) -> String {
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
