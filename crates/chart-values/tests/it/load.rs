//! Loading: duplicate keys and unknown keys are reported with file:line:column.

use chart_values::{Inputs, Origin, Profile};

use crate::{chart_dir, temp_files};

fn check_file(text: &str) -> chart_values::ValuesReport {
    let dir = temp_files(&[("my.yaml", text)]);
    let r = chart_values::check(
        &Inputs::new(chart_dir())
            .profile(Profile::Dev)
            .file(dir.path().join("my.yaml")),
    )
    .unwrap();
    // Keep the dir alive until the report is built.
    drop(dir);
    r
}

fn at(p: &chart_values::Problem) -> (String, u64, u64) {
    match p.origin.as_ref().expect("problem has an origin") {
        Origin::File { file, line, column } => (
            file.file_name().unwrap().to_string_lossy().into_owned(),
            *line,
            *column,
        ),
        Origin::Set { flag, arg } => (format!("{flag} {arg}"), 0, 0),
    }
}

#[test]
fn duplicate_keys_are_rejected_with_file_line_column() {
    let r = check_file("backend:\n  replicaCount: 2\nfrontend: {}\nbackend:\n  replicaCount: 3\n");
    assert!(!r.is_ok());
    let p = r.by_rule("yaml").next().unwrap_or_else(|| panic!("{r}"));
    let (file, line, _col) = at(p);
    assert_eq!(file, "my.yaml");
    assert_eq!(line, 4, "{r}");
    assert!(
        p.message.to_lowercase().contains("duplicate"),
        "{}",
        p.message
    );
    assert!(r.to_string().contains("my.yaml:4:"), "{r}");
    // Nested duplicates too.
    let r = check_file("backend:\n  image:\n    tag: a1\n    tag: b2\n");
    let (_, line, _) = at(r.by_rule("yaml").next().unwrap());
    assert_eq!(line, 4, "{r}");
    // And the same file without the duplicate is fine.
    assert!(check_file("backend:\n  replicaCount: 2\n").is_ok());
}

#[test]
fn unknown_keys_name_file_line_column_and_suggest() {
    // (yaml, key, line, column, suggestion)
    let cases = [
        (
            "backend:\n  replicas: 2\n",
            "backend.replicas",
            2,
            3,
            Some("backend.replicaCount"),
        ),
        (
            "frontend:\n  service:\n    nodeport: 30001\n",
            "frontend.service.nodeport",
            3,
            5,
            Some("frontend.service.nodePort"),
        ),
        (
            "frontend:\n  nodePort: 30001\n",
            "frontend.nodePort",
            2,
            3,
            Some("frontend.service.nodePort"),
        ),
        (
            "postgres:\n  enabled: false\n",
            "postgres",
            1,
            1,
            Some("postgresql"),
        ),
        ("zzz: 1\n", "zzz", 1, 1, None),
    ];
    for (yaml, key, line, column, suggestion) in cases {
        let r = check_file(yaml);
        let p = r
            .by_rule("unknown-key")
            .next()
            .unwrap_or_else(|| panic!("{yaml}: {r}"));
        assert_eq!(p.key.as_deref(), Some(key), "{r}");
        assert_eq!(at(p), ("my.yaml".to_owned(), line, column), "{r}");
        match suggestion {
            Some(s) => assert!(
                p.hint
                    .as_deref()
                    .unwrap()
                    .contains(&format!("did you mean `{s}`")),
                "{r}"
            ),
            None => assert!(!p.hint.as_deref().unwrap().contains("did you mean"), "{r}"),
        }
        assert!(
            r.to_string()
                .contains(&format!("my.yaml:{line}:{column}: error: {key}")),
            "{r}"
        );
    }
    // All unknown keys are reported, not just the first.
    let r = check_file("backend:\n  replicas: 2\nfrontend:\n  replicas: 2\n");
    assert_eq!(r.by_rule("unknown-key").count(), 2, "{r}");
}

#[test]
fn wrong_types_name_the_key_and_file() {
    let r = check_file("backend:\n  replicaCount: many\n");
    let p = r.by_rule("type").next().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(p.key.as_deref(), Some("backend.replicaCount"));
    assert_eq!(at(p), ("my.yaml".to_owned(), 2, 3));
    // Every wrong type is reported, each at its own line.
    let r = check_file(
        "backend:\n  replicaCount: many\nfrontend:\n  image:\n    pullPolicy: Sometimes\nconfig:\n  logFormat: xml\n",
    );
    let found: Vec<(Option<&str>, u64)> = r
        .by_rule("type")
        .map(|p| (p.key.as_deref(), at(p).1))
        .collect();
    assert_eq!(
        found,
        [
            (Some("backend.replicaCount"), 2),
            (Some("config.logFormat"), 7),
            (Some("frontend.image.pullPolicy"), 5)
        ],
        "{r}"
    );
    // YAML 1.1 booleans, as Helm reads them.
    let r = check_file("config:\n  logLevel: off\n");
    let p = r.by_rule("type").next().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(p.key.as_deref(), Some("config.logLevel"));
    assert!(p.hint.as_deref().unwrap().contains("quote"), "{r}");
    assert!(check_file("config:\n  logLevel: 'info'\n").is_ok());
    // A secret's value never appears in the message.
    let r = check_file("secrets:\n  jwtSecret: [s3cr3t-value]\n");
    assert!(!r.to_string().contains("s3cr3t"), "{r}");
    assert_eq!(
        r.by_rule("type").next().unwrap().key.as_deref(),
        Some("secrets.jwtSecret")
    );
}

#[test]
fn set_overrides_are_the_origin_of_their_keys() {
    let r =
        chart_values::check(&Inputs::new(chart_dir()).set("frontend.service.nodePort=80")).unwrap();
    let p = r
        .by_rule("node-port")
        .next()
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        p.origin,
        Some(Origin::Set {
            flag: "--set".into(),
            arg: "frontend.service.nodePort=80".into()
        })
    );
    assert!(
        r.to_string().contains("--set frontend.service.nodePort=80"),
        "{r}"
    );
    let r = chart_values::check(&Inputs::new(chart_dir()).set_string("backend.image.tag=latest"))
        .unwrap();
    assert!(
        r.to_string()
            .contains("--set-string backend.image.tag=latest: error: backend.image.tag"),
        "{r}"
    );
    // Secrets given with --set are redacted in every rendering.
    let r = chart_values::check(&Inputs::new(chart_dir()).set("secrets.jwtSecret=short")).unwrap();
    assert!(!r.to_string().contains("short"), "{r}");
    assert!(r.to_string().contains("secrets.jwtSecret=***"), "{r}");
    let inputs =
        Inputs::new(chart_dir()).set("backend.replicaCount=1,postgresql.auth.password=pw-7x");
    let merged = chart_values::merge(&inputs).unwrap();
    let origin = merged
        .origin(&chart_values::KeyPath::dotted("postgresql.auth.password"))
        .unwrap();
    assert_eq!(
        origin.to_string(),
        "--set backend.replicaCount=1,postgresql.auth.password=***"
    );
    let show = chart_values::show(&inputs).unwrap();
    let json = serde_json::to_string(&show).unwrap();
    assert!(
        !json.contains("pw-7x") && !show.to_string().contains("pw-7x"),
        "{json}"
    );
    // A malformed --set is an error naming the argument.
    let e = chart_values::check(&Inputs::new(chart_dir()).set("backend.replicaCount")).unwrap_err();
    assert!(e.to_string().contains("--set backend.replicaCount"), "{e}");
}

#[test]
fn show_reports_merged_values_with_secrets_redacted() {
    let dir = temp_files(&[(
        "s.yaml",
        "secrets:\n  jwtSecret: 0123456789abcdef0123456789abcdef\n",
    )]);
    let r = chart_values::show(
        &Inputs::new(chart_dir())
            .profile(Profile::Dev)
            .file(dir.path().join("s.yaml")),
    )
    .unwrap();
    assert_eq!(r.values["frontend"]["service"]["nodePort"], 30000);
    assert_eq!(r.values["secrets"]["jwtSecret"], "***");
    let text = r.to_string();
    assert!(!text.contains("0123456789abcdef"), "{text}");
    assert!(text.contains("values-dev.yaml"), "{text}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["profile"], "dev");
    assert_eq!(json["values"]["backend"]["image"]["pullPolicy"], "Never");
}

#[test]
fn external_secrets_are_the_existing_secrets_the_release_reads() {
    let check = |sets: &[&str], expect: &[(&str, &str)]| {
        let inputs = sets
            .iter()
            .fold(Inputs::new(chart_dir()).profile(Profile::Dev), |i, s| {
                i.set(*s)
            });
        let values = chart_values::typed(&chart_values::merge(&inputs).unwrap()).unwrap();
        assert_eq!(values.external_secrets(), expect, "{sets:?}");
    };
    check(&[], &[]);
    check(
        &["secrets.existingSecret=app-keys"],
        &[("secrets.existingSecret", "app-keys")],
    );
    // The embedded database is on: externalDatabase is not read.
    check(&["externalDatabase.existingSecret=db-url"], &[]);
    check(
        &[
            "postgresql.enabled=false",
            "externalDatabase.existingSecret=db-url",
        ],
        &[("externalDatabase.existingSecret", "db-url")],
    );
}
