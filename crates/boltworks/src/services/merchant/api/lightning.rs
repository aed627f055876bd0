//! Replies about incoming Lightning invoices: the new invoice with its signatures, and the
//! payment object of REST answers and webhooks (numbers, as the seed's examples).

use serde::Serialize;

use crate::money::Sat;
use crate::services::merchant::model::net_of_fee;
use crate::services::merchant::store::LightningInvoice;

/// `POST /api/v2/payment/lightning`: the invoice, signed by the PSS and the hub over `r_hash`
/// + `payment_request` + `merchant_id`.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedInvoice {
    /// BOLT11.
    pub payment_request: String,
    /// Hex payment hash.
    pub r_hash: String,
    /// Unix seconds.
    pub creation_time: i64,
    /// Seconds it can be paid.
    pub expiry: i64,
    /// The request's `timestamp`, or now.
    pub timestamp: i64,
    /// The PSS's signature.
    pub pss_signature: String,
    /// The hub's signature.
    pub hub_signature: String,
}

/// A Lightning payment object (REST and webhook shape: numbers). `settle_date` and `ntfn_url`
/// are present only when set.
#[derive(Debug, Clone, Serialize)]
pub struct LightningPayment {
    /// Sats asked.
    pub amount: Sat,
    /// Memo.
    pub description: String,
    /// Unix seconds.
    pub creation_date: i64,
    /// Seconds it can be paid.
    pub expiry: i64,
    /// Paid.
    pub settled: bool,
    /// BOLT11.
    pub payment_request: String,
    /// Hex payment hash.
    pub r_hash: String,
    /// The transaction of the balance withdrawal that took this payment's money; empty until
    /// one was sent.
    pub withdraw_tx: String,
    /// The hub's fee, sats.
    pub fee: Sat,
    /// What the merchant is credited, sats.
    pub amount_without_fee: Sat,
    /// When paid, unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_date: Option<i64>,
    /// The invoice's webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ntfn_url: Option<String>,
}

impl From<&LightningInvoice> for LightningPayment {
    fn from(invoice: &LightningInvoice) -> Self {
        Self {
            amount: invoice.amount_sat,
            description: invoice.description.clone(),
            creation_date: invoice.created_at,
            expiry: invoice.expiry,
            settled: invoice.is_paid(),
            payment_request: invoice.payment_request.clone(),
            r_hash: invoice.payment_hash.clone(),
            withdraw_tx: invoice.withdraw_tx.clone().unwrap_or_default(),
            fee: invoice.fee_sat,
            amount_without_fee: net_of_fee(invoice.amount_sat, invoice.fee_sat),
            settle_date: invoice.settle_date,
            ntfn_url: invoice.ntfn_url.clone(),
        }
    }
}

/// `GET /api/v2/payments/lightning`.
#[derive(Debug, Clone, Serialize)]
pub struct LightningPayments {
    /// Newest first.
    pub payments: Vec<LightningPayment>,
}
