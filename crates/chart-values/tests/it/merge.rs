//! Helm's merge semantics: the library's answer equals `.Values` as Helm 4 and Helm 3 compute it.

use std::path::Path;

use serde_json::Value;

use crate::helm::{MAJORS, documents, find, template};
use crate::temp_files;

const DUMP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dump\ndata:\n  values: {{ toJson .Values | quote }}\n";

/// `.Values` as Helm computes it for `chart` with `args`.
fn helm_values(helm: &str, chart: &Path, args: &[String]) -> Value {
    let out = template(helm, chart, "x", args).unwrap_or_else(|e| panic!("{helm}: {e}"));
    let docs = documents(&out);
    let dump = find(&docs, "ConfigMap", "dump").expect("dump template rendered");
    normalize(serde_json::from_str(dump["data"]["values"].as_str().unwrap()).unwrap())
}

/// Helm reads YAML numbers as float64; compare integral floats as integers.
fn normalize(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap();
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Value::from(f as i64)
            } else {
                Value::Number(n)
            }
        }
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        v => v,
    }
}

fn major(helm: &str) -> chart_values::HelmMajor {
    if helm == "helm3" {
        chart_values::HelmMajor::V3
    } else {
        chart_values::HelmMajor::V4
    }
}

fn helm_args(files: &[&Path], sets: &[&str]) -> Vec<String> {
    let mut args = Vec::new();
    for f in files {
        args.push("-f".into());
        args.push(f.display().to_string());
    }
    for s in sets {
        match s.strip_prefix("string:") {
            Some(st) => args.extend(["--set-string".to_owned(), st.to_owned()]),
            None => args.extend(["--set".to_owned(), (*s).to_owned()]),
        }
    }
    args
}

/// One case: chart defaults, user files and sets; the library must equal both Helms.
fn check(defaults: &str, files: &[&str], sets: &[&str]) {
    let mut entries: Vec<(String, String)> = vec![
        (
            "c/Chart.yaml".into(),
            "apiVersion: v2\nname: c\nversion: 0.1.0\n".into(),
        ),
        ("c/values.yaml".into(), defaults.into()),
        ("c/templates/dump.yaml".into(), DUMP.into()),
    ];
    for (i, f) in files.iter().enumerate() {
        entries.push((format!("u{i}.yaml"), (*f).to_owned()));
    }
    let refs: Vec<(&str, &str)> = entries
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = temp_files(&refs);
    let chart = dir.path().join("c");
    let file_paths: Vec<_> = (0..files.len())
        .map(|i| dir.path().join(format!("u{i}.yaml")))
        .collect();
    let mut inputs = chart_values::Inputs::new(&chart);
    for f in &file_paths {
        inputs = inputs.file(f);
    }
    for s in sets {
        inputs = match s.strip_prefix("string:") {
            Some(st) => inputs.set_string(st),
            None => inputs.set(*s),
        };
    }
    let paths: Vec<&Path> = file_paths.iter().map(|p| p.as_path()).collect();
    for helm in MAJORS {
        let ours = normalize(chart_values::merge_as(&inputs, major(helm)).unwrap().values);
        let theirs = helm_values(helm, &chart, &helm_args(&paths, sets));
        assert_eq!(
            ours, theirs,
            "{helm}: defaults={defaults:?} files={files:?} sets={sets:?}"
        );
    }
}

const DEFAULTS: &str = "\
a:
  m: {x: 1, z: 2}
  l: [1, 2]
  nul: null
  s: text
b: 3
keep: {deep: {er: true}}
";

#[test]
fn maps_merge_deeply_and_lists_replace() {
    check(DEFAULTS, &["a:\n  m: {z: 5, w: 6}\n  l: [9]\n"], &[]);
}

#[test]
fn null_deletes_a_default_and_stays_for_unknown_keys() {
    check(
        DEFAULTS,
        &["a:\n  m: {x: null}\nb: null\nnew: {q: null}\n"],
        &[],
    );
    check(DEFAULTS, &["a:\n  m: null\n"], &[]);
    // A later file's null deletes what an earlier file and the defaults set.
    check(DEFAULTS, &["a: {s: one}\n", "a: {s: null}\n"], &[]);
    // A default null is kept, and a user value replaces it.
    check(DEFAULTS, &[], &[]);
    check(DEFAULTS, &["a: {nul: {now: map}}\n"], &[]);
    // A user null over a null default: Helm 4 keeps it, Helm 3 drops it (HelmMajor).
    check(DEFAULTS, &["a: {nul: 4}\n"], &["a.nul=null"]);
}

#[test]
fn later_files_win_and_sets_win_over_files() {
    check(DEFAULTS, &["b: 4\na: {s: first}\n", "b: 5\n"], &["b=6"]);
    check(DEFAULTS, &["a: {l: [7, 8]}\n"], &["a.l[0]=x"]);
}

#[test]
fn set_values_are_typed_like_helm() {
    check(
        DEFAULTS,
        &[],
        &[
            "t.int=1,t.neg=-5,t.zero=0,t.lead=007,t.float=1.5,t.hex=0x10",
            "t.yes=true,t.No=FALSE,t.nil=null,t.empty=,t.str=hello",
            "a.m.x=null",
            // --set-string keeps everything a string and comes after every --set.
            "string:s.hash=0123456,s.bool=true,s.nil=null",
            "s.hash=99",
        ],
    );
}

#[test]
fn set_paths_lists_and_escapes() {
    check(
        DEFAULTS,
        &[],
        &[
            "list={a,b,3}",
            "arr[1].x=2",
            r"dotted\.key=v",
            "keep.deep.er=false",
        ],
    );
    check(DEFAULTS, &[], &["a.l[3]=z"]);
}

#[test]
fn real_chart_profiles_with_overrides_match_helm() {
    let chart_copy = crate::chart_copy(&[("templates/zz-dump.yaml", DUMP)]);
    let chart = chart_copy.path().join("todo-chatbot");
    let extra = temp_files(&[(
        "extra.yaml",
        "backend:\n  replicaCount: 3\n  podAnnotations: {a: b}\nconfig:\n  corsOrigins: [https://x.example]\n",
    )]);
    let extra_file = extra.path().join("extra.yaml");
    for profile in ["dev", "prod"] {
        let sets = [
            "frontend.service.nodePort=null",
            "backend.image.tag=abc123",
            "backend.tolerations[0].key=k",
        ];
        let inputs = chart_values::Inputs::new(&chart)
            .profile(profile.parse().unwrap())
            .file(&extra_file);
        let inputs = sets.iter().fold(inputs, |i, s| i.set(*s));
        let profile_file = chart.join(format!("values-{profile}.yaml"));
        let args = helm_args(&[&profile_file, &extra_file], &sets);
        for helm in MAJORS {
            let ours = normalize(chart_values::merge_as(&inputs, major(helm)).unwrap().values);
            assert_eq!(ours, helm_values(helm, &chart, &args), "{helm} {profile}");
        }
        let v4 = chart_values::merge(&inputs).unwrap().values;
        assert_eq!(
            v4["frontend"]["service"]["nodePort"],
            Value::Null,
            "null undid the profile's 30000"
        );
    }
}

#[test]
fn yaml_scalars_resolve_like_helm() {
    check(
        "a: 1\n",
        &[
            "v:\n  yes1: yes\n  off1: off\n  On1: On\n  y1: y\n  n1: N\n  tilde: ~\n  oct: 010\n  hex: 0x10\n  under: 1_000\n  exp: 1e3\n  flt: 1.50\n  neg: -3\n  plus: +4\n  str: hello\n  quoted: 'yes'\n  date: 2024-01-01\n  empty:\n  oo: 0o17\n  zero: 0\n  negoct: -010\n",
            "keys:\n  y: 1\n  off: 2\n  10: ten\n",
        ],
        &[],
    );
}
