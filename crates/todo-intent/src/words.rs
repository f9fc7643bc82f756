//! Word-level knowledge shared by the parser, the title matcher and the help examples: a small
//! English stemmer (so "called" meets "Call" and "groceries" meets "grocery"), an edit distance
//! for typos, and the words that say nothing about which task is meant.

use crate::phrases::{FILLER, IRREGULAR};

/// The verb an irregular past form belongs to.
pub fn irregular_base(word: &str) -> Option<&'static str> {
    IRREGULAR
        .binary_search_by(|(past, _)| (*past).cmp(word))
        .ok()
        .map(|i| IRREGULAR[i].1)
}

/// Whether a lowercase word carries no meaning for matching.
pub fn is_filler(word: &str) -> bool {
    FILLER.binary_search(&word).is_ok()
}

/// The stem of a lowercase word: inflections removed the same way on both sides of a
/// comparison ("groceries" → "grocery", "called" → "call", "shopping" → "shop", "bake" and
/// "baked" → "bak"). Not a linguist's stem, only a consistent one.
pub fn stem(word: &str) -> String {
    let word = irregular_base(word).unwrap_or(word);
    if word.chars().count() <= 3 {
        return word.to_owned();
    }
    let long_enough = |r: &str| r.chars().count() >= 3;
    for suffix in ["ies", "ied"] {
        if let Some(r) = word.strip_suffix(suffix)
            && r.chars().count() >= 2
        {
            return format!("{r}y");
        }
    }
    let mut s = word;
    let mut stripped_verb_ending = false;
    if let Some(r) = s.strip_suffix("ing").filter(|r| long_enough(r)) {
        s = r;
        stripped_verb_ending = true;
    } else if let Some(r) = s.strip_suffix("ed").filter(|r| long_enough(r)) {
        s = r;
        stripped_verb_ending = true;
    } else if let Some(r) = s
        .strip_suffix("es")
        .filter(|r| long_enough(r) && ["s", "x", "z", "ch", "sh"].iter().any(|e| r.ends_with(e)))
    {
        s = r;
    } else if let Some(r) = s
        .strip_suffix('s')
        .filter(|r| long_enough(r) && !r.ends_with('s') && !r.ends_with('u') && !r.ends_with('i'))
    {
        s = r;
    }
    let mut out = s.to_owned();
    if stripped_verb_ending {
        // "shopped" → "shop", but "called" stays "call" (as the words ending in l, s, z do).
        let mut tail = out.chars().rev();
        if let (Some(a), Some(b)) = (tail.next(), tail.next())
            && a == b
            && a.is_ascii_alphabetic()
            && !matches!(a, 'a' | 'e' | 'i' | 'o' | 'u' | 'l' | 's' | 'z')
        {
            out.pop();
        }
    }
    if out.chars().count() >= 4 && out.ends_with('e') {
        out.pop();
    }
    out
}

/// The lowercase words of `text` (letters and digits; apostrophes dropped, so "mom's" is one
/// word).
pub fn split(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
}

/// A word as typed (lowercase) and its stem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercase, letters and digits only.
    pub raw: String,
    /// [`stem`] of `raw`.
    pub stem: String,
}

/// The words of `text` that say which task is meant, without repeats; all its words when
/// every one is filler.
pub fn content_words(text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut filler: Vec<Word> = Vec::new();
    for raw in split(text) {
        let target = if is_filler(&raw) {
            &mut filler
        } else {
            &mut out
        };
        if !target.iter().any(|w| w.raw == raw) {
            let stem = stem(&raw);
            target.push(Word { raw, stem });
        }
    }
    if out.is_empty() { filler } else { out }
}

/// Optimal-string-alignment distance over characters (insertions, deletions, substitutions
/// and swaps of neighbours), or `None` when it is above `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    // Words are short and mostly ASCII: compare bytes with the rows on the stack, which keeps
    // title matching at a few microseconds per task (BENCHMARKS.md).
    const ROW: usize = 32;
    if a.is_ascii() && b.is_ascii() && b.len() < ROW {
        let mut rows = [[0usize; ROW]; 3];
        let [before, prev, cur] = &mut rows;
        return osa(a.as_bytes(), b.as_bytes(), max, before, prev, cur);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; 3];
    let [before, prev, cur] = rows.as_mut_slice() else {
        return None;
    };
    osa(&a, &b, max, before, prev, cur)
}

/// [`edit_distance`] over any symbols, in rows of at least `b.len() + 1`.
fn osa<'r, T: PartialEq>(
    a: &[T],
    b: &[T],
    max: usize,
    mut before: &'r mut [usize],
    mut prev: &'r mut [usize],
    mut cur: &'r mut [usize],
) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    for (j, p) in prev.iter_mut().enumerate().take(b.len() + 1) {
        *p = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= max)
}

/// Whether `typed` is `word` with one slip of the fingers. Words of five letters or more allow
/// any single edit; shorter ones only a swap of neighbours ("tsak") or a doubled letter
/// ("addd"), because one substituted letter turns too many short words into others ("and" →
/// "add").
pub fn is_slip_of(typed: &str, word: &str) -> bool {
    if typed == word {
        return false;
    }
    let n = word.chars().count();
    if n >= 5 {
        return typed.chars().count() >= 4 && edit_distance(typed, word, 1) == Some(1);
    }
    let t: Vec<char> = typed.chars().collect();
    let w: Vec<char> = word.chars().collect();
    if t.len() == w.len() {
        let diff: Vec<usize> = (0..t.len()).filter(|&i| t[i] != w[i]).collect();
        return diff.len() == 2
            && diff[1] == diff[0] + 1
            && t[diff[0]] == w[diff[1]]
            && t[diff[1]] == w[diff[0]];
    }
    t.len() == w.len() + 1
        && (1..t.len()).any(|i| t[i] == t[i - 1] && t[..i].iter().chain(&t[i + 1..]).eq(w.iter()))
}

/// Similarity of two strings by shared character pairs (Sørensen–Dice), in thousandths; ranks
/// candidates that share no word.
pub fn similarity(a: &str, b: &str) -> u32 {
    let pairs = |s: &str| -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (pa, mut pb) = (pairs(a), pairs(b));
    let total = pa.len() + pb.len();
    if total == 0 {
        return 0;
    }
    let mut shared = 0usize;
    for p in &pa {
        if let Some(i) = pb.iter().position(|q| q == p) {
            pb.swap_remove(i);
            shared += 1;
        }
    }
    u32::try_from(2000 * shared / total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_tables_are_sorted_for_binary_search() {
        assert!(FILLER.windows(2).all(|w| w[0] < w[1]));
        assert!(IRREGULAR.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn stems_meet_across_inflections() {
        for (a, b) in [
            ("called", "call"),
            ("groceries", "grocery"),
            ("shopping", "shop"),
            ("shopped", "shop"),
            ("baked", "bake"),
            ("making", "make"),
            ("made", "make"),
            ("paid", "pay"),
            ("dishes", "dish"),
            ("plants", "plant"),
            ("tidied", "tidy"),
            ("emailed", "email"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
        for (a, b) in [("bus", "bu"), ("glass", "glas"), ("need", "ne")] {
            assert_ne!(stem(a), b, "{a} must keep its ending");
        }
    }

    #[test]
    fn slips_are_one_edit_and_short_words_only_swap_or_double() {
        for (typed, word) in [
            ("delte", "delete"),
            ("compelte", "complete"),
            ("remvoe", "remove"),
            ("tsak", "task"),
            ("shwo", "show"),
            ("addd", "add"),
            ("finsh", "finish"),
        ] {
            assert!(is_slip_of(typed, word), "{typed} → {word}");
        }
        for (typed, word) in [
            ("and", "add"),
            ("mask", "mark"),
            ("delete", "delete"),
            ("dlt", "delete"),
            ("tusk", "task"),
        ] {
            assert!(!is_slip_of(typed, word), "{typed} is not a slip of {word}");
        }
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one() {
        assert_eq!(edit_distance("dentsit", "dentist", 2), Some(1));
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("", "", 0), Some(0));
        // The same answers off the ASCII path.
        assert_eq!(edit_distance("çafé", "çaéf", 1), Some(1));
        assert_eq!(edit_distance(&"x".repeat(40), &"x".repeat(39), 1), Some(1));
    }
}
