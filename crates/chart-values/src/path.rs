//! Key paths such as `backend.service.nodePort` or `backend.tolerations[0].key`.

use std::fmt;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A path from the root of the values to one key, written the way `--set` spells it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The root (empty path).
    #[must_use]
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses a dotted path with optional list indexes (`backend.tolerations[0].key`);
    /// no escapes.
    #[must_use]
    pub fn dotted(s: &str) -> Self {
        let mut segs = Vec::new();
        for part in s.split('.') {
            let mut rest = part;
            if let Some(i) = rest.find('[') {
                if i > 0 {
                    segs.push(Seg::Key(rest[..i].to_owned()));
                }
                rest = &rest[i..];
                while let Some(inner) = rest.strip_prefix('[') {
                    let Some(end) = inner.find(']') else { break };
                    match inner[..end].parse() {
                        Ok(n) => segs.push(Seg::Index(n)),
                        Err(_) => segs.push(Seg::Key(inner[..end].to_owned())),
                    }
                    rest = &inner[end + 1..];
                }
            } else {
                segs.push(Seg::Key(rest.to_owned()));
            }
        }
        Self(segs)
    }

    /// This path with one more step.
    #[must_use]
    pub fn child(&self, seg: Seg) -> Self {
        let mut v = self.0.clone();
        v.push(seg);
        Self(v)
    }

    /// This path without its last step, or None at the root.
    #[must_use]
    pub fn parent(&self) -> Option<Self> {
        if self.0.is_empty() {
            None
        } else {
            Some(Self(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    /// Whether `self` equals `prefix` or lies below it.
    #[must_use]
    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(root)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&k.replace('.', "\\."))?;
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl serde::Serialize for KeyPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
