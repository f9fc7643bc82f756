//! A Dockerfile model: parser directives, global `ARG`s, stages and their instructions.
//!
//! The parser follows the Dockerfile reference closely enough for the rules in
//! [`crate::check`]: the `escape` directive, line continuations (with comment and blank lines
//! inside them dropped, as Docker does), flags (`--from=`, `--mount=`), exec (JSON) versus shell
//! form, and BuildKit heredocs (`RUN <<EOF … EOF`), whose bodies are kept apart so a line like
//! `FROM x` inside a heredoc is never read as an instruction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::Error;

/// A parsed Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dockerfile {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Parser directives (`# syntax=…`, `# escape=…`), names lower-cased.
    pub directives: Vec<(String, String)>,
    /// `ARG`s before the first `FROM`; their defaults may be used in `FROM` lines.
    pub global_args: Vec<Instruction>,
    /// The build stages in order; the last one is the image.
    pub stages: Vec<Stage>,
}

/// One build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// Position among the stages, from 0.
    pub index: usize,
    /// The `AS` name, lower-cased as Docker treats it.
    pub name: Option<String>,
    /// The base as written (`rust:${V}-slim`).
    pub base: String,
    /// The base with global `ARG` defaults substituted.
    pub base_resolved: String,
    /// `--platform` when given.
    pub platform: Option<String>,
    /// Line of the `FROM` (1-based).
    pub line: usize,
    /// The instructions after `FROM`.
    pub instructions: Vec<Instruction>,
}

/// One instruction (a logical line, continuations joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-cased keyword (`RUN`, `COPY`, …).
    pub keyword: String,
    /// First physical line (1-based).
    pub line: usize,
    /// Last physical line, heredoc bodies included.
    pub end_line: usize,
    /// Leading `--name[=value]` flags.
    pub flags: Vec<Flag>,
    /// What follows the keyword and flags.
    pub args: Args,
    /// Heredoc bodies in the order their markers appear.
    pub heredocs: Vec<Heredoc>,
}

/// A `--name=value` flag of an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name without dashes.
    pub name: String,
    /// The value; `None` for a bare `--name`.
    pub value: Option<String>,
}

/// An instruction's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Args {
    /// JSON array form: `["/bin/app", "serve"]`.
    Exec(Vec<String>),
    /// Anything else, as one string (continuations joined).
    Shell(String),
}

/// A heredoc attached to an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word (`EOF`).
    pub delimiter: String,
    /// The body, lines joined with `\n`, without the closing delimiter.
    pub body: String,
}

impl Dockerfile {
    /// Reads and parses the Dockerfile at `path`.
    pub fn read(path: &Path) -> Result<Dockerfile, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Dockerfile::parse(path, &text)
    }

    /// Parses `text`; `path` only labels messages.
    pub fn parse(path: &Path, text: &str) -> Result<Dockerfile, Error> {
        Parser::new(path, text).parse()
    }

    /// The final stage (the image), if there is any stage.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Global `ARG` defaults, for substitution in `FROM`.
    pub fn global_arg_defaults(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        for arg in &self.global_args {
            for (key, value) in arg.key_values() {
                map.insert(key, value.unwrap_or_default());
            }
        }
        map
    }

    /// Whether `reference` (a `FROM` base or `COPY --from`) names an earlier stage of this file.
    pub fn is_stage_ref(&self, reference: &str, before: usize) -> bool {
        let lower = reference.to_ascii_lowercase();
        self.stages[..before.min(self.stages.len())]
            .iter()
            .any(|s| s.name.as_deref() == Some(lower.as_str()) || reference == s.index.to_string())
    }
}

impl Stage {
    /// The instructions with `keyword` (upper case), in order.
    pub fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    /// The last instruction with `keyword` (the one that takes effect for `USER`, `CMD`, …).
    pub fn last(&self, keyword: &str) -> Option<&Instruction> {
        self.instructions
            .iter()
            .rev()
            .find(|i| i.keyword == keyword)
    }

    /// A label for messages: `stage 1 (build)`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("stage {} ({name})", self.index),
            None => format!("stage {}", self.index),
        }
    }
}

impl Instruction {
    /// The value of flag `name`, if present.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_deref().unwrap_or(""))
    }

    /// The arguments as text (exec form joined with spaces).
    pub fn text(&self) -> String {
        match &self.args {
            Args::Exec(words) => words.join(" "),
            Args::Shell(text) => text.clone(),
        }
    }

    /// `KEY=VALUE` pairs of `ENV`, `ARG` and `LABEL` (`ENV KEY VALUE`, the legacy form, too).
    /// An `ARG` without a default has value `None`.
    pub fn key_values(&self) -> Vec<(String, Option<String>)> {
        let text = self.text();
        let words = shell_words::split(&text)
            .unwrap_or_else(|_| text.split_whitespace().map(str::to_owned).collect());
        if self.keyword == "ENV"
            && let Some(first) = words.first()
            && !first.contains('=')
        {
            let value = text.trim_start()[first.len()..].trim().to_owned();
            return vec![(first.clone(), Some(value))];
        }
        words
            .into_iter()
            .map(|word| match word.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (word, None),
            })
            .collect()
    }

    /// The sources of a `COPY`/`ADD` (every word but the destination, flags excluded).
    pub fn copy_sources(&self) -> Vec<String> {
        let words = match &self.args {
            Args::Exec(words) => words.clone(),
            Args::Shell(text) => shell_words::split(text)
                .unwrap_or_else(|_| text.split_whitespace().map(str::to_owned).collect()),
        };
        let n = words.len().saturating_sub(1);
        words.into_iter().take(n).collect()
    }
}

struct Parser<'a> {
    path: &'a Path,
    lines: Vec<&'a str>,
    pos: usize,
    escape: char,
}

impl<'a> Parser<'a> {
    fn new(path: &'a Path, text: &'a str) -> Parser<'a> {
        Parser {
            path,
            lines: text.lines().collect(),
            pos: 0,
            escape: '\\',
        }
    }

    fn error(&self, line: usize, message: impl Into<String>) -> Error {
        Error::Parse {
            path: self.path.to_owned(),
            line,
            message: message.into(),
        }
    }

    fn parse(mut self) -> Result<Dockerfile, Error> {
        let directives = self.directives();
        let mut file = Dockerfile {
            path: self.path.to_owned(),
            directives,
            global_args: Vec::new(),
            stages: Vec::new(),
        };
        while let Some(instruction) = self.next_instruction()? {
            if instruction.keyword == "FROM" {
                let stage = self.stage(&file, instruction)?;
                file.stages.push(stage);
            } else if let Some(stage) = file.stages.last_mut() {
                stage.instructions.push(instruction);
            } else if instruction.keyword == "ARG" {
                file.global_args.push(instruction);
            } else {
                return Err(self.error(
                    instruction.line,
                    format!(
                        "{} before the first FROM (only ARG may come first)",
                        instruction.keyword
                    ),
                ));
            }
        }
        if file.stages.is_empty() {
            return Err(self.error(
                1,
                "no FROM instruction: a Dockerfile needs at least one stage",
            ));
        }
        Ok(file)
    }

    /// Parser directives: `# key=value` lines at the very top, before anything else.
    fn directives(&mut self) -> Vec<(String, String)> {
        let mut found = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            let Some(body) = line.trim().strip_prefix('#') else {
                break;
            };
            let Some((key, value)) = body.split_once('=') else {
                break;
            };
            let key = key.trim().to_ascii_lowercase();
            if key.is_empty() || key.contains(char::is_whitespace) {
                break;
            }
            let value = value.trim().to_owned();
            if key == "escape" {
                match value.as_str() {
                    "`" => self.escape = '`',
                    _ => self.escape = '\\',
                }
            }
            found.push((key, value));
            self.pos += 1;
        }
        found
    }

    fn next_instruction(&mut self) -> Result<Option<Instruction>, Error> {
        // Skip blank lines and comments between instructions.
        while let Some(line) = self.lines.get(self.pos) {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos >= self.lines.len() {
            return Ok(None);
        }
        let start = self.pos + 1;
        let mut logical = String::new();
        let mut continuing = false;
        while let Some(line) = self.lines.get(self.pos) {
            self.pos += 1;
            let trimmed = line.trim();
            // Inside a continuation Docker drops comment lines and (with a warning) blank ones.
            if continuing && (trimmed.is_empty() || trimmed.starts_with('#')) {
                continue;
            }
            continuing = true;
            let body = line.trim_end();
            match body.strip_suffix(self.escape) {
                Some(rest) => logical.push_str(rest),
                None => {
                    logical.push_str(body);
                    break;
                }
            }
        }
        let logical = logical.trim().to_owned();
        let (keyword, rest) = match logical.split_once(char::is_whitespace) {
            Some((k, r)) => (k.to_ascii_uppercase(), r.trim_start()),
            None => (logical.to_ascii_uppercase(), ""),
        };
        if !keyword.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(self.error(
                start,
                format!("`{keyword}` is not a Dockerfile instruction"),
            ));
        }
        // Only these instructions take flags; `CMD --help` is an argument.
        let (flags, rest) = if matches!(
            keyword.as_str(),
            "FROM" | "RUN" | "COPY" | "ADD" | "HEALTHCHECK"
        ) {
            split_flags(rest)
        } else {
            (Vec::new(), rest)
        };
        let heredocs = if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            self.heredocs(rest, start)?
        } else {
            Vec::new()
        };
        let args = parse_args(rest);
        Ok(Some(Instruction {
            keyword,
            line: start,
            end_line: self.pos,
            flags,
            args,
            heredocs,
        }))
    }

    /// Reads the bodies of the heredocs `rest` opens (`<<EOF`, `<<-EOF`, `<<"EOF"`).
    fn heredocs(&mut self, rest: &str, line: usize) -> Result<Vec<Heredoc>, Error> {
        if rest.trim_start().starts_with('[') {
            return Ok(Vec::new());
        }
        let mut docs = Vec::new();
        for (delimiter, strip_tabs) in heredoc_markers(rest) {
            let mut body = Vec::new();
            loop {
                let Some(raw) = self.lines.get(self.pos) else {
                    return Err(self.error(
                        line,
                        format!("heredoc `<<{delimiter}` is never closed by a line `{delimiter}`"),
                    ));
                };
                self.pos += 1;
                let candidate = if strip_tabs {
                    raw.trim_start_matches('\t')
                } else {
                    raw
                };
                if candidate == delimiter {
                    break;
                }
                body.push(candidate.to_owned());
            }
            docs.push(Heredoc {
                delimiter,
                body: body.join("\n"),
            });
        }
        Ok(docs)
    }

    fn stage(&self, file: &Dockerfile, from: Instruction) -> Result<Stage, Error> {
        let words: Vec<&str> = match &from.args {
            Args::Shell(text) => text.split_whitespace().collect(),
            Args::Exec(_) => Vec::new(),
        };
        let (base, name) = match words.as_slice() {
            [base] => (*base, None),
            [base, kw, name] if kw.eq_ignore_ascii_case("as") => {
                (*base, Some(name.to_ascii_lowercase()))
            }
            _ => {
                return Err(self.error(
                    from.line,
                    "FROM takes an image and an optional `AS name`: FROM image[:tag] [AS name]",
                ));
            }
        };
        let base_resolved = substitute(base, &file.global_arg_defaults());
        Ok(Stage {
            index: file.stages.len(),
            name,
            base: base.to_owned(),
            base_resolved,
            platform: from.flag("platform").map(str::to_owned),
            line: from.line,
            instructions: Vec::new(),
        })
    }
}

/// Splits leading `--flag[=value]` words off an instruction's arguments.
fn split_flags(mut rest: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    while let Some(flag) = rest.strip_prefix("--") {
        let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
        let word = &flag[..end];
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (word.to_owned(), None),
        };
        flags.push(Flag { name, value });
        rest = flag[end..].trim_start();
    }
    (flags, rest)
}

fn parse_args(rest: &str) -> Args {
    let trimmed = rest.trim();
    if trimmed.starts_with('[')
        && let Ok(words) = serde_json::from_str::<Vec<String>>(trimmed)
    {
        return Args::Exec(words);
    }
    Args::Shell(trimmed.to_owned())
}

/// The heredoc delimiters opened in `text`, in order, with whether `<<-` strips leading tabs.
fn heredoc_markers(text: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 2 <= bytes.len() {
        if &bytes[i..i + 2] != b"<<" || bytes.get(i + 2) == Some(&b'<') {
            i += 1;
            continue;
        }
        let mut j = i + 2;
        let strip = bytes.get(j) == Some(&b'-');
        if strip {
            j += 1;
        }
        let quote = match bytes.get(j) {
            Some(&q) if q == b'"' || q == b'\'' => {
                j += 1;
                Some(q)
            }
            _ => None,
        };
        let start = j;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
            j += 1;
        }
        let word = &text[start..j];
        let closed = match quote {
            Some(q) => bytes.get(j) == Some(&q),
            None => true,
        };
        if !word.is_empty() && closed && !word.as_bytes()[0].is_ascii_digit() {
            found.push((word.to_owned(), strip));
        }
        i = j.max(i + 2);
    }
    found
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` from `vars`.
fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|&c| c != '}').collect();
            let (name, modifier) = match inner.find(':') {
                Some(at) => (&inner[..at], Some(&inner[at + 1..])),
                None => (inner.as_str(), None),
            };
            let value = vars.get(name).filter(|v| !v.is_empty());
            match (modifier, value) {
                (Some(m), None) if m.starts_with('-') => out.push_str(&m[1..]),
                (Some(m), Some(_)) if m.starts_with('+') => out.push_str(&m[1..]),
                (Some(m), None) if m.starts_with('+') => {}
                (_, Some(v)) => out.push_str(v),
                (_, None) => {}
            }
        } else {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                out.push('$');
            } else if let Some(v) = vars.get(&name) {
                out.push_str(v);
            }
        }
    }
    out
}
