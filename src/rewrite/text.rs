//! Text scanning shared by the directive stripper and the goal-form sectioner: protected spans
//! (code fences, inline code, quotes), sentence and clause segmentation, case/width folding and
//! whitespace-tolerant phrase matching, and removal with whitespace tidying.
//!
//! Invariant: pure and total. Every function works on byte ranges that lie on `char` boundaries
//! of the text it was given, uses only checked slicing (`get`), and never panics; text inside a
//! protected span is never split, matched or altered.

use std::ops::Range;

/// Sorted, non-overlapping byte ranges that must be kept verbatim: ```` ``` ```` fences,
/// `` `inline` `` code and quoted text (`"…"`, `“…”`, `„…“`, `「…」`, `『…』`, `«…»`).
/// An unterminated fence or quote protects the rest of the text (when in doubt, keep).
pub(crate) fn protected_spans(text: &str) -> Vec<Range<usize>> {
    spans_of(text, true)
}

/// [`protected_spans`] without single-quoted quotations, as the shipped detector's training
/// split its task sentences into clauses (`train`): the model stays exactly what the trainer
/// writes from the same data.
pub(crate) fn protected_spans_as_trained(text: &str) -> Vec<Range<usize>> {
    spans_of(text, false)
}

fn spans_of(text: &str, single: bool) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    // Before this offset a single quote opens nothing (see `close_single`).
    let mut no_single_until = 0;
    while i < text.len() {
        // Openers are '`', '"' or start with one of these lead bytes; skip everything else.
        match bytes.get(i..).and_then(next_opener_byte) {
            Some(p) => i += p,
            None => break,
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        let after = i + c.len_utf8();
        let end = match c {
            '`' if bytes.get(i..i + 3) == Some(b"```") => {
                find_from(text, i + 3, "```").map(|p| p + 3).unwrap_or(text.len())
            }
            '`' => match find_inline_close(text, after) {
                Some(p) => p + 1,
                None => {
                    i = after;
                    continue;
                }
            },
            '"' => close(text, after, '"'),
            '“' => close(text, after, '”'),
            '„' => close(text, after, '“'),
            '「' => close(text, after, '」'),
            '『' => close(text, after, '』'),
            '«' => close(text, after, '»'),
            // A single quote opens material only after a space, a line start, a colon or a
            // bracket, and only when it closes in the same paragraph; an apostrophe inside a
            // word ("Let's", "l’étape") neither opens nor closes one.
            // Once an opener fails to close in a paragraph, every later one there fails too
            // (its closers were the earlier one's): single quotes are literal to the
            // paragraph's end, so no opener rescans it.
            '\'' | '‘' if single && i >= no_single_until && opens_single(text, i) => {
                match close_single(text, after) {
                    Ok(end) => end,
                    Err(para_end) => {
                        no_single_until = para_end;
                        i = after;
                        continue;
                    }
                }
            }
            _ => {
                i = after;
                continue;
            }
        };
        spans.push(i..end);
        i = end.max(after);
    }
    spans
}

/// Byte classes for the hot loops (one table load instead of a chain of range checks).
pub(crate) const ALNUM: u8 = 1;
/// Bytes where sentence scanning must look: line break, terminators, quote/backtick openers
/// and every non-ASCII byte.
pub(crate) const SENT_STOP: u8 = 2;

// Evaluated at compile time: an out-of-range index would fail the build, not a request.
#[allow(clippy::indexing_slicing)]
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            t[b] |= ALNUM;
        }
        if matches!(c, b'\n' | b'.' | b'!' | b'?' | b'`' | b'"' | b'\'') || c >= 0x80 {
            t[b] |= SENT_STOP;
        }
        b += 1;
    }
    t
};

/// The class bits of byte `b`.
#[inline]
pub(crate) fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// True for ASCII letters and digits.
#[inline]
pub(crate) fn ascii_alnum(b: &u8) -> bool {
    class(*b) & ALNUM != 0
}

/// Offset of the first byte that may open a protected span: '`', '"' or the lead byte of
/// `“ „ « 「 『` (0xC2, 0xE2, 0xE3). Eight bytes at a time while they are plain ASCII.
fn next_opener_byte(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_byte = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        y.wrapping_sub(ONES) & !y & HIGH != 0
    };
    let mut i = 0;
    for chunk in rest.chunks_exact(8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        if x & HIGH != 0 || has_byte(x, b'`') || has_byte(x, b'"') || has_byte(x, b'\'') {
            break;
        }
        i += 8;
    }
    rest.get(i..)?
        .iter()
        .position(|b| matches!(b, b'`' | b'"' | b'\'' | 0xC2 | 0xE2 | 0xE3))
        .map(|p| p + i)
}

/// A single quote at `i` may open a quotation: it follows the start of the text, whitespace,
/// a colon or an opening bracket or dash, and a non-space character follows it.
fn opens_single(text: &str, i: usize) -> bool {
    let before = text.get(..i).and_then(|h| h.chars().next_back());
    let after = text.get(i..).and_then(|r| r.chars().nth(1));
    before.is_none_or(|b| b.is_whitespace() || matches!(b, ':' | '：' | '(' | '[' | '—' | '–'))
        && after.is_some_and(|a| !a.is_whitespace())
}

/// The end (past the closer) of a single-quoted quotation opened before `from`: the first
/// closing quote ('\'' or '’') after a non-space character and before a non-word character or
/// the end, in the same paragraph; when that one is an "s'" before a space and a lowercase
/// word (a plural possessive: "Read the users' tickets."), the paragraph's last valid closer.
/// `Err` with the paragraph's end (its blank line, or the end of the text) when there is none.
/// Scans only up to the closer or the paragraph's end.
fn close_single(text: &str, from: usize) -> Result<usize, usize> {
    let Some(rest) = text.get(from..) else {
        return Err(text.len());
    };
    // After a plural possessive that may close nothing ("the users' tickets"): the last valid
    // closer seen so far.
    let mut possessive: Option<usize> = None;
    for (k, q) in rest.match_indices(['\'', '’', '\n']) {
        if q == "\n" {
            if rest.get(k + 1..).is_some_and(|r| r.starts_with('\n')) {
                return possessive.ok_or(from + k);
            }
            continue;
        }
        let prev = rest.get(..k).and_then(|h| h.chars().next_back());
        let after = rest.get(k + q.len()..).unwrap_or("");
        let next = after.chars().next();
        if prev.is_some_and(|p| !p.is_whitespace()) && next.is_none_or(|n| !is_word_char(n)) {
            let end = from + k + q.len();
            if possessive.is_some() {
                possessive = Some(end);
                continue;
            }
            // "s'" then a space and a lowercase word: a plural possessive, unless no later
            // closer is in the paragraph (then it closes).
            let mut tail = after.chars();
            if matches!(prev, Some('s' | 'S'))
                && tail.next() == Some(' ')
                && tail.next().is_some_and(char::is_lowercase)
            {
                possessive = Some(end);
                continue;
            }
            return Ok(end);
        }
    }
    possessive.ok_or(text.len())
}

fn find_from(text: &str, from: usize, pat: &str) -> Option<usize> {
    text.get(from..).and_then(|s| s.find(pat)).map(|p| p + from)
}

fn close(text: &str, from: usize, closer: char) -> usize {
    text.get(from..)
        .and_then(|s| s.find(closer))
        .map(|p| p + from + closer.len_utf8())
        .unwrap_or(text.len())
}

/// Inline code closes on the same line; otherwise the backtick is literal.
fn find_inline_close(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    match rest.find(['`', '\n']) {
        Some(p) if rest.get(p..).is_some_and(|r| r.starts_with('`')) => Some(p + from),
        _ => None,
    }
}

/// Longest prefix of `s` no longer than `max` bytes, on a char boundary (the classifier's).
pub(crate) use crate::classify::text::head_str as head;

/// The protected span containing byte `pos`, if any.
pub(crate) fn span_at(spans: &[Range<usize>], pos: usize) -> Option<&Range<usize>> {
    let idx = spans.partition_point(|s| s.end <= pos);
    spans.get(idx).filter(|s| s.start <= pos)
}

/// True when `[start, end)` overlaps a protected span.
pub(crate) fn overlaps(spans: &[Range<usize>], start: usize, end: usize) -> bool {
    let idx = spans.partition_point(|s| s.end <= start);
    spans.get(idx).is_some_and(|s| s.start < end)
}

/// Emoji and pictographs (🙏, 💪, 😊, ✨) and the joiners inside emoji sequences.
pub(crate) fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D)
}

pub(crate) fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
}

fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？')
}

/// Clause boundary punctuation.
pub(crate) fn is_clause_punct(c: char) -> bool {
    matches!(c, ',' | ';' | ':' | '，' | '、' | '；' | '：' | '—' | '–')
}

pub(crate) use crate::script::{is_cjk, is_word_char};

/// Case, width and apostrophe folding used for all matching.
pub(crate) fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if is_cjk(c) {
        return c;
    }
    match c {
        '’' | '‘' | 'ʼ' => '\'',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).map_or(c, |a| a.to_ascii_lowercase()),
        _ if c.is_uppercase() => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(a), None) => a,
                _ => c,
            }
        }
        _ => c,
    }
}

/// Matches the folded pattern `pat` at byte `pos` of `text`; a space in the pattern matches one
/// or more whitespace characters or hyphens. Returns the end byte of the match.
pub(crate) fn match_at(text: &str, pos: usize, pat: &str) -> Option<usize> {
    let rest = text.get(pos..)?;
    let mut it = rest.char_indices().peekable();
    let mut end = 0;
    for pc in pat.chars() {
        if pc == ' ' {
            let mut n = 0;
            while let Some(&(i, c)) = it.peek() {
                if c.is_whitespace() || c == '-' || c == '‐' {
                    end = i + c.len_utf8();
                    n += 1;
                    it.next();
                } else {
                    break;
                }
            }
            if n == 0 {
                return None;
            }
        } else {
            let (i, c) = it.next()?;
            if fold(c) != pc {
                return None;
            }
            end = i + c.len_utf8();
        }
    }
    Some(pos + end)
}

/// Sentence ranges (trimmed, terminator included) in document order. Sentences end at `.`/`!`/
/// `?` followed by whitespace or end, at CJK terminators, and at line breaks; never inside a
/// protected span.
pub(crate) fn sentences(text: &str, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut span_idx = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(s) = spans.get(span_idx).filter(|s| s.start <= i) {
            let fence = bytes.get(s.start..s.start + 3) == Some(b"```");
            if fence {
                // A code fence is a block of its own: it ends the sentence before it.
                if let Some(st) = start.take() {
                    push_trimmed(text, st, i, &mut out);
                }
            }
            start.get_or_insert(i);
            i = s.end.max(i + 1);
            span_idx += 1;
            // So does a fence, or a quote whose text ends a sentence ("... it." / 。」), when
            // followed by a space or by CJK text.
            let next = text.get(i..).and_then(|r| r.chars().next());
            // ("... parfait. »": spaces before the closer do not count.)
            let closes = fence
                || text.get(..i).is_some_and(|h| {
                    let mut back = h.chars().rev();
                    let _closer = back.next();
                    back.find(|c| !c.is_whitespace()).is_some_and(is_terminator)
                });
            if closes && next.is_none_or(|c| c.is_whitespace() || is_cjk(c)) {
                if let Some(st) = start.take() {
                    push_trimmed(text, st, i, &mut out);
                }
            }
            continue;
        }
        if b == b'\n' {
            if let Some(s) = start.take() {
                push_trimmed(text, s, i, &mut out);
            }
            i += 1;
            continue;
        }
        if start.is_some() && b.is_ascii() && !matches!(b, b'.' | b'!' | b'?' | b'`' | b'"' | b'\'') {
            i += bytes.get(i..).map_or(1, |rest| {
                rest.iter()
                    .position(|b| class(*b) & SENT_STOP != 0)
                    .unwrap_or(rest.len())
            });
            continue;
        }
        let (c, len) = if b.is_ascii() {
            (char::from(b), 1)
        } else {
            match text.get(i..).and_then(|s| s.chars().next()) {
                Some(c) => (c, c.len_utf8()),
                None => (char::REPLACEMENT_CHARACTER, 1),
            }
        };
        if start.is_none() && !c.is_whitespace() {
            start = Some(i);
        }
        let term_at = i;
        i += len;
        // An emoji followed by a space ends a sentence too ("You got this 💪 Round it.").
        let emoji_end = is_emoji(c)
            && text
                .get(i..)
                .and_then(|s| s.chars().next())
                .is_none_or(char::is_whitespace);
        if !is_terminator(c) && !emoji_end {
            continue;
        }
        let mut end = i;
        while let Some(d) = text.get(end..).and_then(|s| s.chars().next()) {
            let in_span = spans.get(span_idx).is_some_and(|s| s.start <= end);
            if !in_span && (is_terminator(d) || is_emoji(d) || matches!(d, ')' | ']' | '*' | '_')) {
                end += d.len_utf8();
            } else if d == ' '
                && !in_span
                && text
                    .get(end..)
                    .is_some_and(|r| r.trim_start_matches(' ').starts_with(is_emoji))
            {
                // Emoji after the terminator belong to the sentence they close.
                end += 1;
            } else {
                break;
            }
        }
        i = end;
        let next = text.get(end..).and_then(|s| s.chars().next());
        // "2. Do x" (also after a colon: "these offers: 1. Remote") is a list marker.
        let marker = c == '.'
            && start.and_then(|s| text.get(s..term_at)).is_some_and(|t| {
                let digits = t.bytes().rev().take_while(u8::is_ascii_digit).count();
                let head = t.get(..t.len() - digits).unwrap_or("").trim_end();
                (1..=3).contains(&digits) && (head.is_empty() || head.ends_with(':') || ordinal_context(head))
            });
        // A single full stop standing alone after a space is a word ("COPY . .", "rsync -a .
        // /srv") unless a capital follows it ("Breathe . Which is ..."); a spaced run of them
        // (" ...") ends the sentence like any other.
        let lone_dot = c == '.'
            && text
                .get(..term_at)
                .and_then(|h| h.chars().next_back())
                .is_some_and(char::is_whitespace)
            && text.get(term_at..end) == Some(".")
            && text
                .get(end..)
                .and_then(|r| r.trim_start().chars().next())
                .is_some_and(|d| !d.is_uppercase());
        if marker
            || lone_dot
            || c == '.'
                && start
                    .and_then(|s| text.get(s..term_at))
                    .is_some_and(ends_with_title)
        {
            continue;
        }
        if is_cjk_terminator(c) || next.is_none_or(char::is_whitespace) {
            if let Some(s) = start.take() {
                push_trimmed(text, s, end, &mut out);
            }
        }
    }
    if let Some(s) = start {
        push_trimmed(text, s, text.len(), &mut out);
    }
    split_run_ons(text, spans, out)
}

/// Titles abbreviated with a full stop before a name ("Dr. House", "Prof. Weber", "Mme. Curie").
const TITLES: &[&str] = &[
    "Dr", "Mr", "Mrs", "Ms", "Prof", "Sr", "Sra", "Dra", "Mme", "Mlle", "Hr",
];

/// `head` (a sentence up to a full stop) ends with a [`TITLES`] word.
fn ends_with_title(head: &str) -> bool {
    let word = head
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    TITLES.contains(&word)
}

/// Words after which "10." is an ordinal, not a sentence end ("der 10. Klasse", "am 3. Mai").
#[rustfmt::skip]
const ORDINAL_BEFORE: &[&str] = &[
    "der", "die", "das", "dem", "den", "des", "am", "im", "vom", "zum", "zur", "bis", "ab", "seit",
    "ins", "beim", "jeder", "jedem", "jede", "seiner", "seinem", "ihrer", "ihrem", "unserer",
    "unserem", "meiner", "meinem",
];

/// The text before a number ends with a German article or preposition.
fn ordinal_context(head: &str) -> bool {
    let word = head.rsplit(|c: char| !is_word_char(c)).next().unwrap_or("");
    head.ends_with(|c: char| c.is_alphabetic()) && ORDINAL_BEFORE.iter().any(|w| word.eq_ignore_ascii_case(w))
}

/// Capitalised words that open a new sentence even when the one before lacks its full stop
/// ("... $30k relocation First list the pros ...").
#[rustfmt::skip]
const OPENERS: &[&str] = &[
    "First", "Then", "Next", "Finally", "Please", "Now", "Afterwards", "Primero", "Luego",
    "Después", "Finalmente", "D'abord", "Ensuite", "Puis", "Enfin", "Zuerst", "Dann", "Danach",
    "Anschließend", "Bitte", "Zuletzt",
];

/// Sentence-final particles after which a wave dash ends the sentence ("别跳步哦～用一个例子").
const WAVE_PARTICLES: &[char] = &[
    '哦', '呀', '啊', '吧', '呢', '啦', '嘛', '噢', '哈', 'ね', 'よ', 'な', 'わ', 'ぞ', 'さ', '요', '야',
    '지', '해', '줘',
];

/// Splits run-on sentences: before an [`OPENERS`] word that follows a lowercase word or a
/// number without punctuation, and after a wave dash that follows a sentence-final particle.
/// Looks only at spaces before an ASCII capital and at wave dashes (one pass over the bytes).
fn split_run_ons(text: &str, spans: &[Range<usize>], sents: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(sents.len());
    for s in sents {
        let mut start = s.start;
        for i in s.start..s.end {
            let at = match bytes.get(i) {
                Some(b' ') if bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase) => {
                    let prev_ok = text
                        .get(..i)
                        .and_then(|h| h.chars().next_back())
                        .is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
                    // (The openers are compared only after a lowercase word or a number.)
                    let opener = || {
                        text.get(i + 1..s.end).is_some_and(|r| {
                            OPENERS.iter().any(|o| {
                                r.starts_with(o)
                                    && r.get(o.len()..)
                                        .and_then(|t| t.chars().next())
                                        .is_some_and(|d| d == ' ' || d == ',')
                            })
                        })
                    };
                    (prev_ok && opener()).then_some(i + 1)
                }
                Some(0xEF | 0xE3) => {
                    let rest = text.get(i..s.end).unwrap_or("");
                    let wave = rest.starts_with(['～', '〜'])
                        && text
                            .get(..i)
                            .and_then(|h| h.chars().next_back())
                            .is_some_and(|p| WAVE_PARTICLES.contains(&p))
                        && rest.chars().nth(1).is_some_and(is_cjk);
                    wave.then_some(i + 3)
                }
                _ => None,
            };
            let Some(at) = at else { continue };
            let two_before = text.get(start..i).is_some_and(|t| t.chars().nth(1).is_some());
            if two_before && span_at(spans, i).is_none() {
                push_trimmed(text, start, at, &mut out);
                start = at;
            }
        }
        push_trimmed(text, start, s.end, &mut out);
    }
    out
}

/// The spans lying inside `[start, end)`, shifted to be relative to `start`.
pub(crate) fn spans_within(spans: &[Range<usize>], start: usize, end: usize) -> Vec<Range<usize>> {
    let lo = spans.partition_point(|s| s.start < start);
    let hi = spans.partition_point(|s| s.start < end);
    spans
        .get(lo..hi)
        .unwrap_or(&[])
        .iter()
        .filter(|s| s.end <= end)
        .map(|s| s.start - start..s.end - start)
        .collect()
}

fn push_trimmed(text: &str, s: usize, e: usize, out: &mut Vec<Range<usize>>) {
    if let Some(t) = text.get(s..e) {
        let lead = t.len() - t.trim_start().len();
        let trimmed = t.trim();
        if !trimmed.is_empty() {
            out.push(s + lead..s + lead + trimmed.len());
        }
    }
}

/// Words that join two clauses; a clause may be removed together with the connector before it.
#[rustfmt::skip]
const CONNECTORS: &[&str] = &[
    "and", "then", "y", "luego", "et", "puis", "ensuite", "und", "dann", "danach",
];
#[rustfmt::skip]
const CJK_CONNECTORS: &[&str] = &[
    "然后", "并且", "接着", "그리고", "그 다음", "そして", "それから",
];

/// Verb endings that join two clauses in Korean and Japanese; they stay with the left clause.
#[rustfmt::skip]
const CJK_CLAUSE_ENDS: &[&str] = &[
    "해서 ", "하고 ", "한 후 ", "한 후에 ", "한 다음 ", "한 뒤 ", "해 보고 ", "てから", "た上で",
];

/// Clause content ranges of a sentence: split at clause punctuation and connector words
/// outside protected spans; each range is trimmed, excludes leading connectors and the final
/// sentence terminator, and is non-empty.
pub(crate) fn clauses(text: &str, sentence: Range<usize>, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut cur_start = sentence.start;
    let mut i = sentence.start;
    while i < sentence.end {
        if let Some(s) = span_at(spans, i) {
            i = s.end.max(i + 1);
            continue;
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        let next = i + c.len_utf8();
        if is_clause_punct(c) {
            push_clause(text, cur_start, i, spans, &mut out);
            cur_start = next;
        } else if is_cjk(c) {
            // Connective endings close a clause ("생각해서 설명해", "考えてから答えて").
            let rest = text.get(i..sentence.end).unwrap_or("");
            if let Some(k) = CJK_CLAUSE_ENDS.iter().find(|k| rest.starts_with(*k)) {
                push_clause(text, cur_start, i + k.len(), spans, &mut out);
                cur_start = i + k.len();
                i = cur_start;
                continue;
            }
        } else if is_word_char(c) && (i == sentence.start || !prev_is_word(text, i)) {
            let word_end = word_end(text, i);
            let is_conn = text
                .get(i..word_end)
                .is_some_and(|w| CONNECTORS.iter().any(|k| w.eq_ignore_ascii_case(k)));
            if is_conn {
                push_clause(text, cur_start, i, spans, &mut out);
                cur_start = word_end;
            }
            i = word_end.max(next);
            continue;
        }
        i = next;
    }
    push_clause(text, cur_start, sentence.end, spans, &mut out);
    out
}

fn prev_is_word(text: &str, i: usize) -> bool {
    text.get(..i)
        .and_then(|s| s.chars().next_back())
        .is_some_and(is_word_char)
}

#[inline]
pub(crate) fn word_end(text: &str, i: usize) -> usize {
    let bytes = text.as_bytes();
    let mut end = i;
    // ASCII fast path.
    while bytes.get(end).is_some_and(ascii_alnum) {
        end += 1;
    }
    match bytes.get(end) {
        Some(b) if !b.is_ascii() || *b == b'\'' => {}
        _ => return end,
    }
    let mut chars = text.get(end..).unwrap_or("").char_indices().peekable();
    let base = end;
    while let Some((j, c)) = chars.next() {
        let apostrophe =
            matches!(c, '\'' | '’') && chars.peek().is_some_and(|&(_, d)| is_word_char(d)) && base + j > i;
        if is_word_char(c) || apostrophe {
            end = base + j + c.len_utf8();
        } else {
            break;
        }
    }
    end
}

fn push_clause(text: &str, s: usize, e: usize, spans: &[Range<usize>], out: &mut Vec<Range<usize>>) {
    let Some(raw) = text.get(s..e) else { return };
    let lead = raw.len() - raw.trim_start().len();
    let mut start = s + lead;
    // Skip leading CJK connectors ("然后回答" -> "回答").
    loop {
        let rest = text.get(start..e).unwrap_or("");
        match CJK_CONNECTORS.iter().find(|k| rest.starts_with(*k)) {
            Some(k) if !overlaps(spans, start, start + k.len()) => {
                let after = start + k.len();
                let t = text.get(after..e).unwrap_or("");
                start = after + (t.len() - t.trim_start().len());
            }
            _ => break,
        }
    }
    let body = text.get(start..e).unwrap_or("");
    let mut end = start + body.trim_end().len();
    // Drop the sentence terminator (kept when the clause is removed).
    while let Some(c) = text.get(start..end).and_then(|t| t.chars().next_back()) {
        if (is_terminator(c) || matches!(c, '*' | '_' | ')')) && !overlaps(spans, end - c.len_utf8(), end) {
            end -= c.len_utf8();
        } else {
            break;
        }
    }
    let trimmed_end = start + text.get(start..end).unwrap_or("").trim_end().len();
    if trimmed_end > start {
        out.push(start..trimmed_end);
    }
}

/// Removes `ranges` (any order, may overlap) from `text` and tidies the whitespace each removal
/// leaves: no doubled spaces, no space before punctuation, no blank line left where a removed
/// sentence stood, no leading/trailing whitespace created. Text outside the ranges is kept.
pub(crate) fn remove_ranges(text: &str, mut ranges: Vec<Range<usize>>) -> String {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    let mut after_removal = false;
    for r in &merged {
        push_segment(&mut out, text.get(cursor..r.start).unwrap_or(""), after_removal);
        cursor = r.end.max(cursor);
        after_removal = true;
    }
    let tail = text.get(cursor..).unwrap_or("");
    push_segment(&mut out, tail, after_removal);
    if after_removal && tail.trim().is_empty() {
        out.truncate(out.trim_end().len());
    }
    out
}

fn push_segment(out: &mut String, seg: &str, after_removal: bool) {
    if !after_removal {
        out.push_str(seg);
        return;
    }
    let mut seg = seg;
    if out.trim().is_empty() {
        out.clear();
        seg = seg.trim_start();
    } else if out.ends_with('\n') {
        seg = seg.trim_start_matches([' ', '\t']);
        // The removed sentence filled its line: drop the line break it leaves.
        if let Some(rest) = seg.strip_prefix("\r\n").or_else(|| seg.strip_prefix('\n')) {
            seg = rest;
        }
        if out.ends_with("\n\n") {
            while let Some(nl) = seg.find('\n') {
                match seg.get(..nl) {
                    Some(line) if line.trim().is_empty() => seg = seg.get(nl + 1..).unwrap_or(""),
                    _ => break,
                }
            }
        }
    } else if out.ends_with([' ', '\t']) {
        seg = seg.trim_start_matches([' ', '\t']);
        let starts_punct = seg
            .chars()
            .next()
            .is_none_or(|c| is_terminator(c) || is_clause_punct(c) || c == '\n');
        if starts_punct {
            out.truncate(out.trim_end_matches([' ', '\t']).len());
        }
    } else if seg.starts_with([' ', '\t']) {
        let t = seg.trim_start_matches([' ', '\t']);
        if t.chars()
            .next()
            .is_some_and(|c| is_terminator(c) || is_clause_punct(c))
        {
            seg = t;
        }
    }
    out.push_str(seg);
}

#[cfg(test)]
#[rustfmt::skip]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::type_complexity,
    clippy::single_range_in_vec_init
)]
mod tests {
    use super::*;

    fn texts(text: &str, ranges: &[Range<usize>]) -> Vec<String> {
        ranges.iter().map(|r| text[r.clone()].to_string()).collect()
    }

    #[test]
    fn protected_spans_table() {
        let cases: &[(&str, &[&str])] = &[
            ("a ```x. y``` b", &["```x. y```"]),
            ("say \"hi. there\" ok", &["\"hi. there\""]),
            ("“a.” and «b» and 「c」 and „d“", &["“a.”", "«b»", "「c」", "„d“"]),
            ("run `ls -la` now", &["`ls -la`"]),
            ("lone ` tick", &[]),
            ("open \"never closed. really", &["\"never closed. really"]),
            ("```\nunterminated", &["```\nunterminated"]),
        ];
        for (text, want) in cases {
            assert_eq!(texts(text, &protected_spans(text)), *want, "{text}");
        }
    }

    #[test]
    fn sentences_table() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two! Three?", &["One.", "Two!", "Three?"]),
            ("Pi is 3.14 here. Ok", &["Pi is 3.14 here.", "Ok"]),
            ("line one\nline two", &["line one", "line two"]),
            ("你好。世界！", &["你好。", "世界！"]),
            ("He said \"stop. now\" loudly. Next.", &["He said \"stop. now\" loudly.", "Next."]),
            ("  \n\n  ", &[]),
            ("**Bold.** Next", &["**Bold.**", "Next"]),
            ("Aufsätze der 10. Klasse bewerten. Gut.", &["Aufsätze der 10. Klasse bewerten.", "Gut."]),
            ("3. NYC, $30k relocation First list them.", &["3. NYC, $30k relocation", "First list them."]),
            ("Ask Jane Then. Ok", &["Ask Jane Then.", "Ok"]),
            ("慢慢来哦～用一个例子。", &["慢慢来哦～", "用一个例子。"]),
            ("周一〜周五。", &["周一〜周五。"]),
            // A full stop standing alone between spaces is a word ("rsync -a . /srv"), no end.
            ("Ich kopiere mit cp -r . /backup alles. Gut.", &["Ich kopiere mit cp -r . /backup alles.", "Gut."]),
            ("最初に git add . を実行しています。次に", &["最初に git add . を実行しています。", "次に"]),
            ("Im Dockerfile steht COPY . . am Anfang. Gut.", &["Im Dockerfile steht COPY . . am Anfang.", "Gut."]),
            // A spaced full stop or ellipsis before a capital still ends the sentence.
            ("Relax for a second . Which bus goes to the zoo?", &["Relax for a second .", "Which bus goes to the zoo?"]),
            ("Calm down first ... Where is the nearest bakery?", &["Calm down first ...", "Where is the nearest bakery?"]),
            ("Slow down ... then list three rivers.", &["Slow down ...", "then list three rivers."]),
        ];
        for (text, want) in cases {
            assert_eq!(
                texts(text, &sentences(text, &protected_spans(text))),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn clauses_table() {
        let cases: &[(&str, &[&str])] = &[
            ("Solve this, and think step by step.", &["Solve this", "think step by step"]),
            ("Think step by step and solve x+1=2.", &["Think step by step", "solve x+1=2"]),
            ("请一步一步地思考，然后回答。", &["请一步一步地思考", "回答"]),
            ("Translate \"a, and b\", then stop.", &["Translate \"a, and b\"", "stop"]),
            ("Android band", &["Android band"]),
        ];
        for (text, want) in cases {
            let s = 0..text.len();
            assert_eq!(
                texts(text, &clauses(text, s, &protected_spans(text))),
                *want,
                "{text}"
            );
        }
    }

    #[test]
    fn match_at_folds() {
        assert_eq!(match_at("Step-By-Step!", 0, "step by step"), Some(12));
        assert_eq!(match_at("LET’S go", 0, "let's"), Some(7));
        assert_eq!(match_at("stepbystep", 0, "step by step"), None);
        assert_eq!(match_at("ＴＨＩＮＫ", 0, "think"), Some(15));
        assert_eq!(match_at("x", 5, "x"), None);
    }

    #[test]
    fn remove_ranges_tidies() {
        let cases: &[(&str, &str, &str)] = &[
            ("A. Think. B.", "Think.", "A. B."),
            ("Think. B.", "Think.", "B."),
            ("A. Think.", "Think.", "A."),
            ("A.\nThink.\nB.", "Think.", "A.\nB."),
            ("P1.\n\nThink.\n\nP2.", "Think.", "P1.\n\nP2."),
            ("Solve this, and think.", ", and think", "Solve this."),
            ("  x  ", "x", ""),
        ];
        for (text, cut, want) in cases {
            let s = text.find(cut).unwrap();
            assert_eq!(remove_ranges(text, vec![s..s + cut.len()]), *want, "{text}");
        }
        assert_eq!(remove_ranges("keep  me", vec![]), "keep  me");
    }
}
