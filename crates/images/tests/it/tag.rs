use std::collections::BTreeMap;
use std::path::Path;

use images::tag::{TagInputs, content_tag};

/// A small workspace-like context with the repository's own `.dockerignore`.
fn context() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files: [(&str, &[u8]); 9] = [
        ("Cargo.toml", b"[workspace]\nmembers = [\"crates/*\"]\n"),
        ("Cargo.lock", b"version = 4\n"),
        ("crates/app/Cargo.toml", b"[package]\nname = \"app\"\n"),
        ("crates/app/src/main.rs", b"fn main() {}\n"),
        ("crates/app/tests/it.rs", b"#[test] fn t() {}\n"),
        ("README.md", b"# readme\n"),
        ("target/release/app", b"\x7fELF"),
        (".env", b"JWT_SECRET=x\n"),
        ("docker/app.Dockerfile", b"FROM scratch\n"),
    ];
    for (path, bytes) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::copy(repo.join(".dockerignore"), root.join(".dockerignore")).unwrap();
    dir
}

fn tag(root: &Path, args: &[(&str, &str)]) -> String {
    let build_args: BTreeMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let dockerfile = root.join("docker/app.Dockerfile");
    content_tag(&TagInputs {
        context: root,
        dockerfile: &dockerfile,
        build_args: &build_args,
        target: None,
    })
    .unwrap()
}

/// Applies `change` to a fresh context and says whether the tag moved.
fn check(what: &str, change: impl Fn(&Path), args: &[(&str, &str)], expect_new_tag: bool) {
    let dir = context();
    let before = tag(dir.path(), &[("VERSION", "1")]);
    assert_eq!(before.len(), 12);
    assert!(
        before
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    change(dir.path());
    let after = tag(dir.path(), args);
    assert_eq!(
        before != after,
        expect_new_tag,
        "{what}: {before} -> {after}"
    );
}

fn write(path: &str, text: &str) -> impl Fn(&Path) {
    let path = path.to_owned();
    let text = text.to_owned();
    move |root: &Path| {
        let path = root.join(&path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &text).unwrap();
    }
}

#[test]
fn same_inputs_same_tag() {
    let a = context();
    let b = context();
    assert_eq!(
        tag(a.path(), &[("VERSION", "1")]),
        tag(b.path(), &[("VERSION", "1")])
    );
    check("nothing", |_| {}, &[("VERSION", "1")], false);
}

#[test]
fn build_inputs_change_the_tag() {
    let same = &[("VERSION", "1")];
    check(
        "source file",
        write("crates/app/src/main.rs", "fn main() { 1; }\n"),
        same,
        true,
    );
    check(
        "new source file",
        write("crates/app/src/lib.rs", ""),
        same,
        true,
    );
    check("manifest", write("Cargo.lock", "version = 3\n"), same, true);
    check(
        "Dockerfile",
        write("docker/app.Dockerfile", "FROM scratch\nUSER 1\n"),
        same,
        true,
    );
    check("build arg value", |_| {}, &[("VERSION", "2")], true);
    check(
        "extra build arg",
        |_| {},
        &[("VERSION", "1"), ("REVISION", "abc")],
        true,
    );
    check(
        ".dockerignore",
        write(".dockerignore", "target\n"),
        same,
        true,
    );
    check(
        "file renamed",
        |root: &Path| {
            std::fs::rename(
                root.join("crates/app/src/main.rs"),
                root.join("crates/app/src/bin.rs"),
            )
            .unwrap();
        },
        same,
        true,
    );
    check(
        "executable bit",
        |root: &Path| {
            use std::os::unix::fs::PermissionsExt;
            let path = root.join("crates/app/src/main.rs");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        },
        same,
        true,
    );
}

#[test]
fn ignored_files_do_not_change_the_tag() {
    let same = &[("VERSION", "1")];
    check("README", write("README.md", "changed\n"), same, false);
    check("target/", write("target/release/app", "other"), same, false);
    check(
        "nested target/",
        write("crates/app/target/x", "other"),
        same,
        false,
    );
    check(".env", write(".env", "JWT_SECRET=y\n"), same, false);
    check(
        "nested .env.local",
        write("crates/app/.env.local", "K=v\n"),
        same,
        false,
    );
    check(
        "tests/",
        write("crates/app/tests/it.rs", "// changed\n"),
        same,
        false,
    );
    check(
        ".git",
        write(".git/HEAD", "ref: refs/heads/other\n"),
        same,
        false,
    );
    check(
        "helm chart",
        write("helm/todo-chatbot/values.yaml", "x: 1\n"),
        same,
        false,
    );
}
