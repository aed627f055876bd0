//! Replies about outgoing payments: what a payment request answers, and an outgoing payment's
//! status (a boltworks addition).

use serde::Serialize;

use crate::services::merchant::model::whole_sats;
use crate::services::merchant::store::{Payment, PaymentKind, PaymentStatus};

/// `POST /api/v2/payment/internal`.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentIdReply {
    /// The payment.
    pub payment_id: String,
}

/// `POST /api/v2/payment/outgoing/lightning`.
#[derive(Debug, Clone, Serialize)]
pub struct LightningPaymentSent {
    /// The payment.
    pub payment_id: String,
    /// Whether the invoice was another merchant's of this hub, paid internally.
    pub converted_to_internal: bool,
}

/// `POST /api/v2/payment/outgoing/on_chain`.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainPaymentSent {
    /// The payment.
    pub payment_id: String,
    /// Its transaction.
    pub txid: String,
}

/// `GET /api/v2/payment/outgoing/{payment_id}`: amounts as strings, absent values `null`.
#[derive(Debug, Clone, Serialize)]
pub struct OutgoingPayment {
    /// The payment.
    pub payment_id: String,
    /// The payer.
    pub merchant_id: String,
    /// How it goes out.
    pub payment_type: PaymentKind,
    /// Whole sats.
    pub amount: String,
    /// Msat.
    pub amount_msat: String,
    /// The routing fee paid, msat.
    pub fee_msat: String,
    /// Merchant id, invoice or address.
    pub destination: String,
    /// Lightning payment hash.
    pub r_hash: Option<String>,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// The on-chain transaction.
    pub txid: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<Payment> for OutgoingPayment {
    fn from(p: Payment) -> Self {
        Self {
            payment_id: p.payment_id,
            merchant_id: p.merchant_id,
            payment_type: p.kind,
            amount: whole_sats(p.amount_msat).0.to_string(),
            amount_msat: p.amount_msat.0.to_string(),
            fee_msat: p.fee_paid_msat.map_or(0, |fee| fee.0).to_string(),
            destination: p.destination,
            r_hash: p.payment_hash,
            status: p.status,
            failure_reason: p.failure_reason,
            txid: p.txid,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}
