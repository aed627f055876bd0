//! `boltworks bench merchant`: merchant invoices created per second, status reads of an invoice
//! per second and internal payments per second, each by 16 concurrent clients over HTTP, as
//! signed-up merchants make them (access token, and the X-Signature a payment carries). Signup and funding the payer (alice pays
//! its invoice) are setup, not timed.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use serde_json::{json, Value};

use super::load::{concurrent, Measured, CLIENTS};
use super::payments::post;
use super::BenchHub;
use crate::auth::signing_key;

pub(super) struct BenchMerchant {
    id: String,
    pub(super) token: String,
    secret: SecretKey,
}

/// Two merchants signed up on a hub: `payer` makes the invoices and reads and pays `payee`.
pub(super) struct MerchantPair {
    base: String,
    client: reqwest::Client,
    payer: Arc<BenchMerchant>,
    payee: BenchMerchant,
}

impl MerchantPair {
    /// Signs up the two merchants on the hub at `base`.
    pub(super) async fn sign_up(base: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::new();
        let payer = Arc::new(sign_up(&client, base, "payer").await?);
        let payee = sign_up(&client, base, "payee").await?;
        Ok(Self {
            base: base.to_string(),
            client,
            payer,
            payee,
        })
    }

    fn invoice_url(&self) -> String {
        format!("{}/api/v2/payment/lightning", self.base)
    }

    /// `count` invoices of 1000 sat created by `CLIENTS` clients.
    pub(super) async fn invoices(&self, count: usize) -> anyhow::Result<Measured> {
        let url = self.invoice_url();
        concurrent(CLIENTS, count, |_| {
            let (client, url, token) = (self.client.clone(), url.clone(), self.payer.token.clone());
            async move {
                send(
                    &client,
                    &url,
                    &token,
                    None,
                    json!({"amount": 1000, "expiry": 600}),
                )
                .await
            }
        })
        .await
    }

    /// `count` status reads of one invoice (the reads a shop's checkout polls with) by
    /// `CLIENTS` clients.
    pub(super) async fn status_reads(&self, count: usize) -> anyhow::Result<Measured> {
        let probe = send(
            &self.client,
            &self.invoice_url(),
            &self.payer.token,
            None,
            json!({"amount": 1000, "expiry": 600}),
        )
        .await?;
        let url = format!(
            "{}/{}",
            self.invoice_url(),
            probe["r_hash"].as_str().context("no r_hash")?
        );
        concurrent(CLIENTS, count, |_| {
            let (client, url, token) = (self.client.clone(), url.clone(), self.payer.token.clone());
            async move {
                let response = client.get(&url).bearer_auth(&token).send().await?;
                let status = response.status();
                let answer = response.bytes().await?;
                anyhow::ensure!(status.is_success(), "{url}: {status}");
                Ok(answer)
            }
        })
        .await
    }

    /// Credits the payer with an invoice of `sats` (alice pays it; the hub keeps its fee on
    /// incoming payments), for internal payments.
    pub(super) async fn fund_payer(&self, sats: u64) -> anyhow::Result<()> {
        let invoice = send(
            &self.client,
            &self.invoice_url(),
            &self.payer.token,
            None,
            json!({"amount": sats}),
        )
        .await?;
        let bolt11 = invoice["payment_request"].as_str().context("no invoice")?;
        post(
            &self.client,
            &format!("{}/dev/alice/pay", self.base),
            json!({"bolt11": bolt11}),
        )
        .await?;
        let balance_url = format!("{}/api/v2/merchant/balance", self.base);
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let balance = self
                .client
                .get(&balance_url)
                .bearer_auth(&self.payer.token)
                .send()
                .await?
                .json::<Value>()
                .await?;
            if balance["balance"].as_str().unwrap_or("0") != "0" {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the payer was not credited within 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// `count` internal payments of 1 sat from payer to payee by `CLIENTS` clients (the payer
    /// funded with at least `count` sat).
    pub(super) async fn internal_payments(&self, count: usize) -> anyhow::Result<Measured> {
        let url = format!("{}/api/v2/payment/internal", self.base);
        let signature = signing_key_sign(&self.payer.secret, &["1", &self.payee.id]);
        concurrent(CLIENTS, count, |_| {
            let (client, url, token) = (self.client.clone(), url.clone(), self.payer.token.clone());
            let (signature, body) = (
                signature.clone(),
                json!({"amount": "1", "destination": self.payee.id}),
            );
            async move { send(&client, &url, &token, Some(&signature), body).await }
        })
        .await
    }

    /// Whether the hub's merchant books balance (asked with `operator_token`).
    pub(super) async fn books_balance(&self, operator_token: &str) -> anyhow::Result<()> {
        let response = self
            .client
            .get(format!("{}/admin/merchant/books", self.base))
            .bearer_auth(operator_token)
            .send()
            .await?;
        let status = response.status();
        let books = response.json::<Value>().await?;
        anyhow::ensure!(
            status.is_success() && books["ledger_balanced"] == true,
            "books: {books}"
        );
        Ok(())
    }
}

/// Runs it and prints the figures.
pub async fn run(count: usize, database_url: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (16..=20_000).contains(&count),
        "--count must be between 16 and 20000"
    );
    let (hub, backend) = BenchHub::start_on(database_url).await?;
    let pair = MerchantPair::sign_up(&hub.base).await?;
    let rate = pair.invoices(count).await?;
    println!("merchant invoices created on {backend}, {CLIENTS} clients: {rate}");
    let rate = pair.status_reads(count * 4).await?;
    println!("invoice status reads on {backend}, {CLIENTS} clients: {rate}");
    pair.fund_payer(count as u64 * 2 + 100).await?;
    let rate = pair.internal_payments(count).await?;
    println!("internal payments on {backend}, {CLIENTS} clients: {rate}");
    pair.books_balance(hub.app.operator_token()).await?;
    hub.stop().await;
    Ok(())
}

fn signing_key_sign(secret: &SecretKey, fields: &[&str]) -> String {
    let signature = Secp256k1::signing_only().sign_ecdsa(&signing_key::digest(fields), secret);
    hex::encode(signature.serialize_der())
}

pub(super) async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    signature: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = client.post(url).bearer_auth(token).json(&body);
    if let Some(signature) = signature {
        request = request.header("X-Signature", signature);
    }
    let response = request.send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.is_success(), "{url}: {status} {answer}");
    Ok(answer)
}

/// A merchant signed up, signed in, with its key registered.
pub(super) async fn sign_up(
    client: &reqwest::Client,
    base: &str,
    name: &str,
) -> anyhow::Result<BenchMerchant> {
    let secret = SecretKey::new(&mut rand::thread_rng());
    let public = secret.public_key(&Secp256k1::signing_only());
    let key = base64::engine::general_purpose::STANDARD.encode(public.serialize());
    let pss = post(
        client,
        &format!("{base}/pss/api/v1/signup"),
        json!({"raw_public_key_list": [key]}),
    )
    .await?;
    let id = pss["content"].as_str().context("no user id")?.to_string();
    let header = format!("{id}.{}", pss["pss_signature"].as_str().unwrap_or_default());
    let email = format!("{name}@bench.example");
    let credentials = json!({"email": email, "password": "bench password"});
    let response = client
        .post(format!("{base}/api/v2/auth/signup"))
        .header("X-Pss-User-Id", header)
        .json(&credentials)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "signup: {}",
        response.text().await?
    );
    let tokens = post(client, &format!("{base}/api/v2/auth/signin"), credentials).await?;
    let token = tokens["access_token"]
        .as_str()
        .context("no token")?
        .to_string();
    send(
        client,
        &format!("{base}/api/v2/user/pubkey/add"),
        &token,
        None,
        json!({"pub_key": hex::encode(public.serialize())}),
    )
    .await?;
    Ok(BenchMerchant { id, token, secret })
}
