//! The character rules of the API's text fields, written once: the validators test characters
//! against these tables, and the OpenAPI document's `pattern`s are built from the same tables,
//! so the document states exactly which strings the validators accept.
//!
//! Patterns use only `\uXXXX` escapes inside character classes, which ECMA-262 (JSON Schema's
//! dialect) and Python's `re` (what schemathesis generates from) read the same way.

use std::fmt::Write as _;

use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// Inclusive code point ranges.
pub type Ranges = &'static [(char, char)];

/// Unicode White_Space, what `str::trim` removes (a test checks it equals `char::is_whitespace`).
pub const WHITESPACE: Ranges = &[
    ('\t', '\r'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{A0}', '\u{A0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200A}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202F}', '\u{202F}'),
    ('\u{205F}', '\u{205F}'),
    ('\u{3000}', '\u{3000}'),
];

/// General category Cc (a test checks it equals `char::is_control`).
pub const CONTROL: Ranges = &[('\0', '\u{1F}'), ('\u{7F}', '\u{9F}')];

/// The controls multi-line text refuses: every control but tab, line feed and carriage return.
pub const TEXT_CONTROL: Ranges = &[
    ('\0', '\u{8}'),
    ('\u{B}', '\u{C}'),
    ('\u{E}', '\u{1F}'),
    ('\u{7F}', '\u{9F}'),
];

/// Zero-width and other format characters that render as nothing.
pub const INVISIBLE: Ranges = &[
    ('\u{AD}', '\u{AD}'),
    ('\u{34F}', '\u{34F}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{FEFF}', '\u{FEFF}'),
];

/// Bidirectional embedding / override / isolate controls (used to spoof displayed text).
pub const BIDI: Ranges = &[('\u{202A}', '\u{202E}'), ('\u{2066}', '\u{2069}')];

/// Whether `c` is in any of `sets`.
pub fn is_in(sets: &[Ranges], c: char) -> bool {
    sets.iter()
        .flat_map(|r| r.iter())
        .any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// A character class matching any character outside `sets` (and outside `extra`, literal ASCII
/// punctuation such as `@`).
fn none_of(sets: &[Ranges], extra: &str) -> String {
    let mut class = String::from("[^");
    for &(lo, hi) in sets.iter().flat_map(|r| r.iter()) {
        let _ = write!(class, "\\u{:04x}", u32::from(lo));
        if hi != lo {
            let _ = write!(class, "-\\u{:04x}", u32::from(hi));
        }
    }
    for c in extra.chars() {
        let _ = write!(class, "\\u{:04x}", u32::from(c));
    }
    class.push(']');
    class
}

/// A character class matching any character in `sets`.
fn any_of(sets: &[Ranges]) -> String {
    let negated = none_of(sets, "");
    format!("[{}", &negated[2..])
}

/// One-line text (task titles): after trimming, no control or bidi character and at least one
/// visible character. Controls in the trimmed-off whitespace are harmless.
pub fn one_line_pattern() -> String {
    let ws = any_of(&[WHITESPACE]);
    let allowed = none_of(&[CONTROL, BIDI], "");
    let visible = none_of(&[WHITESPACE, INVISIBLE, CONTROL, BIDI], "");
    format!("^{ws}*{allowed}*{visible}{allowed}*{ws}*$")
}

/// Multi-line text that may be empty (descriptions): after trimming, no control but tab, line
/// feed and carriage return.
pub fn multi_line_pattern() -> String {
    let ws = any_of(&[WHITESPACE]);
    let allowed = none_of(&[TEXT_CONTROL], "");
    format!("^{ws}*{allowed}*{ws}*$")
}

/// Multi-line text with something in it (chat messages): [`multi_line_pattern`] plus at least
/// one character that is not whitespace.
pub fn non_blank_multi_line_pattern() -> String {
    let ws = any_of(&[WHITESPACE]);
    let allowed = none_of(&[TEXT_CONTROL], "");
    let solid = none_of(&[WHITESPACE, TEXT_CONTROL], "");
    format!("^{ws}*{allowed}*{solid}{allowed}*{ws}*$")
}

/// A display name that may be empty: after trimming, no control character at all.
pub fn plain_pattern() -> String {
    let ws = any_of(&[WHITESPACE]);
    let allowed = none_of(&[CONTROL], "");
    format!("^{ws}*{allowed}*{ws}*$")
}

/// Passwords: any characters but controls (nothing is trimmed).
pub fn no_control_pattern() -> String {
    format!("^{}*$", none_of(&[CONTROL], ""))
}

/// Email addresses as the register route checks them: after trimming, `local@domain` with no
/// whitespace or control, exactly one `@`, and a domain that contains a dot but neither starts
/// nor ends with one.
pub fn email_pattern() -> String {
    let ws = any_of(&[WHITESPACE]);
    let part = none_of(&[WHITESPACE, CONTROL], "@");
    let edge = none_of(&[WHITESPACE, CONTROL], "@.");
    format!("^{ws}*{part}+@{edge}{part}*\\u002e{part}*{edge}{ws}*$")
}

/// A string field's schema: its length bounds in characters, its pattern, and whether `null`
/// is allowed (an optional field the route treats as absent).
pub fn string_schema(
    description: &str,
    min_chars: usize,
    max_chars: usize,
    pattern: String,
    nullable: bool,
) -> Object {
    let schema_type = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .description(Some(description))
        .min_length((min_chars > 0).then_some(min_chars))
        .max_length(Some(max_chars))
        .pattern(Some(pattern))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_char() -> impl Iterator<Item = char> {
        (0..=u32::from(char::MAX)).filter_map(char::from_u32)
    }

    #[test]
    fn tables_match_the_standard_library() {
        for c in every_char() {
            assert_eq!(is_in(&[WHITESPACE], c), c.is_whitespace(), "{c:?}");
            assert_eq!(is_in(&[CONTROL], c), c.is_control(), "{c:?}");
            assert_eq!(
                is_in(&[TEXT_CONTROL], c),
                c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
                "{c:?}"
            );
        }
    }

    #[test]
    fn classes_are_escaped_code_points() {
        assert_eq!(any_of(&[BIDI]), r"[\u202a-\u202e\u2066-\u2069]");
        assert_eq!(
            none_of(&[CONTROL], "@"),
            r"[^\u0000-\u001f\u007f-\u009f\u0040]"
        );
    }
}
