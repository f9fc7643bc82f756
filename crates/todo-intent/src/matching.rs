//! Which task a phrase names. Filler and punctuation are ignored; candidates are ranked by
//! word overlap (equal stems), then by prefixes and typos. A task is only chosen when it
//! matches every word of the phrase and nothing else matches as well; otherwise the caller asks.

use crate::words::{self, Word};

/// A task as a listing shows it: what a phrase may name, and what a [`Reply`](crate::Reply)
/// lists or asks about.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Task id.
    pub id: i64,
    /// Title.
    pub title: &'a str,
    /// Whether it is done.
    pub completed: bool,
}

/// What a phrase names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// This task, clearly.
    One(i64),
    /// These match equally well (in list order): ask which one.
    Tied(Vec<i64>),
    /// None matches the whole phrase; the closest ones, best first (empty: no task at all).
    Closest(Vec<i64>),
}

/// How many close tasks a miss names.
const CLOSEST: usize = 3;

/// How well one phrase word meets a title word, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Meet {
    None,
    Typo,
    Prefix,
    Equal,
}

fn meet(want: &Word, have: &Word) -> Meet {
    if want.stem == have.stem {
        return Meet::Equal;
    }
    let prefix = |a: &str, b: &str| {
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        short.chars().count() >= 3 && long.starts_with(short)
    };
    // The words as typed are worth a second look only where they differ from the stems.
    let raws_differ = want.raw != want.stem || have.raw != have.stem;
    if prefix(&want.stem, &have.stem) || (raws_differ && prefix(&want.raw, &have.raw)) {
        return Meet::Prefix;
    }
    // Typos are looked for in the words as typed too: "grocereis" is one swap from
    // "groceries" but far from its stem "grocery".
    let typo = |a: &str, b: &str| {
        let (na, nb) = (a.chars().count(), b.chars().count());
        let allowed = if na.max(nb) >= 8 { 2 } else { 1 };
        na.min(nb) >= 4 && words::edit_distance(a, b, allowed).is_some()
    };
    if typo(&want.stem, &have.stem) || (raws_differ && typo(&want.raw, &have.raw)) {
        return Meet::Typo;
    }
    Meet::None
}

/// A candidate's standing: compared field by field, greater is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    /// Phrase words met in any way.
    met: usize,
    /// Phrase words met by an equal stem.
    equal: usize,
    /// Phrase words met by a prefix.
    prefix: usize,
    /// Every title word was met too (the phrase is the whole title).
    whole: bool,
    /// Character-pair similarity of the raw texts, for ranking misses (only computed then).
    similarity: u32,
}

fn score(want: &[Word], title: &str) -> Score {
    let have = words::content_words(title);
    let mut s = Score {
        met: 0,
        equal: 0,
        prefix: 0,
        whole: false,
        similarity: 0,
    };
    let mut title_met = vec![false; have.len()];
    for w in want {
        let best = have
            .iter()
            .enumerate()
            .map(|(i, h)| (meet(w, h), i))
            .max_by_key(|(m, i)| (*m, std::cmp::Reverse(*i)));
        if let Some((m, i)) = best
            && m != Meet::None
        {
            s.met += 1;
            title_met[i] = true;
            match m {
                Meet::Equal => s.equal += 1,
                Meet::Prefix => s.prefix += 1,
                _ => {}
            }
        }
    }
    s.whole = title_met.iter().all(|m| *m);
    s
}

/// The task `phrase` names among `tasks`. With `prefer_pending`, a pending task wins a tie
/// against completed ones (completing a task means one that is not done yet).
pub fn find(phrase: &str, tasks: &[Candidate<'_>], prefer_pending: bool) -> Found {
    let lowered: Vec<char> = phrase.trim().chars().flat_map(char::to_lowercase).collect();
    let same_title: Vec<&Candidate<'_>> = tasks
        .iter()
        .filter(|t| {
            t.title
                .trim()
                .chars()
                .flat_map(char::to_lowercase)
                .eq(lowered.iter().copied())
        })
        .collect();
    if !same_title.is_empty() {
        return pick(same_title, prefer_pending);
    }
    let want = words::content_words(phrase);
    let mut scored: Vec<(Score, &Candidate<'_>)> =
        tasks.iter().map(|t| (score(&want, t.title), t)).collect();
    let full = |s: &Score| !want.is_empty() && s.met == want.len();
    let best = scored
        .iter()
        .filter(|(s, _)| full(s))
        .map(|(s, _)| (s.equal, s.prefix, s.whole))
        .max();
    if let Some(best) = best {
        let top: Vec<&Candidate<'_>> = scored
            .iter()
            .filter(|(s, _)| full(s) && (s.equal, s.prefix, s.whole) == best)
            .map(|(_, t)| *t)
            .collect();
        return pick(top, prefer_pending);
    }
    for (s, t) in &mut scored {
        s.similarity = words::similarity(phrase, t.title);
    }
    // Best first; the list order (oldest first) breaks ties, so answers do not vary.
    scored.sort_by(|(a, ta), (b, tb)| b.cmp(a).then(ta.id.cmp(&tb.id)));
    let any_word = scored.iter().any(|(s, _)| s.met > 0);
    Found::Closest(
        scored
            .iter()
            .filter(|(s, _)| {
                if any_word {
                    s.met > 0
                } else {
                    s.similarity > 0
                }
            })
            .take(CLOSEST)
            .map(|(_, t)| t.id)
            .collect(),
    )
}

fn pick(mut top: Vec<&Candidate<'_>>, prefer_pending: bool) -> Found {
    if prefer_pending && top.iter().any(|t| !t.completed) {
        top.retain(|t| !t.completed);
    }
    match top.as_slice() {
        [one] => Found::One(one.id),
        _ => Found::Tied(top.iter().map(|t| t.id).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks() -> Vec<Candidate<'static>> {
        [
            (1, "Call the dentist", false),
            (2, "Buy groceries", false),
            (3, "Write quarterly report", false),
            (4, "Read the report draft", false),
            (5, "Buy milk", true),
            (6, "Buy milkshake powder", false),
            (7, "Report", false),
        ]
        .into_iter()
        .map(|(id, title, completed)| Candidate {
            id,
            title,
            completed,
        })
        .collect()
    }

    fn check(phrase: &str, prefer_pending: bool, want: Found) {
        assert_eq!(find(phrase, &tasks(), prefer_pending), want, "{phrase:?}");
    }

    #[test]
    fn ranks_word_overlap_then_prefix_then_typo() {
        check("the dentist one", false, Found::One(1));
        check("about the dentist", false, Found::One(1));
        check("groceries thing", false, Found::One(2));
        check("called the dentist", false, Found::One(1));
        check("dentsit", false, Found::One(1));
        check("grocereis", false, Found::One(2));
        check("quarterly", false, Found::One(3));
        // Equal stem beats a prefix: "milk" is Buy milk, not the milkshake.
        check("milk", false, Found::One(5));
        check("milks", false, Found::One(5));
        // The whole title beats a longer one that also contains the word.
        check("report", false, Found::One(7));
        check("the REPORT!", false, Found::One(7));
        check("report draft", false, Found::One(4));
    }

    #[test]
    fn equal_matches_are_a_tie_not_a_guess() {
        check("buy", false, Found::Tied(vec![2, 5, 6]));
        check("buy", true, Found::Tied(vec![2, 6]));
        check("buy milk", false, Found::One(5));
    }

    #[test]
    fn a_miss_names_the_closest() {
        check("dentist appointment", false, Found::Closest(vec![1]));
        check("call mom", false, Found::Closest(vec![1]));
        let Found::Closest(ids) = find("unicorn", &tasks(), false) else {
            panic!("a miss")
        };
        assert!(ids.len() <= CLOSEST);
        assert_eq!(find("anything", &[], false), Found::Closest(vec![]));
    }
}
