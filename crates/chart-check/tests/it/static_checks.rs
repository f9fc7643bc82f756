use std::path::{Path, PathBuf};

use chart_check::{
    CheckReport, FindingCounts, Ignores, Render, RuleId, check_manifests, check_profiles,
};

/// The version the kit renders for, so these checks hold the chart to the same API.
const KUBE_VERSION: &str = cluster::minikube::DEFAULT_KUBE_VERSION;

fn counts(errors: usize, warnings: usize, ignored: usize) -> FindingCounts {
    FindingCounts {
        errors,
        warnings,
        ignored,
    }
}

fn workspace() -> PathBuf {
    e2e::repo_root()
}

fn chart() -> PathBuf {
    workspace().join("helm/todo-chatbot")
}

/// The real `helm` or `helm3`.
fn helm_path(name: &str) -> String {
    e2e::tool(name).display().to_string()
}

#[test]
fn real_chart_passes_every_profile_with_both_helm_majors() {
    for helm in ["helm", "helm3"] {
        let mut render = Render::new(chart(), KUBE_VERSION);
        render.helm = helm_path(helm);
        let report = check_profiles(&render, &[], &project_ignores()).unwrap();
        println!("{report}");
        assert_eq!(report.checks.len(), 3, "default, dev, prod");
        assert!(report.passed(), "{report}");
    }
}

fn project_ignores() -> Ignores {
    Ignores::of_chart(&chart()).unwrap()
}

#[test]
fn real_chart_prod_needs_its_written_ignores_and_nothing_else() {
    let mut render = Render::new(chart(), KUBE_VERSION);
    render.helm = helm_path("helm");
    let report = chart_check::check_chart(&render, "prod", &Ignores::default()).unwrap();
    let subjects: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.subject.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        subjects,
        [
            (
                "dangling-reference",
                "Secret/todo-chatbot-database".to_owned()
            ),
            ("dangling-reference", "Secret/todo-chatbot-tls".to_owned()),
        ],
        "{report}"
    );
    let ignored = chart_check::check_chart(&render, "prod", &project_ignores()).unwrap();
    assert!(ignored.passed(), "{ignored}");
    assert_eq!(ignored.counts(), counts(0, 0, 2));
    assert!(ignored.unused_ignores.is_empty());
}

#[test]
fn broken_chart_copy_fails_through_real_helm() {
    // A test copy of the chart with the example typo: the real chart stays untouched.
    let dir = tempfile::tempdir().unwrap();
    e2e::copy_dir(&chart(), dir.path()).unwrap();
    let template = dir.path().join("templates/deployment-backend.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    assert!(text.contains("livenessProbe:"));
    std::fs::write(&template, text.replace("livenessProbe:", "livenessProb:")).unwrap();
    for helm in ["helm", "helm3"] {
        let mut render = Render::new(dir.path(), KUBE_VERSION);
        render.helm = helm_path(helm);
        let report = chart_check::check_chart(&render, "dev", &Ignores::default()).unwrap();
        println!("{report}");
        assert!(!report.passed());
        let text = report.to_string();
        assert!(
            text.contains("unknown-field              Deployment/todo-chatbot-backend  spec.template.spec.containers[0].livenessProb"),
            "{text}"
        );
        assert_eq!(ids(&report), ["unknown-field", "probes-missing"]);
    }
}

#[test]
fn unknown_profile_is_a_clear_error() {
    let mut render = Render::new(chart(), KUBE_VERSION);
    render.helm = helm_path("helm");
    let err = chart_check::check_chart(&render, "staging", &Ignores::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("values-staging.yaml") && err.contains("default, dev, prod"),
        "{err}"
    );
}

#[test]
fn ignores_need_a_reason_and_a_known_rule() {
    let check = |yaml: &str, expect: &str| {
        let err = Ignores::parse(yaml).unwrap_err();
        assert!(err.contains(expect), "{err}");
    };
    check(
        "ignores:\n  - rule: unknown-field\n    reason: ''\n",
        "reason is required",
    );
    check(
        "ignores:\n  - rule: no-such-rule\n    reason: because we must\n",
        "unknown rule",
    );
    check(
        "ignores:\n  - rule: unknown-field\n    reasn: typo in the key\n",
        "reasn",
    );
}

#[test]
fn a_chart_without_its_ignore_file_has_none_and_a_broken_one_is_named() {
    let chart = tempfile::tempdir().unwrap();
    assert_eq!(Ignores::of_chart(chart.path()).unwrap(), Ignores::default());

    let file = chart.path().join(Ignores::CHART_FILE);
    std::fs::write(&file, "ignores:\n  - rule: unknown-field\n    reason: ''\n").unwrap();
    let err = Ignores::of_chart(chart.path()).unwrap_err().to_string();
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("reason is required"), "{err}");
}

#[test]
fn an_ignore_with_reason_silences_exactly_its_finding() {
    let text = fixture("pss-host-path");
    let ignores = Ignores::parse(
        "ignores:\n  - rule: pss-host-path\n    object: StatefulSet/app-*\n    reason: minikube hostPath for the data directory\n  - rule: pss-seccomp\n    reason: nothing matches this one\n",
    )
    .unwrap();
    let report = check_manifests(&text, "x", None, &ignores);
    assert!(report.passed(), "{report}");
    assert_eq!(report.counts(), counts(0, 0, 1));
    assert_eq!(report.unused_ignores.len(), 1);
    let text = report.to_string();
    assert!(text.contains("ignored: minikube hostPath"), "{text}");
    assert!(
        text.contains("unused ignore for rule pss-seccomp"),
        "{text}"
    );
    // Scoped to another object: the finding stays.
    let other = Ignores::parse(
        "ignores:\n  - rule: pss-host-path\n    object: Deployment/app-backend\n    reason: scoped to another object\n",
    )
    .unwrap();
    assert!(!check_manifests(&fixture("pss-host-path"), "x", None, &other).passed());
}

#[test]
fn empty_documents_and_lists_are_handled() {
    let text = "---\n# Source: x/templates/empty.yaml\n---\n\n---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a, labels: {app.kubernetes.io/name: a, app.kubernetes.io/instance: a}}\n    data: {X: \"y\"}\n";
    let report = check_manifests(text, "x", None, &Ignores::default());
    assert_eq!(report.objects, 1, "{report}");
    assert!(report.passed(), "{report}");
}

#[test]
fn json_report_names_rule_object_and_path() {
    let report = check_manifests(
        &fixture("unknown-field-probe"),
        "x",
        None,
        &Ignores::default(),
    );
    let json = serde_json::to_value(&report).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "unknown-field")
        .unwrap();
    assert_eq!(finding["object"], "Deployment/app-frontend");
    assert_eq!(
        finding["path"],
        "spec.template.spec.containers[0].livenessProb"
    );
    assert_eq!(finding["severity"], "error");
}

#[test]
fn manifests_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.yaml");
    std::fs::write(&path, fixture("nodeport-range")).unwrap();
    let text = chart_check::read_manifests(&path).unwrap();
    let report = check_manifests(&text, "m.yaml", None, &Ignores::default());
    assert_eq!(ids(&report), ["nodeport-range"]);
    let err = chart_check::read_manifests(&dir.path().join("missing.yaml")).unwrap_err();
    assert!(err.to_string().contains("missing.yaml"));
}

/// The distinct rule ids a report raises (not ignored), as ignore files spell them.
fn ids(report: &CheckReport) -> Vec<&'static str> {
    report.rule_ids().into_iter().map(RuleId::as_str).collect()
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Checks a corpus file and compares the distinct rule ids it raises with `expected`.
fn check(name: &str, expected: &[&str]) -> Result<(), String> {
    let report = check_manifests(&fixture(name), name, None, &Ignores::default());
    let got = ids(&report);
    let mut want: Vec<RuleId> = expected
        .iter()
        .map(|id| id.parse().unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect();
    want.sort();
    let want: Vec<&str> = want.iter().map(|r| r.as_str()).collect();
    if got == want {
        Ok(())
    } else {
        Err(format!("{name}: expected {want:?}, got {got:?}\n{report}"))
    }
}

const CORPUS: &[(&str, &[&str])] = &[
    ("base", &[]),
    ("yaml-invalid", &["yaml-invalid"]),
    ("unknown-kind", &["unknown-kind"]),
    // The Deployment cannot be typed, so its Service also loses its pods.
    ("object-invalid", &["object-invalid", "service-selector"]),
    ("unknown-field-top", &["unknown-field"]),
    ("unknown-field-spec", &["unknown-field"]),
    ("unknown-field-probe", &["unknown-field", "probes-missing"]),
    ("unknown-field-deep", &["unknown-field"]),
    ("unknown-field-pvc-template", &["unknown-field"]),
    ("duplicate-object", &["duplicate-object"]),
    ("pss-privileged", &["pss-privileged"]),
    ("pss-host-namespaces", &["pss-host-namespaces"]),
    ("pss-host-path", &["pss-host-path"]),
    ("pss-host-port", &["pss-host-port"]),
    ("pss-run-as-non-root", &["pss-run-as-non-root"]),
    ("pss-privilege-escalation", &["pss-privilege-escalation"]),
    ("pss-capabilities", &["pss-capabilities"]),
    ("pss-seccomp", &["pss-seccomp"]),
    ("read-only-root-filesystem", &["read-only-root-filesystem"]),
    ("probes-missing", &["probes-missing"]),
    ("probe-port", &["probe-port"]),
    ("resources-missing", &["resources-missing"]),
    ("image-tag-latest", &["image-tag"]),
    ("image-tag-missing", &["image-tag"]),
    ("image-pull-policy", &["image-pull-policy"]),
    ("service-selector", &["service-selector"]),
    ("service-target-port", &["service-target-port"]),
    ("dangling-reference", &["dangling-reference"]),
    ("dangling-reference-key", &["dangling-reference"]),
    ("dangling-reference-sa", &["dangling-reference"]),
    ("secret-in-configmap", &["secret-in-configmap"]),
    ("secret-in-env", &["secret-in-env"]),
    ("duplicate-env", &["duplicate-env"]),
    ("pdb-replicas", &["pdb-replicas"]),
    ("hpa-target", &["hpa-target"]),
    ("hpa-target-v1", &["hpa-target"]),
    ("known-extra-kinds", &[]),
    ("hpa-fixed-replicas", &["hpa-fixed-replicas"]),
    ("nodeport-range", &["nodeport-range"]),
    ("config-checksum", &["config-checksum"]),
    ("netpol-good", &[]),
    ("netpol-missing-edge", &["netpol-missing-edge"]),
    ("netpol-open", &["netpol-open"]),
    ("netpol-open-pods", &["netpol-open"]),
    ("netpol-unselected", &["netpol-open"]),
    ("recommended-labels", &["recommended-labels"]),
    ("statefulset-service-name", &["statefulset-service-name"]),
    ("statefulset-name-length", &["statefulset-name-length"]),
    ("automount-token", &["automount-token"]),
    ("workload-selector", &["workload-selector"]),
    ("workload-selector-expression", &["workload-selector"]),
    ("workload-selector-kinds", &["workload-selector"]),
];

#[test]
fn workload_selector_names_each_controller_that_misses_its_pods() {
    let report = check_manifests(
        &fixture("workload-selector-kinds"),
        "workload-selector-kinds",
        None,
        &Ignores::default(),
    );
    let found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::WorkloadSelector)
        .map(|f| (f.object.as_str(), f.path.as_deref().unwrap_or_default()))
        .collect();
    // The generated-selector Job and the matching manual one are not findings (the report
    // sorts findings by object).
    assert_eq!(
        found,
        [
            ("DaemonSet/app-node", "spec.selector"),
            ("Job/app-manual-wrong", "spec.selector"),
            ("ReplicaSet/app-rs", "spec.selector"),
            ("ReplicaSet/app-rs-empty", "spec.selector"),
        ],
        "{report}"
    );
    let text = report.to_string();
    assert!(
        text.contains("selector {app.kubernetes.io/component=batch,app.kubernetes.io/name=app} does not match the pod template's labels"),
        "{text}"
    );
    assert!(text.contains("the selector is empty"), "{text}");
}

#[test]
fn corpus_each_case_is_caught_by_its_rule() {
    let failures: Vec<String> = CORPUS
        .iter()
        .filter_map(|(name, expected)| check(name, expected).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn corpus_covers_every_rule_of_the_catalog() {
    let covered: std::collections::BTreeSet<&str> = CORPUS
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect();
    let local_only = ["env-unread", "database-credentials"];
    let missing: Vec<&str> = chart_check::RULES
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id) && !local_only.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a corpus case: {missing:?}"
    );
}

#[test]
fn corpus_files_on_disk_are_all_in_the_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".yaml") {
            assert!(
                CORPUS.iter().any(|(n, _)| *n == stem),
                "{name} is not in CORPUS"
            );
        }
    }
}

#[test]
fn secret_looking_keys_and_values() {
    let check = |key: &str, value: &str, expect: bool| {
        assert_eq!(
            chart_check::secret_looking(key, value).is_some(),
            expect,
            "{key}={value}"
        );
    };
    check("JWT_SECRET", "abc", true);
    check("DB_PASSWORD", "hunter2", true);
    check("OPENAI_API_KEY", "x", true);
    check("ACCESS_TOKEN", "x", true);
    check("TOKEN_TTL_SECONDS", "3600", false);
    check("SECRET_NAME", "todo-chatbot", false);
    check("DB_PASSWORD", "$(PASSWORD_FROM_SECRET)", false);
    check(
        "DATABASE_URL",
        "postgres://todo:$(DB_PASSWORD)@db:5432/todo",
        false,
    );
    check("DATABASE_URL", "postgres://todo:hunter2@db:5432/todo", true);
    check("DATABASE_URL", "postgres://todo@db:5432/todo", false);
    check("BACKEND_URL", "http://todo-chatbot-backend:8000", false);
    check("KEY", "sk-abcdefghijklmnopqrstuvwxyz", true);
}

#[test]
fn host_mentions_respect_name_boundaries() {
    let check = |text: &str, host: &str, expect: bool| {
        assert_eq!(
            chart_check::mentions_host(text, host),
            expect,
            "{host} in {text}"
        );
    };
    check(
        "http://todo-chatbot-backend:8000",
        "todo-chatbot-backend",
        true,
    );
    check("http://todo-chatbot-backend:8000", "todo-chatbot", false);
    check(
        "postgres://u@todo-chatbot-postgresql:5432/x",
        "todo-chatbot-postgresql",
        true,
    );
    check(
        "postgres://u@todo-chatbot-postgresql-hl:5432/x",
        "todo-chatbot-postgresql",
        false,
    );
    check("a.todo-chatbot-backend.svc", "todo-chatbot-backend", false);
    check(
        "todo-chatbot-backend.todo-chatbot.svc",
        "todo-chatbot-backend",
        true,
    );
}

#[test]
fn postgresql_volume_permissions_needs_exactly_its_two_written_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("vp.yaml");
    std::fs::write(
        &values,
        "postgresql:\n  volumePermissions:\n    enabled: true\n",
    )
    .unwrap();
    let mut render = Render::new(chart(), KUBE_VERSION);
    render.helm = helm_path("helm");
    render.values.push(values);
    let bare = chart_check::check_chart(&render, "dev", &Ignores::default()).unwrap();
    let found: Vec<(String, String)> = bare
        .findings
        .iter()
        .map(|f| (f.rule.to_string(), f.subject.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "pss-run-as-non-root".to_owned(),
                "container volume-permissions".to_owned()
            ),
            (
                "pss-capabilities".to_owned(),
                "container volume-permissions".to_owned()
            ),
        ],
        "{bare}"
    );
    let ignores = Ignores::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("ignores/postgresql-volume-permissions.yaml"),
    )
    .unwrap();
    let report = chart_check::check_chart(&render, "dev", &ignores).unwrap();
    assert!(report.passed(), "{report}");
    assert_eq!(report.counts(), counts(0, 0, 2));
}

#[test]
fn docs_list_every_rule_of_the_catalog() {
    let doc = std::fs::read_to_string(workspace().join("docs/verify.md")).unwrap();
    let missing: Vec<&str> = chart_check::RULES
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !doc.contains(&format!("| `{id}` |")))
        .collect();
    assert!(missing.is_empty(), "docs/verify.md lacks rules {missing:?}");
}

#[test]
fn real_chart_network_policies_with_the_embedded_database_pass() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("np.yaml");
    std::fs::write(&values, "networkPolicy:\n  enabled: true\n").unwrap();
    for helm in ["helm", "helm3"] {
        let mut render = Render::new(chart(), KUBE_VERSION);
        render.helm = helm_path(helm);
        render.values.push(values.clone());
        let text = render.render("default").unwrap();
        assert_eq!(
            text.matches("kind: NetworkPolicy").count(),
            3,
            "frontend, backend, database"
        );
        let report = check_manifests(&text, "np", None, &Ignores::default());
        assert!(report.passed(), "{report}");
        // And the same render with the database opened to every pod of the release is caught.
        let opened = text.replacen(
            "app.kubernetes.io/component: backend\n      ports:",
            "app.kubernetes.io/component: backend\n        - podSelector: {}\n      ports:",
            1,
        );
        assert_ne!(
            opened, text,
            "the database policy's from-list changed shape"
        );
        let report = check_manifests(&opened, "np-open", None, &Ignores::default());
        assert_eq!(ids(&report), ["netpol-open"], "{report}");
    }
}
