//! Static piece embeddings distilled from a multilingual sentence encoder: what words *mean*,
//! so the router can tell "summarise" from "analyse" in a language it saw few examples of.
//!
//! The table (`config/embed.bin`, built by `scripts/router/build_embeddings.py`) holds ~60k
//! SentencePiece pieces of multilingual-e5-small (MIT), each with its unigram log-probability
//! and a 128-dimensional int8 vector: the encoder's output for the piece alone, centred, reduced
//! by PCA and weighted by SIF (rare pieces count more than "the" or "的").
//!
//! Invariant: pure and total. Parsing validates every size and a checksum and returns `Err` on
//! garbage; tokenising and pooling never panic and cost time linear in the text, with every
//! word's Viterbi search bounded by the longest piece ([`Embedder::max_piece_chars`]) and cut
//! short as soon as a substring is no piece's prefix. The splits of searched words are kept in
//! a small per-thread cache ([`WORD_CACHE`] entries): it changes the cost, never the result.
//!
//! Tokenisation follows the encoder's own (per-character normalisation map, collapsed spaces,
//! "▁" metaspace, unigram Viterbi), over the kept pieces only: a piece that was not kept splits
//! into smaller ones. Substrings are looked up by their 64-bit xxh3 hash, not compared as text;
//! with ~300k keys a false match has a probability of about 1e-9 per table, and would only
//! change one piece's vector.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;
use xxhash_rust::xxh3::xxh3_64;

const MAGIC: &[u8; 4] = b"GBEM";
const VERSION: u32 = 1;
/// Vector width of every shipped table.
pub const DIM: usize = 128;
const META: char = '\u{2581}';
/// Upper bound on a word's length in characters for the Viterbi search; longer runs (CJK text
/// has no spaces) are cut into windows of this size, which costs at most one split per window.
const WORD_WINDOW: usize = 96;

/// The table shipped with the crate.
pub const EMBEDDED_TABLE: &[u8] = include_bytes!("../../config/embed.bin");

static SHARED: LazyLock<Embedder<'static>> =
    LazyLock::new(|| Embedder::parse(EMBEDDED_TABLE, false).unwrap_or_else(|_| Embedder::empty()));

/// The shipped table, parsed once per process (an empty table if it ever failed to parse, which
/// a test rules out; every vector is then zero and the router falls back to its other features).
pub fn shared() -> &'static Embedder<'static> {
    &SHARED
}

/// Why table bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedError {
    Truncated,
    BadMagic,
    UnsupportedVersion(u32),
    BadHeader(&'static str),
    BadText,
    BadChecksum,
}

impl std::fmt::Display for EmbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EmbedError::Truncated => write!(f, "embedding table: truncated"),
            EmbedError::BadMagic => write!(f, "embedding table: bad magic (not a GBEM file)"),
            EmbedError::UnsupportedVersion(v) => write!(f, "embedding table: unsupported version {v}"),
            EmbedError::BadHeader(what) => write!(f, "embedding table: bad header field {what}"),
            EmbedError::BadText => write!(f, "embedding table: a piece is not UTF-8"),
            EmbedError::BadChecksum => write!(f, "embedding table: checksum mismatch"),
        }
    }
}

impl std::error::Error for EmbedError {}

/// A `Hasher` for keys that already are hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashIndex = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// Bits of the prefix filter: 2^20 bits (128 KB) for ~240k proper prefixes, two probes each,
/// about 14 % false positives (a false positive only costs one more lookup).
const PREFIX_BITS: u32 = 20;

/// A Bloom filter over the hashes of every proper prefix of every piece: the Viterbi search
/// stops extending a substring as soon as it is no piece's prefix. (A map holding the prefixes
/// took 9 MB of memory per process; this takes 128 KB.)
struct PrefixFilter(Vec<u64>);

impl PrefixFilter {
    fn new() -> PrefixFilter {
        PrefixFilter(vec![0; 1 << (PREFIX_BITS - 6)])
    }
    fn probes(h: u64) -> [usize; 2] {
        let mask = (1u64 << PREFIX_BITS) - 1;
        [(h & mask) as usize, ((h >> 32) & mask) as usize]
    }
    fn insert(&mut self, h: u64) {
        for b in PrefixFilter::probes(h) {
            if let Some(w) = self.0.get_mut(b >> 6) {
                *w |= 1 << (b & 63);
            }
        }
    }
    fn may_contain(&self, h: u64) -> bool {
        PrefixFilter::probes(h)
            .iter()
            .all(|b| self.0.get(b >> 6).is_some_and(|w| w & (1 << (b & 63)) != 0))
    }
}

/// A `Hasher` for `char` keys: one multiply (SipHash per character cost more than the rest of
/// the tokenizer; measured with `cargo bench --bench hot_path -- classify`).
#[derive(Default)]
struct CharHash(u64);

impl Hasher for CharHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type NormMap = HashMap<char, String, BuildHasherDefault<CharHash>>;

/// A parsed embedding table. The int8 rows stay in the bytes it was parsed from (for the
/// shipped table, the binary itself), so only the rows that requests use become resident.
pub struct Embedder<'a> {
    /// Piece hash -> piece index.
    index: HashIndex,
    prefixes: PrefixFilter,
    scores: Vec<f32>,
    scales: Vec<f32>,
    vectors: &'a [u8],
    norm: NormMap,
    /// Characters below U+0080 that the normalisation map changes (most ASCII passes as is).
    ascii_mapped: [bool; 128],
    max_piece_chars: usize,
    unk_score: f32,
    checksum: u64,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], EmbedError> {
        let end = self.at.checked_add(n).ok_or(EmbedError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(EmbedError::Truncated)?;
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, EmbedError> {
        Ok(*self.take(1)?.first().ok_or(EmbedError::Truncated)?)
    }
    fn u32(&mut self) -> Result<u32, EmbedError> {
        let s = self.take(4)?;
        <[u8; 4]>::try_from(s)
            .map(u32::from_le_bytes)
            .map_err(|_| EmbedError::Truncated)
    }
    fn f32(&mut self) -> Result<f32, EmbedError> {
        self.u32().map(f32::from_bits)
    }
}

impl<'a> Embedder<'a> {
    /// A table without pieces: every text embeds to zero.
    pub fn empty() -> Embedder<'a> {
        Embedder {
            index: HashIndex::default(),
            prefixes: PrefixFilter::new(),
            scores: Vec::new(),
            scales: Vec::new(),
            vectors: &[],
            norm: NormMap::default(),
            ascii_mapped: [false; 128],
            max_piece_chars: 1,
            unk_score: -100.0,
            checksum: 0,
        }
    }

    /// Parse and validate the binary format written by `build_embeddings.py`.
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Embedder<'a>, EmbedError> {
        Embedder::parse(bytes, true)
    }

    /// Parse; `verify` checks the checksum over every byte. The process-wide table skips it:
    /// it is the binary's own data, checked in full by `shipped_table_loads`, and hashing it
    /// would make all 8 MB of rows resident at start-up instead of only the rows requests use.
    fn parse(bytes: &'a [u8], verify: bool) -> Result<Embedder<'a>, EmbedError> {
        if bytes.len() < 32 {
            return Err(EmbedError::Truncated);
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let stored = <[u8; 8]>::try_from(sum)
            .map(u64::from_le_bytes)
            .map_err(|_| EmbedError::Truncated)?;
        if body.get(..4) != Some(MAGIC.as_slice()) {
            return Err(EmbedError::BadMagic);
        }
        if verify && fnv1a(body) != stored {
            return Err(EmbedError::BadChecksum);
        }
        let mut c = Cursor { bytes: body, at: 4 };
        let version = c.u32()?;
        if version != VERSION {
            return Err(EmbedError::UnsupportedVersion(version));
        }
        let n = c.u32()? as usize;
        if n > 1 << 20 {
            return Err(EmbedError::BadHeader("pieces"));
        }
        if c.u32()? as usize != DIM {
            return Err(EmbedError::BadHeader("dim"));
        }
        let max_piece_chars = c.u32()? as usize;
        if !(1..=64).contains(&max_piece_chars) {
            return Err(EmbedError::BadHeader("max_piece_chars"));
        }
        let unk_score = c.f32()?;
        if !unk_score.is_finite() {
            return Err(EmbedError::BadHeader("unk_score"));
        }
        let n_norm = c.u32()? as usize;
        if n_norm > 1 << 16 {
            return Err(EmbedError::BadHeader("norm"));
        }
        let mut norm = NormMap::with_capacity_and_hasher(n_norm, Default::default());
        let mut ascii_mapped = [false; 128];
        for _ in 0..n_norm {
            let cp = c.u32()?;
            let len = c.u8()? as usize;
            let rep = std::str::from_utf8(c.take(len)?).map_err(|_| EmbedError::BadText)?;
            let ch = char::from_u32(cp).ok_or(EmbedError::BadText)?;
            if let Some(m) = ascii_mapped.get_mut(cp as usize) {
                *m = true;
            }
            norm.insert(ch, rep.to_string());
        }
        let mut index = HashIndex::with_capacity_and_hasher(n, Default::default());
        let mut prefixes = PrefixFilter::new();
        for id in 0..n {
            let len = c.u8()? as usize;
            let piece = std::str::from_utf8(c.take(len)?).map_err(|_| EmbedError::BadText)?;
            for (at, _) in piece.char_indices().skip(1) {
                prefixes.insert(xxh3_64(piece.get(..at).unwrap_or("").as_bytes()));
            }
            index.insert(xxh3_64(piece.as_bytes()), id as u32);
        }
        let mut floats = |count: usize| -> Result<Vec<f32>, EmbedError> {
            let raw = c.take(count * 4)?;
            let v: Vec<f32> = raw
                .chunks_exact(4)
                .filter_map(|b| <[u8; 4]>::try_from(b).ok().map(f32::from_le_bytes))
                .collect();
            if v.iter().all(|x| x.is_finite()) {
                Ok(v)
            } else {
                Err(EmbedError::BadHeader("non-finite value"))
            }
        };
        let scores = floats(n)?;
        let scales = floats(n)?;
        let vectors = c.take(n * DIM)?;
        if c.at != body.len() {
            return Err(EmbedError::BadHeader("trailing bytes"));
        }
        Ok(Embedder {
            index,
            prefixes,
            scores,
            scales,
            vectors,
            norm,
            ascii_mapped,
            max_piece_chars,
            unk_score,
            checksum: stored,
        })
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// True for the empty table.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The table's checksum (a router model records which table it was trained with).
    pub fn checksum(&self) -> u64 {
        self.checksum
    }

    /// Longest piece, in characters.
    pub fn max_piece_chars(&self) -> usize {
        self.max_piece_chars
    }

    /// Piece ids of `text` (for tests and explanations).
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        self.pieces(text)
    }

    /// Add the pooled embedding of `text` to `out` (SIF-weighted sum of piece vectors,
    /// L2-normalised, times `scale`). Returns the number of pieces found.
    pub fn embed_into(&self, text: &str, scale: f32, out: &mut [f32; DIM]) -> u32 {
        let ids = self.pieces(text);
        let mut acc = [0f32; DIM];
        let mut count = 0u32;
        for id in &ids {
            let id = *id as usize;
            let (Some(s), Some(row)) = (self.scales.get(id), self.vectors.get(id * DIM..id * DIM + DIM))
            else {
                continue;
            };
            for (a, q) in acc.iter_mut().zip(row) {
                *a += *s * f32::from(*q as i8);
            }
            count += 1;
        }
        let norm = acc.iter().map(|x| x * x).sum::<f32>().sqrt();
        if count > 0 && norm > 1e-12 && norm.is_finite() {
            let k = scale / norm;
            for (o, a) in out.iter_mut().zip(acc) {
                *o += a * k;
            }
        }
        count
    }

    /// The known pieces of `text` in order (unknown characters are skipped). Words are hashed
    /// and looked up in one pass before any is split, so the table's cache misses overlap
    /// instead of queueing one after another.
    fn pieces(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        if self.is_empty() {
            return ids;
        }
        let normalised = self.normalise(text);
        let mut words: Vec<(usize, usize)> = Vec::with_capacity(normalised.len() / 4 + 1);
        let mut start = 0usize;
        let mut chars = 0usize;
        for (at, ch) in normalised.char_indices() {
            if (ch == META && at > start) || chars >= WORD_WINDOW {
                words.push((start, at));
                start = at;
                chars = 0;
            }
            chars += 1;
        }
        if start < normalised.len() {
            words.push((start, normalised.len()));
        }
        let found: Vec<(u64, Option<u32>)> = words
            .iter()
            .map(|&(a, b)| {
                let h = xxh3_64(normalised.get(a..b).unwrap_or("").as_bytes());
                (h, self.index.get(&h).copied())
            })
            .collect();
        let mut scratch = Scratch::default();
        WORDS.with(|cache| {
            let mut cache = cache.borrow_mut();
            for (&(a, b), (h, id)) in words.iter().zip(found) {
                if let Some(id) = id {
                    ids.push(id);
                    continue;
                }
                let word = normalised.get(a..b).unwrap_or("");
                let key = h ^ self.checksum.rotate_left(29);
                if let Some(hit) = cache.get(key) {
                    ids.extend_from_slice(hit);
                    continue;
                }
                let from = ids.len();
                self.word_pieces(word, &mut scratch, &mut ids);
                cache.put(key, ids.get(from..).unwrap_or(&[]));
            }
        });
        ids
    }

    fn normalise(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 4);
        out.push(META);
        let mut last_space = true;
        for ch in text.chars() {
            let mut buf = [0u8; 4];
            let plain = (ch as u32) < 128 && !self.ascii_mapped.get(ch as usize).copied().unwrap_or(true);
            let mapped: &str = if plain {
                ch.encode_utf8(&mut buf)
            } else {
                match self.norm.get(&ch) {
                    Some(rep) => rep.as_str(),
                    None => ch.encode_utf8(&mut buf),
                }
            };
            for m in mapped.chars() {
                if m == ' ' {
                    if !last_space {
                        out.push(META);
                    }
                    last_space = true;
                } else {
                    out.push(m);
                    last_space = false;
                }
            }
        }
        out
    }

    /// Viterbi over the kept pieces for one word (a "▁"-led run, at most [`WORD_WINDOW`] chars)
    /// that is not a piece itself.
    fn word_pieces(&self, word: &str, scratch: &mut Scratch, out: &mut Vec<u32>) {
        let Scratch {
            offs,
            best,
            back,
            ids,
        } = scratch;
        offs.clear();
        offs.extend(word.char_indices().map(|(i, _)| i));
        offs.push(word.len());
        let n = offs.len() - 1;
        best.clear();
        best.resize(n + 1, f32::NEG_INFINITY);
        back.clear();
        back.resize(n + 1, (0, -1));
        if let Some(b) = best.first_mut() {
            *b = 0.0;
        }
        for i in 0..n {
            let Some(&bi) = best.get(i) else { break };
            if bi == f32::NEG_INFINITY {
                continue;
            }
            let start = offs.get(i).copied().unwrap_or(0);
            for e in i + 1..=(i + self.max_piece_chars).min(n) {
                let end = offs.get(e).copied().unwrap_or(start);
                let h = xxh3_64(word.get(start..end).unwrap_or("").as_bytes());
                let longer = self.prefixes.may_contain(h);
                let Some(&id) = self.index.get(&h) else {
                    if longer {
                        continue;
                    }
                    break;
                };
                let sc = bi + self.scores.get(id as usize).copied().unwrap_or(self.unk_score);
                if let (Some(be), Some(bk)) = (best.get_mut(e), back.get_mut(e)) {
                    if sc > *be {
                        *be = sc;
                        *bk = (i, id as i32);
                    }
                }
                if !longer {
                    break;
                }
            }
            let us = bi + self.unk_score;
            if let (Some(be), Some(bk)) = (best.get_mut(i + 1), back.get_mut(i + 1)) {
                if us > *be {
                    *be = us;
                    *bk = (i, -1);
                }
            }
        }
        ids.clear();
        let mut i = n;
        while i > 0 {
            let Some(&(j, id)) = back.get(i) else { break };
            if id >= 0 {
                ids.push(id as u32);
            }
            if j >= i {
                break;
            }
            i = j;
        }
        out.extend(ids.iter().rev());
    }
}

/// Pieces of the words that needed a Viterbi search, per thread: most of any text is words
/// seen many times before ("customers," is no piece, so it is searched; its split is then
/// remembered). Direct-mapped by the word's hash mixed with the table's checksum, so two tables
/// never share entries; a collision just overwrites. 4,096 entries of 40 bytes, 160 KB a thread.
/// Measured with `cargo bench --bench hot_path -- classify`: the search was two thirds of the
/// tokenizer's time.
const WORD_CACHE: usize = 4096;
/// Longest split remembered (longer ones are searched each time).
const WORD_CACHE_PIECES: usize = 7;

struct WordCache(Vec<(u64, u8, [u32; WORD_CACHE_PIECES])>);

impl WordCache {
    fn get(&self, key: u64) -> Option<&[u32]> {
        let (k, n, ids) = self.0.get(key as usize % WORD_CACHE)?;
        if *k == key && *n > 0 {
            ids.get(..*n as usize)
        } else {
            None
        }
    }

    fn put(&mut self, key: u64, ids: &[u32]) {
        if ids.is_empty() || ids.len() > WORD_CACHE_PIECES {
            return;
        }
        if let Some(slot) = self.0.get_mut(key as usize % WORD_CACHE) {
            let mut row = [0u32; WORD_CACHE_PIECES];
            for (r, id) in row.iter_mut().zip(ids) {
                *r = *id;
            }
            *slot = (key, ids.len() as u8, row);
        }
    }
}

thread_local! {
    static WORDS: std::cell::RefCell<WordCache> =
        std::cell::RefCell::new(WordCache(vec![(0, 0, [0; WORD_CACHE_PIECES]); WORD_CACHE]));
}

/// Buffers of the Viterbi search, reused across the words of one text.
#[derive(Default)]
struct Scratch {
    offs: Vec<usize>,
    best: Vec<f32>,
    back: Vec<(usize, i32)>,
    ids: Vec<u32>,
}

/// 64-bit FNV-1a, the checksum of the model and embedding-table formats.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cos(a: &[f32; DIM], b: &[f32; DIM]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn emb(text: &str) -> [f32; DIM] {
        let mut v = [0f32; DIM];
        shared().embed_into(text, 1.0, &mut v);
        v
    }

    #[test]
    fn shipped_table_loads() {
        let t = Embedder::from_bytes(EMBEDDED_TABLE);
        assert!(t.is_ok(), "{:?}", t.err());
        assert_eq!(t.map(|t| t.checksum()).ok(), Some(shared().checksum()));
        assert!(shared().len() > 30_000);
    }

    #[test]
    fn words_mean_the_same_across_languages() {
        // "translate this text" is closer to its translations than to "prove this theorem".
        let en = emb("translate this text into English");
        let prove = emb("prove this theorem by induction");
        for other in [
            "이 글을 영어로 번역해 줘",
            "この文章を英語に翻訳して",
            "把这段话翻译成英文",
            "traduce este texto al inglés",
            "übersetze diesen Text ins Englische",
            "traduis ce texte en anglais",
        ] {
            let o = emb(other);
            assert!(
                cos(&en, &o) > cos(&prove, &o),
                "{other}: {} vs {}",
                cos(&en, &o),
                cos(&prove, &o)
            );
        }
    }

    #[test]
    fn tokenizes_like_the_encoder() {
        let t = shared();
        assert!(!t.tokenize("Hello world, translate this!").is_empty());
        assert!(!t.tokenize("다음 글을 영어로 번역해 줘").is_empty());
        assert!(!t.tokenize("请一步一步地思考").is_empty());
        // Odd input never panics and is bounded.
        for s in [
            "",
            " ",
            "\u{0}",
            "▁▁▁",
            &"x".repeat(10_000),
            &"中".repeat(5_000),
            "\u{FFFF}\u{10FFFF}",
        ] {
            let mut v = [0f32; DIM];
            t.embed_into(s, 1.0, &mut v);
            assert!(v.iter().all(|x| x.is_finite()));
        }
    }

    #[test]
    fn garbage_is_rejected() {
        assert_eq!(Embedder::from_bytes(&[]).err(), Some(EmbedError::Truncated));
        assert!(Embedder::from_bytes(&[0u8; 64]).is_err());
        let mut v = EMBEDDED_TABLE.to_vec();
        if let Some(b) = v.get_mut(5000) {
            *b ^= 0x55;
        }
        assert_eq!(Embedder::from_bytes(&v).err(), Some(EmbedError::BadChecksum));
        let mut x: u32 = 99;
        for len in 0..600usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            assert!(Embedder::from_bytes(&bytes).is_err());
        }
    }
}
