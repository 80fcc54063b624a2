//! The learned directive detector: a logistic regression over one sentence or clause (hashed
//! character n-grams, Hangul/kana/Han aware; words and word pairs; the directive lexicon's hits;
//! shape features), and its model format. The model ships in `config/rewrite.bin` (trained by
//! `gearbox rewrite --train`, see [`super::train`]) and is compiled in.
//!
//! The detector only scores; [`super::strip`] decides what goes, and the keep guards
//! ([`super::guards`]) run before it so quoted, pasted and role-fact text is never scored.
//!
//! Invariant: pure and total. Scoring allocates one small buffer, never panics on any `&str`,
//! and every feature index is `< NAMED + 2^bits`; a model that does not load is the empty model,
//! which removes nothing.

use std::sync::OnceLock;

use super::directives::{find_anchors, tables, Match, CJK_VERBS, DETECTOR_VERB, VERB};
use super::text::{self, is_cjk, is_word_char};

/// Named (non-hashed) features, by index. The hashed ones follow them.
pub(crate) mod named {
    pub const BIAS: u32 = 0;
    /// A lexicon anchor ("step by step", "take a deep breath", a generic persona) occurs.
    pub const ANCHOR: u32 = 1;
    /// An anchor that needs a thinking verb occurs together with one.
    pub const ANCHOR_VERB: u32 = 2;
    /// The old rule's verdict: an anchor and nothing but fillers.
    pub const LEXICON_DIRECTIVE: u32 = 3;
    /// A thinking verb (think, reason, 생각, 考え, 思考, piensa, réfléchis, denke...).
    pub const VERB: u32 = 4;
    pub const QUESTION: u32 = 5;
    pub const DIGIT: u32 = 6;
    /// Ends with a colon (an introducer or a label).
    pub const COLON_END: u32 = 7;
    /// Holds quoted text or inline code.
    pub const QUOTE: u32 = 8;
    /// A capitalised Latin word that does not start the unit (a name).
    pub const NAME: u32 = 9;
    pub const WORDS_1_3: u32 = 10;
    pub const WORDS_4_8: u32 = 11;
    pub const WORDS_9_16: u32 = 12;
    pub const WORDS_17: u32 = 13;
    // 14: unused (kept so the numbering of the shipped model stays stable).
    /// Emoji or emoticon-like symbols (🙏, 💪, ㅠㅠ, ㅎㅎ).
    pub const EMOJI: u32 = 15;
    /// Mostly Hangul/kana/Han.
    pub const CJK: u32 = 16;
    /// Share of words that are lexicon fillers >= one half.
    pub const FILLERS_HALF: u32 = 17;
    /// Exclamation mark.
    pub const BANG: u32 = 18;
    pub const COUNT: u32 = 19;
}

/// Hash bits of the shipped model (`NAMED + 2^bits` weights).
pub const DEFAULT_BITS: u32 = 16;

/// A trained detector: `score = w · x`, a directive when `sigmoid(score) >= threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorModel {
    pub bits: u32,
    pub weights: Vec<f32>,
}

const MAGIC: &[u8; 4] = b"GBRW";
const VERSION: u32 = 1;

/// Why model bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    BadMagic,
    BadVersion(u32),
    BadLength,
}

impl DetectorModel {
    /// All weights zero (scores 0, removes nothing).
    pub fn zeros(bits: u32) -> Self {
        let bits = bits.clamp(8, 22);
        DetectorModel {
            bits,
            weights: vec![0.0; named::COUNT as usize + (1usize << bits)],
        }
    }

    /// `GBRW`, version, bits, weight count, then little-endian `f32` weights.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.weights.len() * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.bits.to_le_bytes());
        out.extend_from_slice(&u32::try_from(self.weights.len()).unwrap_or(0).to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, ModelError> {
        let word = |i: usize| -> Option<u32> {
            let s = b.get(i..i + 4)?;
            Some(u32::from_le_bytes([
                *s.first()?,
                *s.get(1)?,
                *s.get(2)?,
                *s.get(3)?,
            ]))
        };
        if b.get(..4) != Some(MAGIC.as_slice()) {
            return Err(ModelError::BadMagic);
        }
        match word(4) {
            Some(VERSION) => {}
            Some(v) => return Err(ModelError::BadVersion(v)),
            None => return Err(ModelError::BadLength),
        }
        let (Some(bits), Some(n)) = (word(8), word(12)) else {
            return Err(ModelError::BadLength);
        };
        if !(8..=22).contains(&bits) || n as usize != named::COUNT as usize + (1usize << bits) {
            return Err(ModelError::BadLength);
        }
        let body = b.get(16..).ok_or(ModelError::BadLength)?;
        if body.len() != n as usize * 4 {
            return Err(ModelError::BadLength);
        }
        let weights = body
            .chunks_exact(4)
            .map(|c| {
                let mut a = [0u8; 4];
                a.copy_from_slice(c);
                let w = f32::from_le_bytes(a);
                if w.is_finite() {
                    w
                } else {
                    0.0
                }
            })
            .collect();
        Ok(DetectorModel { bits, weights })
    }

    /// The margin `w · x` of one unit; `anchors`, when given, is `find_anchors(unit, &[])`
    /// (the caller's, so the detector need not search again).
    pub(crate) fn margin(&self, unit: &str, anchors: Option<&[Match]>) -> f32 {
        let mut z = 0f32;
        extract_with(unit, self.bits, anchors, &mut |i, v| {
            z += self.weights.get(i as usize).copied().unwrap_or(0.0) * v;
        });
        z
    }

    /// Probability that `unit` (a sentence or a clause) is a how-to-think directive.
    pub fn probability(&self, unit: &str) -> f32 {
        sigmoid(self.margin(unit, None))
    }

    /// [`DetectorModel::probability`] given `find_anchors(unit, &[])`; the same value.
    pub(crate) fn probability_with(&self, unit: &str, anchors: &[Match]) -> f32 {
        sigmoid(self.margin(unit, Some(anchors)))
    }
}

pub(crate) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

static MODEL: OnceLock<DetectorModel> = OnceLock::new();

/// Makes `m` the model of this process instead of the compiled-in one (`gearbox rewrite --eval
/// --detector FILE`, to measure a candidate before shipping it). Only before the first rewrite;
/// false when a model is already in use.
pub fn install(m: DetectorModel) -> bool {
    MODEL.set(m).is_ok()
}

/// The compiled-in model (`config/rewrite.bin`); the empty model if it does not load.
pub fn model() -> &'static DetectorModel {
    MODEL.get_or_init(|| {
        DetectorModel::from_bytes(include_bytes!("../../config/rewrite.bin"))
            .unwrap_or_else(|_| DetectorModel::zeros(8))
    })
}

/// Builds the model ahead of the first request.
pub fn warm_up() {
    let _ = model();
}

/// Longest unit scored (bytes): directives are short, and this bounds the work per sentence.
pub(crate) const MAX_UNIT: usize = 400;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn step(h: u64, c: char) -> u64 {
    (h ^ u64::from(u32::from(c))).wrapping_mul(FNV_PRIME)
}

#[inline]
fn bucket(h: u64, salt: u64, bits: u32) -> u32 {
    let mut x = h ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    let mask = (1u64 << bits) - 1;
    named::COUNT + (x & mask) as u32
}

fn is_emoji(c: char) -> bool {
    text::is_emoji(c) || matches!(c, 'ㅠ' | 'ㅜ' | 'ㅎ' | 'ㅋ')
}

/// Feeds every feature of `unit` as (index, value) to `f`. Hashed groups are scaled by
/// `1/sqrt(count)` so long and short units weigh alike. Deterministic; total.
pub(crate) fn extract(unit: &str, bits: u32, f: &mut impl FnMut(u32, f32)) {
    extract_with(unit, bits, None, f);
}

/// [`extract`], with `find_anchors(unit, &[])` when the caller has it (used only when the unit
/// is scored whole and holds no protected span, where it equals the search done here).
fn extract_with(unit: &str, bits: u32, known: Option<&[Match]>, f: &mut impl FnMut(u32, f32)) {
    let whole = unit.len() <= MAX_UNIT;
    let unit = text::head(unit, MAX_UNIT);
    f(named::BIAS, 1.0);
    // Normalised buffer: folded case and width, digits as '0', runs of spaces collapsed,
    // other punctuation kept as a word separator.
    let mut buf: Vec<char> = Vec::with_capacity(unit.len() + 2);
    let mut counts = Counts::default();
    counts.push(' ');
    buf.push(' ');
    let (mut digit, mut name, mut emoji, mut cjk, mut latin) = (false, false, false, 0usize, 0usize);
    let mut first_word = true;
    let mut prev_word = false;
    for c in unit.chars() {
        let w = is_word_char(c);
        if w && !prev_word {
            if !first_word && c.is_uppercase() {
                name = true;
            }
            first_word = false;
        }
        prev_word = w || c == '\'' || c == '’';
        emoji |= is_emoji(c);
        let c = text::fold(c);
        let c = if c.is_numeric() {
            digit = true;
            '0'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        if is_cjk(c) {
            cjk += 1;
        } else if w {
            latin += 1;
        }
        if (c == ' ' || c == '0') && buf.last() == Some(&c) {
            continue;
        }
        counts.push(c);
        buf.push(c);
    }
    if buf.last() != Some(&' ') {
        counts.push(' ');
        buf.push(' ');
    }
    // Character n-grams: 3- and 4-grams everywhere; 1- and 2-grams inside CJK runs. Each hashed
    // group is scaled by its size, so the sizes are counted (as the buffer was filled) first and
    // the features then fed in the same order as they are hashed (no buffers of indices).
    let n_grams = counts.grams(buf.len());
    let (n_words, n_pairs) = (counts.words, counts.pairs);
    if n_grams > 0 {
        let v = 1.0 / (n_grams as f32).sqrt();
        for i in 0..buf.len() {
            let mut h = FNV_OFFSET;
            let c0 = buf.get(i).copied().unwrap_or(' ');
            for k in 1..=4usize {
                let Some(&c) = buf.get(i + k - 1) else { break };
                h = step(h, c);
                if k >= 3 || (is_cjk(c0) && is_cjk(c)) {
                    f(bucket(h, 10 + k as u64, bits), v);
                }
            }
        }
    }
    // Words and adjacent word pairs (Latin scripts).
    if n_words + n_pairs > 0 {
        let v = 1.0 / ((n_words + n_pairs) as f32).sqrt();
        let mut prev: Option<u64> = None;
        let mut i = 0;
        while i < buf.len() {
            let c = buf.get(i).copied().unwrap_or(' ');
            if !is_word_part(c) {
                if !matches!(c, ' ' | '-') {
                    prev = None;
                }
                i += 1;
                continue;
            }
            let mut h = FNV_OFFSET;
            while let Some(&c) = buf.get(i) {
                if !is_word_part(c) {
                    break;
                }
                h = step(h, c);
                i += 1;
            }
            f(bucket(h, 1, bits), v);
            if let Some(p) = prev {
                f(bucket(p.rotate_left(17) ^ h, 2, bits), v);
            }
            prev = Some(h);
        }
    }
    // Lexicon features.
    let spans = text::protected_spans_as_trained(unit);
    let found;
    let anchors: &[Match] = match known {
        Some(a) if whole && spans.is_empty() => a,
        _ => {
            found = find_anchors(unit, &spans);
            &found
        }
    };
    let (fillers, verb) = filler_share(unit);
    let cjk_verb = cjk > 0 && CJK_VERBS.iter().any(|v| unit.contains(v));
    let verb = verb || cjk_verb;
    if !anchors.is_empty() {
        f(named::ANCHOR, 1.0);
        if verb && anchors.iter().any(|m| m.needs_verb) {
            f(named::ANCHOR_VERB, 1.0);
        }
        if super::clause::is_lexicon_directive(unit, &spans, anchors) {
            f(named::LEXICON_DIRECTIVE, 1.0);
        }
    }
    if verb {
        f(named::VERB, 1.0);
    }
    let trimmed = unit.trim_end();
    if trimmed.ends_with(['?', '？']) {
        f(named::QUESTION, 1.0);
    }
    if trimmed.ends_with([':', '：']) {
        f(named::COLON_END, 1.0);
    }
    if trimmed.contains(['!', '！']) {
        f(named::BANG, 1.0);
    }
    if digit {
        f(named::DIGIT, 1.0);
    }
    if !spans.is_empty() {
        f(named::QUOTE, 1.0);
    }
    if name {
        f(named::NAME, 1.0);
    }
    if emoji {
        f(named::EMOJI, 1.0);
    }
    if cjk > latin {
        f(named::CJK, 1.0);
    }
    if n_words > 0 && fillers * 2 >= n_words {
        f(named::FILLERS_HALF, 1.0);
    }
    let len = n_words + cjk / 3;
    f(
        match len {
            0..=3 => named::WORDS_1_3,
            4..=8 => named::WORDS_4_8,
            9..=16 => named::WORDS_9_16,
            _ => named::WORDS_17,
        },
        1.0,
    );
}

/// A character of a word in the normalised buffer (letters, digits, the folded apostrophe).
#[inline]
fn is_word_part(c: char) -> bool {
    is_word_char(c) || c == '\''
}

/// The sizes of the hashed groups of a normalised buffer, counted as it is filled (one pass
/// instead of three): what [`gram_count`] and [`word_count`] return for the chars pushed.
#[derive(Default)]
struct Counts {
    /// CJK chars, plus adjacent CJK pairs (their 1- and 2-grams).
    cjk_grams: usize,
    prev_cjk: bool,
    words: usize,
    pairs: usize,
    /// Inside a word / a word was seen with only spaces and hyphens since.
    in_word: bool,
    prev_word: bool,
}

impl Counts {
    #[inline]
    fn push(&mut self, c: char) {
        let cjk = is_cjk(c);
        self.cjk_grams += usize::from(cjk) + usize::from(self.prev_cjk && cjk);
        self.prev_cjk = cjk;
        if is_word_part(c) {
            if !self.in_word {
                self.words += 1;
                self.pairs += usize::from(self.prev_word);
                self.prev_word = true;
                self.in_word = true;
            }
        } else {
            self.in_word = false;
            if !matches!(c, ' ' | '-') {
                self.prev_word = false;
            }
        }
    }

    /// [`gram_count`] of the buffer of `len` chars pushed.
    fn grams(&self, len: usize) -> usize {
        len.saturating_sub(2) + len.saturating_sub(3) + self.cjk_grams
    }
}

/// How many character n-grams [`extract`] hashes from `buf` (same rule as its loop).
#[cfg(test)]
fn gram_count(buf: &[char]) -> usize {
    // Every 3- and 4-gram, plus each CJK char (its 1-gram) and each CJK pair (its 2-gram).
    let len = buf.len();
    let mut n = len.saturating_sub(2) + len.saturating_sub(3);
    let mut prev_cjk = false;
    for &c in buf {
        let cjk = is_cjk(c);
        n += usize::from(cjk) + usize::from(prev_cjk && cjk);
        prev_cjk = cjk;
    }
    n
}

/// (words, adjacent word pairs) that [`extract`] hashes from `buf` (same rule as its loop).
#[cfg(test)]
fn word_count(buf: &[char]) -> (usize, usize) {
    let (mut words, mut pairs) = (0, 0);
    let mut prev = false;
    let mut i = 0;
    while i < buf.len() {
        let c = buf.get(i).copied().unwrap_or(' ');
        if !is_word_part(c) {
            if !matches!(c, ' ' | '-') {
                prev = false;
            }
            i += 1;
            continue;
        }
        while buf.get(i).is_some_and(|&c| is_word_part(c)) {
            i += 1;
        }
        words += 1;
        pairs += usize::from(prev);
        prev = true;
    }
    (words, pairs)
}

/// (number of lexicon filler/verb words, some thinking verb) over the Latin words of `unit`.
fn filler_share(unit: &str) -> (usize, bool) {
    let t = tables();
    let mut scratch = String::new();
    let (mut n, mut verb) = (0, false);
    let mut i = 0;
    while i < unit.len() {
        let Some(c) = unit.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        if is_word_char(c) {
            let end = text::word_end(unit, i).max(i + c.len_utf8());
            let flags = t.words.get(unit.get(i..end).unwrap_or(""), &mut scratch);
            if flags != 0 {
                n += 1;
            }
            verb |= flags & (VERB | DETECTOR_VERB) != 0;
            i = end;
        } else {
            i += c.len_utf8();
        }
    }
    (n, verb)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn model_bytes_round_trip_and_reject_garbage() {
        let mut m = DetectorModel::zeros(8);
        m.weights[3] = 1.5;
        let b = m.to_bytes();
        assert_eq!(DetectorModel::from_bytes(&b).unwrap(), m);
        assert_eq!(DetectorModel::from_bytes(b"nope"), Err(ModelError::BadMagic));
        assert_eq!(
            DetectorModel::from_bytes(&b[..b.len() - 1]),
            Err(ModelError::BadLength)
        );
        assert!(DetectorModel::from_bytes(&[]).is_err());
    }

    #[test]
    fn shipped_model_loads() {
        let m = DetectorModel::from_bytes(include_bytes!("../../config/rewrite.bin"));
        assert!(m.is_ok());
    }

    #[test]
    fn counts_while_filling_equal_the_counting_passes() {
        for t in [
            "",
            " x ",
            "Think step-by-step -- and 'then' answer: 42!",
            "단계별로 생각해 봐 ㅠㅠ",
            "请一步一步地思考，然后回答。",
            "a - b - - c",
            "l'été d'abord",
            "日本語とEnglish混ざり",
        ] {
            let buf: Vec<char> = std::iter::once(' ')
                .chain(t.chars())
                .chain(std::iter::once(' '))
                .collect();
            let mut c = Counts::default();
            for &ch in &buf {
                c.push(ch);
            }
            assert_eq!(c.grams(buf.len()), gram_count(&buf), "{t}");
            assert_eq!((c.words, c.pairs), word_count(&buf), "{t}");
        }
    }

    #[test]
    fn features_stay_in_range_on_any_text() {
        for t in [
            "",
            " ",
            "Think step by step.",
            "단계별로 생각해 봐 ㅠㅠ",
            "🙏🙏",
            &"x".repeat(5000),
        ] {
            for bits in [8, 16] {
                extract(t, bits, &mut |i, v| {
                    assert!(i < named::COUNT + (1 << bits) && v.is_finite(), "{t}");
                });
            }
        }
    }
}
