//! The escrow API as its original clients used it (plain JSON POSTs to the documented paths),
//! on real Lightning nodes: bob sells, alice buys, the hub keeps the preimage.

mod access;
mod disputes;
mod flow;
mod refusals;

use serde_json::json;

use crate::harness::clients::escrow::EscrowClient;

/// A new user's session (the same password for every test user).
pub(crate) async fn user(escrow: &EscrowClient, email: &str) -> String {
    let answer = escrow
        .set_user(json!({"email": email, "password": "hunter2-long"}))
        .await
        .success();
    answer["session"].as_str().expect("session").to_string()
}

/// A seller, a buyer attached to a new 1,000-sat transaction. Returns (seller, buyer, tx, pmthash).
async fn deal(escrow: &EscrowClient, tag: &str) -> (String, String, String, String) {
    deal_of(escrow, tag, 1_000).await
}

/// A seller, a buyer attached to a new transaction of `amount_sat`. Returns (seller, buyer, tx,
/// pmthash).
pub(crate) async fn deal_of(
    escrow: &EscrowClient,
    tag: &str,
    amount_sat: u64,
) -> (String, String, String, String) {
    let seller = user(escrow, &format!("seller-{tag}@example.com")).await;
    let created = escrow
        .set_tx(json!({"session_id": seller, "buyer_email": "buyer@example.com", "goods_or_services": "goods", "title": "A book", "description": "Used", "fee_payer": "buyer", "amount": amount_sat}))
        .await.success();
    let data = &created["data"];
    assert_eq!(data["status"], "needs invoice");
    assert_eq!(data["amount"], amount_sat.to_string());
    assert_eq!(data["buyer"], "");
    assert!(data["created"].is_number() && data["id"].is_string());
    assert!(data.get("invoice").is_none());
    let tx = data["id"].as_str().expect("id").to_string();
    let pmthash = data["pmthash"].as_str().expect("pmthash").to_string();
    let buyer = escrow.without_trailing_slash().set_user(json!({"email": format!("buyer-{tag}@example.com"), "password": "pw-of-the-buyer", "tx": tx.parse::<i64>().expect("int")})).await.success();
    (
        seller,
        buyer["session"].as_str().expect("session").to_string(),
        tx,
        pmthash,
    )
}
