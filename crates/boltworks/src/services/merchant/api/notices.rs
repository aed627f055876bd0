//! What merchants are told: websocket frames (`{"result": ...}`, as grpc-gateway streams them,
//! every number a string) and the webhook bodies of on-chain payments. (A paid Lightning
//! invoice's webhook is its `LightningPayment`.)

use serde::Serialize;

use crate::money::Sat;
use crate::services::merchant::model::net_of_fee;
use crate::services::merchant::store::{LightningInvoice, OnchainInvoice, OnchainInvoiceStatus};

/// A websocket frame.
#[derive(Debug, Clone, Serialize)]
pub struct Frame<T> {
    /// The notice.
    pub result: T,
}

/// A paid Lightning invoice, as a frame carries it.
#[derive(Debug, Clone, Serialize)]
pub struct LightningNotice {
    /// `lightning`.
    pub ntfn_type: &'static str,
    /// The invoice.
    pub lightning_payment_status: LightningPaymentStatus,
}

/// A Lightning payment object with every number a string (`settle_date` `"0"` when unpaid).
#[derive(Debug, Clone, Serialize)]
pub struct LightningPaymentStatus {
    /// Sats asked.
    pub amount: String,
    /// Memo.
    pub description: String,
    /// Unix seconds.
    pub creation_date: String,
    /// Seconds it can be paid.
    pub expiry: String,
    /// When paid, unix seconds.
    pub settle_date: String,
    /// Paid.
    pub settled: bool,
    /// BOLT11.
    pub payment_request: String,
    /// Hex payment hash.
    pub r_hash: String,
    /// The hub's fee, sats.
    pub fee: String,
    /// What the merchant is credited, sats.
    pub amount_without_fee: String,
}

impl LightningNotice {
    /// The notice of `invoice`.
    pub fn of(invoice: &LightningInvoice) -> Self {
        let net = net_of_fee(invoice.amount_sat, invoice.fee_sat);
        Self {
            ntfn_type: "lightning",
            lightning_payment_status: LightningPaymentStatus {
                amount: invoice.amount_sat.0.to_string(),
                description: invoice.description.clone(),
                creation_date: invoice.created_at.to_string(),
                expiry: invoice.expiry.to_string(),
                settle_date: invoice.settle_date.unwrap_or_default().to_string(),
                settled: invoice.is_paid(),
                payment_request: invoice.payment_request.clone(),
                r_hash: invoice.payment_hash.clone(),
                fee: invoice.fee_sat.0.to_string(),
                amount_without_fee: net.0.to_string(),
            },
        }
    }
}

/// The webhook of a settled on-chain invoice (numbers); an open-amount invoice's adds its id
/// and the transactions that paid it.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainPaidWebhook {
    /// Sats received.
    pub amount: Sat,
    /// Memo.
    pub description: String,
    /// The hub's fee, sats.
    pub fee: Sat,
    /// What the merchant is credited, sats.
    pub amount_without_fee: Sat,
    /// `success`.
    #[serde(rename = "type")]
    pub outcome: &'static str,
    /// The invoice's address.
    pub bitcoin_address: String,
    /// The invoice (open amounts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The paying transactions (open amounts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx: Option<Vec<String>>,
}

impl OnchainPaidWebhook {
    /// The webhook of settled `invoice`, paid by `txids`.
    pub fn of(invoice: &OnchainInvoice, txids: &[String]) -> Self {
        let fee = invoice.fee_sat.unwrap_or(Sat(0));
        let open = invoice.amount_sat.is_none();
        Self {
            amount: invoice.paid_sat,
            description: invoice.description.clone(),
            fee,
            amount_without_fee: net_of_fee(invoice.paid_sat, fee),
            outcome: "success",
            bitcoin_address: invoice.btc_address.clone(),
            payment_id: open.then(|| invoice.invoice_id.clone()),
            tx: open.then(|| txids.to_vec()),
        }
    }
}

/// A settled on-chain invoice, as a frame carries it.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainNotice {
    /// `on_chain`.
    pub ntfn_type: &'static str,
    /// The invoice.
    pub on_chain_payment_status: OnchainPaymentStatus,
}

/// A settled on-chain invoice with every number a string.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainPaymentStatus {
    /// Sats received.
    pub amount: String,
    /// Memo.
    pub description: String,
    /// The hub's fee, sats.
    pub fee: String,
    /// What the merchant is credited, sats.
    pub amount_without_fee: String,
    /// The invoice's address.
    pub bitcoin_address: String,
}

impl OnchainNotice {
    /// The notice of settled `invoice`.
    pub fn of(invoice: &OnchainInvoice) -> Self {
        let fee = invoice.fee_sat.unwrap_or(Sat(0));
        Self {
            ntfn_type: "on_chain",
            on_chain_payment_status: OnchainPaymentStatus {
                amount: invoice.paid_sat.0.to_string(),
                description: invoice.description.clone(),
                fee: fee.0.to_string(),
                amount_without_fee: net_of_fee(invoice.paid_sat, fee).0.to_string(),
                bitcoin_address: invoice.btc_address.clone(),
            },
        }
    }
}

/// A partly paid on-chain invoice: the webhook body, and (inside `PartialNotice`) the frame's.
#[derive(Debug, Clone, Serialize)]
pub struct PartialPayment {
    /// The invoice.
    pub payment_id: String,
    /// `PARTIAL`.
    pub payment_type: &'static str,
    /// What it received so far.
    pub partial: Partial,
}

/// What a partly paid invoice received so far.
#[derive(Debug, Clone, Serialize)]
pub struct Partial {
    /// The invoice.
    pub payment_id: String,
    /// Its address.
    pub btc_address: String,
    /// Sats received so far.
    pub already_paid_amount: String,
    /// Whose.
    pub merchant_id: String,
    /// `Pending`.
    pub status: OnchainInvoiceStatus,
    /// Unix seconds, a number (the seed's frame; the other notices send strings).
    pub created_at: i64,
}

impl PartialPayment {
    /// The notice that pending `invoice` received `paid` so far.
    pub fn of(invoice: &OnchainInvoice, paid: Sat) -> Self {
        Self {
            payment_id: invoice.invoice_id.clone(),
            payment_type: "PARTIAL",
            partial: Partial {
                payment_id: invoice.invoice_id.clone(),
                btc_address: invoice.btc_address.clone(),
                already_paid_amount: paid.0.to_string(),
                merchant_id: invoice.merchant_id.clone(),
                status: OnchainInvoiceStatus::Pending,
                created_at: invoice.created_at,
            },
        }
    }
}

/// The frame of a partial payment.
#[derive(Debug, Clone, Serialize)]
pub struct PartialNotice {
    /// The payment.
    pub payment: PartialPayment,
}
