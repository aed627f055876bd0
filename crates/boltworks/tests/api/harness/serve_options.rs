//! The `serve` options of a test hub, typed, for the in-process stack and the real binary alike:
//! both render them to the same command-line flags (the stack through the hub's own flag parser),
//! so a test asks for "PostgreSQL" or "one webhook second" rather than spelling flags.

use std::net::SocketAddr;
use std::path::Path;

use super::ports::NodePorts;
use super::postgres::fresh_database_url;

/// The operator token every test hub runs with.
pub const ADMIN_TOKEN: &str = "test-operator-token-0123456789";

/// Where the hub keeps its records.
#[derive(Clone, Default)]
enum Database {
    /// SQLite in the data directory (the hub's default).
    #[default]
    Sqlite,
    /// A new PostgreSQL database, made when the hub starts.
    FreshPostgres,
    /// This PostgreSQL URL (shared by several hubs).
    Url(String),
}

/// The options a test chose; rendered by [`ServeFlags::render`].
#[derive(Clone, Default)]
pub struct ServeFlags {
    demo_nodes: bool,
    demo_carol: bool,
    database: Database,
    notify_workers: Option<u32>,
    treasury: Option<bool>,
    webhook_allow_private: Option<bool>,
    webhook_timeout_secs: Option<u64>,
    smtp: Option<SocketAddr>,
    lsp_open_attempts: Option<u32>,
    lsp_max_channel_sat: Option<u64>,
    lsp_usd_per_btc: Option<u64>,
    gifts_fee_limit: Option<(u32, u64)>,
    operator_webhook_url: Option<String>,
    rate_limit: Option<(u32, u32)>,
    node_prune: Option<(u64, i64, i64)>,
    metrics_open: bool,
    extra_flags: Vec<String>,
}

impl ServeFlags {
    /// Makes what the options need before a start (a fresh database), once: a restart keeps it.
    pub async fn prepare(&mut self) {
        if let Database::FreshPostgres = self.database {
            self.database = Database::Url(fresh_database_url().await);
        }
    }

    /// The `serve` flags: over `data_dir`, HTTP on `listen`, the nodes on `ports`.
    pub fn render(&self, data_dir: &Path, listen: &str, ports: &NodePorts) -> Vec<String> {
        let mut flags: Vec<String> = vec![
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--listen".into(),
            listen.into(),
            "--node-listen".into(),
            ports.node.to_string(),
            "--alice-listen".into(),
            ports.alice.to_string(),
            "--bob-listen".into(),
            ports.bob.to_string(),
            "--admin-token".into(),
            ADMIN_TOKEN.into(),
        ];
        // Every test client is on loopback, one address: the limit is off unless a test sets it.
        let (per_minute, burst) = self.rate_limit.unwrap_or((0, 1));
        flags.extend([
            "--rate-limit-per-minute".into(),
            per_minute.to_string(),
            "--rate-limit-burst".into(),
            burst.to_string(),
        ]);
        if let Some((every, grace, finished_after)) = self.node_prune {
            flags.extend([
                "--node-prune-every-secs".into(),
                every.to_string(),
                "--node-prune-expired-grace-secs".into(),
                grace.to_string(),
                "--node-prune-finished-after-secs".into(),
                finished_after.to_string(),
            ]);
        }
        flags.extend(self.extra_flags.iter().cloned());
        if self.metrics_open {
            flags.push("--metrics-open".into());
        }
        if !self.demo_nodes {
            flags.push("--no-demo-nodes".into());
        }
        if self.demo_carol {
            flags.extend([
                "--demo-carol".into(),
                "--carol-listen".into(),
                ports.carol.to_string(),
            ]);
        }
        let mut flag = |name: &str, value: String| flags.extend([name.to_string(), value]);
        match &self.database {
            Database::Sqlite => {}
            Database::FreshPostgres => panic!("prepare() makes the database before a start"),
            Database::Url(url) => flag("--database-url", url.clone()),
        }
        if let Some(workers) = self.notify_workers {
            flag("--notify-workers", workers.to_string());
        }
        if let Some(on) = self.treasury {
            flag("--treasury", on.to_string());
        }
        if let Some(allow) = self.webhook_allow_private {
            flag("--webhook-allow-private", allow.to_string());
        }
        if let Some(secs) = self.webhook_timeout_secs {
            flag("--webhook-timeout", secs.to_string());
        }
        if let Some(addr) = self.smtp {
            flag("--smtp-url", format!("smtp://{addr}"));
        }
        if let Some(attempts) = self.lsp_open_attempts {
            flag("--lsp-open-attempts", attempts.to_string());
        }
        if let Some(sat) = self.lsp_max_channel_sat {
            flag("--lsp-max-channel-sat", sat.to_string());
        }
        if let Some(usd) = self.lsp_usd_per_btc {
            flag("--lsp-usd-per-btc", usd.to_string());
        }
        if let Some((ppm, base_msat)) = self.gifts_fee_limit {
            flag("--gifts-fee-limit-ppm", ppm.to_string());
            flag("--gifts-fee-limit-base-msat", base_msat.to_string());
        }
        if let Some(url) = &self.operator_webhook_url {
            flag("--operator-webhook-url", url.clone());
        }
        flags
    }
}

/// The typed options, for every builder of a hub (`TestStack::builder()`,
/// `HubProcess::builder(..)`). Unset options keep the hub's defaults, but for the demo nodes:
/// a test hub runs alone unless it asks for them.
pub trait ServeOptions: Sized {
    /// The options being built.
    fn serve_flags(&mut self) -> &mut ServeFlags;

    /// Runs alice and bob with their channels to the hub (off: the hub alone).
    fn demo_nodes(mut self) -> Self {
        self.serve_flags().demo_nodes = true;
        self
    }

    /// The demo nodes and carol behind bob, who charges a forwarding fee (a routing hop).
    fn demo_carol(mut self) -> Self {
        self.serve_flags().demo_carol = true;
        self.demo_nodes()
    }

    /// A fresh PostgreSQL database instead of SQLite.
    fn postgres(mut self) -> Self {
        self.serve_flags().database = Database::FreshPostgres;
        self
    }

    /// This PostgreSQL database (several hubs on one database).
    fn database_url(mut self, url: &str) -> Self {
        self.serve_flags().database = Database::Url(url.to_string());
        self
    }

    /// `--notify-workers`: how many webhook and email delivery workers run.
    fn notify_workers(mut self, workers: u32) -> Self {
        self.serve_flags().notify_workers = Some(workers);
        self
    }

    /// `--treasury`: whether this hub runs the on-chain treasury (one per database).
    fn treasury(mut self, on: bool) -> Self {
        self.serve_flags().treasury = Some(on);
        self
    }

    /// `--webhook-allow-private`: whether webhooks may target loopback and private addresses.
    fn webhook_allow_private(mut self, allow: bool) -> Self {
        self.serve_flags().webhook_allow_private = Some(allow);
        self
    }

    /// `--webhook-timeout`: seconds a webhook target has to answer.
    fn webhook_timeout_secs(mut self, secs: u64) -> Self {
        self.serve_flags().webhook_timeout_secs = Some(secs);
        self
    }

    /// `--smtp-url smtp://ADDR`: emails go to this SMTP server instead of the data directory.
    fn smtp(mut self, addr: SocketAddr) -> Self {
        self.serve_flags().smtp = Some(addr);
        self
    }

    /// `--lsp-open-attempts`: channel opens an LSP order tries before it gives up.
    fn lsp_open_attempts(mut self, attempts: u32) -> Self {
        self.serve_flags().lsp_open_attempts = Some(attempts);
        self
    }

    /// `--lsp-max-channel-sat`: the largest channel the LSP sells.
    fn lsp_max_channel_sat(mut self, sat: u64) -> Self {
        self.serve_flags().lsp_max_channel_sat = Some(sat);
        self
    }

    /// `--gifts-fee-limit-ppm` and `--gifts-fee-limit-base-msat`: the routing-fee cap of a gift
    /// payout.
    fn gifts_fee_limit(mut self, ppm: u32, base_msat: u64) -> Self {
        self.serve_flags().gifts_fee_limit = Some((ppm, base_msat));
        self
    }

    /// `--rate-limit-per-minute` and `--rate-limit-burst` (test hubs run without a limit).
    fn rate_limit(mut self, per_minute: u32, burst: u32) -> Self {
        self.serve_flags().rate_limit = Some((per_minute, burst));
        self
    }

    /// `--node-prune-every-secs`, `--node-prune-expired-grace-secs` and
    /// `--node-prune-finished-after-secs`: when the node's payment records are removed.
    fn node_prune(mut self, every_secs: u64, grace_secs: i64, finished_after_secs: i64) -> Self {
        self.serve_flags().node_prune = Some((every_secs, grace_secs, finished_after_secs));
        self
    }

    /// `--jit-channels true` and these `--jit-*` flags (name without dashes, value).
    fn jit_channels(self, terms: &[(&str, &str)]) -> Self {
        self.flags(&[("jit-channels", "true")]).flags(terms)
    }

    /// These flags as given (name without dashes, value), for options no test shares.
    fn flags(mut self, flags: &[(&str, &str)]) -> Self {
        let extra = &mut self.serve_flags().extra_flags;
        for (name, value) in flags {
            extra.extend([format!("--{name}"), (*value).to_string()]);
        }
        self
    }

    /// `--metrics-open`: `/metrics` without the operator token.
    fn metrics_open(mut self) -> Self {
        self.serve_flags().metrics_open = true;
        self
    }

    /// `--operator-webhook-url`: where the operator's alerts (a force-close) are sent.
    fn operator_webhook_url(mut self, url: &str) -> Self {
        self.serve_flags().operator_webhook_url = Some(url.to_string());
        self
    }

    /// `--lsp-usd-per-btc`: the price the LSP quotes its USD figures with.
    fn lsp_usd_per_btc(mut self, usd: u64) -> Self {
        self.serve_flags().lsp_usd_per_btc = Some(usd);
        self
    }
}
