//! `boltworks admin ...`: the operator's command-line client of `/admin` on a running hub.

use clap::Subcommand;

use super::admin_node::{self, NodeCommand};

use crate::notify::outbox::DeliveryStatus;

/// Operator commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List notifications (newest first).
    Notifications {
        /// Only this status: pending, delivered or failed.
        #[arg(long, value_parser = parse_status)]
        status: Option<DeliveryStatus>,
        /// How many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one notification with its delivery log.
    Notification {
        /// The event id (evt_...).
        event_id: String,
    },
    /// Queue a notification for delivery again now.
    Redeliver {
        /// The event id (evt_...).
        event_id: String,
    },
    /// Resolve an escrow dispute: release (the seller may fetch the preimage) or refund.
    EscrowResolve {
        /// The escrow transaction id.
        tx: i64,
        /// release or refund.
        resolution: String,
        /// A note for the record.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The merchant hub's books: balances, locked, in flight, pending withdrawals, and the hub's
    /// liabilities against its holdings.
    MerchantBooks,
    /// The hub's channels that closed, newest first.
    Closures {
        /// Only force-closes.
        #[arg(long)]
        forced: bool,
        /// How many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
        limit: u32,
    },
    /// The node's operations: info, peers, channels, fees, wallet.
    Node {
        /// What to do.
        #[command(subcommand)]
        command: NodeCommand,
    },
    /// Show the signing secret of a webhook target URL.
    WebhookSecret {
        /// The target URL.
        url: String,
    },
}

/// A notification status, as the list route takes it.
fn parse_status(text: &str) -> Result<DeliveryStatus, String> {
    text.parse()
        .map_err(|_| "status must be pending, delivered or failed".to_string())
}

/// Runs one command against the hub at `url` with the operator `token`, printing the answer.
pub async fn run(url: &str, token: &str, command: AdminCommand) -> anyhow::Result<()> {
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::new();
    let request = match &command {
        AdminCommand::Notifications { status, limit } => {
            let mut query = vec![("limit", limit.to_string())];
            if let Some(status) = status {
                query.push(("status", status.to_string()));
            }
            client
                .get(format!("{base}/admin/notifications"))
                .query(&query)
        }
        AdminCommand::Notification { event_id } => {
            client.get(format!("{base}/admin/notifications/{event_id}"))
        }
        AdminCommand::Redeliver { event_id } => {
            client.post(format!("{base}/admin/notifications/{event_id}/redeliver"))
        }
        AdminCommand::EscrowResolve {
            tx,
            resolution,
            note,
        } => client
            .post(format!("{base}/admin/escrow/{tx}/resolve"))
            .json(&serde_json::json!({"resolution": resolution, "note": note})),
        AdminCommand::MerchantBooks => client.get(format!("{base}/admin/merchant/books")),
        AdminCommand::Closures { forced, limit } => client
            .get(format!("{base}/admin/node/closures"))
            .query(&[("forced", forced.to_string()), ("limit", limit.to_string())]),
        AdminCommand::Node { command } => admin_node::request(&client, base, command),
        AdminCommand::WebhookSecret { url } => client
            .get(format!("{base}/admin/webhook-secret"))
            .query(&[("url", url)]),
    };
    super::send_and_print(request.bearer_auth(token), base).await
}

/// The operator token: given, or read from the data directory's `admin.token`.
pub fn resolve_token(token: Option<String>, data_dir: &std::path::Path) -> anyhow::Result<String> {
    if let Some(token) = token {
        return Ok(token);
    }
    let path = data_dir.join("admin.token");
    std::fs::read_to_string(&path)
        .map(|t| t.trim().to_string())
        .map_err(|e| anyhow::anyhow!("no --token given and {} is unreadable: {e}", path.display()))
}
