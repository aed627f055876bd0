//! A gift's replies: `POST /create`, `GET /status/{charge_id}`, `GET /gift/{order_id}`, and the
//! `notify` webhook sent when it is redeemed.

use serde::{Serialize, Serializer};

use super::withdrawal::WithdrawalInfo;
use crate::money::Sat;
use crate::services::gifts::model::{ChargeStatus, Spent};
use crate::services::gifts::store::{Gift, Withdrawal};

/// A gift's invoice, as `POST /create` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LightningInvoice {
    /// The BOLT11 invoice.
    pub payreq: String,
    /// When it expires (unix seconds).
    pub expires_at: i64,
}

/// The answer to `POST /create`.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// The gift's id.
    pub order_id: String,
    /// The same, camelCase.
    #[serde(rename = "orderId")]
    pub order_id_camel: String,
    /// The invoice's id.
    pub charge_id: String,
    /// The same, camelCase.
    #[serde(rename = "chargeId")]
    pub charge_id_camel: String,
    /// Whether the invoice is paid (`unpaid` at creation).
    pub status: ChargeStatus,
    /// The invoice that funds the gift.
    pub lightning_invoice: LightningInvoice,
    /// The same, camelCase.
    #[serde(rename = "lightningInvoice")]
    pub lightning_invoice_camel: LightningInvoice,
    /// The gift's value (a number of sats).
    pub amount: Sat,
    /// The gift's LNURL-withdraw.
    pub lnurl: String,
    /// The sender's name, or `null`.
    #[serde(rename = "senderName")]
    pub sender_name: Option<String>,
    /// The sender's message, or `null`.
    #[serde(rename = "senderMessage")]
    pub sender_message: Option<String>,
}

impl Created {
    /// The answer for a new `gift` with its `lnurl`.
    pub fn new(gift: &Gift, lnurl: &str) -> Self {
        let invoice = LightningInvoice {
            payreq: gift.payment_request.clone(),
            expires_at: gift.invoice_expires_at,
        };
        Self {
            order_id: gift.order_id.clone(),
            order_id_camel: gift.order_id.clone(),
            charge_id: gift.charge_id.clone(),
            charge_id_camel: gift.charge_id.clone(),
            status: gift.charge_status,
            lightning_invoice: invoice.clone(),
            lightning_invoice_camel: invoice,
            amount: gift.amount_sat,
            lnurl: lnurl.to_string(),
            sender_name: gift.sender_name.clone(),
            sender_message: gift.sender_message.clone(),
        }
    }
}

/// The answer to `GET /status/{charge_id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeStatusReply {
    /// `unpaid` or `paid`.
    pub status: ChargeStatus,
}

/// A Firestore-style timestamp, as the original's `createdAt`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timestamp {
    /// Unix seconds.
    #[serde(rename = "_seconds")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[serde(rename = "_nanoseconds")]
    pub nanoseconds: i64,
}

/// The gift's invoice, as `GET /gift` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeInfo {
    /// The invoice's id.
    pub charge_id: String,
    /// The BOLT11 invoice.
    pub charge_invoice: String,
}

/// The answer to `GET /gift/{order_id}`: the stored gift as the original returned it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GiftView {
    /// The gift's id.
    pub id: String,
    /// The same.
    pub order_id: String,
    /// The gift's value (a number of sats).
    pub amount: Sat,
    /// The webhook URL, or `null`.
    pub notify: Option<String>,
    /// When the gift was created.
    pub created_at: Timestamp,
    /// Whether its invoice is paid.
    pub charge_status: ChargeStatus,
    /// Its invoice.
    pub charge_info: ChargeInfo,
    /// `false`, `"pending"` (a payout in flight) or `true`.
    #[serde(serialize_with = "spent_on_wire")]
    pub spent: Spent,
    /// The gift's LNURL-withdraw.
    pub lnurl: String,
    /// The sender's name, or `null`.
    pub sender_name: Option<String>,
    /// The sender's message, or `null`.
    pub sender_message: Option<String>,
    /// The latest redemption attempt; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal_info: Option<WithdrawalInfo>,
}

impl GiftView {
    /// The view of `gift`, its latest `withdrawal` and its `lnurl`.
    pub fn new(gift: &Gift, withdrawal: Option<&Withdrawal>, lnurl: &str) -> Self {
        Self {
            id: gift.order_id.clone(),
            order_id: gift.order_id.clone(),
            amount: gift.amount_sat,
            notify: gift.notify_url.clone(),
            created_at: Timestamp {
                seconds: gift.created_at,
                nanoseconds: gift.created_nanos,
            },
            charge_status: gift.charge_status,
            charge_info: ChargeInfo {
                charge_id: gift.charge_id.clone(),
                charge_invoice: gift.payment_request.clone(),
            },
            spent: gift.spent,
            lnurl: lnurl.to_string(),
            sender_name: gift.sender_name.clone(),
            sender_message: gift.sender_message.clone(),
            withdrawal_info: withdrawal.map(WithdrawalInfo::new),
        }
    }
}

/// `spent` on the wire: the booleans `false` and `true`, or the string `"pending"`.
fn spent_on_wire<S: Serializer>(spent: &Spent, serializer: S) -> Result<S::Ok, S::Error> {
    match spent {
        Spent::No => serializer.serialize_bool(false),
        Spent::Pending => serializer.serialize_str(Spent::Pending.as_str()),
        Spent::Yes => serializer.serialize_bool(true),
    }
}

/// The body of the `notify` webhook: the original's, with the `orderId` key it gained later.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GiftRedeemedWebhook {
    /// The gift's id.
    pub id: String,
    /// The same.
    pub order_id: String,
    /// The gift's value (a number of sats).
    pub amount: Sat,
    /// Always `true`: the gift was redeemed.
    pub spent: bool,
}

impl GiftRedeemedWebhook {
    /// The webhook for `gift`, just redeemed.
    pub fn new(gift: &Gift) -> Self {
        Self {
            id: gift.order_id.clone(),
            order_id: gift.order_id.clone(),
            amount: gift.amount_sat,
            spent: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gift(spent: Spent) -> Gift {
        Gift {
            order_id: "ab".repeat(24),
            charge_id: "c".into(),
            payment_hash: "h".into(),
            payment_request: "lnbcrt1".into(),
            invoice_expires_at: 10,
            amount_sat: Sat(1_000),
            k1: "k".into(),
            notify_url: None,
            sender_name: Some("Ann".into()),
            sender_message: None,
            charge_status: ChargeStatus::Paid,
            spent,
            withdrawal_id: None,
            created_at: 7,
            created_nanos: 8,
        }
    }

    #[test]
    fn a_gift_view_has_the_original_shape() {
        let id = "ab".repeat(24);
        let view = serde_json::to_value(GiftView::new(&gift(Spent::No), None, "lnurl1x"))
            .expect("serializes");
        assert_eq!(
            view,
            json!({
                "id": id, "orderId": id, "amount": 1000, "notify": null,
                "createdAt": {"_seconds": 7, "_nanoseconds": 8}, "chargeStatus": "paid",
                "chargeInfo": {"chargeId": "c", "chargeInvoice": "lnbcrt1"}, "spent": false,
                "lnurl": "lnurl1x", "senderName": "Ann", "senderMessage": null,
            })
        );
        let spent = |s| {
            serde_json::to_value(GiftView::new(&gift(s), None, "")).expect("serializes")["spent"]
                .clone()
        };
        assert_eq!(spent(Spent::Pending), json!("pending"));
        assert_eq!(spent(Spent::Yes), json!(true));
    }

    #[test]
    fn created_carries_both_spellings() {
        let created =
            serde_json::to_value(Created::new(&gift(Spent::No), "lnurl1x")).expect("serializes");
        assert_eq!(created["orderId"], created["order_id"]);
        assert_eq!(created["chargeId"], "c");
        assert_eq!(
            created["lightningInvoice"],
            json!({"payreq": "lnbcrt1", "expires_at": 10})
        );
        assert_eq!(created["lightning_invoice"], created["lightningInvoice"]);
        assert_eq!(created["amount"], 1000);
        assert_eq!(created["senderMessage"], json!(null));
    }
}
