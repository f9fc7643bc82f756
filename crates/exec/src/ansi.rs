//! Tool output made readable in reports: kubectl-ai, pretty logs and progress bars colour their
//! text, and a report or error that quotes them must not carry the escape sequences along.

/// `text` without terminal escape sequences (CSI such as colours, OSC such as titles).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_ansi;

    fn check(input: &str, expect: &str) {
        assert_eq!(strip_ansi(input), expect, "{input:?}");
    }

    #[test]
    fn escapes_go_and_text_stays() {
        check("plain text, ünïcode", "plain text, ünïcode");
        check("\u{1b}[32m  Running\u{1b}[0m done", "  Running done");
        check("\u{1b}[1;31mERROR\u{1b}[0m x", "ERROR x");
        check("\u{1b}]0;title\u{7}after", "after");
        check("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link");
        // A lone ESC is dropped with the character after it, not the rest of the text.
        check("a\u{1b}xb", "ab");
    }
}
