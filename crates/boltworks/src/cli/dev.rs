//! `boltworks dev ...`: a command-line client of a running hub's `/dev` API.

use clap::Subcommand;
use serde_json::{json, Value};

/// The dev commands.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Mine N blocks.
    Mine {
        /// How many blocks.
        blocks: u32,
    },
    /// Show the hub, alice and bob (and carol, with --demo-carol).
    Nodes,
    /// Send coins from the faucet: dev fund ADDRESS AMOUNT_SAT.
    Fund {
        /// A regtest address.
        address: String,
        /// Amount in satoshis.
        amount_sat: u64,
    },
    /// Make alice, bob or carol issue an invoice: dev invoice bob 1000 [--hash H].
    Invoice {
        /// alice or bob (or carol, with --demo-carol).
        node: String,
        /// Amount in millisatoshis.
        amount_msat: u64,
        /// Payment hash for a hold invoice.
        #[arg(long)]
        hash: Option<String>,
        /// Description.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Make alice, bob or carol pay an invoice.
    Pay {
        /// alice or bob (or carol, with --demo-carol).
        node: String,
        /// The BOLT11 invoice.
        bolt11: String,
        /// Amount, for an invoice without one.
        #[arg(long)]
        amount_msat: Option<u64>,
    },
    /// Settle a held payment: dev claim bob HASH PREIMAGE.
    Claim {
        /// alice or bob (or carol, with --demo-carol).
        node: String,
        /// The payment hash.
        payment_hash: String,
        /// The preimage.
        preimage: String,
    },
    /// Fail a held payment back.
    Fail {
        /// alice or bob (or carol, with --demo-carol).
        node: String,
        /// The payment hash.
        payment_hash: String,
    },
    /// Show a payment of alice, bob or carol.
    Payment {
        /// alice or bob (or carol, with --demo-carol).
        node: String,
        /// The payment hash.
        payment_hash: String,
    },
    /// Move the hub's clock forward.
    Advance {
        /// Seconds.
        secs: u64,
    },
}

/// Runs one command against the hub at `url` and prints the JSON answer.
pub async fn run(url: &str, command: DevCommand) -> anyhow::Result<()> {
    let base = url.trim_end_matches('/');
    let client = reqwest::Client::new();
    let (method, path, body) = match command {
        DevCommand::Mine { blocks } => (
            "POST",
            "/dev/mine".to_string(),
            Some(json!({"blocks": blocks})),
        ),
        DevCommand::Nodes => ("GET", "/dev/nodes".to_string(), None),
        DevCommand::Fund {
            address,
            amount_sat,
        } => (
            "POST",
            "/dev/fund".to_string(),
            Some(json!({"address": address, "amount_sat": amount_sat})),
        ),
        DevCommand::Invoice {
            node,
            amount_msat,
            hash,
            description,
        } => {
            let mut body = json!({"amount_msat": amount_msat, "description": description});
            if let Some(hash) = hash {
                body["payment_hash"] = json!(hash);
            }
            ("POST", format!("/dev/{node}/invoice"), Some(body))
        }
        DevCommand::Pay {
            node,
            bolt11,
            amount_msat,
        } => {
            let mut body = json!({"bolt11": bolt11});
            if let Some(amount) = amount_msat {
                body["amount_msat"] = json!(amount);
            }
            ("POST", format!("/dev/{node}/pay"), Some(body))
        }
        DevCommand::Claim {
            node,
            payment_hash,
            preimage,
        } => (
            "POST",
            format!("/dev/{node}/claim"),
            Some(json!({"payment_hash": payment_hash, "preimage": preimage})),
        ),
        DevCommand::Fail { node, payment_hash } => (
            "POST",
            format!("/dev/{node}/fail"),
            Some(json!({"payment_hash": payment_hash})),
        ),
        DevCommand::Payment { node, payment_hash } => {
            ("GET", format!("/dev/{node}/payments/{payment_hash}"), None)
        }
        DevCommand::Advance { secs } => (
            "POST",
            "/dev/clock/advance".to_string(),
            Some(json!({"secs": secs})),
        ),
    };
    let request = match method {
        "GET" => client.get(format!("{base}{path}")),
        _ => client
            .post(format!("{base}{path}"))
            .json(&body.unwrap_or(Value::Null)),
    };
    super::send_and_print(request, base).await
}
