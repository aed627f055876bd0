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
