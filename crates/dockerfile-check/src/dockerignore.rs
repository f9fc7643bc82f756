//! `.dockerignore` with Docker's own semantics (moby's `patternmatcher`), not gitignore's.
//!
//! The differences matter for the content tag: patterns are anchored at the context root
//! (`target` is only `./target`; use `**/target` for any depth), `*` never crosses `/`, `**`
//! crosses any number of directories, the last matching pattern wins, `!` re-includes, and a
//! pattern that matches a directory excludes everything below it.

use std::path::{Path, PathBuf};

use crate::Error;

/// A parsed `.dockerignore`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    /// The cleaned pattern text (no `!`, no leading `/`).
    text: String,
    /// `!pattern`: re-includes what it matches.
    negated: bool,
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    AnyChar,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**/` (or `**` before the end): any number of whole directories, including none.
    AnyDirs,
    /// `**` at the end: anything at all.
    AnyTail,
    /// `[…]`: a character class.
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

impl DockerIgnore {
    /// Reads `.dockerignore` in `context`; a missing file is `Ok(None)`.
    pub fn read(context: &Path) -> Result<Option<DockerIgnore>, Error> {
        let path = context.join(".dockerignore");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(DockerIgnore::parse(&text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Io { path, source }),
        }
    }

    /// Parses the text of a `.dockerignore`.
    pub fn parse(text: &str) -> DockerIgnore {
        let patterns = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    return None;
                }
                let (negated, body) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let text = clean(body);
                if text.is_empty() {
                    return None;
                }
                let tokens = compile(&text);
                Some(Pattern {
                    text,
                    negated,
                    tokens,
                })
            })
            .collect();
        DockerIgnore { patterns }
    }

    /// Whether `path` (relative to the context, `/`-separated) is left out of the context.
    pub fn is_excluded(&self, path: &str) -> bool {
        let path = clean(path);
        let parents: Vec<&str> = path.split('/').collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // An exclusion only needs checking while not excluded, and a re-inclusion only
            // while excluded (moby's order of evaluation).
            if pattern.negated != excluded {
                continue;
            }
            let mut hit = matches(&pattern.tokens, &path);
            if !hit {
                for i in 1..parents.len() {
                    if matches(&pattern.tokens, &parents[..i].join("/")) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                excluded = !pattern.negated;
            }
        }
        excluded
    }

    /// Whether an excluded directory can be skipped without looking inside: no `!` pattern
    /// could re-include something below it (Docker's own shortcut, so we send what it sends).
    pub fn can_skip_dir(&self, dir: &str) -> bool {
        let prefix = format!("{}/", clean(dir));
        !self
            .patterns
            .iter()
            .any(|p| p.negated && format!("{}/", p.text).starts_with(&prefix))
    }

    /// The files of the build context under `context`, relative and sorted, as Docker would send
    /// them (symlinks are listed, not followed).
    pub fn context_files(&self, context: &Path) -> Result<Vec<PathBuf>, Error> {
        let mut files = Vec::new();
        self.walk(context, Path::new(""), &mut files)?;
        files.sort();
        Ok(files)
    }

    fn walk(&self, root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
        let dir = root.join(rel);
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                path: dir.clone(),
                source,
            })?;
            let rel_path = rel.join(entry.file_name());
            let rel_str = rel_path.to_string_lossy().replace('\\', "/");
            let kind = entry.file_type().map_err(|source| Error::Io {
                path: entry.path(),
                source,
            })?;
            let excluded = self.is_excluded(&rel_str);
            if kind.is_dir() {
                if excluded && self.can_skip_dir(&rel_str) {
                    continue;
                }
                self.walk(root, &rel_path, out)?;
            } else if !excluded {
                out.push(rel_path);
            }
        }
        Ok(())
    }
}

/// Go's `filepath.Clean` for our purposes: no leading `/` or `./`, no `.` or empty segments,
/// `..` resolved, no trailing `/`.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn compile(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                tokens.push(if i >= chars.len() {
                    Token::AnyTail
                } else {
                    Token::AnyDirs
                });
                continue;
            }
            '*' => tokens.push(Token::Star),
            '?' => tokens.push(Token::AnyChar),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                tokens.push(Token::Literal(chars[i]));
            }
            '[' => {
                if let Some((token, next)) = class(&chars, i) {
                    tokens.push(token);
                    i = next;
                    continue;
                }
                tokens.push(Token::Literal('['));
            }
            c => tokens.push(Token::Literal(c)),
        }
        i += 1;
    }
    tokens
}

/// Parses a `[…]` class starting at `chars[start]`; returns it and the index after `]`.
fn class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('^') | Some('!'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let mut c = chars[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, items }, i + 1));
        }
        first = false;
        if c == '\\' {
            i += 1;
            c = *chars.get(i)?;
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&e| e != ']') {
            items.push((c, chars[i + 2]));
            i += 3;
        } else {
            items.push((c, c));
            i += 1;
        }
    }
    None
}

fn matches(tokens: &[Token], path: &str) -> bool {
    let chars: Vec<char> = path.chars().collect();
    match_from(tokens, &chars)
}

fn match_from(tokens: &[Token], s: &[char]) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return s.is_empty();
    };
    match token {
        Token::Literal(c) => s.first() == Some(c) && match_from(rest, &s[1..]),
        Token::AnyChar => s.first().is_some_and(|&c| c != '/') && match_from(rest, &s[1..]),
        Token::Star => {
            let mut i = 0;
            loop {
                if match_from(rest, &s[i..]) {
                    return true;
                }
                if i >= s.len() || s[i] == '/' {
                    return false;
                }
                i += 1;
            }
        }
        Token::AnyDirs => {
            // Zero directories, or any prefix ending in `/`.
            if match_from(rest, s) {
                return true;
            }
            (0..s.len()).any(|i| s[i] == '/' && match_from(rest, &s[i + 1..]))
        }
        Token::AnyTail => true,
        Token::Class { negated, items } => {
            let Some(&c) = s.first() else { return false };
            if c == '/' {
                return false;
            }
            let inside = items.iter().any(|&(lo, hi)| lo <= c && c <= hi);
            inside != *negated && match_from(rest, &s[1..])
        }
    }
}
