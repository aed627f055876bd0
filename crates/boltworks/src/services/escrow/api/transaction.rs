//! A transaction as stored ([`StoredTx`]: what `gettx`, `getallusertxs` and webhooks carry):
//! `id`, `created`, `expires` and the decoded invoice numbers are JSON numbers, everything else
//! strings. Invoice fields appear once an invoice is set, `settle_by_height` once payment is
//! confirmed, `dispute` once one was opened. The webhook body ([`TxEvent`]) is here too.

use serde::Serialize;

use crate::money::Msat;
use crate::services::escrow::model::{Resolution, Status};
use crate::services::escrow::store::{Dispute, EscrowTx, SellerInvoice};

/// A transaction as stored: `gettx`'s reply, an element of `getallusertxs`, a webhook's
/// `transaction`.
#[derive(Debug, Clone, Serialize)]
pub struct StoredTx {
    /// Transaction id (a number).
    pub id: i64,
    /// Always `""` (reserved by the original).
    pub shipping_link: &'static str,
    /// Created (unix seconds, a number).
    pub created: i64,
    /// Informational expiry (unix seconds, a number).
    pub expires: i64,
    /// The buyer's user id as a string, `""` until one is attached.
    pub buyer: String,
    /// The buyer's email as given at creation.
    pub buyer_email: String,
    /// The seller's user id, as a string.
    pub seller: String,
    /// `goods` or `services` (not validated).
    pub goods_or_services: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `buyer` or `seller` (informational).
    pub fee_payer: String,
    /// The price in sats, as a string.
    pub amount: String,
    /// The status.
    pub status: Status,
    /// The payment hash the seller's invoice must use.
    pub pmthash: String,
    /// The seller's invoice and its decoded facts, once set (absent before).
    #[serde(flatten)]
    pub invoice: Option<InvoiceFields>,
    /// The height by which the seller must settle, once payment is confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settle_by_height: Option<i64>,
    /// The dispute, once one was opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dispute: Option<DisputeObject>,
}

/// The invoice fields of [`StoredTx`] (numbers as numbers).
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceFields {
    /// The BOLT11 invoice.
    pub invoice: String,
    /// Its amount.
    pub invoice_amount_msat: Option<Msat>,
    /// Its expiry (unix seconds).
    pub invoice_expires_at: Option<i64>,
    /// Its min_final_cltv_expiry_delta.
    pub min_final_cltv_expiry_delta: Option<i64>,
    /// Its payee.
    pub payee_node_id: Option<String>,
}

/// A transaction's dispute, alike in [`StoredTx`] and [`TxData`].
#[derive(Debug, Clone, Serialize)]
pub struct DisputeObject {
    /// Who opened it (user id, as a string).
    pub opened_by: String,
    /// Why.
    pub reason: String,
    /// When (unix seconds, a number).
    pub opened_at: i64,
    /// `release` or `refund`, `null` until resolved.
    pub resolution: Option<Resolution>,
    /// The operator's note, `null` until resolved.
    pub note: Option<String>,
    /// When it was resolved, `null` until then.
    pub resolved_at: Option<i64>,
}

impl From<&EscrowTx> for StoredTx {
    fn from(tx: &EscrowTx) -> Self {
        StoredTx {
            id: tx.id,
            shipping_link: "",
            created: tx.created_at,
            expires: tx.expires_at,
            buyer: tx.buyer_id.map(|b| b.to_string()).unwrap_or_default(),
            buyer_email: tx.buyer_email.clone(),
            seller: tx.seller_id.to_string(),
            goods_or_services: tx.goods_or_services.clone(),
            title: tx.title.clone(),
            description: tx.description.clone(),
            fee_payer: tx.fee_payer.clone(),
            amount: tx.amount_sat.0.to_string(),
            status: tx.status,
            pmthash: tx.pmthash.clone(),
            invoice: tx.invoice.as_ref().map(InvoiceFields::from),
            settle_by_height: tx.settle_by_height,
            dispute: tx.dispute.as_ref().map(DisputeObject::from),
        }
    }
}

impl From<&SellerInvoice> for InvoiceFields {
    fn from(invoice: &SellerInvoice) -> Self {
        InvoiceFields {
            invoice: invoice.bolt11.clone(),
            invoice_amount_msat: invoice.amount_msat,
            invoice_expires_at: invoice.expires_at,
            min_final_cltv_expiry_delta: invoice.min_final_cltv_expiry_delta,
            payee_node_id: invoice.payee_node_id.clone(),
        }
    }
}

impl From<&Dispute> for DisputeObject {
    fn from(dispute: &Dispute) -> Self {
        DisputeObject {
            opened_by: dispute.opened_by.to_string(),
            reason: dispute.reason.clone(),
            opened_at: dispute.opened_at,
            resolution: dispute.resolution,
            note: dispute.note.clone(),
            resolved_at: dispute.resolved_at,
        }
    }
}

/// The body of a webhook: what happened, and the transaction as it now is.
#[derive(Debug, Clone, Serialize)]
pub struct TxEvent {
    /// The event type (`escrow.created`, ...).
    pub event: &'static str,
    /// The transaction.
    pub transaction: StoredTx,
}
