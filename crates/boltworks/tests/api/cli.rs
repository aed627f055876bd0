//! The binary refuses a bad flag or configuration value with exit code 2 and one line that
//! names it, before touching the data directory; SIGTERM and SIGINT stop it cleanly.

use std::process::Command;

use serde_json::Value;

use crate::harness::process::{HubProcess, Signal};
use crate::harness::{eventually, Hub, ServeOptions};

fn serve(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let mut command = Command::new(env!("CARGO_BIN_EXE_boltworks"));
    command.arg("serve").arg("--data-dir").arg(&data).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run boltworks");
    assert!(
        !data.exists(),
        "a refused configuration must not create the data dir"
    );
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

/// Flags, environment, and the flag the message must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_flags_and_values_exit_non_zero_with_one_line_naming_them() {
    let cases: &[Case] = &[
        (&["--bogus"], &[], "--bogus"),
        (&["--listen", "nowhere"], &[], "--listen"),
        (&["--network", "moon"], &[], "--network"),
        (&["--database-url", "mysql://db"], &[], "--database-url"),
        (&["--request-timeout", "0"], &[], "--request-timeout"),
        (&["--network", "signet"], &[], "--chain-source"),
        (&[], &[("BOLTWORKS_LISTEN", "not-an-address")], "--listen"),
    ];
    for (args, env, flag) in cases {
        let (code, stderr) = serve(args, env);
        assert_eq!(code, 2, "{args:?} {env:?}: {stderr}");
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{args:?}: one line, got {stderr:?}"
        );
        assert!(
            stderr.contains(flag),
            "{args:?}: {stderr:?} does not name {flag}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_and_sigint_stop_the_hub_cleanly_and_it_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let hub = || HubProcess::builder(&data).demo_nodes().log_filter("warn");
    let first = hub().start().await;
    let nodes = nodes_once_answered(&first.hub).await;
    let hub_id = nodes["hub"]["node_id"].clone();
    let status = first.stop_with(Signal::Term).await;
    assert!(status.success(), "SIGTERM exit: {status:?}");

    let second = hub().start().await;
    let nodes = nodes_once_answered(&second.hub).await;
    assert_eq!(nodes["hub"]["node_id"], hub_id, "same node after a restart");
    assert_eq!(
        nodes["hub"]["channels"].as_array().expect("channels").len(),
        2,
        "the demo channels persisted"
    );
    let status = second.stop_with(Signal::Int).await;
    assert!(status.success(), "SIGINT exit: {status:?}");
}

/// `/dev/nodes` once it answers 200.
async fn nodes_once_answered(hub: &Hub) -> Value {
    eventually("/dev/nodes to answer 200", || async {
        let (status, nodes) = hub.dev.nodes_answer().await;
        status.is_success().then_some(nodes)
    })
    .await
}
