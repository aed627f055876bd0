//! The hub node as an LSPS2 (bLIP-52) JIT-channel provider: its terms in the hub's units, and the
//! node's log writer, which turns the one trace ldk-node 0.7.1 leaves of a JIT open it gave up on
//! (a log line: its LSPS2 handler has no event or error for it) into a report the LSP records.

use std::sync::Arc;

use ldk_node::liquidity::LSPS2ServiceConfig;
use ldk_node::logger::{LogLevel, LogRecord, LogWriter};
use tokio::sync::mpsc;

use crate::money::{Msat, Sat};

/// What the hub charges and accepts for a JIT channel (`--jit-*` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitTerms {
    /// The token a client must send, if any.
    pub token: Option<String>,
    /// The opening fee, in parts per million of the payment.
    pub opening_fee_ppm: u32,
    /// The smallest opening fee.
    pub min_opening_fee: Msat,
    /// The smallest payment that opens a channel.
    pub min_payment: Msat,
    /// The largest payment that opens a channel.
    pub max_payment: Msat,
    /// Capacity added on top of the forwarded amount, in parts per million of it.
    pub over_provisioning_ppm: u32,
    /// Blocks after confirmation the hub keeps a JIT channel open at least.
    pub channel_lifetime_blocks: u32,
    /// The longest `to_self_delay` a client may ask for.
    pub max_client_to_self_delay: u32,
}

impl JitTerms {
    /// The capacity of the largest channel these terms can open (the largest payment, less no
    /// fee, plus the over-provisioning), which the node wallet must be able to fund.
    pub fn largest_channel(&self) -> Sat {
        let forwarded = u128::from(self.max_payment.0);
        let extra = forwarded * u128::from(self.over_provisioning_ppm) / 1_000_000;
        Sat(u64::try_from((forwarded + extra) / 1000).unwrap_or(u64::MAX))
    }

    /// The opening fee these terms charge for a payment of `payment` (LSPS2's rule: the
    /// proportional fee rounded up, at least the minimum).
    pub fn opening_fee(&self, payment: Msat) -> Msat {
        let proportional =
            (u128::from(payment.0) * u128::from(self.opening_fee_ppm)).div_ceil(1_000_000);
        Msat(
            u64::try_from(proportional)
                .unwrap_or(u64::MAX)
                .max(self.min_opening_fee.0),
        )
    }

    pub(super) fn service_config(&self) -> LSPS2ServiceConfig {
        LSPS2ServiceConfig {
            require_token: self.token.clone(),
            advertise_service: false,
            channel_opening_fee_ppm: self.opening_fee_ppm,
            channel_over_provisioning_ppm: self.over_provisioning_ppm,
            min_channel_opening_fee_msat: self.min_opening_fee.0,
            min_channel_lifetime: self.channel_lifetime_blocks,
            max_client_to_self_delay: self.max_client_to_self_delay,
            min_payment_size_msat: self.min_payment.0,
            max_payment_size_msat: self.max_payment.0,
            // LSP-trusts-client: the funding is broadcast at the open, before the client claims.
            // The other model (broadcast once the client claimed) would leave a client who was
            // paid in several parts in a channel never broadcast: lightning-liquidity 0.2 checks
            // each part alone against the whole fee. The hub's risk, a client who refuses the
            // payment, is bounded: such a channel is closed (`services::lsp::jit::sweeper`).
            client_trusts_lsp: false,
        }
    }
}

/// Why the node gave up on a JIT channel it was asked to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JitFailureKind {
    /// The client was not connected when its payment arrived.
    ClientOffline,
    /// The node wallet could not fund the channel.
    WalletShort,
    /// The node refused to open the channel.
    OpenRefused,
    /// The node could not answer a client's buy request.
    BuyRefused,
    /// The node refused the payment meant to open a channel (its size, or a fee it cannot pay).
    PaymentRefused,
}

impl JitFailureKind {
    /// The kind as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            JitFailureKind::ClientOffline => "client_offline",
            JitFailureKind::WalletShort => "wallet_short",
            JitFailureKind::OpenRefused => "open_refused",
            JitFailureKind::BuyRefused => "buy_refused",
            JitFailureKind::PaymentRefused => "payment_refused",
        }
    }
}

/// A JIT open (or buy) the node gave up on, as its log said it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitFailure {
    /// What went wrong.
    pub kind: JitFailureKind,
    /// The node's own words.
    pub detail: String,
}

/// Reads a line of ldk-node's LSPS2 handler (`ldk_node::liquidity`, error level) as a failure,
/// by the words ldk-node 0.7.1 uses; lines of the handler that are not failures of a JIT channel
/// (its complaints about channels it did not open) read as nothing.
pub fn jit_failure_of(module_path: &str, level: LogLevel, message: &str) -> Option<JitFailure> {
    if level != LogLevel::Error || !module_path.starts_with("ldk_node::liquidity") {
        return None;
    }
    let kind = if message.starts_with("Failed to open LSPS2 channel") {
        if message.contains("not connected") {
            JitFailureKind::ClientOffline
        } else {
            JitFailureKind::OpenRefused
        }
    } else if message.starts_with("Unable to create channel due to insufficient funds") {
        JitFailureKind::WalletShort
    } else if message.starts_with("LSPS2 service failed to handle HTLCIntercepted event") {
        JitFailureKind::PaymentRefused
    } else if message.starts_with("Rejecting to handle LSPS2 buy request")
        || message.starts_with("Failed to provide invoice parameters")
    {
        JitFailureKind::BuyRefused
    } else {
        return None;
    };
    Some(JitFailure {
        kind,
        detail: message.to_string(),
    })
}

/// The node's log writer: every record goes to the `log` facade as ldk-node's own facade writer
/// would send it (so `RUST_LOG` filters by module as before), and on a JIT provider a failure of
/// its LSPS2 handler is also reported to the LSP.
pub(super) struct NodeLogWriter {
    failures: Option<mpsc::UnboundedSender<JitFailure>>,
}

impl NodeLogWriter {
    /// A writer, and for a JIT provider the receiver of its failure reports.
    pub(super) fn new(jit: bool) -> (Arc<Self>, Option<mpsc::UnboundedReceiver<JitFailure>>) {
        if jit {
            let (sender, receiver) = mpsc::unbounded_channel();
            (
                Arc::new(Self {
                    failures: Some(sender),
                }),
                Some(receiver),
            )
        } else {
            (Arc::new(Self { failures: None }), None)
        }
    }
}

impl LogWriter for NodeLogWriter {
    fn log(&self, record: LogRecord<'_>) {
        let level = match record.level {
            LogLevel::Gossip | LogLevel::Trace => log::Level::Trace,
            LogLevel::Debug => log::Level::Debug,
            LogLevel::Info => log::Level::Info,
            LogLevel::Warn => log::Level::Warn,
            LogLevel::Error => log::Level::Error,
        };
        if let Some(failures) = &self.failures {
            if record.module_path.starts_with("ldk_node::liquidity") {
                let message = record.args.to_string();
                if let Some(failure) = jit_failure_of(record.module_path, record.level, &message) {
                    let _ = failures.send(failure);
                }
            }
        }
        log::logger().log(
            &log::Record::builder()
                .level(level)
                .target(record.module_path)
                .module_path(Some(record.module_path))
                .line(Some(record.line))
                .args(record.args)
                .build(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldk_nodes_words_for_a_failed_open_read_as_its_kind() {
        let module = "ldk_node::liquidity";
        let offline = jit_failure_of(
            module,
            LogLevel::Error,
            "Failed to open LSPS2 channel to 02ab due to peer not being not connected.",
        );
        assert_eq!(offline.map(|f| f.kind), Some(JitFailureKind::ClientOffline));
        let short = jit_failure_of(
            module,
            LogLevel::Error,
            "Unable to create channel due to insufficient funds. Available: 1sats, Required: 2sats",
        );
        assert_eq!(short.map(|f| f.kind), Some(JitFailureKind::WalletShort));
        let refused = jit_failure_of(
            module,
            LogLevel::Error,
            "Failed to open LSPS2 channel to 02ab: APIMisuseError",
        );
        assert_eq!(refused.map(|f| f.kind), Some(JitFailureKind::OpenRefused));
        let payment = jit_failure_of(
            module,
            LogLevel::Error,
            "LSPS2 service failed to handle HTLCIntercepted event: APIError",
        );
        assert_eq!(
            payment.map(|f| f.kind),
            Some(JitFailureKind::PaymentRefused)
        );
        assert_eq!(
            jit_failure_of(module, LogLevel::Error, "Failed to handle channel_ready"),
            None
        );
        assert_eq!(
            jit_failure_of(
                "lightning::ln",
                LogLevel::Error,
                "Failed to open LSPS2 channel"
            ),
            None
        );
        assert_eq!(
            jit_failure_of(module, LogLevel::Info, "Failed to open LSPS2 channel"),
            None
        );
    }

    #[test]
    fn the_opening_fee_rounds_up_and_respects_the_minimum() {
        let terms = JitTerms {
            token: None,
            opening_fee_ppm: 10_000,
            min_opening_fee: Msat(500_000),
            min_payment: Msat(1_000_000),
            max_payment: Msat(100_000_000),
            over_provisioning_ppm: 100_000,
            channel_lifetime_blocks: 4032,
            max_client_to_self_delay: 2016,
        };
        assert_eq!(terms.opening_fee(Msat(100_000_001)), Msat(1_000_001));
        assert_eq!(terms.opening_fee(Msat(1_000_000)), Msat(500_000));
        assert_eq!(terms.largest_channel(), Sat(110_000));
    }
}
