//! Loading values files with serde-saphyr: duplicate keys rejected, every key located.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use crate::path::{KeyPath, Seg};

/// A line and column (both 1-based) in a values file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed values file: its JSON value and where each key path was written.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    pub value: Value,
    /// Every key (and list element) with the position of its key (or element), and whether
    /// its value is a mapping (mappings merge; anything else replaces what was below).
    pub locations: Vec<(KeyPath, LineCol, bool)>,
}

enum Node {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
}

/// A mapping key: Helm turns every scalar key into a string.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Node, D2::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
                Number::from_f64(v)
                    .map(Node::Number)
                    .ok_or_else(|| E::custom("NaN and infinity are not valid values"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
                Ok(Node::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
                Ok(Node::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Key>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn line_col<T>(s: &Spanned<T>) -> LineCol {
    LineCol {
        line: s.referenced.line(),
        column: s.referenced.column(),
    }
}

fn convert(node: Node, path: &KeyPath, out: &mut Vec<(KeyPath, LineCol, bool)>) -> Value {
    match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Number(n) => Value::Number(n),
        Node::String(s) => Value::String(s),
        Node::Seq(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = path.child(Seg::Index(i));
                    out.push((
                        p.clone(),
                        line_col(&item),
                        matches!(item.value, Node::Map(_)),
                    ));
                    convert(item.value, &p, out)
                })
                .collect(),
        ),
        Node::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let p = path.child(Seg::Key(key.value.0.clone()));
                out.push((
                    p.clone(),
                    line_col(&key),
                    matches!(value.value, Node::Map(_)),
                ));
                map.insert(key.value.0, convert(value.value, &p, out));
            }
            Value::Object(map)
        }
    }
}

/// Why a values file could not be read as YAML.
#[derive(Debug, Clone)]
pub(crate) struct YamlProblem {
    pub at: Option<LineCol>,
    pub message: String,
}

/// Parses one values file. Empty files (or only comments) are an empty map, as in Helm.
pub(crate) fn parse(text: &str) -> Result<Located, YamlProblem> {
    let blank = text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---");
    if blank {
        return Ok(Located {
            value: Value::Object(Map::new()),
            locations: Vec::new(),
        });
    }
    // Helm reads values as YAML 1.1 (yes/no/on/off/y/n are booleans, 010 is octal);
    // resolve plain scalars the same way so our merge equals Helm's.
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        legacy_octal_numbers: true,
    };
    let node: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| YamlProblem {
            at: e.location().map(|l| LineCol {
                line: l.line(),
                column: l.column(),
            }),
            message: parser_message(&e.to_string()),
        })?;
    if !matches!(node.value, Node::Map(_) | Node::Null) {
        return Err(YamlProblem {
            at: Some(line_col(&node)),
            message: "a values file must be a mapping of keys to values".to_owned(),
        });
    }
    let mut locations = Vec::new();
    let value = match convert(node.value, &KeyPath::root(), &mut locations) {
        Value::Null => Value::Object(Map::new()),
        v => v,
    };
    Ok(Located { value, locations })
}

/// The parser's message for a person: its first line, without the location (reported
/// separately) and without advice about the parser's own options.
fn parser_message(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.split_once(": ") {
        Some((location, rest)) if location.starts_with("line ") => rest,
        _ => line,
    };
    line.split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(line)
        .to_owned()
}
