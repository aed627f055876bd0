//! `boltworks bench signins`: the hub's resident memory (RSS) while passwords are hashed. 50
//! merchants (the Peach API) sign up at once, then sign in 50 at a time for `--rounds` rounds (200 sign-ins by
//! default), twice over; RSS is read before, after the sign-ups and after each batch of
//! sign-ins. Argon2id takes 19 MiB per hash: bounded, the figures level off instead of growing
//! with the concurrency.

use anyhow::Context;
use serde_json::{json, Value};

use super::merchant_flow::sign_up;
use super::{rss_mib, BenchHub};

/// Users, and concurrent sign-ins per round.
const USERS: usize = 50;

/// Runs it and prints RSS at each step.
pub async fn run(rounds: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=100).contains(&rounds),
        "--rounds must be between 1 and 100"
    );
    let hub = BenchHub::start(&["--no-demo-nodes".to_string()]).await?;
    let client = reqwest::Client::new();
    let base = hub.base.clone();
    let signin = |n: usize| {
        let (client, url) = (client.clone(), format!("{base}/api/v2/auth/signin"));
        async move {
            let body =
                json!({"email": format!("m{n}@bench.example"), "password": "bench password"});
            let answer: Value = client.post(url).json(&body).send().await?.json().await?;
            answer["access_token"]
                .as_str()
                .with_context(|| format!("signin: {answer}"))?;
            anyhow::Ok(())
        }
    };
    println!("signins: RSS at start {:.0} MiB", rss_mib());
    let mut signups = tokio::task::JoinSet::new();
    for n in 0..USERS {
        let (client, base) = (client.clone(), base.clone());
        signups.spawn(async move { sign_up(&client, &base, &format!("m{n}")).await.map(|_| ()) });
    }
    while let Some(result) = signups.join_next().await {
        result??;
    }
    println!(
        "signins: RSS after {USERS} sign-ups at once {:.0} MiB",
        rss_mib()
    );
    for batch in 1..=2 {
        for _ in 0..rounds {
            let mut signins = tokio::task::JoinSet::new();
            for n in 0..USERS {
                signins.spawn(signin(n));
            }
            while let Some(result) = signins.join_next().await {
                result??;
            }
        }
        println!(
            "signins: RSS after {} sign-ins, {USERS} at a time {:.0} MiB",
            batch * rounds * USERS,
            rss_mib()
        );
    }
    hub.stop().await;
    Ok(())
}
