//! values.schema.json is generated from the types, committed, and in sync.

use crate::chart_dir;

#[test]
fn committed_schema_matches_the_types() {
    let chart = chart_dir();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        chart_values::write_schema(&chart).unwrap();
    }
    let report = chart_values::schema_status(&chart).unwrap();
    assert!(
        report.in_sync,
        "{report}\n(regenerate with UPDATE_SCHEMA=1 cargo test -p chart-values --test it schema)"
    );
}

#[test]
fn drift_is_detected_and_write_repairs_it() {
    let copy = crate::chart_copy(&[]);
    let chart = copy.path().join("todo-chatbot");
    assert!(chart_values::schema_status(&chart).unwrap().in_sync);
    // A stale schema.
    std::fs::write(chart.join("values.schema.json"), "{}\n").unwrap();
    let r = chart_values::schema_status(&chart).unwrap();
    assert!(!r.in_sync && r.readme_in_sync == Some(true), "{r}");
    assert!(
        r.to_string().contains("todoctl values schema --write"),
        "{r}"
    );
    // A stale README table.
    let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
    std::fs::write(
        chart.join("README.md"),
        readme.replace("| `backend.image.tag` |", "| `backend.image.tags` |"),
    )
    .unwrap();
    let r = chart_values::schema_status(&chart).unwrap();
    assert_eq!(r.readme_in_sync, Some(false));
    let w = chart_values::write_schema(&chart).unwrap();
    assert!(w.written, "{w}");
    let r = chart_values::schema_status(&chart).unwrap();
    assert!(r.in_sync && r.readme_in_sync == Some(true), "{r}");
    assert_eq!(
        std::fs::read_to_string(chart.join("README.md")).unwrap(),
        readme
    );
}

#[test]
fn schema_is_draft07_closed_and_deterministic() {
    let a = chart_values::schema_json();
    assert_eq!(a, chart_values::schema_json());
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(v["additionalProperties"], false);
    // Every object of ours is closed.
    fn walk(v: &serde_json::Value, open: &mut Vec<String>, at: &str) {
        if let Some(m) = v.as_object() {
            if m.contains_key("properties")
                && m.get("additionalProperties") != Some(&serde_json::Value::Bool(false))
            {
                open.push(at.to_owned());
            }
            for (k, c) in m {
                walk(c, open, &format!("{at}/{k}"));
            }
        }
    }
    let mut open = Vec::new();
    walk(&v, &mut open, "");
    assert!(
        open.is_empty(),
        "objects without additionalProperties:false: {open:?}"
    );
    // The tag rule Helm itself enforces.
    let tag = &v["definitions"]["Image"]["properties"]["tag"];
    assert_eq!(tag["not"]["const"], "latest", "{tag}");
}

#[test]
fn readme_values_table_matches_the_types_and_defaults() {
    let chart = chart_dir();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        chart_values::write_schema(&chart).unwrap();
    }
    let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
    let expected = chart_values::readme_with_table(&chart)
        .unwrap()
        .expect("README has the table markers");
    assert!(
        readme == expected,
        "helm/todo-chatbot/README.md values table is stale: UPDATE_SCHEMA=1 cargo test -p chart-values --test it schema"
    );
    // Every key of values.yaml is documented.
    let table = chart_values::values_table(&chart).unwrap();
    for key in [
        "backend.image.tag",
        "frontend.service.nodePort",
        "externalDatabase.existingSecretKey",
        "postgresql.volumePermissions.enabled",
    ] {
        assert!(
            table.contains(&format!("| `{key}` |")),
            "{key} missing:\n{table}"
        );
    }
}
