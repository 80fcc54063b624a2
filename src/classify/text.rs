//! Text primitives: bounded slicing, Unicode normalisation, script detection and hashed
//! character n-gram / word emission into a [`Sink`].
//!
//! Invariant: pure and total; never panics on any `&str` (all slicing is on char boundaries
//! through `get`), emitted indices are always `< NAMED_COUNT + 2^bits`.

/// Hashed feature group: the ask's n-grams/words, or the system prompt's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Ask,
    System,
}

/// Kind of a hashed feature, used to name it in explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CharGram,
    Word,
    WordPair,
    SysWord,
}

/// A hashed feature occurrence: bucket plus where its text lies in the normalised buffer.
#[derive(Debug, Clone, Copy)]
pub struct Hashed {
    pub index: u32,
    pub group: Group,
    pub kind: Kind,
    pub start: u32,
    pub len: u32,
}

/// Receiver of hashed feature occurrences (a vector when training, a scorer when classifying).
pub trait Sink {
    fn hashed(&mut self, h: Hashed);
}

impl Sink for Vec<Hashed> {
    fn hashed(&mut self, h: Hashed) {
        self.push(h);
    }
}

/// Longest prefix of `s` no longer than `max` bytes, on a char boundary.
pub fn head_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// Longest suffix of `s` no longer than `max` bytes, on a char boundary.
pub fn tail_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while start < s.len() && !s.is_char_boundary(start) {
        start += 1;
    }
    s.get(start..).unwrap_or("")
}

/// Fold full-width ASCII to ASCII and the ideographic space to a space.
pub fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Number of fixed (named) features (`features::NAMED`, checked by a test there); hashed
/// features start at this index.
pub const NAMED_COUNT: usize = 33;

pub use crate::script::is_cjk;
use crate::script::{is_cjk_punct, is_word_char};

/// Normalise text into a char buffer keeping the first `head` and last `tail` characters.
pub fn normalize(text: &str, head: usize, tail: usize) -> Vec<char> {
    let mut buf: Vec<char> = Vec::with_capacity(text.len().min(head + tail + 8));
    let consumed = push_norm(text, head, &mut buf);
    if consumed < text.len() && tail > 0 {
        // The last `tail` characters not already covered by the head (walked from the end).
        let rest = text.get(consumed..).unwrap_or("");
        let start = rest
            .char_indices()
            .rev()
            .nth(tail.saturating_sub(1))
            .map_or(0, |(i, _)| i);
        buf.push(' ');
        push_norm(rest.get(start..).unwrap_or(""), usize::MAX, &mut buf);
    }
    buf
}

/// Normalise `text` into `buf` until `buf` holds `cap` characters; returns the byte offset of
/// the first character not consumed (`text.len()` when all of it was).
fn push_norm(text: &str, cap: usize, buf: &mut Vec<char>) -> usize {
    let mut last = buf.last().copied().unwrap_or(' ');
    if buf.is_empty() {
        buf.push(' ');
    }
    let mut consumed = text.len();
    for (i, c) in text.char_indices() {
        if buf.len() >= cap {
            consumed = i;
            break;
        }
        let mut c = fold_width(c);
        if c.is_ascii() {
            if c.is_ascii_whitespace() {
                c = ' ';
            } else if c.is_ascii_digit() {
                c = '0';
            } else {
                c = c.to_ascii_lowercase();
            }
        } else if is_cjk(c) || is_cjk_punct(c) {
            // Hangul, kana, Han and CJK punctuation are kept as they are (cheap path: no
            // Unicode table look-ups).
        } else if c.is_whitespace() {
            c = ' ';
        } else if c.is_numeric() {
            c = '0';
        } else if c.is_uppercase() {
            c = c.to_lowercase().next().unwrap_or(c);
        }
        if (c == ' ' || c == '0') && c == last {
            continue;
        }
        buf.push(c);
        last = c;
    }
    if last != ' ' {
        buf.push(' ');
    }
    consumed
}

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn step(h: u64, c: char) -> u64 {
    (h ^ c as u64).wrapping_mul(FNV_PRIME)
}

#[inline]
fn finish(h: u64, salt: u64, mask: u64) -> u32 {
    let mut x = h ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    (NAMED_COUNT as u64 + (x & mask)) as u32
}

/// Emit character n-grams of a normalised buffer: 4-grams everywhere (words and word pairs
/// cover shorter Latin units), plus 1-, 2- and 3-grams inside Hangul/kana/Han runs, where there
/// are no spaces to find words. Returns the number emitted.
pub fn emit_ngrams<S: Sink>(buf: &[char], mask: u64, sink: &mut S) -> u32 {
    let mut count = 0u32;
    for (i, &c0) in buf.iter().enumerate() {
        let cjk = is_cjk(c0);
        let mut h = FNV_OFFSET;
        for k in 1..=4usize {
            let Some(&c) = buf.get(i + k - 1) else { break };
            h = step(h, c);
            if k == 4 || (cjk && is_cjk(c)) {
                sink.hashed(Hashed {
                    index: finish(h, 10 + k as u64, mask),
                    group: Group::Ask,
                    kind: Kind::CharGram,
                    start: i as u32,
                    len: k as u32,
                });
                count += 1;
            }
        }
    }
    count
}

/// Emit words (maximal runs of non-CJK alphanumerics) and, for the ask, adjacent word pairs.
/// Returns the number emitted.
pub fn emit_words<S: Sink>(buf: &[char], mask: u64, group: Group, kind: Kind, sink: &mut S) -> u32 {
    let mut count = 0u32;
    let mut prev: Option<(usize, u64)> = None; // start and hash of the previous word
    let mut i = 0usize;
    let n = buf.len();
    let salt = if group == Group::Ask { 1 } else { 3 };
    while i < n {
        let c = buf.get(i).copied().unwrap_or(' ');
        if !is_word_char(c) {
            if !(c == ' ' || c == '-' || c == '\'') {
                prev = None; // punctuation breaks word pairs
            }
            i += 1;
            continue;
        }
        let start = i;
        let mut h = FNV_OFFSET;
        while let Some(&c) = buf.get(i) {
            if !is_word_char(c) {
                break;
            }
            h = step(h, c);
            i += 1;
        }
        sink.hashed(Hashed {
            index: finish(h, salt, mask),
            group,
            kind,
            start: start as u32,
            len: (i - start) as u32,
        });
        count += 1;
        if group == Group::Ask {
            if let Some((ps, ph)) = prev {
                sink.hashed(Hashed {
                    index: finish(ph.rotate_left(17) ^ h, 2, mask),
                    group,
                    kind: Kind::WordPair,
                    start: ps as u32,
                    len: (i - ps) as u32,
                });
                count += 1;
            }
        }
        prev = Some((start, h));
    }
    count
}
