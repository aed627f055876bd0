//! The real `boltworks` binary as a child process, for crash tests: started over a data
//! directory on fresh ports, optionally told to stop at a dev pause point, and killed with
//! SIGKILL so no shutdown code runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use super::{eventually, HubClient, ADMIN_TOKEN};

/// The real binary with the demo network, on fresh ports over `data`.
pub struct HubProcess {
    child: Child,
    pub hub: HubClient,
}

impl HubProcess {
    /// Starts the hub; waits for `/ready` on a first start, and after a SIGKILL only until the
    /// hub's channels with alice and bob are usable again (the demo network's gossip, never
    /// persisted in a test this short, is gone, so `/ready`'s gossip check would wait for the
    /// hourly rebroadcast).
    pub async fn start(data: &Path, pause_at: Option<&str>, marker: &Path) -> Self {
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
            eventually(
                "the hub's channels with alice and bob to be usable",
                || async {
                    // Connection refused until the hub listens.
                    let response = reqwest::get(&url).await.ok()?;
                    let nodes: serde_json::Value = response.json().await.ok()?;
                    let channels = nodes["hub"]["channels"].as_array()?.clone();
                    ["alice", "bob"]
                        .iter()
                        .all(|peer| {
                            let id = &nodes[*peer]["node_id"];
                            channels
                                .iter()
                                .any(|c| c["peer"] == *id && c["ready"] == true)
                        })
                        .then_some(())
                },
            )
            .await;
        }
        process
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
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

pub struct Scene {
    pub data: PathBuf,
    pub marker: PathBuf,
}

/// A fresh directory under `target/test-artifacts/<suite>/<name>`, kept after the test so
/// the hub's log (`data.log`) can be read when it fails.
pub fn scene(suite: &str, name: &str) -> Scene {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("test-artifacts")
        .join(suite)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("artifact dir");
    Scene {
        data: dir.join("data"),
        marker: dir.join("paused"),
    }
}

pub async fn wait_for_pause(marker: &Path) {
    eventually("the hub to reach its pause point", || async {
        marker.exists().then_some(())
    })
    .await;
}
