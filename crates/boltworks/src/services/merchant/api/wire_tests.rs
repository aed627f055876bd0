//! The wire shapes, pinned: each typed reply serializes to exactly the JSON the hub answered
//! before the replies were types (numbers and strings where they were, optional keys absent).

use serde_json::{json, Value};

use super::*;
use crate::money::{Msat, Sat};
use crate::services::merchant::store::{
    InvoiceState, LightningInvoice, OnchainInvoice, OnchainInvoiceStatus, Payment, PaymentKind,
    PaymentStatus, Withdrawal, WithdrawalStatus,
};

fn json_of(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("serializes")
}

fn invoice(
    state: InvoiceState,
    settle_date: Option<i64>,
    ntfn_url: Option<&str>,
) -> LightningInvoice {
    LightningInvoice {
        payment_hash: "ab".repeat(32),
        merchant_id: "m1".into(),
        amount_sat: Sat(20_000),
        fee_sat: Sat(200),
        description: "coffee".into(),
        payment_request: "lnbcrt1...".into(),
        expiry: 3_600,
        ntfn_url: ntfn_url.map(str::to_string),
        state,
        settle_date,
        created_at: 1_700_000_000,
        withdraw_tx: None,
    }
}

#[test]
fn a_lightning_payment_has_numbers_and_its_optional_keys_only_when_set() {
    let unpaid = json_of(LightningPayment::from(&invoice(
        InvoiceState::Held,
        None,
        None,
    )));
    assert_eq!(
        unpaid,
        json!({
            "amount": 20_000, "description": "coffee", "creation_date": 1_700_000_000i64,
            "expiry": 3_600, "settled": false, "payment_request": "lnbcrt1...",
            "r_hash": "ab".repeat(32), "withdraw_tx": "", "fee": 200, "amount_without_fee": 19_800,
        })
    );
    let paid = invoice(
        InvoiceState::Paid,
        Some(1_700_000_100),
        Some("https://shop.example/h"),
    );
    let paid = json_of(LightningPayment::from(&paid));
    assert_eq!(paid["settled"], json!(true));
    assert_eq!(paid["settle_date"], json!(1_700_000_100i64));
    assert_eq!(paid["ntfn_url"], json!("https://shop.example/h"));
}

#[test]
fn a_lightning_frame_has_every_number_a_string() {
    let frame = Frame {
        result: LightningNotice::of(&invoice(
            InvoiceState::Unpaid,
            None,
            Some("https://x.example"),
        )),
    };
    assert_eq!(
        json_of(frame),
        json!({"result": {"ntfn_type": "lightning", "lightning_payment_status": {
            "amount": "20000", "description": "coffee", "creation_date": "1700000000",
            "expiry": "3600", "settle_date": "0", "settled": false,
            "payment_request": "lnbcrt1...", "r_hash": "ab".repeat(32), "fee": "200",
            "amount_without_fee": "19800",
        }}})
    );
}

fn onchain(amount: Option<Sat>, status: OnchainInvoiceStatus) -> OnchainInvoice {
    OnchainInvoice {
        invoice_id: "i1".into(),
        merchant_id: "m1".into(),
        btc_address: "bcrt1qaddress".into(),
        amount_sat: amount,
        description: "chair".into(),
        ntfn_url: None,
        status,
        paid_sat: Sat(10_000),
        notified_partial_sat: Sat(0),
        fee_sat: Some(Sat(100)),
        refund_txid: None,
        created_at: 1_700_000_000,
        withdraw_tx: None,
    }
}

#[test]
fn onchain_lists_carry_strings() {
    let listed = json_of(OnchainPayment::from(&onchain(
        None,
        OnchainInvoiceStatus::Settled,
    )));
    assert_eq!(
        listed,
        json!({
            "payment_id": "i1", "amount": "10000", "description": "chair", "merchant_id": "m1",
            "status": "Settled", "fee": "100", "amount_without_fee": "9900", "withdraw_tx": "",
            "btc_address": "bcrt1qaddress", "ntfn_url": "", "paid_amount": "10000",
        })
    );
    assert_eq!(
        json_of(Refund::in_tx("tx".into())),
        json!({"refund_txtd": "tx", "refund_txid": "tx"})
    );
}

#[test]
fn onchain_notices_keep_their_shapes() {
    let fixed = onchain(Some(Sat(10_000)), OnchainInvoiceStatus::Settled);
    assert_eq!(
        json_of(OnchainPaidWebhook::of(&fixed, &["t1".into()])),
        json!({"amount": 10_000, "description": "chair", "fee": 100, "amount_without_fee": 9_900,
               "type": "success", "bitcoin_address": "bcrt1qaddress"})
    );
    let open = onchain(None, OnchainInvoiceStatus::Settled);
    let webhook = json_of(OnchainPaidWebhook::of(&open, &["t1".into()]));
    assert_eq!(webhook["payment_id"], json!("i1"));
    assert_eq!(webhook["tx"], json!(["t1"]));
    assert_eq!(
        json_of(Frame {
            result: OnchainNotice::of(&fixed)
        }),
        json!({"result": {"ntfn_type": "on_chain", "on_chain_payment_status": {
            "amount": "10000", "description": "chair", "fee": "100",
            "amount_without_fee": "9900", "bitcoin_address": "bcrt1qaddress",
        }}})
    );
    let partial = PartialPayment::of(
        &onchain(Some(Sat(50_000)), OnchainInvoiceStatus::Pending),
        Sat(10_000),
    );
    let expected = json!({"payment_id": "i1", "payment_type": "PARTIAL", "partial": {
        "payment_id": "i1", "btc_address": "bcrt1qaddress", "already_paid_amount": "10000",
        "merchant_id": "m1", "status": "Pending", "created_at": 1_700_000_000,
    }});
    assert_eq!(json_of(&partial), expected);
    assert_eq!(
        json_of(Frame {
            result: PartialNotice { payment: partial }
        }),
        json!({"result": {"payment": expected}})
    );
}

#[test]
fn an_outgoing_payment_has_string_amounts_and_null_absent_values() {
    let payment = Payment {
        payment_id: "p1".into(),
        merchant_id: "m1".into(),
        kind: PaymentKind::OnChain,
        amount_msat: Msat(1_234_567),
        fee_limit_msat: Msat(0),
        fee_paid_msat: None,
        destination: "bcrt1qdest".into(),
        payment_hash: None,
        status: PaymentStatus::Pending,
        failure_reason: None,
        txid: None,
        ntfn_url: Some("https://merchant.example/status".into()),
        payer_node: "02ab".into(),
        created_at: 1,
        updated_at: 2,
    };
    assert_eq!(
        json_of(OutgoingPayment::from(payment)),
        json!({
            "payment_id": "p1", "merchant_id": "m1", "payment_type": "on_chain",
            "amount": "1234", "amount_msat": "1234567", "fee_msat": "0",
            "destination": "bcrt1qdest", "r_hash": null, "status": "pending",
            "failure_reason": null, "txid": null, "created_at": 1, "updated_at": 2,
        })
    );
}

#[test]
fn a_withdrawal_has_strings_and_iso_times() {
    let withdrawal = Withdrawal {
        withdrawal_id: "w1".into(),
        merchant_id: "m1".into(),
        amount_sat: Sat(5_000),
        btc_address: "bcrt1qdest".into(),
        status: WithdrawalStatus::Pending,
        batch_id: None,
        txid: None,
        created_at_ms: 1_568_967_755_661,
        withdrawn_at_ms: None,
    };
    assert_eq!(
        json_of(WithdrawalView::from(withdrawal)),
        json!({
            "id": "w1", "merchant_id": "m1", "sent_amount": "5000", "sent_tx": "",
            "btc_address": "bcrt1qdest", "status": "Pending", "withdrawn_at": "",
            "created_at": "2019-09-20T08:22:35.661Z",
        })
    );
}

#[test]
fn account_replies_keep_their_shapes() {
    let signup = PssSignup {
        user_id: PssUserId {
            content: "u1".into(),
        },
        content: "u1".into(),
        pss_signature: "3044".into(),
    };
    assert_eq!(
        json_of(signup),
        json!({"user_id": {"content": "u1"}, "content": "u1", "pss_signature": "3044"})
    );
    assert_eq!(json_of(Empty {}), json!({}));
    let tokens = Tokens {
        merchant_id: "m1".into(),
        token_type: "Bearer",
        refresh_token: "r".into(),
        access_token: "a".into(),
        expires_at: 3_600,
        expires_in: 3_600,
    };
    assert_eq!(
        json_of(tokens),
        json!({"merchant_id": "m1", "token_type": "Bearer", "refresh_token": "r",
               "access_token": "a", "expires_at": 3_600, "expires_in": 3_600})
    );
}
