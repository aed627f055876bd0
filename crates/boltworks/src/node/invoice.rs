//! Checks the hub applies to a BOLT11 invoice before acting on it, against the hub's own clock
//! and network (the node checks signatures; expiry must follow the injectable clock).

use bitcoin::Network;
use ldk_node::lightning_invoice::{Bolt11Invoice, Currency};

use crate::clock::Clock;

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

fn currency_of(network: Network) -> Currency {
    match network {
        Network::Bitcoin => Currency::Bitcoin,
        Network::Testnet | Network::Testnet4 => Currency::BitcoinTestnet,
        Network::Signet => Currency::Signet,
        _ => Currency::Regtest,
    }
}

/// When the invoice expires, in unix seconds.
pub fn expires_at(invoice: &Bolt11Invoice) -> i64 {
    let created = i64::try_from(invoice.duration_since_epoch().as_secs()).unwrap_or(i64::MAX);
    let expiry = i64::try_from(invoice.expiry_time().as_secs()).unwrap_or(i64::MAX);
    created.saturating_add(expiry)
}

/// Refuses an invoice of another network, or one expired by the hub's clock.
pub fn check_usable(
    invoice: &Bolt11Invoice,
    network: Network,
    clock: &Clock,
) -> Result<(), InvoiceProblem> {
    let expected = currency_of(network);
    if invoice.currency() != expected {
        return Err(InvoiceProblem::WrongNetwork {
            expected: network.to_string(),
            found: format!("{:?}", invoice.currency()).to_lowercase(),
        });
    }
    let expired_at = expires_at(invoice);
    if clock.now_unix() >= expired_at {
        return Err(InvoiceProblem::Expired { expired_at });
    }
    Ok(())
}
