//! exec against real programs: sh, true, false, sleep.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use exec::{Cmd, Error, Runner};

fn sh(script: &str) -> Cmd {
    Cmd::new("sh").args(["-c", script])
}

#[test]
fn success_captures_stdout_and_stderr() {
    let out = sh("echo out; echo err >&2").run().unwrap();
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
}

#[test]
fn failure_error_shows_command_status_and_stderr_tail() {
    let err = sh("for i in $(seq 1 30); do echo line$i >&2; done; exit 3")
        .run()
        .unwrap_err();
    let Error::Failed {
        status, ref stderr, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(status, 3);
    assert!(stderr.ends_with("line30"), "{stderr}");
    assert!(
        !stderr.contains("line10\n"),
        "only the tail is kept: {stderr}"
    );
    let message = err.to_string();
    assert!(message.starts_with("`sh -c 'for i in"), "{message}");
    assert!(
        message.contains("failed with exit status 3:\n"),
        "{message}"
    );
}

#[test]
fn run_unchecked_returns_output_of_failed_program() {
    let out = Cmd::new("false").run_unchecked().unwrap();
    assert_eq!(out.status, 1);
    assert!(!out.success());
    assert!(Cmd::new("true").run().unwrap().success());
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let started = Instant::now();
    // The inner sleep is a grandchild: only killing the group ends it and closes the pipes.
    let err = sh("echo partial >&2; sleep 30; echo never")
        .timeout(Duration::from_millis(300))
        .run()
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the child was not killed"
    );
    let Error::Timeout {
        after, ref stderr, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(after, Duration::from_millis(300));
    assert_eq!(stderr, "partial");
}

#[test]
fn streaming_timeout_kills_and_reports() {
    let err = sh("echo first; sleep 30")
        .timeout(Duration::from_millis(300))
        .run_streaming(|_| {})
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[test]
fn streaming_delivers_lines_in_order_from_both_streams() {
    let mut lines = Vec::new();
    let out = sh("echo one; echo two >&2; echo three")
        .run_streaming(|line| lines.push(line.to_owned()))
        .unwrap();
    assert_eq!(lines, ["one", "two", "three"]);
    assert_eq!(out.stdout, "one\ntwo\nthree\n");
}

#[test]
fn streaming_failure_keeps_the_output_tail() {
    let err = sh("echo context; exit 4")
        .run_streaming(|_| {})
        .unwrap_err();
    let Error::Failed { status, stderr, .. } = err else {
        panic!()
    };
    assert_eq!((status, stderr.as_str()), (4, "context"));
}

#[test]
fn secrets_are_redacted_in_display_errors_and_streams() {
    let token = "s3cr3t-t0ken-value";
    let cmd = sh("echo \"bad token $1 and $TOKEN\" >&2; exit 1")
        .arg("argv0")
        .secret_arg(token)
        .secret_env("TOKEN", token)
        .env("VISIBLE", "yes");
    assert_eq!(
        cmd.to_string(),
        "TOKEN='***' VISIBLE=yes sh -c 'echo \"bad token $1 and $TOKEN\" >&2; exit 1' argv0 '***'"
    );
    let err = cmd.run().unwrap_err().to_string();
    assert!(err.contains("bad token *** and ***"), "{err}");
    assert!(!err.contains(token), "{err}");

    let mut streamed = Vec::new();
    let _ = cmd.run_streaming(|l| streamed.push(l.to_owned()));
    assert_eq!(streamed, ["bad token *** and ***"]);
}

#[test]
fn dry_run_records_instead_of_running() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let runner = Runner::dry_run();
    let cmd = Cmd::new("touch")
        .arg(marker.to_str().unwrap())
        .secret_env("PASSWORD", "hunter2");
    let out = runner.run(&cmd).unwrap();
    assert!(out.success());
    assert!(!marker.exists(), "a dry run must not run anything");
    assert_eq!(
        runner.recorded(),
        [format!("PASSWORD='***' touch {}", marker.display())]
    );
    assert!(runner.is_dry_run());

    let live = Runner::live();
    live.run(&cmd).unwrap();
    assert!(marker.exists());
    assert!(live.recorded().is_empty());
}

fn fake_tool(dir: &Path, name: &str, script: &str) {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Resolution in a given environment: (override value, expected file name or error).
#[test]
fn resolution_prefers_env_override_then_path() {
    let dir = tempfile::tempdir().unwrap();
    fake_tool(dir.path(), "exec-test-tool", "echo from-path");
    fake_tool(dir.path(), "exec-test-other", "echo from-override");
    let other = dir.path().join("exec-test-other");

    let check = |override_value: Option<&str>, expect: &str| {
        let lookup = |name: &str| match name {
            "PATH" => Some(dir.path().as_os_str().to_owned()),
            "EXEC_TEST_TOOL" => override_value.map(Into::into),
            _ => None,
        };
        let got = match exec::resolve_with("exec-test-tool", lookup) {
            Ok(path) => path.file_name().unwrap().to_string_lossy().into_owned(),
            Err(err) => err.to_string(),
        };
        assert_eq!(got, expect, "override {override_value:?}");
    };
    check(None, "exec-test-tool");
    check(Some(other.to_str().unwrap()), "exec-test-other");
    check(Some("exec-test-other"), "exec-test-other");
    check(Some(""), "exec-test-tool");
    check(
        Some("no-such-binary"),
        "exec-test-tool not found: EXEC_TEST_TOOL names `no-such-binary`, which is not on PATH",
    );
    // A resolved override really runs.
    let out = Cmd::new(other.to_str().unwrap()).run().unwrap();
    assert_eq!(out.stdout, "from-override\n");
}

#[test]
fn missing_tool_says_how_to_get_it() {
    let err = Cmd::new("definitely-not-a-tool").run().unwrap_err();
    assert_eq!(
        err.to_string(),
        "definitely-not-a-tool not found: run `nix develop` or `just tools`, \
         or set DEFINITELY_NOT_A_TOOL to its path"
    );
    assert_eq!(exec::env_override_name("kubectl-ai"), "KUBECTL_AI");
}

#[test]
fn spawned_child_terminates_on_sigterm_and_reports_output() {
    let child = sh("trap 'echo stopping; exit 0' TERM; echo ready; while :; do sleep 0.05; done")
        .spawn()
        .unwrap();
    assert!(child.pid() > 0);
    assert!(
        child
            .wait_timeout(Duration::from_millis(200))
            .unwrap()
            .is_none()
    );
    child.terminate().unwrap();
    let out = child.wait().unwrap();
    assert_eq!(out.status, 0);
    assert_eq!(out.stdout, "ready\nstopping\n");
}

#[test]
fn stdin_and_working_directory_are_passed() {
    let dir = tempfile::tempdir().unwrap();
    let out = sh("cat; pwd")
        .stdin_bytes("piped\n")
        .current_dir(dir.path())
        .run()
        .unwrap();
    let canonical = dir.path().canonicalize().unwrap();
    assert_eq!(out.stdout, format!("piped\n{}\n", canonical.display()));
}

#[test]
fn a_later_env_value_for_the_same_key_wins() {
    let cmd = sh("echo $KEY")
        .env("KEY", "first")
        .secret_env("KEY", "second-secret");
    assert_eq!(cmd.run().unwrap().stdout, "second-secret\n");
    assert_eq!(cmd.to_string(), "KEY='***' sh -c 'echo $KEY'");
}

/// The high-water mark of this process's resident memory, in KiB.
fn peak_rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn run_to_file_streams_stdout_into_the_file_without_holding_it() {
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    let file = fs::File::create(&path).unwrap();
    let before = peak_rss_kib();
    let out = Runner::live()
        .run_to_file(&sh("head -c 268435456 /dev/zero; echo done >&2"), &file)
        .unwrap();
    let grown_mib = (peak_rss_kib() - before) / 1024;
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "done\n");
    assert_eq!(fs::metadata(&path).unwrap().len(), 256 * MIB);
    // Capturing the same output would have raised the peak by at least its 256 MiB.
    assert!(
        grown_mib < 32,
        "peak RSS grew by {grown_mib} MiB while 256 MiB went to the file"
    );
}

#[test]
fn run_to_file_keeps_errors_redaction_timeouts_and_dry_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out");
    let file = fs::File::create(&path).unwrap();
    let token = "file-t0ken-value";
    let err = sh("echo partial; echo \"denied for $TOKEN\" >&2; exit 2")
        .secret_env("TOKEN", token)
        .pipe_to(&file)
        .unwrap_err();
    let Error::Failed {
        status, ref stderr, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((status, stderr.as_str()), (2, "denied for ***"));
    assert!(!err.to_string().contains(token), "{err}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "partial\n");

    let err = sh("echo slow >&2; sleep 30")
        .timeout(Duration::from_millis(300))
        .pipe_to(&file)
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { ref stderr, .. } if stderr == "slow"),
        "{err:?}"
    );

    let plan = Runner::dry_run();
    let untouched = dir.path().join("untouched");
    let untouched_file = fs::File::create(&untouched).unwrap();
    plan.run_to_file(&sh("echo data"), &untouched_file).unwrap();
    assert_eq!(plan.recorded(), ["sh -c 'echo data'"]);
    assert_eq!(fs::metadata(&untouched).unwrap().len(), 0);
}

/// `Runner::live().run_to_file`, as a method for the tests above.
trait PipeTo {
    fn pipe_to(&self, file: &fs::File) -> Result<exec::Output, Error>;
}

impl PipeTo for Cmd {
    fn pipe_to(&self, file: &fs::File) -> Result<exec::Output, Error> {
        Runner::live().run_to_file(self, file)
    }
}

#[test]
fn stdin_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    fs::write(&input, "from the file\n").unwrap();
    let out = Cmd::new("cat").stdin_file(&input).run().unwrap();
    assert_eq!(out.stdout, "from the file\n");
    let err = Cmd::new("cat")
        .stdin_file(dir.path().join("missing"))
        .run()
        .unwrap_err();
    assert!(matches!(err, Error::Spawn { .. }), "{err:?}");
}
