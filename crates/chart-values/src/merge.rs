//! Helm's value semantics: `-f` files merged in order, `--set` parsed into the result, then
//! coalesced with the chart's `values.yaml`.
//!
//! Mirrors Helm 3/4 (`pkg/cli/values` `mergeMaps`, `pkg/strvals`, `pkg/chartutil`
//! coalesce): maps merge deeply, everything else (lists included) replaces, and a user
//! `null` deletes the chart's default for that key (a `null` for a key the chart lacks stays).
//! One difference between the majors: a user `null` over a `null` default stays `null` in
//! Helm 4 and disappears in Helm 3 (templates see nil either way); [`crate::HelmMajor`] picks.

use serde_json::{Map, Number, Value};

use crate::path::{KeyPath, Seg};

/// Helm's `mergeMaps`: later `b` wins; maps merge recursively.
pub(crate) fn merge_maps(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (k, v) in b {
        match (a.get_mut(&k), v) {
            (Some(Value::Object(dst)), Value::Object(src)) => merge_maps(dst, src),
            (_, v) => {
                a.insert(k, v);
            }
        }
    }
}

/// Helm's coalesce of user values (`user`) with chart defaults (`defaults`).
/// `helm3`: a user null over a null default drops the key (Helm 3) instead of staying (Helm 4).
pub(crate) fn coalesce(user: &mut Map<String, Value>, defaults: &Map<String, Value>, helm3: bool) {
    for (k, dv) in defaults {
        match user.get_mut(k) {
            None => {
                user.insert(k.clone(), dv.clone());
            }
            Some(Value::Null) => {
                // Helm 4 keeps a user null over a null default; Helm 3 drops the key. Both
                // read as nil in templates; we follow Helm 4, the current major.
                if helm3 || !dv.is_null() {
                    user.remove(k);
                }
            }
            Some(Value::Object(u)) => {
                if let Value::Object(d) = dv {
                    coalesce(u, d, helm3);
                }
            }
            Some(_) => {}
        }
    }
}

/// A `--set` argument that Helm would reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetSyntax(pub String);

/// One `key=value` assignment out of a `--set` argument.
#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub path: KeyPath,
    pub value: Value,
}

/// Parses a `--set` argument (`a.b=1,c[0]=x,d={x,y}`) the way Helm's strvals does.
/// `strings`: `--set-string` (every value a string).
pub(crate) fn parse_set(arg: &str, strings: bool) -> Result<Vec<Assignment>, SetSyntax> {
    let typed = |s: &str| {
        if strings {
            Value::String(s.to_owned())
        } else {
            typed(s)
        }
    };
    let chars: Vec<char> = arg.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        // key up to '='
        let mut segs = Vec::new();
        let mut key = String::new();
        loop {
            let Some(&c) = chars.get(i) else {
                return Err(SetSyntax(format!(
                    "key `{key}` has no value (expected key=value)"
                )));
            };
            i += 1;
            match c {
                '\\' => {
                    if let Some(&n) = chars.get(i) {
                        key.push(n);
                        i += 1;
                    }
                }
                '.' => {
                    push_key(&mut segs, &mut key)?;
                }
                '[' => {
                    if !key.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    let mut num = String::new();
                    while let Some(&d) = chars.get(i) {
                        i += 1;
                        if d == ']' {
                            break;
                        }
                        num.push(d);
                    }
                    let n: usize = num
                        .parse()
                        .map_err(|_| SetSyntax(format!("list index `[{num}]` is not a number")))?;
                    segs.push(Seg::Index(n));
                    if chars.get(i) == Some(&'.') {
                        i += 1;
                    }
                }
                '=' => {
                    if !key.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut key)));
                    }
                    break;
                }
                ',' => {
                    return Err(SetSyntax(format!(
                        "key `{key}` has no value (expected key=value)"
                    )));
                }
                c => key.push(c),
            }
        }
        if segs.is_empty() {
            return Err(SetSyntax("empty key before `=`".to_owned()));
        }
        // value up to an unescaped ',' (a `{...}` list may contain commas)
        let value = if chars.get(i) == Some(&'{') {
            i += 1;
            let mut items = Vec::new();
            let mut cur = String::new();
            loop {
                let Some(&c) = chars.get(i) else {
                    return Err(SetSyntax("list value `{...` is missing its `}`".to_owned()));
                };
                i += 1;
                match c {
                    '\\' => {
                        if let Some(&n) = chars.get(i) {
                            cur.push(n);
                            i += 1;
                        }
                    }
                    ',' => items.push(typed(&std::mem::take(&mut cur))),
                    '}' => {
                        if !cur.is_empty() || !items.is_empty() {
                            items.push(typed(&cur));
                        }
                        break;
                    }
                    c => cur.push(c),
                }
            }
            if chars.get(i) == Some(&',') {
                i += 1;
            }
            Value::Array(items)
        } else {
            let mut cur = String::new();
            while let Some(&c) = chars.get(i) {
                i += 1;
                match c {
                    '\\' => {
                        if let Some(&n) = chars.get(i) {
                            cur.push(n);
                            i += 1;
                        }
                    }
                    ',' => break,
                    c => cur.push(c),
                }
            }
            typed(&cur)
        };
        out.push(Assignment {
            path: KeyPath(segs),
            value,
        });
    }
    Ok(out)
}

fn push_key(segs: &mut Vec<Seg>, key: &mut String) -> Result<(), SetSyntax> {
    if key.is_empty() {
        // `a[0].b`: the '.' after ']' was already consumed; an empty key elsewhere is an error
        if matches!(segs.last(), Some(Seg::Index(_))) {
            return Ok(());
        }
        return Err(SetSyntax(
            "empty key segment (`..` or a leading `.`)".to_owned(),
        ));
    }
    segs.push(Seg::Key(std::mem::take(key)));
    Ok(())
}

/// Helm's strvals `typedVal`: true/false/null (any case), integers without a leading zero,
/// everything else (floats included) a string.
fn typed(s: &str) -> Value {
    if s.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if s.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if s.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if s == "0" {
        return Value::Number(Number::from(0));
    }
    if !s.starts_with('0')
        && let Ok(n) = s.parse::<i64>()
    {
        return Value::Number(Number::from(n));
    }
    Value::String(s.to_owned())
}

/// Writes one assignment into the user values, creating maps and list slots as Helm does.
pub(crate) fn assign(root: &mut Map<String, Value>, a: &Assignment) {
    let mut tmp = Value::Object(std::mem::take(root));
    set_at(&mut tmp, &a.path.0, a.value.clone());
    if let Value::Object(m) = tmp {
        *root = m;
    }
}

fn set_at(cur: &mut Value, segs: &[Seg], value: Value) {
    let Some((first, rest)) = segs.split_first() else {
        *cur = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !cur.is_object() {
                *cur = Value::Object(Map::new());
            }
            if let Value::Object(m) = cur {
                set_at(m.entry(k.clone()).or_insert(Value::Null), rest, value);
            }
        }
        Seg::Index(n) => {
            if !cur.is_array() {
                *cur = Value::Array(Vec::new());
            }
            if let Value::Array(v) = cur {
                if v.len() <= *n {
                    v.resize(n + 1, Value::Null);
                }
                set_at(&mut v[*n], rest, value);
            }
        }
    }
}
