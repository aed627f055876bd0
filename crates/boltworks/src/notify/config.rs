//! How notifications are delivered, and the `serve` flags that say so.

use std::path::{Path, PathBuf};

use bitcoin::Network;
use clap::Args;

/// How notifications are delivered.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// Allow webhook targets on loopback, private, link-local and similar addresses.
    pub allow_private_targets: bool,
    /// How long a webhook target may take to answer.
    pub webhook_timeout_secs: u64,
    /// Delays between attempts, in seconds; the last repeats.
    pub retry_delays_secs: Vec<u64>,
    /// How long after an event retries go on before it is marked failed.
    pub retry_window_secs: u64,
    /// SMTP server URL (`smtp://`, `smtp+starttls://` or `smtps://`, optionally with
    /// `user:password@`); `None` writes emails to `mail_dir`.
    pub smtp_url: Option<String>,
    /// Sender address of emails.
    pub smtp_from: String,
    /// Where emails go without SMTP.
    pub mail_dir: PathBuf,
    /// Delivery workers in this process (0: this process only writes to the outbox).
    pub workers: usize,
    /// Where the operator's own alerts go (a channel force-closed), as signed webhooks.
    pub operator_webhook_url: Option<String>,
}

/// Delays between delivery attempts, in seconds (at least one, each positive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryDelays(pub Vec<u64>);

/// The notification flags of `boltworks serve`.
#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    /// Allow webhooks to loopback and private addresses: true or false (default: true on
    /// regtest, false elsewhere).
    #[arg(long, env = "BOLTWORKS_WEBHOOK_ALLOW_PRIVATE", action = clap::ArgAction::Set)]
    pub webhook_allow_private: Option<bool>,
    /// Seconds a webhook target may take to answer.
    #[arg(long, env = "BOLTWORKS_WEBHOOK_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub webhook_timeout: u64,
    /// Delays between delivery attempts in seconds, comma-separated; the last repeats.
    #[arg(long, env = "BOLTWORKS_NOTIFY_RETRY", default_value = "10,60,600", value_parser = retry_delays)]
    pub notify_retry: RetryDelays,
    /// Seconds after an event during which failed deliveries are retried.
    #[arg(long, env = "BOLTWORKS_NOTIFY_RETRY_WINDOW", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..))]
    pub notify_retry_window: u64,
    /// Delivery workers in this process (0: only write to the outbox).
    #[arg(long, env = "BOLTWORKS_NOTIFY_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=64))]
    pub notify_workers: u8,
    /// SMTP server: smtp://host:port, smtp+starttls://user:pass@host, smtps://...; without it
    /// emails are written to DATA_DIR/mail.
    #[arg(long, env = "BOLTWORKS_SMTP_URL", value_parser = smtp_url)]
    pub smtp_url: Option<String>,
    /// Sender address of emails.
    #[arg(long, env = "BOLTWORKS_SMTP_FROM", default_value = "boltworks@localhost", value_parser = email_address)]
    pub smtp_from: String,
    /// An http(s) URL that receives the operator's alerts as signed webhooks (a channel of the
    /// hub force-closed); its secret is `boltworks admin webhook-secret --url URL`.
    #[arg(long, env = "BOLTWORKS_OPERATOR_WEBHOOK_URL", value_parser = http_url)]
    pub operator_webhook_url: Option<String>,
}

impl NotifyArgs {
    /// The delivery configuration on `network`, with mail kept under `data_dir`.
    pub fn config(&self, network: Network, data_dir: &Path) -> NotifyConfig {
        NotifyConfig {
            allow_private_targets: self
                .webhook_allow_private
                .unwrap_or(network == Network::Regtest),
            webhook_timeout_secs: self.webhook_timeout,
            retry_delays_secs: self.notify_retry.0.clone(),
            retry_window_secs: self.notify_retry_window,
            smtp_url: self.smtp_url.clone(),
            smtp_from: self.smtp_from.clone(),
            mail_dir: data_dir.join("mail"),
            workers: usize::from(self.notify_workers),
            operator_webhook_url: self.operator_webhook_url.clone(),
        }
    }
}

fn retry_delays(text: &str) -> Result<RetryDelays, String> {
    text.split(',')
        .map(|d| d.trim().parse::<u64>().ok().filter(|d| *d > 0))
        .collect::<Option<Vec<u64>>>()
        .filter(|d| !d.is_empty())
        .map(RetryDelays)
        .ok_or_else(|| format!("'{text}' is not a list of positive seconds like 10,60,600"))
}

fn http_url(text: &str) -> Result<String, String> {
    match url::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Ok(text.to_string())
        }
        _ => Err(format!("'{text}' is not an http(s) URL")),
    }
}

fn smtp_url(text: &str) -> Result<String, String> {
    let scheme_ok = ["smtp://", "smtp+starttls://", "smtps://"]
        .iter()
        .any(|p| text.starts_with(p));
    let has_host = url::Url::parse(text)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .is_some();
    if scheme_ok && has_host {
        Ok(text.to_string())
    } else {
        Err(format!("'{text}' is not like smtp://host:port"))
    }
}

fn email_address(text: &str) -> Result<String, String> {
    text.parse::<lettre::Address>()
        .map(|_| text.to_string())
        .map_err(|_| format!("'{text}' is not an email address"))
}
