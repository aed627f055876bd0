//! Replies about incoming on-chain invoices: the new address with its signatures, the list
//! (every value a string, as the seed's example), and a cancellation's refund.

use serde::Serialize;

use crate::money::Sat;
use crate::services::merchant::model::net_of_fee;
use crate::services::merchant::store::{OnchainInvoice, OnchainInvoiceStatus};

/// A new on-chain invoice: its address, signed by the PSS and the hub over `btc_address` +
/// `merchant_id`.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainAddress {
    /// The invoice's own address.
    pub btc_address: String,
    /// The PSS's signature.
    pub pss_signature: String,
    /// The hub's signature.
    pub hub_signature: String,
    /// The invoice.
    pub payment_id: String,
}

/// An on-chain invoice in `GET /payments/on_chain`.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainPayment {
    /// The invoice.
    pub payment_id: String,
    /// Sats asked (received, for an open amount).
    pub amount: String,
    /// Memo.
    pub description: String,
    /// Whose.
    pub merchant_id: String,
    /// Where it stands.
    pub status: OnchainInvoiceStatus,
    /// The hub's fee, sats (`"0"` until settled).
    pub fee: String,
    /// What the merchant is credited, sats.
    pub amount_without_fee: String,
    /// The transaction that took its money out: the balance withdrawal that included it, or the
    /// refund of a cancelled invoice; empty when there was none.
    pub withdraw_tx: String,
    /// The invoice's address.
    pub btc_address: String,
    /// The invoice's webhook, or empty.
    pub ntfn_url: String,
    /// Sats received.
    pub paid_amount: String,
}

impl From<&OnchainInvoice> for OnchainPayment {
    fn from(invoice: &OnchainInvoice) -> Self {
        let amount = invoice.amount_sat.unwrap_or(invoice.paid_sat);
        let fee = invoice.fee_sat.unwrap_or(Sat(0));
        Self {
            payment_id: invoice.invoice_id.clone(),
            amount: amount.0.to_string(),
            description: invoice.description.clone(),
            merchant_id: invoice.merchant_id.clone(),
            status: invoice.status,
            fee: fee.0.to_string(),
            amount_without_fee: net_of_fee(amount, fee).0.to_string(),
            withdraw_tx: invoice
                .withdraw_tx
                .clone()
                .or_else(|| invoice.refund_txid.clone())
                .unwrap_or_default(),
            btc_address: invoice.btc_address.clone(),
            ntfn_url: invoice.ntfn_url.clone().unwrap_or_default(),
            paid_amount: invoice.paid_sat.0.to_string(),
        }
    }
}

/// `GET /api/v2/payments/on_chain`.
#[derive(Debug, Clone, Serialize)]
pub struct OnchainPayments {
    /// Newest first.
    pub payments: Vec<OnchainPayment>,
}

/// `POST /api/v2/payment/on_chain/cancel`: the refund transaction (empty when nothing was
/// received), under the seed's spelling `refund_txtd` and the corrected `refund_txid`.
#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    /// The seed's spelling.
    pub refund_txtd: String,
    /// The same.
    pub refund_txid: String,
}

impl Refund {
    /// A refund in `txid` (empty for none).
    pub fn in_tx(txid: String) -> Self {
        Self {
            refund_txtd: txid.clone(),
            refund_txid: txid,
        }
    }
}
