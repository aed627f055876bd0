//! The real `boltworks` binary as a child process, for crash tests: started over a data
//! directory on fresh ports, optionally told to stop at a dev pause point, and killed with
//! SIGKILL so no shutdown code runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use super::{eventually, HubClient, ADMIN_TOKEN, PATIENCE};

/// The real binary with the demo network, on fresh ports over `data`.
pub struct HubProcess {
    child: Child,
    pub hub: HubClient,
}

impl HubProcess {
    /// Starts the hub; waits for `/ready` on a first start, and after a SIGKILL only until the
    /// hub's channels with alice and bob are usable again (the demo network's gossip, never
    /// persisted in a test this short, is gone, so `/ready`'s gossip check would wait for the
    /// hourly rebroadcast). Ports are chosen free and bound a moment later by the child, so a
    /// parallel test can take one in between: a child that exits before it is up is started
    /// again on fresh ports.
    pub async fn start(data: &Path, pause_at: Option<&str>, marker: &Path) -> Self {
        for attempt in 1..=3 {
            let mut process = Self::spawn(data, pause_at, marker);
            match process.wait_up(pause_at.is_some()).await {
                Ok(()) => return process,
                Err(status) if attempt < 3 => {
                    eprintln!("hub exited before it was up ({status}); retrying on fresh ports")
                }
                Err(status) => panic!("hub exited before it was up: {status}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn spawn(data: &Path, pause_at: Option<&str>, marker: &Path) -> Self {
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
        // Owned before waiting, so a hub that never gets ready is still killed on drop.
        Self {
            child: command.spawn().expect("spawn boltworks"),
            hub: HubClient::new(format!("http://{listen}")),
        }
    }

    /// Waits until the hub is up: `/ready` on a first start, the demo channels usable after a
    /// restart. The child's exit status if it stopped first.
    async fn wait_up(&mut self, first_start: bool) -> Result<(), std::process::ExitStatus> {
        let ready_url = format!("{}/ready", self.hub.base);
        let nodes_url = format!("{}/dev/nodes", self.hub.base);
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(status);
            }
            let up = if first_start {
                reqwest::get(&ready_url)
                    .await
                    .is_ok_and(|r| r.status().is_success())
            } else {
                channels_usable(&nodes_url).await
            };
            if up {
                return Ok(());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for the hub to be up ({})",
                if first_start {
                    "/ready"
                } else {
                    "its channels with alice and bob usable"
                }
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
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

/// Whether the hub's channels with alice and bob are usable (connection refused until the hub
/// listens).
async fn channels_usable(nodes_url: &str) -> bool {
    let Ok(response) = reqwest::get(nodes_url).await else {
        return false;
    };
    let Ok(nodes) = response.json::<serde_json::Value>().await else {
        return false;
    };
    let Some(channels) = nodes["hub"]["channels"].as_array() else {
        return false;
    };
    ["alice", "bob"].iter().all(|peer| {
        let id = &nodes[*peer]["node_id"];
        channels
            .iter()
            .any(|c| c["peer"] == *id && c["ready"] == true)
    })
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
