//! Phrase lists matched in one pass: every list of a group (the keep guards' lowercase
//! substrings, the CJK cues) is compiled once, behind a `LazyLock`, into one Aho-Corasick
//! automaton, so a unit is scanned once for all of them instead of once per phrase (a
//! `str::contains` per entry). The lists stay plain `&[&str]` constants: adding a phrase to
//! one is a one-line edit.
//!
//! Same answers as the per-phrase scans they replace: a phrase "occurs" exactly where
//! `str::contains` finds it, and occurrences are reported as `str::match_indices` gives them
//! for each phrase (left to right, non-overlapping), so rules that look at the text around an
//! occurrence (word boundaries) see the same occurrences.
//!
//! Invariant: pure and total; building never fails at run time (an automaton that cannot be
//! built falls back to the same scans done phrase by phrase).

use aho_corasick::{AhoCorasick, MatchKind};

/// Lists compiled together: each distinct phrase carries the bits of the lists holding it.
pub(crate) struct Lists {
    ac: Option<AhoCorasick>,
    phrases: Vec<&'static str>,
    bits: Vec<u32>,
    /// The phrase can overlap itself ("aba" in "ababa"): its later occurrences are filtered as
    /// `match_indices` would skip them.
    self_overlap: Vec<bool>,
}

/// A proper prefix of `p` is also its suffix.
fn overlaps_itself(p: &str) -> bool {
    (1..p.len()).any(|k| p.is_char_boundary(k) && p.ends_with(p.get(..k).unwrap_or("")))
}

impl Lists {
    /// Compiles `(list, bit)` pairs (a phrase in several lists gets every list's bit).
    pub(crate) fn new(lists: &[(&[&'static str], u32)]) -> Lists {
        let mut phrases: Vec<&'static str> = Vec::new();
        let mut bits: Vec<u32> = Vec::new();
        for (list, bit) in lists {
            for p in list.iter().filter(|p| !p.is_empty()) {
                match phrases.iter().position(|q| q == p) {
                    Some(i) => {
                        if let Some(b) = bits.get_mut(i) {
                            *b |= bit;
                        }
                    }
                    None => {
                        phrases.push(p);
                        bits.push(*bit);
                    }
                }
            }
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .ok();
        let self_overlap = phrases.iter().map(|p| overlaps_itself(p)).collect();
        Lists {
            ac,
            phrases,
            bits,
            self_overlap,
        }
    }

    /// Some phrase occurs in `hay` (`list.iter().any(|p| hay.contains(p))`).
    pub(crate) fn any_in(&self, hay: &str) -> bool {
        match &self.ac {
            Some(ac) => ac.is_match(hay),
            None => self.phrases.iter().any(|p| hay.contains(p)),
        }
    }

    /// Calls `f(bits, start, end)` for each occurrence of each phrase in `hay`, as
    /// `match_indices` reports them per phrase; stops when `f` returns true.
    pub(crate) fn each(&self, hay: &str, mut f: impl FnMut(u32, usize, usize) -> bool) {
        let Some(ac) = &self.ac else {
            for (p, bits) in self.phrases.iter().zip(&self.bits) {
                for (at, m) in hay.match_indices(p) {
                    if f(*bits, at, at + m.len()) {
                        return;
                    }
                }
            }
            return;
        };
        let Ok(iter) = ac.try_find_overlapping_iter(hay) else {
            return;
        };
        // (phrase, end of its last reported occurrence) for phrases that overlap themselves.
        let mut last: Vec<(usize, usize)> = Vec::new();
        for m in iter {
            let id = m.pattern().as_usize();
            if self.self_overlap.get(id).copied().unwrap_or(false) {
                match last.iter_mut().find(|(p, _)| *p == id) {
                    Some((_, end)) if m.start() < *end => continue,
                    Some((_, end)) => *end = m.end(),
                    None => last.push((id, m.end())),
                }
            }
            if f(self.bits.get(id).copied().unwrap_or(0), m.start(), m.end()) {
                return;
            }
        }
    }
}

/// An exact-match word set for lists compared word by word. Hand-rolled (a sorted `Vec` and a
/// binary search, ~8 short comparisons for a list of 200) rather than a hashing crate; it
/// replaced a linear scan of the list per word, not measured apart from the rest of the step
/// (`thinking_signal`, `directive_signal`; see BENCHMARKS.md, branch rewrite-cost).
pub(crate) struct WordSet(Vec<&'static str>);

impl WordSet {
    /// The words of `list` that are not in `except`.
    pub(crate) fn new(list: &[&'static str], except: &[&'static str]) -> WordSet {
        let mut v: Vec<&'static str> = list.iter().copied().filter(|w| !except.contains(w)).collect();
        v.sort_unstable();
        v.dedup();
        WordSet(v)
    }

    pub(crate) fn contains(&self, w: &str) -> bool {
        self.0.binary_search(&w).is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every (phrase, occurrence) the automaton reports is what `match_indices` gives, on
    /// texts with overlapping, repeated and self-overlapping phrases and non-ASCII text.
    #[test]
    fn occurrences_equal_match_indices() {
        let a: &[&str] = &["aba", "ab", "b", "über", "ü", "步", "一步"];
        let b: &[&str] = &["ab", "xyz", "een"];
        let lists = Lists::new(&[(a, 1), (b, 2)]);
        for hay in [
            "",
            "ababababa",
            "xababyz über übera",
            "一步一步",
            "abab een eeneen",
            "zzz",
        ] {
            let mut got = Vec::new();
            lists.each(hay, |bits, s, e| {
                got.push((hay[s..e].to_string(), s, bits));
                false
            });
            let mut want = Vec::new();
            for (list, bit) in [(a, 1u32), (b, 2)] {
                for p in list {
                    for (at, m) in hay.match_indices(p) {
                        let bits = if a.contains(p) { 1 } else { 0 } | if b.contains(p) { 2 } else { 0 };
                        want.push((m.to_string(), at, bits));
                    }
                }
                let _ = bit;
            }
            got.sort();
            want.sort();
            want.dedup();
            assert_eq!(got, want, "{hay}");
            assert_eq!(
                lists.any_in(hay),
                a.iter().chain(b).any(|p| hay.contains(p)),
                "{hay}"
            );
        }
        assert!(overlaps_itself("aba") && !overlaps_itself("ab") && !overlaps_itself("b"));
    }

    #[test]
    fn word_set() {
        let s = WordSet::new(&["your", "best", "tu", "best"], &["your"]);
        assert!(s.contains("best") && s.contains("tu") && !s.contains("your") && !s.contains(""));
    }
}
