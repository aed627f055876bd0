//! The checks a seller's invoice must pass before a transaction takes it, in the order the API
//! reports their failures.

use bitcoin::Network;

use super::{Refusal, MAX_FINAL_CLTV_DELTA};
use crate::clock::Clock;
use crate::money::{Msat, Sat};
use crate::node::{Invoice, InvoiceProblem};

/// A seller's invoice that passed every check, with the facts the hub keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedInvoice {
    /// The BOLT11 string, trimmed.
    pub bolt11: String,
    /// Its amount: exactly the transaction's.
    pub amount: Msat,
    /// Its expiry (unix seconds).
    pub expires_at: i64,
    /// Its min_final_cltv_expiry_delta (at most [`MAX_FINAL_CLTV_DELTA`]).
    pub min_final_cltv_expiry_delta: i64,
    /// Its payee's node id.
    pub payee_node_id: String,
}

/// What a transaction asks of the invoice its seller submits.
#[derive(Debug, Clone, Copy)]
pub struct InvoiceTerms<'a> {
    /// The payment hash it must use (hex).
    pub pmthash: &'a str,
    /// The price, which must be its exact amount.
    pub amount: Sat,
    /// The transaction already has an invoice.
    pub has_invoice: bool,
}

/// Checks a seller's invoice for a transaction, refusing with the first problem in the order
/// the API reports them: unreadable, wrong network or expired, wrong hash, no or wrong amount,
/// too long a final CLTV delta, and finally an invoice already set.
pub fn check_invoice(
    text: &str,
    terms: InvoiceTerms<'_>,
    network: Network,
    clock: &Clock,
) -> Result<AcceptedInvoice, Refusal> {
    let invoice = Invoice::parse(text).map_err(|e| Refusal::NotAnInvoice(e.to_string()))?;
    invoice.check_usable(network, clock).map_err(|e| match e {
        InvoiceProblem::WrongNetwork { .. } => Refusal::WrongNetwork(e.to_string()),
        InvoiceProblem::Expired { .. } => Refusal::InvoiceExpired(e.to_string()),
    })?;
    if invoice.payment_hash().to_string() != terms.pmthash {
        return Err(Refusal::WrongPaymentHash);
    }
    let expected = terms.amount.to_msat().ok_or(Refusal::AmountOverSupply)?;
    let amount = invoice.amount().ok_or(Refusal::InvoiceWithoutAmount {
        amount: terms.amount,
    })?;
    if amount != expected {
        return Err(Refusal::WrongAmount {
            invoice: amount,
            expected,
        });
    }
    let delta = invoice.min_final_cltv_expiry_delta();
    if delta > MAX_FINAL_CLTV_DELTA {
        return Err(Refusal::CltvDeltaTooLarge);
    }
    if terms.has_invoice {
        return Err(Refusal::HasInvoice);
    }
    Ok(AcceptedInvoice {
        bolt11: text.trim().to_string(),
        amount: expected,
        expires_at: invoice.expires_at(),
        min_final_cltv_expiry_delta: i64::try_from(delta)
            .map_err(|_| Refusal::CltvDeltaTooLarge)?,
        payee_node_id: invoice.payee().to_string(),
    })
}
