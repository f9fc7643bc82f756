//! `values.schema.json`: generated from the typed model, draft-07 (read by Helm 3 and 4),
//! `additionalProperties: false` on every object of ours.

use serde_json::{Map, Value};

use crate::model::Values;
use crate::path::{KeyPath, Seg};

/// The schema document exactly as committed in the chart (pretty JSON, trailing newline).
#[must_use]
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&schema_value()).unwrap_or_default();
    text.push('\n');
    text
}

/// The schema as a JSON value.
#[must_use]
pub fn schema_value() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<Values>();
    let mut value = schema.to_value();
    close_objects(&mut value);
    value
}

/// Every object schema with `properties` gets `additionalProperties: false`
/// (deny_unknown_fields already says so; this keeps it true whatever schemars emits).
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (_, child) in m.iter_mut() {
                close_objects(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Walks values against the schema to find keys the chart does not have.
pub(crate) struct Walker {
    root: Value,
    /// Every key path the schema knows (objects only), for "did you mean" across levels.
    known: Vec<KeyPath>,
}

/// A key the schema does not allow.
#[derive(Debug, Clone)]
pub(crate) struct UnknownKey {
    pub path: KeyPath,
    pub suggestion: Option<String>,
}

impl Walker {
    pub(crate) fn new() -> Self {
        let root = schema_value();
        let mut known = Vec::new();
        let mut w = Self {
            root,
            known: Vec::new(),
        };
        let top = w.root.clone();
        w.collect_known(&top, &KeyPath::root(), &mut known, 0);
        w.known = known;
        w
    }

    fn resolve<'a>(&'a self, mut s: &'a Value) -> &'a Value {
        for _ in 0..8 {
            if let Some(r) = s.get("$ref").and_then(Value::as_str) {
                let name = r.trim_start_matches("#/definitions/");
                match self.root.get("definitions").and_then(|d| d.get(name)) {
                    Some(t) => s = t,
                    None => return s,
                }
                continue;
            }
            // Option<T> is `anyOf: [T, null]`: follow the non-null branch.
            // `allOf: [{$ref}]` is how draft-07 carries a description next to a $ref.
            if let Some(branches) = s
                .get("anyOf")
                .or_else(|| s.get("oneOf"))
                .or_else(|| s.get("allOf"))
                .and_then(Value::as_array)
                && let Some(b) = branches
                    .iter()
                    .find(|b| b.get("$ref").is_some() || b.get("properties").is_some())
            {
                s = b;
                continue;
            }
            return s;
        }
        s
    }

    fn collect_known(&self, s: &Value, path: &KeyPath, out: &mut Vec<KeyPath>, depth: usize) {
        if depth > 8 {
            return;
        }
        let s = self.resolve(s);
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, child) in props {
                let p = path.child(Seg::Key(k.clone()));
                out.push(p.clone());
                self.collect_known(child, &p, out, depth + 1);
            }
        }
    }

    /// Removes unknown keys from `value` and returns them with suggestions.
    pub(crate) fn strip_unknown(&self, value: &mut Value) -> Vec<UnknownKey> {
        let mut found = Vec::new();
        let root = self.root.clone();
        self.walk(&root, value, &KeyPath::root(), &mut found);
        found
    }

    fn walk(&self, s: &Value, v: &mut Value, path: &KeyPath, found: &mut Vec<UnknownKey>) {
        let s = self.resolve(s);
        match v {
            Value::Object(map) => {
                let Some(props) = s.get("properties").and_then(Value::as_object) else {
                    return;
                };
                let closed = s.get("additionalProperties") == Some(&Value::Bool(false));
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    let p = path.child(Seg::Key(k.clone()));
                    if let Some(child) = props.get(&k) {
                        if let Some(cv) = map.get_mut(&k) {
                            self.walk(child, cv, &p, found);
                        }
                    } else if closed {
                        map.remove(&k);
                        let suggestion = self.suggest(path, &k, props);
                        found.push(UnknownKey {
                            path: p,
                            suggestion,
                        });
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = s.get("items") {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.walk(item_schema, item, &path.child(Seg::Index(i)), found);
                    }
                }
            }
            _ => {}
        }
    }

    fn suggest(
        &self,
        parent: &KeyPath,
        key: &str,
        siblings: &Map<String, Value>,
    ) -> Option<String> {
        // A sibling spelled with other capitals: `nodeport` -> `nodePort`.
        if let Some(cand) = siblings.keys().find(|c| c.eq_ignore_ascii_case(key)) {
            return Some(parent.child(Seg::Key(cand.clone())).to_string());
        }
        // The key exists one level or more below: `backend.nodePort` -> `backend.service.nodePort`.
        let elsewhere: Vec<String> = self
            .known
            .iter()
            .filter(|p| {
                p.starts_with(parent)
                    && p.0.len() > parent.0.len() + 1
                    && matches!(p.0.last(), Some(Seg::Key(k)) if k.eq_ignore_ascii_case(key))
            })
            .map(ToString::to_string)
            .collect();
        if !elsewhere.is_empty() {
            return Some(elsewhere.join("` or `"));
        }
        // A sibling that is a small edit away, or shares a long prefix (`replicas`).
        let lower = key.to_ascii_lowercase();
        let mut best: Option<(usize, &String)> = None;
        for cand in siblings.keys() {
            let c = cand.to_ascii_lowercase();
            let d = levenshtein(&lower, &c);
            let close =
                d <= (key.len().max(cand.len()) / 3).max(2) || common_prefix(&lower, &c) >= 5;
            if close && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, cand));
            }
        }
        best.map(|(_, cand)| parent.child(Seg::Key(cand.clone())).to_string())
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Markdown table of every value: key, type, default (from `defaults`), description.
pub(crate) fn values_table(defaults: &Value) -> String {
    let w = Walker::new();
    let mut rows = Vec::new();
    let root = w.root.clone();
    table_rows(&w, &root, &KeyPath::root(), defaults, &mut rows);
    let mut out = String::from("| Key | Type | Default | Description |\n|---|---|---|---|\n");
    for (key, ty, default, desc) in rows {
        out.push_str(&format!("| `{key}` | {ty} | {default} | {desc} |\n"));
    }
    out
}

fn table_rows(
    w: &Walker,
    s: &Value,
    path: &KeyPath,
    default: &Value,
    rows: &mut Vec<(String, String, String, String)>,
) {
    let description = s
        .get("description")
        .or_else(|| w.resolve(s).get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace('\n', " ")
        .replace('|', "\\|");
    let r = w.resolve(s);
    if let Some(props) = r.get("properties").and_then(Value::as_object) {
        for (k, child) in props {
            let d = default.get(k).unwrap_or(&Value::Null);
            table_rows(w, child, &path.child(Seg::Key(k.clone())), d, rows);
        }
        return;
    }
    let shown = match default {
        Value::String(s) if s.is_empty() => "`\"\"`".to_owned(),
        v => format!("`{}`", v.to_string().replace('|', "\\|")),
    };
    rows.push((path.to_string(), type_name(w, s), shown, description));
}

fn type_name(w: &Walker, s: &Value) -> String {
    let r = w.resolve(s);
    if let Some(branches) = r.get("oneOf").and_then(Value::as_array)
        && branches.iter().all(|b| b.get("const").is_some())
    {
        return branches
            .iter()
            .filter_map(|b| b.get("const").and_then(Value::as_str))
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    if let Some(e) = r.get("enum").and_then(Value::as_array) {
        return e
            .iter()
            .filter_map(Value::as_str)
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    if let Some(branches) = r.get("anyOf").and_then(Value::as_array) {
        return branches
            .iter()
            .map(|b| match b.get("const") {
                Some(c) => format!("`{}`", c.as_str().unwrap_or_default()),
                None => type_name(w, b),
            })
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match r.get("type") {
        Some(Value::String(t)) if t == "array" => {
            let item = r.get("items").map(|i| type_name(w, i)).unwrap_or_default();
            format!("list of {item}")
        }
        Some(Value::String(t)) if t == "object" => "map".to_owned(),
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}
