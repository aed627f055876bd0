//! A force-close the hub suffers is not silent: it is listed under `/admin/node/closures`, sent
//! to the operator webhook (signed) and its money is booked as on-chain funds in transit, while a
//! cooperative close is only listed.

use serde_json::Value;

use crate::harness::webhook::{hmac_hex, Receiver};
use crate::harness::{eventually, ServeOptions, TestStack};

/// What alice pushes to the hub when she opens the channel: the hub's side of it.
const HUB_SIDE_SAT: u64 = 100_000;

/// A ready channel alice opens to the hub, pushing `push_sat` to it; the hub's id of it.
async fn alice_channel(stack: &TestStack, capacity_sat: u64, push_sat: u64) -> String {
    let hub = &stack.hub;
    let alices = hub
        .dev
        .open_channel("alice", "hub", capacity_sat, push_sat * 1000)
        .await;
    hub.dev.wait_funding_broadcast("alice", &alices).await;
    hub.dev.mine(6).await;
    eventually("channel ready on the hub", || async {
        hub.dev
            .channel_of_capacity("hub", capacity_sat)
            .await
            .filter(|c| c.ready)
            .map(|c| c.user_channel_id)
    })
    .await
}

/// The hub's closures, newest first, as `/admin/node/closures?{query}` lists them.
async fn closures(stack: &TestStack, query: &str) -> Vec<Value> {
    let (status, body) = stack.hub.admin.closures(query).await;
    assert_eq!(status, 200, "{body}");
    body["closures"].as_array().expect("closures").clone()
}

fn ledger_balance(ledger: &Value, account: &str) -> i64 {
    ledger["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["account"] == account)
        .map_or(0, |a| a["balance_msat"].as_i64().expect("balance"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_force_close_is_reported_to_the_operator_and_booked_as_funds_in_transit() {
    let (receiver, url) = Receiver::default().start().await;
    let stack = TestStack::builder()
        .demo_nodes()
        .operator_webhook_url(&url)
        .build()
        .await;
    let hub = &stack.hub;
    let alice_id = hub.dev.nodes().await.alice.node_id;
    let (_, before) = hub.admin.ledger().await;

    // A cooperative close is listed, costs nothing and alerts no one.
    let cooperative = alice_channel(&stack, 200_000, 0).await;
    hub.dev.close_channel("hub", &cooperative, false).await;
    let listed = eventually("cooperative close listed", || async {
        closures(&stack, "").await.into_iter().next()
    })
    .await;
    assert_eq!(listed["user_channel_id"], cooperative.as_str());
    assert_eq!(listed["kind"], "cooperative");
    assert_eq!(listed["claimable_sat"], 0);
    assert!(closures(&stack, "forced=true").await.is_empty());

    // The hub force-closes a channel in which it holds 100,000 sat.
    let forced = alice_channel(&stack, 300_000, HUB_SIDE_SAT).await;
    hub.dev.close_channel("hub", &forced, true).await;
    let closure = eventually("force-close listed", || async {
        closures(&stack, "forced=true").await.into_iter().next()
    })
    .await;
    assert_eq!(closure["user_channel_id"], forced.as_str());
    assert_eq!(closure["kind"], "forced_by_hub");
    assert_eq!(closure["peer"], alice_id.as_str());
    assert_eq!(closure["claimable_sat"], HUB_SIDE_SAT, "{closure}");
    assert_eq!(closure["contested_htlc_sat"], 0);
    assert!(closure["reason"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(closures(&stack, "").await.len(), 2);
    assert_eq!(closures(&stack, "limit=1").await.len(), 1);

    // The books: the hub's side moved from Lightning to on chain, in transit; still balanced.
    let (_, after) = hub.admin.ledger().await;
    assert_eq!(after["balanced"], true, "{after}");
    let in_transit = (HUB_SIDE_SAT * 1000) as i64;
    assert_eq!(
        ledger_balance(&after, "assets:onchain-in-transit"),
        in_transit
    );
    assert_eq!(
        ledger_balance(&after, "assets:lightning") - ledger_balance(&before, "assets:lightning"),
        -in_transit
    );

    // The operator webhook, signed with the target's secret, once.
    let alert = eventually("operator webhook", || async {
        receiver.seen().into_iter().next()
    })
    .await;
    let (_, secret) = hub.admin.webhook_secret(&url).await;
    let secret = secret["secret"].as_str().expect("secret");
    assert_eq!(alert.signature, hmac_hex(secret, &alert.body));
    let body: Value = serde_json::from_slice(&alert.body).expect("json body");
    assert_eq!(body["event"], "channel.force_closed");
    assert_eq!(body["channel_id"], closure["channel_id"]);
    assert_eq!(body["kind"], "forced_by_hub");
    assert_eq!(body["claimable_sat"], HUB_SIDE_SAT);

    // The sweep is not in this test; mining does not book the closure again.
    hub.dev.mine(6).await;
    let (_, later) = hub.admin.ledger().await;
    assert_eq!(
        ledger_balance(&later, "assets:onchain-in-transit"),
        in_transit
    );
    assert_eq!(receiver.seen().len(), 1, "one alert per close");

    // Bad queries get the hub's own error; no token, no listing.
    for query in ["limit=0", "limit=501", "limit=x", "forced=maybe"] {
        let (status, body) = hub.admin.closures(query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["error"]["message"].is_string(), "{query}: {body}");
    }
    let (status, _) = hub.admin.without_token().closures("").await;
    assert_eq!(status, 401);
    stack.stop().await;
}
