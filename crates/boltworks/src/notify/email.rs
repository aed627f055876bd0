//! Email delivery: through SMTP when configured, otherwise written as `.eml` files to the data
//! directory's mail folder (and logged), so dev mode shows what would have been sent.

use std::path::Path;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::{Claimed, EmailPayload, Outcome};

/// Where emails go.
pub enum Mailer {
    /// A real SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Files in a folder.
    Folder(std::path::PathBuf),
}

impl Mailer {
    /// From the configured URL (`smtp://`, `smtp+starttls://`, `smtps://`, with optional
    /// `user:password@`), or the folder when there is none.
    pub fn new(smtp_url: Option<&str>, folder: &Path) -> anyhow::Result<Self> {
        let Some(raw) = smtp_url else {
            return Ok(Mailer::Folder(folder.to_path_buf()));
        };
        let url = url::Url::parse(raw).map_err(|e| anyhow::anyhow!("invalid SMTP URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("SMTP URL has no host"))?
            .to_string();
        let mut builder = match url.scheme() {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                .port(url.port().unwrap_or(25)),
            "smtp+starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)?
                .port(url.port().unwrap_or(587)),
            "smtps" => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&host)?.port(url.port().unwrap_or(465))
            }
            other => anyhow::bail!("SMTP URL scheme '{other}' is not smtp, smtp+starttls or smtps"),
        };
        if !url.username().is_empty() {
            let password = url.password().unwrap_or_default();
            builder =
                builder.credentials(Credentials::new(decode(url.username()), decode(password)));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Sends one email.
    pub async fn deliver(&self, from: &str, row: &Claimed) -> Outcome {
        let payload: EmailPayload = serde_json::from_str(&row.payload).unwrap_or_default();
        let subject = payload.subject.as_str();
        let message = match build(from, &row.target, subject, &payload.text, &row.event_id) {
            Ok(message) => message,
            Err(e) => return Outcome::Permanent(format!("cannot build the email: {e}")),
        };
        match self {
            Mailer::Smtp(transport) => match transport.send(message).await {
                Ok(_) => Outcome::Delivered,
                Err(e) if e.is_permanent() => Outcome::Permanent(format!("SMTP refused: {e}")),
                Err(e) => Outcome::Retry(format!("SMTP: {e}")),
            },
            Mailer::Folder(folder) => {
                let path = folder.join(format!("{}.eml", row.event_id));
                let written = tokio::fs::create_dir_all(folder)
                    .await
                    .and(tokio::fs::write(&path, message.formatted()).await);
                match written {
                    Ok(()) => {
                        tracing::info!(to = %row.target, subject, path = %path.display(), "email written (no SMTP configured)");
                        Outcome::Delivered
                    }
                    Err(e) => Outcome::Retry(format!("writing {}: {e}", path.display())),
                }
            }
        }
    }
}

fn build(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    event_id: &str,
) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.parse()?)
        .to(to.parse()?)
        .subject(subject)
        .message_id(Some(format!("<{event_id}@boltworks>")))
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_string())?)
}

fn decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
