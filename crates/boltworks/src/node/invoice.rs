//! BOLT11 invoices as the hub reads them: parsed (signature checked), with the facts services
//! act on in the hub's own types, and the checks the hub applies before acting on one, against
//! its own clock and network (expiry must follow the injectable clock, not the system's).

use std::fmt;
use std::str::FromStr;

use bitcoin::secp256k1::PublicKey;
use bitcoin::Network;
use ldk_node::lightning_invoice::{Bolt11Invoice, Currency};

use super::ids::PaymentHash;
use crate::clock::Clock;
use crate::money::Msat;

/// A parsed BOLT11 invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice(pub(super) Bolt11Invoice);

/// Why a text is not an invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invoice: {0}")]
pub struct NotAnInvoice(String);

/// Why an invoice cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvoiceProblem {
    /// The invoice is for another network.
    #[error("invoice is for {found}, this hub runs {expected}")]
    WrongNetwork {
        /// The hub's network.
        expected: String,
        /// The invoice's network.
        found: String,
    },
    /// The invoice expired.
    #[error("invoice expired at {expired_at} (unix seconds)")]
    Expired {
        /// When it expired.
        expired_at: i64,
    },
}

impl Invoice {
    /// Parses a BOLT11 string (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, NotAnInvoice> {
        Bolt11Invoice::from_str(text.trim())
            .map(Invoice)
            .map_err(|e| NotAnInvoice(e.to_string()))
    }

    /// The payment hash it asks to be paid for.
    pub fn payment_hash(&self) -> PaymentHash {
        PaymentHash(*self.0.payment_hash().as_ref())
    }

    /// The amount it asks for; `None` for an amountless invoice.
    pub fn amount(&self) -> Option<Msat> {
        self.0.amount_milli_satoshis().map(Msat)
    }

    /// The node it pays (named in the invoice, or recovered from its signature).
    pub fn payee(&self) -> PublicKey {
        self.0.get_payee_pub_key()
    }

    /// The final hop's CLTV delta, in blocks.
    pub fn min_final_cltv_expiry_delta(&self) -> u64 {
        self.0.min_final_cltv_expiry_delta()
    }

    /// When it expires, in unix seconds.
    pub fn expires_at(&self) -> i64 {
        let created = i64::try_from(self.0.duration_since_epoch().as_secs()).unwrap_or(i64::MAX);
        let expiry = i64::try_from(self.0.expiry_time().as_secs()).unwrap_or(i64::MAX);
        created.saturating_add(expiry)
    }

    /// Refuses an invoice of another network, or one expired by the hub's clock.
    pub fn check_usable(&self, network: Network, clock: &Clock) -> Result<(), InvoiceProblem> {
        let expected = currency_of(network);
        if self.0.currency() != expected {
            return Err(InvoiceProblem::WrongNetwork {
                expected: network.to_string(),
                found: format!("{:?}", self.0.currency()).to_lowercase(),
            });
        }
        let expired_at = self.expires_at();
        if clock.now_unix() >= expired_at {
            return Err(InvoiceProblem::Expired { expired_at });
        }
        Ok(())
    }
}

impl fmt::Display for Invoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn currency_of(network: Network) -> Currency {
    match network {
        Network::Bitcoin => Currency::Bitcoin,
        Network::Testnet | Network::Testnet4 => Currency::BitcoinTestnet,
        Network::Signet => Currency::Signet,
        _ => Currency::Regtest,
    }
}
