//! The old lexicon's verdict on a clause: an anchor ("step by step", "think carefully") and
//! nothing but fillers around it is a directive; anything else is content. The detector reads
//! it as a feature ([`is_lexicon_directive`]); the stripper uses [`clause_kind`] to tell riders
//! from task clauses.
//!
//! Invariant: pure and total.

use std::ops::Range;

use super::directives::{tables, Match, CJK_FILLERS, CJK_VERBS, DETECTOR_VERB, TASK, VERB};
use super::text::{self, is_cjk, is_word_char};

/// Punctuation that may stand in a directive without carrying content.
fn ignorable(c: char) -> bool {
    c.is_whitespace()
        || text::is_terminator(c)
        || text::is_clause_punct(c)
        || matches!(
            c,
            '-' | '(' | ')' | '[' | ']' | '*' | '_' | '#' | '>' | '…' | '~' | '～' | '!' | '\''
        )
}

/// True when the clause `r` holds an anchor and nothing but fillers around it.
pub(crate) fn clause_kind(text: &str, r: &Range<usize>, matches: &[Match], spans: &[Range<usize>]) -> Clause {
    // Directive clauses are short; a long one holds content (and bounds the work below).
    if r.len() > MAX_DIRECTIVE_CLAUSE || text::overlaps(spans, r.start, r.end) {
        return Clause::Content;
    }
    let inside: Vec<&Match> = within(matches, r)
        .iter()
        .filter(|m| m.range.end <= r.end)
        .collect();
    let tokens = scan_tokens(text, r, &inside);
    if !tokens.fillers_only {
        return Clause::Content;
    }
    if inside.is_empty() {
        // Only a subordinate filler ("before answering") rides along with a directive.
        return if tokens.task {
            Clause::Content
        } else {
            Clause::Filler
        };
    }
    if inside.iter().all(|m| m.needs_verb) && !tokens.verb {
        // "Answer step by step": an anchor without a thinking verb is about the output.
        return Clause::Content;
    }
    Clause::Directive
}

/// Longest clause (bytes) that can be a directive.
const MAX_DIRECTIVE_CLAUSE: usize = 320;

/// The matches (sorted by start) that start inside `r`.
fn within<'m>(matches: &'m [Match], r: &Range<usize>) -> &'m [Match] {
    let lo = matches.partition_point(|m| m.range.start < r.start);
    let hi = matches.partition_point(|m| m.range.start < r.end);
    matches.get(lo..hi).unwrap_or(&[])
}

/// What a clause holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clause {
    /// Anything the user might need: removed never.
    Content,
    /// Only filler words ("before answering", "please"): removed only with its sentence.
    Filler,
    /// An anchor plus fillers: removed.
    Directive,
}

struct Tokens {
    /// Every token outside the anchors is a filler, a verb or ignorable punctuation.
    fillers_only: bool,
    verb: bool,
    /// A task word or any CJK text.
    task: bool,
}

fn scan_tokens(text: &str, r: &Range<usize>, inside: &[&Match]) -> Tokens {
    let (ok, verb, task) = scan(text, r, inside);
    Tokens {
        fillers_only: ok,
        verb,
        task,
    }
}

/// (fillers only, some verb, some task word or CJK run).
fn scan(text: &str, r: &Range<usize>, inside: &[&Match]) -> (bool, bool, bool) {
    let mut task = false;
    let t = tables();
    let mut has_verb = false;
    let mut i = r.start;
    let mut lower = String::new();
    let mut first_token = true;
    while i < r.end {
        if let Some(m) = inside.iter().find(|m| m.range.start <= i && i < m.range.end) {
            i = m.range.end;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            return (false, has_verb, task);
        };
        if ignorable(c) {
            i += c.len_utf8();
        } else if is_word_char(c) {
            let end = text::word_end(text, i).min(r.end).max(i + c.len_utf8());
            let word = text.get(i..end).unwrap_or("");
            let flags = t.words.get(word, &mut lower);
            let list_marker = first_token
                && word.len() <= 3
                && word.bytes().all(|b| b.is_ascii_digit())
                && text.get(end..).is_some_and(|s| s.starts_with(['.', ')']));
            first_token = false;
            if list_marker {
                i = end;
                continue;
            }
            task |= flags & TASK != 0;
            match flags {
                f if f & (VERB | DETECTOR_VERB) != 0 => has_verb = true,
                0 => return (false, has_verb, task),
                _ => {}
            }
            i = end;
        } else if is_cjk(c) {
            first_token = false;
            task = true;
            let run_len = text
                .get(i..r.end)
                .unwrap_or("")
                .char_indices()
                .find(|&(_, d)| !is_cjk(d))
                .map_or(r.end - i, |(j, _)| j);
            let run = text.get(i..i + run_len).unwrap_or("");
            let cut = inside
                .iter()
                .map(|m| m.range.start)
                .filter(|&s| s > i && s < i + run_len)
                .min();
            let run = cut.and_then(|s| text.get(i..s)).unwrap_or(run);
            match decompose(run) {
                Some(v) => has_verb |= v,
                None => return (false, has_verb, task),
            }
            i += run.len().max(c.len_utf8());
        } else {
            return (false, has_verb, task);
        }
    }
    (true, has_verb, task)
}

/// Splits a CJK run into fillers and thinking verbs; `Some(has_verb)` when it splits fully.
fn decompose(run: &str) -> Option<bool> {
    let n = run.len();
    // reach[i]: 0 unreachable, 1 reachable, 2 reachable via a verb.
    let mut reach = vec![0u8; n + 1];
    if let Some(r) = reach.get_mut(0) {
        *r = 1;
    }
    for i in 0..n {
        let here = reach.get(i).copied().unwrap_or(0);
        if here == 0 {
            continue;
        }
        let Some(rest) = run.get(i..) else { continue };
        for (w, verb) in CJK_FILLERS
            .iter()
            .map(|w| (w, false))
            .chain(CJK_VERBS.iter().map(|w| (w, true)))
        {
            if rest.starts_with(w) {
                let v = if verb || here == 2 { 2 } else { 1 };
                if let Some(slot) = reach.get_mut(i + w.len()) {
                    *slot = (*slot).max(v);
                }
            }
        }
    }
    match reach.get(n).copied() {
        Some(2) => Some(true),
        Some(1) => Some(false),
        _ => None,
    }
}

/// The lexicon's own verdict on one unit (a detector feature): every sentence holds an
/// anchor and nothing but fillers. `spans` and `matches` are `protected_spans(s)` and
/// `find_anchors(s, spans)`, which the detector has already.
pub(crate) fn is_lexicon_directive(s: &str, spans: &[Range<usize>], matches: &[Match]) -> bool {
    let sents = text::sentences(s, spans);
    !sents.is_empty()
        && sents.iter().all(|sen| {
            text::clauses(s, sen.clone(), spans)
                .iter()
                .map(|c| clause_kind(s, c, matches, spans))
                .fold((true, false), |(ok, any), k| {
                    (ok && k != Clause::Content, any || k == Clause::Directive)
                })
                == (true, true)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_table() {
        assert_eq!(decompose("생각해"), Some(true));
        assert_eq!(decompose("보세요"), Some(false));
        assert_eq!(decompose("설치"), None);
        assert_eq!(decompose(""), Some(false));
    }
}
