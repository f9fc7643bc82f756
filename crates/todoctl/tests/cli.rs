//! The CLI as a user runs it: the real binary, through exec.
#![allow(clippy::unwrap_used, missing_docs)]

use exec::Cmd;

fn todoctl(args: &[&str]) -> exec::Output {
    Cmd::new(env!("CARGO_BIN_EXE_todoctl"))
        .args(args.iter().copied())
        .run_unchecked()
        .unwrap()
}

#[test]
fn version_and_help() {
    let check = |args: &[&str], expect_status: i32, expect_fragment: &str| {
        let out = todoctl(args);
        assert_eq!(out.status, expect_status, "{args:?}: {out:?}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(expect_fragment), "{args:?}: {text}");
    };
    check(
        &["--version"],
        0,
        concat!("todoctl ", env!("CARGO_PKG_VERSION")),
    );
    check(&["--help"], 0, "--dry-run");
    check(&["--help"], 0, "--json");
    check(
        &["--no-such-flag"],
        2,
        "unexpected argument '--no-such-flag'",
    );
}
