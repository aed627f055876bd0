//! The real `boltworks` binary as a child process, for what only a process shows: a SIGKILL
//! at a dev pause point (no shutdown code runs), SIGTERM and SIGINT, several hubs on one
//! database. Each start takes fresh ports; the child's output (stdout, its tracing log, and
//! stderr) goes to `DATA.log` beside its data directory.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::clients::Hub;
use super::ports::{free_addr, start_on_fresh_ports, NodePorts};
use super::serve_options::{ServeFlags, ServeOptions};
use super::wait::eventually;

/// How long a child has to be up.
const START_PATIENCE: Duration = Duration::from_secs(120);

/// A signal that asks the hub to stop.
#[derive(Clone, Copy, Debug)]
pub enum Signal {
    Term,
    Int,
}

/// What to start: typed `serve` options (see [`ServeOptions`]) and how to run the child.
pub struct ProcessBuilder {
    data: PathBuf,
    flags: ServeFlags,
    pause_at: Option<String>,
    pause_marker: Option<PathBuf>,
    log_filter: String,
    keep_stdout: bool,
}

impl ServeOptions for ProcessBuilder {
    fn serve_flags(&mut self) -> &mut ServeFlags {
        &mut self.flags
    }
}

impl ProcessBuilder {
    /// Stops the task that reaches dev pause point `point` for good (see `boltworks::pause`).
    pub fn pause_at(mut self, point: &str) -> Self {
        self.pause_at = Some(point.to_string());
        self
    }

    /// The file the hub creates when it reaches its pause point.
    pub fn pause_marker(mut self, marker: &Path) -> Self {
        self.pause_marker = Some(marker.to_path_buf());
        self
    }

    /// The child's `RUST_LOG` (default `info,ldk_node=warn`).
    pub fn log_filter(mut self, filter: &str) -> Self {
        self.log_filter = filter.to_string();
        self
    }

    /// Drops the child's stdout (its tracing log): `DATA.log` keeps stderr alone, what the
    /// binary prints when it fails (a panic, a start-up error).
    pub fn discard_stdout(mut self) -> Self {
        self.keep_stdout = false;
        self
    }

    /// Starts the child and waits until `/ready` answers 200 (also after a SIGKILL: the demo
    /// channels are reconnected, with no gossip to wait for). One that exits first (a parallel test took
    /// one of its ports) is started again on fresh ports; one that runs but is not up in time
    /// fails the test with the end of its log.
    pub async fn start(mut self) -> HubProcess {
        self.flags.prepare().await;
        let this = &self;
        start_on_fresh_ports("the hub process", || async move {
            let log_start = log_len(&this.log_path());
            let mut process = this.spawn();
            match process.wait_up().await {
                Ok(()) => Ok(process),
                Err(status) => {
                    // Keep the log to the start that came up; show the one that did not.
                    let failed = this.take_log_since(log_start);
                    Err(format!("exited with {status}; its log:\n{failed}"))
                }
            }
        })
        .await
    }

    fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    fn spawn(&self) -> HubProcess {
        let listen = free_addr().to_string();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_boltworks"));
        command
            .arg("serve")
            .args(self.flags.render(&self.data, &listen, &NodePorts::fresh()))
            .env("RUST_LOG", &self.log_filter)
            .stdout(if self.keep_stdout {
                Stdio::from(log.try_clone().expect("log"))
            } else {
                Stdio::null()
            })
            .stderr(log);
        if let Some(point) = &self.pause_at {
            command.env("BOLTWORKS_DEV_PAUSE_AT", point);
        }
        if let Some(marker) = &self.pause_marker {
            command.env("BOLTWORKS_DEV_PAUSE_MARKER", marker);
        }
        // Owned before waiting, so a hub that never gets up is still killed on drop.
        HubProcess {
            child: command.spawn().expect("spawn boltworks"),
            log: self.log_path(),
            hub: Hub::new(format!("http://{listen}")),
        }
    }

    /// The log written since `offset`, cut from the file.
    fn take_log_since(&self, offset: u64) -> String {
        let path = self.log_path();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .expect("log file");
        let mut text = String::new();
        file.seek(SeekFrom::Start(offset)).expect("seek");
        let _ = file.read_to_string(&mut text);
        file.set_len(offset).expect("truncate the log");
        text
    }
}

fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// A running hub child; killed when dropped.
pub struct HubProcess {
    child: Child,
    log: PathBuf,
    /// The clients of this child's HTTP API.
    pub hub: Hub,
}

impl HubProcess {
    /// The real binary over the data directory `data` (its log is `data` with `.log`), alone
    /// (no demo nodes) on SQLite until options say otherwise.
    pub fn builder(data: &Path) -> ProcessBuilder {
        ProcessBuilder {
            data: data.to_path_buf(),
            flags: ServeFlags::default(),
            pause_at: None,
            pause_marker: None,
            log_filter: "info,ldk_node=warn".into(),
            keep_stdout: true,
        }
    }

    /// Waits until the child is up; its exit status if it stopped first.
    async fn wait_up(&mut self) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + START_PATIENCE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(status);
            }
            if self.hub.is_ready().await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "the hub at {} was not ready within {START_PATIENCE:?}; its log ends:\n{}",
                    self.hub.base,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Sends `signal` and waits (at most 60 s) for the child to exit; its exit status.
    pub async fn stop_with(mut self, signal: Signal) -> ExitStatus {
        let name = match signal {
            Signal::Term => "-TERM",
            Signal::Int => "-INT",
        };
        let sent = Command::new("kill")
            .arg(name)
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "no exit within 60 s of SIG{}",
                &name[1..]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The child's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 40 lines of the child's log.
    fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A crash test's directory, `target/tmp/test-artifacts/<suite>/<name>`, fresh, and kept after
/// the test so the hub's log (`data.log`) can be read when it fails.
pub struct Scene {
    pub data: PathBuf,
    pub marker: PathBuf,
}

impl Scene {
    pub fn new(suite: &str, name: &str) -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("test-artifacts")
            .join(suite)
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("artifact dir");
        Self {
            data: dir.join("data"),
            marker: dir.join("paused"),
        }
    }

    /// The hub with the demo network over this scene's data, its pause marker set.
    pub fn hub(&self) -> ProcessBuilder {
        HubProcess::builder(&self.data)
            .demo_nodes()
            .pause_marker(&self.marker)
    }

    /// Waits until the hub has reached its pause point.
    pub async fn wait_for_pause(&self) {
        eventually("the hub to reach its pause point", || async {
            self.marker.exists().then_some(())
        })
        .await;
    }

    /// Sends `request` to `hub` (started with a pause point), kills the hub with SIGKILL once the
    /// request reached that point, and starts the hub again over the same data (no pause).
    pub async fn kill_during(
        &self,
        hub: HubProcess,
        request: reqwest::RequestBuilder,
    ) -> HubProcess {
        let sending = tokio::spawn(async move {
            let _ = request.send().await;
        });
        self.wait_for_pause().await;
        hub.kill();
        sending.abort();
        self.hub().start().await
    }
}
