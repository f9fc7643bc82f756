//! Invariants of the repository itself that no single crate owns.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(path: &str) -> String {
    fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every input `flake.nix` declares is locked to a full revision, and rust-overlay follows the
/// root nixpkgs (one nixpkgs in the closure).
#[test]
fn flake_lock_pins_every_input() {
    let flake = read("flake.nix");
    let lock: serde_json::Value = serde_json::from_str(&read("flake.lock")).unwrap();
    assert_eq!(lock["version"], 7);
    let root_inputs = lock["nodes"]["root"]["inputs"].as_object().unwrap();
    for (input, node_name) in root_inputs {
        assert!(
            flake.contains(&format!("{input}.url")) || flake.contains(&format!("{input} = {{")),
            "flake.lock locks `{input}`, which flake.nix does not declare"
        );
        let node = &lock["nodes"][node_name.as_str().unwrap()]["locked"];
        let rev = node["rev"].as_str().unwrap_or_default();
        assert!(
            rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
            "{input}: rev {rev:?}"
        );
        assert!(
            node["narHash"]
                .as_str()
                .unwrap_or_default()
                .starts_with("sha256-"),
            "{input}"
        );
    }
    for declared in ["nixpkgs", "rust-overlay", "systems"] {
        assert!(
            root_inputs.contains_key(declared),
            "flake.lock does not lock `{declared}`"
        );
    }
    assert_eq!(
        lock["nodes"]["rust-overlay"]["inputs"]["nixpkgs"],
        serde_json::json!(["nixpkgs"])
    );
}

/// The README's quickstart is exactly the two commands the project promises.
#[test]
fn readme_quickstart_has_the_two_commands() {
    let readme = read("README.md");
    let quickstart = readme.split("## Quickstart").nth(1).unwrap();
    for command in ["nix develop -c just deploy", "nix develop -c just test"] {
        assert!(
            quickstart.contains(command),
            "README quickstart lacks `{command}`"
        );
    }
}

/// One Rust version everywhere: rust-toolchain.toml is the source the flake reads.
#[test]
fn toolchain_file_names_the_one_rust_version() {
    let toolchain = read("rust-toolchain.toml");
    assert!(toolchain.contains("channel = \"1.95.0\""), "{toolchain}");
    assert!(read("flake.nix").contains("fromRustupToolchainFile ./rust-toolchain.toml"));
}

/// The README's troubleshooting table is the one doctor's rules generate.
#[test]
fn readme_troubleshooting_table_matches_doctor_rules() {
    let readme = read("README.md");
    let begin = readme
        .find("<!-- BEGIN doctor rules")
        .expect("README lacks the doctor table markers");
    let end = readme
        .find("<!-- END doctor rules -->")
        .expect("README lacks the end marker");
    let committed = &readme[begin..end];
    let generated = diagnose::rules_markdown();
    assert!(
        committed.contains(generated.trim()),
        "README's troubleshooting table is out of date: copy it from docs/troubleshooting.md \
         (regenerate that with UPDATE_DOCS=1 cargo test -p diagnose troubleshooting)"
    );
}
