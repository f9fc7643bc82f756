use std::collections::BTreeMap;
use std::path::Path;

use images::tag::{TagInputs, content_tag};

/// A small workspace-like context with the repository's own `.dockerignore`.
fn context() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files: [(&str, &[u8]); 11] = [
        ("Cargo.toml", b"[workspace]\nmembers = [\"crates/*\"]\n"),
        ("Cargo.lock", b"version = 4\n"),
        ("crates/app/Cargo.toml", b"[package]\nname = \"app\"\n"),
        ("crates/app/src/main.rs", b"fn main() {}\n"),
        ("crates/app/tests/it.rs", b"#[test] fn t() {}\n"),
        ("crates/other/Cargo.toml", b"[package]\nname = \"other\"\n"),
        ("crates/other/src/lib.rs", b"pub fn f() {}\n"),
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
        unrelated: &[std::path::PathBuf::from("crates/other")],
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
fn a_crate_the_binary_does_not_depend_on_changes_the_tag_only_by_its_manifest() {
    let same = &[("VERSION", "1")];
    check(
        "unrelated source",
        write("crates/other/src/lib.rs", "pub fn g() {}\n"),
        same,
        false,
    );
    check(
        "unrelated manifest",
        write(
            "crates/other/Cargo.toml",
            "[package]\nname = \"other\"\nversion = \"2.0.0\"\n",
        ),
        same,
        true,
    );
}

/// A real workspace: `app` depends on `lib` (and only dev-depends on `tool`); `other` is
/// unrelated. cargo itself says so.
#[test]
fn cargo_tells_which_members_a_binary_is_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "Cargo.toml",
            "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n",
        ),
        (
            "crates/app/Cargo.toml",
            "[package]\nname = \"app\"\nedition = \"2024\"\n[dependencies]\nlib = { path = \"../lib\" }\n[dev-dependencies]\ntool = { path = \"../tool\" }\n",
        ),
        ("crates/app/src/main.rs", "fn main() {}\n"),
        (
            "crates/lib/Cargo.toml",
            "[package]\nname = \"lib\"\nedition = \"2024\"\n",
        ),
        ("crates/lib/src/lib.rs", ""),
        (
            "crates/tool/Cargo.toml",
            "[package]\nname = \"tool\"\nedition = \"2024\"\n",
        ),
        ("crates/tool/src/lib.rs", ""),
        (
            "crates/other/Cargo.toml",
            "[package]\nname = \"other\"\nedition = \"2024\"\n",
        ),
        ("crates/other/src/lib.rs", ""),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut unrelated = images::workspace::unrelated_members(dir.path(), "app").unwrap();
    unrelated.sort();
    assert_eq!(
        unrelated,
        [Path::new("crates/other"), Path::new("crates/tool")]
    );
    assert!(images::workspace::unrelated_members(dir.path(), "missing").is_none());
}

#[test]
fn the_package_an_image_builds_comes_from_its_dockerfile() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (dockerfile, package) in [("backend", "todo-api"), ("frontend", "todo-web")] {
        let path = repo.join(format!("docker/{dockerfile}.Dockerfile"));
        let parsed = dockerfile_check::Dockerfile::read(&path).unwrap();
        assert_eq!(
            images::workspace::built_package(&parsed).as_deref(),
            Some(package)
        );
    }
    let none =
        dockerfile_check::Dockerfile::parse(Path::new("x"), "FROM scratch\nRUN make\n").unwrap();
    assert_eq!(images::workspace::built_package(&none), None);
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
