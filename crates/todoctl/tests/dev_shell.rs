//! `nix develop` provides every tool the test suite runs, and flake.nix names only nixpkgs
//! attributes with recorded evidence.
//!
//! Nix cannot fetch nixpkgs here, so the real evaluator (`nix-instantiate`) runs flake.nix
//! against a stand-in nixpkgs holding exactly the names in nix/nixpkgs-attributes.txt: a name
//! flake.nix uses that the list lacks is an evaluation error, and the dev shell's package list
//! comes out of the same evaluation a real `nix develop` does.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TOOLS: &str = "scripts/test-tools.txt";
const ATTRIBUTES: &str = "nix/nixpkgs-attributes.txt";
const SYSTEM: &str = "x86_64-linux";

/// What stands in for `import nixpkgs { … }`: every listed name is a package that keeps its name
/// through the dev shell's list, except the few functions flake.nix calls, which behave just
/// enough for the evaluation (a derivation built by the flake itself keeps its name and source).
const STANDIN_NIXPKGS: &str = r#"
{ system, overlays ? [ ] }:
let
  names = builtins.fromJSON (builtins.readFile ./attributes.json);
  package = name: { standin = "nixpkgs"; inherit name; };
  isLinux = builtins.match ".*-linux" system != null;
  functions = {
    lib.optionals = condition: list: if condition then list else [ ];
    stdenv = { inherit isLinux; hostPlatform = { inherit system; }; };
    stdenvNoCC.mkDerivation = args: { standin = "flake"; name = args.pname; inherit (args) version src; };
    mkShell = args: args;
    fetchurl = args: args;
    rust-bin.fromRustupToolchainFile = _file: package "rust-bin";
  };
  unlisted = builtins.filter (name: !(builtins.elem name names)) (builtins.attrNames functions);
in
if unlisted != [ ] then
  throw "the stand-in nixpkgs defines ${toString unlisted}, which nix/nixpkgs-attributes.txt lacks"
else
  builtins.listToAttrs (map (name: { inherit name; value = functions.${name} or (package name); }) names)
"#;

/// Calls the flake's `outputs` with stand-in inputs and describes the default dev shell.
const EVALUATE: &str = r#"
{ flake, standin, system }:
let
  inputs = {
    self = { };
    nixpkgs = {
      outPath = standin + "/nixpkgs";
      lib.genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
    };
    rust-overlay.overlays.default = "rust-overlay";
    systems.outPath = standin + "/systems";
  };
  shell = ((import (/. + flake)).outputs inputs).devShells.${system}.default;
  built = builtins.filter (p: p.standin == "flake") shell.packages;
in
{
  packages = map (p: if p.standin == "flake" then "flake:${p.name}" else p.name) shell.packages;
  built = map (p: { inherit (p) name version; inherit (p.src) url sha256; }) built;
}
"#;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(path: &str) -> String {
    fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Lines that carry data: neither blank nor comments, with their line numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

#[derive(Debug, PartialEq)]
struct Tool {
    command: String,
    dev_shell: String,
    needed_by: String,
}

/// The tool list, as scripts/check-test-env.sh reads it.
fn parse_tools(text: &str) -> Result<Vec<Tool>, String> {
    data_lines(text)
        .map(|(n, line)| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [command, dev_shell, needed_by] = fields[..] else {
                return Err(format!(
                    "{TOOLS}:{n}: expected `command dev-shell needed-by`, got `{line}`"
                ));
            };
            if !["tests", "test-cluster"].contains(&needed_by) {
                return Err(format!(
                    "{TOOLS}:{n}: needed-by is `tests` or `test-cluster`, not `{needed_by}`"
                ));
            }
            Ok(Tool {
                command: command.to_owned(),
                dev_shell: dev_shell.to_owned(),
                needed_by: needed_by.to_owned(),
            })
        })
        .collect()
}

/// The attribute list: each name with the evidence that nixpkgs has it.
fn parse_attributes(text: &str) -> Result<Vec<String>, String> {
    data_lines(text)
        .map(|(n, line)| match line.split_once(char::is_whitespace) {
            Some((name, evidence)) if !evidence.trim().is_empty() => Ok(name.to_owned()),
            _ => Err(format!(
                "{ATTRIBUTES}:{n}: `{line}` has no evidence: give the nixpkgs file that defines it"
            )),
        })
        .collect()
}

/// The tools whose dev-shell package the shell lacks, one problem each.
fn missing_from_shell(tools: &[Tool], packages: &[String]) -> Vec<String> {
    tools
        .iter()
        .filter(|t| t.dev_shell != "(host)" && !packages.contains(&t.dev_shell))
        .map(|t| {
            format!(
                "`{}` (needed by {}) comes from `{}`, which flake.nix's dev shell does not have",
                t.command, t.needed_by, t.dev_shell
            )
        })
        .collect()
}

/// Listed attributes flake.nix no longer names as `pkgs.NAME`.
fn unused_attributes(attributes: &[String], flake: &str) -> Vec<String> {
    attributes
        .iter()
        .filter(|name| {
            let used = format!("pkgs.{name}");
            !flake.match_indices(&used).any(|(at, _)| {
                let next = flake[at + used.len()..].chars().next();
                !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        })
        .map(|name| format!("{ATTRIBUTES} lists `{name}`, which flake.nix does not use"))
        .collect()
}

#[derive(Debug, serde::Deserialize)]
struct Built {
    name: String,
    version: String,
    url: String,
    sha256: String,
}

#[derive(Debug, serde::Deserialize)]
struct DevShell {
    packages: Vec<String>,
    built: Vec<Built>,
}

/// Evaluates `flake` for [`SYSTEM`] with the real Nix evaluator against the stand-in nixpkgs.
fn evaluate(flake: &Path, attributes: &[String]) -> Result<DevShell, String> {
    let standin = tempfile::tempdir().unwrap();
    fs::create_dir_all(standin.path().join("nixpkgs")).unwrap();
    fs::create_dir_all(standin.path().join("systems")).unwrap();
    fs::write(standin.path().join("nixpkgs/default.nix"), STANDIN_NIXPKGS).unwrap();
    fs::write(
        standin.path().join("nixpkgs/attributes.json"),
        serde_json::to_string(attributes).unwrap(),
    )
    .unwrap();
    fs::write(
        standin.path().join("systems/default.nix"),
        format!("[ \"{SYSTEM}\" ]"),
    )
    .unwrap();
    let out = exec::Cmd::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--expr", EVALUATE])
        .args(["--argstr", "flake"])
        .arg(flake.display().to_string())
        .args(["--argstr", "standin"])
        .arg(standin.path().display().to_string())
        .args(["--argstr", "system", SYSTEM])
        .timeout(Duration::from_secs(120))
        .run_unchecked()
        .unwrap_or_else(|e| {
            panic!(
                "nix-instantiate is needed by this test (run `just tools` or `nix develop`): {e}"
            )
        });
    if !out.success() {
        return Err(out.stderr);
    }
    Ok(serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout)))
}

/// The Helm releases the flake builds must be the versions `just tools` installs, from Helm's
/// own archives with a full sha256.
fn helm_problems(built: &[Built], install_tools: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for helm in built.iter().filter(|b| b.name.starts_with("helm")) {
        if !install_tools.contains(&format!("helm v{}", helm.version)) {
            problems.push(format!(
                "flake.nix builds {} {}, but scripts/install-tools.sh does not install helm v{}",
                helm.name, helm.version, helm.version
            ));
        }
        if !helm
            .url
            .starts_with(&format!("https://get.helm.sh/helm-v{}-", helm.version))
        {
            problems.push(format!(
                "{} comes from {}, not Helm's archive",
                helm.name, helm.url
            ));
        }
        if !(helm.sha256.len() == 64 && helm.sha256.chars().all(|c| c.is_ascii_hexdigit())) {
            problems.push(format!("{}: `{}` is not a sha256", helm.name, helm.sha256));
        }
    }
    problems
}

fn real_attributes() -> Vec<String> {
    parse_attributes(&read(ATTRIBUTES)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_dev_shell_provides_every_tool_the_tests_run() {
    let tools = parse_tools(&read(TOOLS)).unwrap_or_else(|e| panic!("{e}"));
    let attributes = real_attributes();
    let shell = evaluate(&repo_root().join("flake.nix"), &attributes)
        .unwrap_or_else(|e| panic!("flake.nix does not evaluate against {ATTRIBUTES}:\n{e}"));

    let mut problems = missing_from_shell(&tools, &shell.packages);
    problems.extend(unused_attributes(&attributes, &read("flake.nix")));
    problems.extend(helm_problems(
        &shell.built,
        &read("scripts/install-tools.sh"),
    ));
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Both Helm majors, under the names the tests call them by.
    let helms: Vec<(&str, &str)> = shell
        .built
        .iter()
        .map(|b| (b.name.as_str(), &b.version[..1]))
        .collect();
    assert_eq!(helms, [("helm", "4"), ("helm3", "3")], "{shell:?}");
}

#[test]
fn the_tool_list_is_read_strictly_and_drift_is_named() {
    fn check(tools: &str, packages: &[&str], expect: Result<&[&str], &str>) {
        let packages: Vec<String> = packages.iter().map(|p| p.to_string()).collect();
        let got = parse_tools(tools).map(|t| missing_from_shell(&t, &packages));
        match (got, expect) {
            (Ok(problems), Ok(expected)) => assert_eq!(problems, expected, "{tools}"),
            (Err(e), Err(fragment)) => assert!(e.contains(fragment), "{e}"),
            (got, expect) => panic!("{tools}: got {got:?}, expected {expect:?}"),
        }
    }
    let shell = ["kubectl", "flake:helm3", "postgresql_17"];
    check(
        "# comment\n\nkubectl kubectl tests\nhelm3 flake:helm3 tests\n",
        &shell,
        Ok(&[]),
    );
    check("nix-instantiate (host) tests\n", &shell, Ok(&[]));
    check(
        "kubectl kubectl tests\npodman podman tests\n",
        &shell,
        Ok(&[
            "`podman` (needed by tests) comes from `podman`, which flake.nix's dev shell does not have",
        ]),
    );
    check(
        "etcd etcd test-cluster\n",
        &shell,
        Ok(&[
            "`etcd` (needed by test-cluster) comes from `etcd`, which flake.nix's dev shell does not have",
        ]),
    );
    check(
        "kubectl kubectl\n",
        &shell,
        Err(&format!(
            "{TOOLS}:1: expected `command dev-shell needed-by`"
        )),
    );
    check(
        "\nkubectl kubectl deploy\n",
        &shell,
        Err(&format!(
            "{TOOLS}:2: needed-by is `tests` or `test-cluster`, not `deploy`"
        )),
    );
}

#[test]
fn the_attribute_list_needs_evidence_and_use() {
    assert_eq!(
        parse_attributes("# c\njq  by-name pkgs/by-name/jq/jq/package.nix\n"),
        Ok(vec!["jq".to_owned()])
    );
    let err = parse_attributes("jq\n").unwrap_err();
    assert!(
        err.contains(&format!("{ATTRIBUTES}:1: `jq` has no evidence")),
        "{err}"
    );

    let flake = "packages = [ pkgs.jq pkgs.kubectl-ai ];";
    let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    assert!(unused_attributes(&names(&["jq", "kubectl-ai"]), flake).is_empty());
    // `pkgs.kubectl-ai` is not a use of `kubectl`.
    assert_eq!(
        unused_attributes(&names(&["kubectl", "jq"]), flake),
        [format!(
            "{ATTRIBUTES} lists `kubectl`, which flake.nix does not use"
        )]
    );
}

#[test]
fn an_attribute_without_evidence_fails_the_evaluation() {
    let flake = read("flake.nix");
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("flake.nix");

    // A name flake.nix uses that nixpkgs may not have.
    assert!(flake.contains("pkgs.openssl\n"));
    fs::write(&broken, flake.replace("pkgs.openssl\n", "pkgs.opensll\n")).unwrap();
    let err = evaluate(&broken, &real_attributes()).unwrap_err();
    assert!(err.contains("attribute 'opensll' missing"), "{err}");

    // The same happens when the list loses a name the flake uses.
    fs::write(&broken, &flake).unwrap();
    let mut attributes = real_attributes();
    attributes.retain(|a| a != "podman");
    let err = evaluate(&broken, &attributes).unwrap_err();
    assert!(err.contains("attribute 'podman' missing"), "{err}");

    // And when a function the stand-in provides is not in the list.
    attributes = real_attributes();
    attributes.retain(|a| a != "fetchurl");
    let err = evaluate(&broken, &attributes).unwrap_err();
    assert!(err.contains("defines fetchurl, which"), "{err}");
}

#[test]
fn helm_releases_follow_just_tools() {
    let built = |name: &str, version: &str, url: &str, sha256: &str| Built {
        name: name.into(),
        version: version.into(),
        url: url.into(),
        sha256: sha256.into(),
    };
    let sha = "90c28792a1eb5fb0b50028e39ebf826531ebfcf73f599050dbd79bab2f277241";
    let install = "helm3_pkg=\"x\" # helm v3.17.2\n";
    let good = built(
        "helm3",
        "3.17.2",
        "https://get.helm.sh/helm-v3.17.2-linux-amd64.tar.gz",
        sha,
    );
    assert!(helm_problems(&[good], install).is_empty());

    let newer = built(
        "helm3",
        "3.18.0",
        "https://get.helm.sh/helm-v3.18.0-linux-amd64.tar.gz",
        sha,
    );
    assert_eq!(
        helm_problems(&[newer], install),
        [
            "flake.nix builds helm3 3.18.0, but scripts/install-tools.sh does not install helm v3.18.0"
        ]
    );
    let elsewhere = built(
        "helm3",
        "3.17.2",
        "https://example.invalid/helm.tar.gz",
        "abc",
    );
    assert_eq!(
        helm_problems(&[elsewhere], install),
        [
            "helm3 comes from https://example.invalid/helm.tar.gz, not Helm's archive",
            "helm3: `abc` is not a sha256",
        ]
    );
}
