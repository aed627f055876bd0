//! The replies of mutations (`settx`, `setinvoice`, the status steps, `dispute`,
//! `getpreimage`): their `data` object ([`TxData`]) is the stored object with every top-level
//! number turned into a string, except `created` and `expires` in `settx`'s reply, as the
//! original did (the dispute inside keeps its numbers).

use serde::Serialize;

use super::transaction::{DisputeObject, StoredTx};
use super::ReplyStatus;
use crate::services::escrow::model::Status;
use crate::services::escrow::store::EscrowTx;

/// The `data` object of mutation replies: [`StoredTx`] with every top-level number a string.
/// `Time` is the type of `created` and `expires`: `i64` (numbers) in `settx`'s reply, `String`
/// in every other.
#[derive(Debug, Clone, Serialize)]
pub struct TxData<Time> {
    /// Transaction id, as a string.
    pub id: String,
    /// Always `""`.
    pub shipping_link: &'static str,
    /// Created (unix seconds).
    pub created: Time,
    /// Informational expiry (unix seconds).
    pub expires: Time,
    /// As in [`StoredTx`].
    pub buyer: String,
    /// As in [`StoredTx`].
    pub buyer_email: String,
    /// As in [`StoredTx`].
    pub seller: String,
    /// As in [`StoredTx`].
    pub goods_or_services: String,
    /// As in [`StoredTx`].
    pub title: String,
    /// As in [`StoredTx`].
    pub description: String,
    /// As in [`StoredTx`].
    pub fee_payer: String,
    /// As in [`StoredTx`].
    pub amount: String,
    /// As in [`StoredTx`].
    pub status: Status,
    /// As in [`StoredTx`].
    pub pmthash: String,
    /// The invoice fields, numbers as strings, once set (absent before).
    #[serde(flatten)]
    pub invoice: Option<InvoiceData>,
    /// The settle-by height, as a string, once payment is confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_by_height: Option<String>,
    /// The dispute (as in [`StoredTx`], its numbers stay numbers), once one was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispute: Option<DisputeObject>,
}

/// The invoice fields of [`TxData`] (numbers as strings, `null` stays `null`).
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceData {
    /// The BOLT11 invoice.
    pub invoice: String,
    /// Its amount in msat.
    pub invoice_amount_msat: Option<String>,
    /// Its expiry (unix seconds).
    pub invoice_expires_at: Option<String>,
    /// Its min_final_cltv_expiry_delta.
    pub min_final_cltv_expiry_delta: Option<String>,
    /// Its payee.
    pub payee_node_id: Option<String>,
}

impl<Time> TxData<Time> {
    fn from_stored(stored: StoredTx, time: impl Fn(i64) -> Time) -> Self {
        let text = |n: i64| n.to_string();
        TxData {
            id: text(stored.id),
            shipping_link: stored.shipping_link,
            created: time(stored.created),
            expires: time(stored.expires),
            buyer: stored.buyer,
            buyer_email: stored.buyer_email,
            seller: stored.seller,
            goods_or_services: stored.goods_or_services,
            title: stored.title,
            description: stored.description,
            fee_payer: stored.fee_payer,
            amount: stored.amount,
            status: stored.status,
            pmthash: stored.pmthash,
            invoice: stored.invoice.map(|invoice| InvoiceData {
                invoice: invoice.invoice,
                invoice_amount_msat: invoice.invoice_amount_msat.map(|a| a.0.to_string()),
                invoice_expires_at: invoice.invoice_expires_at.map(text),
                min_final_cltv_expiry_delta: invoice.min_final_cltv_expiry_delta.map(text),
                payee_node_id: invoice.payee_node_id,
            }),
            settle_by_height: stored.settle_by_height.map(text),
            dispute: stored.dispute,
        }
    }
}

impl TxData<i64> {
    /// `settx`'s data: `created` and `expires` stay numbers.
    pub fn created(tx: &EscrowTx) -> Self {
        TxData::from_stored(StoredTx::from(tx), |time| time)
    }
}

impl TxData<String> {
    /// The data of every other mutation: every number a string.
    pub fn changed(tx: &EscrowTx) -> Self {
        TxData::from_stored(StoredTx::from(tx), |time| time.to_string())
    }
}

/// A mutation's reply: `settx` (`TxReply<i64>`), `setinvoice`, the status steps and `dispute`
/// (`TxReply<String>`).
#[derive(Debug, Clone, Serialize)]
pub struct TxReply<Time> {
    /// `success`.
    pub status: ReplyStatus,
    /// The transaction as it now is.
    pub data: TxData<Time>,
}

impl TxReply<i64> {
    /// `settx`'s reply.
    pub fn created(tx: &EscrowTx) -> Self {
        TxReply {
            status: ReplyStatus::Success,
            data: TxData::created(tx),
        }
    }
}

impl TxReply<String> {
    /// The reply of a change to `tx`.
    pub fn changed(tx: &EscrowTx) -> Self {
        TxReply {
            status: ReplyStatus::Success,
            data: TxData::changed(tx),
        }
    }
}

/// `getpreimage`'s reply: the preimage and the transaction.
#[derive(Debug, Clone, Serialize)]
pub struct PreimageReply {
    /// `success`.
    pub status: ReplyStatus,
    /// The preimage (hex).
    pub preimage: String,
    /// The transaction as it now is.
    pub data: TxData<String>,
}

impl PreimageReply {
    /// The reply releasing `preimage` of `tx`.
    pub fn new(preimage: String, tx: &EscrowTx) -> Self {
        PreimageReply {
            status: ReplyStatus::Success,
            preimage,
            data: TxData::changed(tx),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::money::{Msat, Sat};
    use crate::services::escrow::store::{Dispute, SellerInvoice};

    fn tx() -> EscrowTx {
        EscrowTx {
            id: 3,
            seller_id: 0,
            buyer_id: None,
            buyer_email: "b@example.com".into(),
            goods_or_services: "goods".into(),
            title: "t".into(),
            description: "n/a".into(),
            fee_payer: "buyer".into(),
            amount_sat: Sat(5_000),
            status: Status::NeedsInvoice,
            pmthash: "ab".into(),
            invoice: None,
            created_at: 100,
            expires_at: 200,
            settle_by_height: None,
            dispute: None,
        }
    }

    #[test]
    fn a_new_transaction_omits_what_it_does_not_have_yet() {
        let common = json!({"shipping_link": "", "buyer": "", "buyer_email": "b@example.com",
            "seller": "0", "goods_or_services": "goods", "title": "t", "description": "n/a",
            "fee_payer": "buyer", "amount": "5000", "status": "needs invoice", "pmthash": "ab"});
        let with = |extra: serde_json::Value| {
            let mut object = common.clone();
            object
                .as_object_mut()
                .expect("object")
                .extend(extra.as_object().expect("object").clone());
            object
        };
        let tx = tx();
        assert_eq!(
            serde_json::to_value(StoredTx::from(&tx)).expect("json"),
            with(json!({"id": 3, "created": 100, "expires": 200}))
        );
        assert_eq!(
            serde_json::to_value(TxData::created(&tx)).expect("json"),
            with(json!({"id": "3", "created": 100, "expires": 200}))
        );
        assert_eq!(
            serde_json::to_value(TxData::changed(&tx)).expect("json"),
            with(json!({"id": "3", "created": "100", "expires": "200"}))
        );
    }

    #[test]
    fn data_strings_the_numbers_but_not_the_disputes() {
        let mut tx = tx();
        tx.buyer_id = Some(1);
        tx.status = Status::Paid;
        tx.invoice = Some(SellerInvoice {
            bolt11: "lnbcrt1".into(),
            amount_msat: Some(Msat(5_000_000)),
            expires_at: Some(300),
            min_final_cltv_expiry_delta: None,
            payee_node_id: Some("02aa".into()),
        });
        tx.settle_by_height = Some(150);
        tx.dispute = Some(Dispute {
            opened_by: 1,
            reason: "late".into(),
            opened_at: 120,
            resolution: None,
            note: None,
            resolved_at: None,
        });
        let stored = serde_json::to_value(StoredTx::from(&tx)).expect("json");
        assert_eq!(stored["buyer"], "1");
        assert_eq!(stored["status"], "paid");
        assert_eq!(stored["invoice_amount_msat"], 5_000_000);
        assert_eq!(stored["invoice_expires_at"], 300);
        assert_eq!(stored["min_final_cltv_expiry_delta"], json!(null));
        assert_eq!(stored["settle_by_height"], 150);
        let dispute = json!({"opened_by": "1", "reason": "late", "opened_at": 120,
            "resolution": null, "note": null, "resolved_at": null});
        assert_eq!(stored["dispute"], dispute);
        let data = serde_json::to_value(TxReply::changed(&tx)).expect("json");
        assert_eq!(data["status"], "success");
        let data = &data["data"];
        assert_eq!(data["invoice"], "lnbcrt1");
        assert_eq!(data["invoice_amount_msat"], "5000000");
        assert_eq!(data["invoice_expires_at"], "300");
        assert_eq!(data["min_final_cltv_expiry_delta"], json!(null));
        assert_eq!(data["payee_node_id"], "02aa");
        assert_eq!(data["settle_by_height"], "150");
        assert_eq!(data["dispute"], dispute);
        assert_eq!(
            data.as_object().map(|o| o.len()),
            stored.as_object().map(|o| o.len())
        );
    }
}
