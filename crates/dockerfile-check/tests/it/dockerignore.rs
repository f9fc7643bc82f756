use dockerfile_check::DockerIgnore;

/// `(patterns, path, excluded?)`: Docker's semantics, not gitignore's.
fn check(patterns: &str, path: &str, expect: bool) {
    let ignore = DockerIgnore::parse(patterns);
    assert_eq!(
        ignore.is_excluded(path),
        expect,
        "patterns {patterns:?} path {path:?}"
    );
}

#[test]
fn matching_follows_docker() {
    check("target", "target", true);
    check("target", "target/release/app", true);
    // Anchored at the root: unlike gitignore, `target` does not match deeper down.
    check("target", "crates/x/target/a", false);
    check("**/target", "crates/x/target/a", true);
    check("**/target", "target/a", true);
    check("/target/", "target/a", true);
    check("./target", "target/a", true);
    check("*.md", "README.md", true);
    check("*.md", "docs/x.md", false);
    check("**/*.md", "docs/x.md", true);
    check("docs/**", "docs/a/b.txt", true);
    check("a?c", "abc", true);
    check("a?c", "a/c", false);
    check("[a-c]x", "bx", true);
    check("[!a-c]x", "bx", false);
    check("[!a-c]x", "dx", true);
    check(".env*", ".env", true);
    check(".env*", ".env.local", true);
    check(".env*", "crates/.env", false);
    check("# comment\n\n", "anything", false);
    check("\\#literal", "#literal", true);
}

#[test]
fn last_match_wins_and_negation_reincludes() {
    check("*\n!Cargo.toml", "Cargo.toml", false);
    check("*\n!Cargo.toml", "README.md", true);
    check("*\n!crates/", "crates/a/src/lib.rs", false);
    check("*\n!crates/\n**/.env", "crates/a/.env", true);
    check("*\n!crates/\ncrates/*/tests/", "crates/a/tests/it.rs", true);
    check(
        "*\n!crates/\ncrates/*/tests/",
        "crates/a/src/tests.rs",
        false,
    );
    check("*.log\n!keep.log", "keep.log", false);
    check("!keep.log\n*.log", "keep.log", true);
}

#[test]
fn context_walk_skips_excluded_dirs_and_sorts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for file in [
        "b.txt",
        "a/x.rs",
        "a/target/big",
        "target/debug/app",
        ".env",
        "keep/in.txt",
    ] {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file).unwrap();
    }
    let ignore = DockerIgnore::parse("target\n**/target\n.env\nkeep\n!keep/in.txt\n");
    let files: Vec<String> = ignore
        .context_files(root)
        .unwrap()
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, vec!["a/x.rs", "b.txt", "keep/in.txt"]);
    assert!(!ignore.can_skip_dir("keep"));
    assert!(ignore.can_skip_dir("target"));
}
