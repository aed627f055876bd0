//! The binary refuses a bad flag or configuration value with exit code 2 and one line that
//! names it, before touching the data directory.

use std::process::Command;

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

/// Sends `signal` (TERM or INT) to the child and waits for it to exit.
fn signal_and_wait(child: &mut std::process::Child, signal: &str) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(sent.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no exit within 60 s of SIG{signal}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Whether `url` answers 200 now.
fn answers_200(url: &str) -> bool {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            reqwest::get(url)
                .await
                .is_ok_and(|r| r.status().is_success())
        })
}

/// Waits for `url` to answer 200, returning its JSON body.
fn wait_for(url: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    loop {
        let answer = runtime.block_on(async {
            let response = reqwest::get(url).await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            response.json::<serde_json::Value>().await.ok()
        });
        if let Some(body) = answer {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{url} did not answer 200"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn sigterm_and_sigint_stop_the_hub_cleanly_and_it_resumes() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let log = dir.path().join("hub.log");
    let fresh = || {
        boltworks::dev::free_loopback_addr()
            .expect("port")
            .to_string()
    };
    // Each start gets fresh ports; one a parallel test took before the hub bound it makes the
    // hub exit, and it is started again on others (as the test stacks do).
    let start = || -> (std::process::Child, String) {
        for _ in 0..3 {
            let ports: Vec<String> = (0..4).map(|_| fresh()).collect();
            let mut child = Command::new(env!("CARGO_BIN_EXE_boltworks"))
                .args(["serve", "--data-dir"])
                .arg(&data)
                .args([
                    "--listen",
                    &ports[3],
                    "--node-listen",
                    &ports[0],
                    "--alice-listen",
                    &ports[1],
                    "--bob-listen",
                    &ports[2],
                ])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("spawn boltworks");
            let url = format!("http://{}/ready", ports[3]);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while std::time::Instant::now() < deadline {
                if child.try_wait().expect("wait").is_some() {
                    break;
                }
                if answers_200(&url) {
                    return (child, ports[3].clone());
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            if child.try_wait().expect("wait").is_none() {
                let _ = child.kill();
                panic!("the hub did not get ready within 120 s; its log:\n{log}");
            }
            eprintln!(
                "the hub exited before it was ready; starting it on other ports. Its log:\n{log}"
            );
        }
        panic!("the hub exited before it was ready in three starts");
    };
    let (mut first, listen) = start();
    let hub_id = wait_for(&format!("http://{listen}/dev/nodes"))["hub"]["node_id"].clone();
    let status = signal_and_wait(&mut first, "TERM");
    assert!(status.success(), "SIGTERM exit: {status:?}");

    let (mut second, listen) = start();
    let nodes = wait_for(&format!("http://{listen}/dev/nodes"));
    assert_eq!(nodes["hub"]["node_id"], hub_id, "same node after a restart");
    assert_eq!(
        nodes["hub"]["channels"].as_array().expect("channels").len(),
        2,
        "the demo channels persisted"
    );
    let status = signal_and_wait(&mut second, "INT");
    assert!(status.success(), "SIGINT exit: {status:?}");
}
