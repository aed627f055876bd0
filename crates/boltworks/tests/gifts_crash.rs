//! A hub killed with SIGKILL in the middle of a gift payout (after `spent = pending` committed,
//! before or after the node took the payment) ends, after a restart, in the state the node's
//! own payment record says, and bob is paid exactly once.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use common::gift_client::{
    assert_bob_gained, assert_books_balance, bob_local_msat, funded_gift, wait_spent,
};
use common::{eventually, preimage_and_hash, HubClient, ADMIN_TOKEN};
use serde_json::json;

/// The real binary with the demo network, on fresh ports over `data`.
struct HubProcess {
    child: Child,
    hub: HubClient,
}

impl HubProcess {
    /// Starts the hub; waits for `/ready` on a first start, and after a SIGKILL only until the
    /// hub's channel with bob is usable again (the demo network's gossip, never persisted in a
    /// test this short, is gone, so `/ready`'s gossip check would wait for the hourly rebroadcast).
    async fn start(data: &Path, pause_at: Option<&str>, marker: &Path) -> Self {
        let fresh = || {
            boltworks::dev::free_loopback_addr()
                .expect("port")
                .to_string()
        };
        let listen = fresh();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))
            .expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_boltworks"));
        command
            .args(["serve", "--data-dir"])
            .arg(data)
            .args(["--listen", &listen, "--admin-token", ADMIN_TOKEN])
            .args(["--node-listen", &fresh(), "--alice-listen", &fresh()])
            .args(["--bob-listen", &fresh()])
            .env("RUST_LOG", "info,ldk_node=warn")
            .env("BOLTWORKS_DEV_PAUSE_MARKER", marker)
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(point) = pause_at {
            command.env("BOLTWORKS_DEV_PAUSE_AT", point);
        }
        let child = command.spawn().expect("spawn boltworks");
        // Constructed before waiting, so a hub that never gets ready is still killed on drop.
        let process = Self {
            child,
            hub: HubClient::new(format!("http://{listen}")),
        };
        if pause_at.is_some() {
            process.hub.wait_ready().await;
        } else {
            let url = format!("{}/dev/nodes", process.hub.base);
            eventually("the hub's channel with bob to be usable", || async {
                // Connection refused until the hub listens.
                let response = reqwest::get(&url).await.ok()?;
                let nodes: serde_json::Value = response.json().await.ok()?;
                let bob = nodes["bob"]["node_id"].clone();
                nodes["hub"]["channels"]
                    .as_array()?
                    .iter()
                    .any(|c| c["peer"] == bob && c["ready"] == true)
                    .then_some(())
            })
            .await;
        }
        process
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Scene {
    data: PathBuf,
    marker: PathBuf,
}

/// A fresh directory under `target/test-artifacts/gifts_crash/<name>`, kept after the test so
/// the hub's log (`data.log`) can be read when it fails.
fn scene(name: &str) -> Scene {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("test-artifacts")
        .join("gifts_crash")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("artifact dir");
    Scene {
        data: dir.join("data"),
        marker: dir.join("paused"),
    }
}

async fn wait_for_pause(marker: &Path) {
    eventually("the hub to reach its pause point", || async {
        marker.exists().then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_before_the_node_took_the_payout_it_is_sent_once_after_restart() {
    let scene = scene("before_send");
    let first =
        HubProcess::start(&scene.data, Some("gifts.payout.before_send"), &scene.marker).await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = bob_local_msat(&first.hub).await;
    let invoice = first.hub.invoice("bob", 1_000_000).await;
    let (status, answer) = first
        .hub
        .post(
            &format!("/gifts/redeem/{order_id}"),
            json!({"invoice": invoice.bolt11}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    wait_for_pause(&scene.marker).await;
    let view = first.hub.get(&format!("/gifts/gift/{order_id}")).await.1;
    assert_eq!(view["spent"], "pending");
    first.kill();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    let paid = second
        .hub
        .wait_payment("bob", &invoice.payment_hash, "succeeded")
        .await;
    assert_eq!(paid.amount_msat, Some(1_000_000));
    let view = wait_spent(&second.hub, &order_id, json!(true)).await;
    assert_eq!(view["withdrawalInfo"]["status"], "confirmed");
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_the_payout_is_in_flight_it_stays_pending_until_the_node_settles_it() {
    let scene = scene("after_send");
    let first =
        HubProcess::start(&scene.data, Some("gifts.payout.after_send"), &scene.marker).await;
    let gift = funded_gift(&first.hub, 1000, None).await;
    let order_id = gift["order_id"].as_str().expect("id").to_string();
    let bob_before = bob_local_msat(&first.hub).await;
    let (preimage, hash) = preimage_and_hash();
    let invoice = first.hub.hold_invoice("bob", 1_000_000, &hash).await;
    let (status, answer) = first
        .hub
        .post(
            &format!("/gifts/redeem/{order_id}"),
            json!({"invoice": invoice.bolt11}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let withdrawal = answer["withdrawal_id"].as_str().expect("id").to_string();
    wait_for_pause(&scene.marker).await;
    first.hub.wait_payment("bob", &hash, "held").await;
    first.kill();

    let second = HubProcess::start(&scene.data, None, &scene.marker).await;
    // The node has the payment in flight: so does the gift, and nothing is sent again.
    let (_, status) = second
        .hub
        .get(&format!("/gifts/redeemStatus/{withdrawal}"))
        .await;
    assert_eq!(status["status"], "initial", "{status}");
    assert_eq!(
        second.hub.get(&format!("/gifts/gift/{order_id}")).await.1["spent"],
        "pending"
    );
    second.hub.wait_payment("bob", &hash, "held").await;
    second
        .hub
        .claim("bob", &hash, &preimage)
        .await
        .expect("bob claims");
    wait_spent(&second.hub, &order_id, json!(true)).await;
    assert_bob_gained(&second.hub, bob_before, 1_000_000).await;
    assert_eq!(assert_books_balance(&second.hub).await, 0);
}
