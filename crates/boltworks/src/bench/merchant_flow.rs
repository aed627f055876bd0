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

use super::payments::post;
use super::BenchHub;
use crate::auth::signing_key;

/// Concurrent clients.
const CLIENTS: usize = 16;

pub(super) struct BenchMerchant {
    id: String,
    pub(super) token: String,
    secret: SecretKey,
}

/// Runs it and prints the figures.
pub async fn run(count: usize, database_url: Option<String>) -> anyhow::Result<()> {
    anyhow::ensure!(
        (16..=20_000).contains(&count),
        "--count must be between 16 and 20000"
    );
    let (hub, backend) = BenchHub::start_on(database_url).await?;
    let base = hub.base.clone();
    let client = reqwest::Client::new();
    let payer = Arc::new(sign_up(&client, &base, "payer").await?);
    let payee = sign_up(&client, &base, "payee").await?;

    let invoice_url = format!("{base}/api/v2/payment/lightning");
    let rate = concurrent(count, |_| {
        let (client, url, token) = (client.clone(), invoice_url.clone(), payer.token.clone());
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
    .await?;
    println!("merchant invoices created on {backend}, {CLIENTS} clients: {rate}");

    // Status reads of one invoice (the reads a shop's checkout polls with).
    let probe = send(
        &client,
        &invoice_url,
        &payer.token,
        None,
        json!({"amount": 1000, "expiry": 600}),
    )
    .await?;
    let status_url = format!(
        "{invoice_url}/{}",
        probe["r_hash"].as_str().context("no r_hash")?
    );
    let rate = concurrent(count * 4, |_| {
        let (client, url, token) = (client.clone(), status_url.clone(), payer.token.clone());
        async move {
            let response = client.get(&url).bearer_auth(&token).send().await?;
            let status = response.status();
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            anyhow::ensure!(status.is_success(), "{url}: {status} {answer}");
            Ok(answer)
        }
    })
    .await?;
    println!("invoice status reads on {backend}, {CLIENTS} clients: {rate}");

    // Fund the payer: one invoice, paid by alice, covers every 1-sat payment.
    let invoice = send(
        &client,
        &invoice_url,
        &payer.token,
        None,
        json!({"amount": count as u64 * 2 + 100}),
    )
    .await?;
    let bolt11 = invoice["payment_request"].as_str().context("no invoice")?;
    post(
        &client,
        &format!("{base}/dev/alice/pay"),
        json!({"bolt11": bolt11}),
    )
    .await?;
    let balance_url = format!("{base}/api/v2/merchant/balance");
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let balance = client
            .get(&balance_url)
            .bearer_auth(&payer.token)
            .send()
            .await?
            .json::<Value>()
            .await?;
        if balance["balance"].as_str().unwrap_or("0") != "0" {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the payer was not credited within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let internal_url = format!("{base}/api/v2/payment/internal");
    let signature = signing_key_sign(&payer.secret, &["1", &payee.id]);
    let rate = concurrent(count, |_| {
        let (client, url, token) = (client.clone(), internal_url.clone(), payer.token.clone());
        let (signature, body) = (
            signature.clone(),
            json!({"amount": "1", "destination": payee.id}),
        );
        async move { send(&client, &url, &token, Some(&signature), body).await }
    })
    .await?;
    println!("internal payments on {backend}, {CLIENTS} clients: {rate}");
    let (status, books) = {
        let response = client
            .get(format!("{base}/admin/merchant/books"))
            .bearer_auth(hub.app.operator_token())
            .send()
            .await?;
        (response.status(), response.json::<Value>().await?)
    };
    anyhow::ensure!(
        status.is_success() && books["ledger_balanced"] == true,
        "books: {books}"
    );
    hub.stop().await;
    Ok(())
}

fn signing_key_sign(secret: &SecretKey, fields: &[&str]) -> String {
    let signature = Secp256k1::signing_only().sign_ecdsa(&signing_key::digest(fields), secret);
    hex::encode(signature.serialize_der())
}

/// `count` requests made by `CLIENTS` tasks; the rate and each request's latency.
async fn concurrent<F, Fut>(count: usize, make: F) -> anyhow::Result<String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Value>> + Send + 'static,
{
    let per_client = count / CLIENTS;
    let mut chunks: Vec<Vec<Fut>> = (0..CLIENTS).map(|_| Vec::new()).collect();
    for i in 0..CLIENTS * per_client {
        chunks[i % CLIENTS].push(make(i));
    }
    let started = Instant::now();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(chunk.len());
                for future in chunk {
                    let sent = Instant::now();
                    future.await?;
                    took.push(sent.elapsed());
                }
                anyhow::Ok(took)
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(count);
    for task in tasks {
        samples.extend(task.await??);
    }
    let elapsed = started.elapsed();
    let done = CLIENTS * per_client;
    Ok(format!(
        "{done} in {:.2} s = {:.0}/s ({})",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        super::Latencies::of(samples)
    ))
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
