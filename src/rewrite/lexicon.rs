//! Precomputed word and phrase tables: [`WordTable`] (folded word -> flag bits, for
//! space-separated scripts) and [`PhraseSet`] (phrases in scripts written without spaces, found
//! in one pass). Built once behind `OnceLock`s by their users; lookups allocate nothing for
//! ASCII words.
//!
//! Invariant: pure and total; lookups never panic and a word longer than [`MAX_WORD`] bytes is
//! simply absent.

use super::text::fold;

/// Longest word a [`WordTable`] can hold (folded, in bytes).
pub(crate) const MAX_WORD: usize = 24;

type Key = [u64; 3];

/// Static word table: folded word -> flag bits, open addressing over fixed-size keys so a lookup
/// is one multiply-hash and a 24-byte compare (no allocation for ASCII words).
#[derive(Default)]
pub(crate) struct WordTable {
    /// Flag bits per slot, 0 for an empty slot: kept apart from the keys so a probe that finds
    /// an empty slot (most words) touches 4 KiB, not the 48 KiB of keys.
    flags: Vec<u16>,
    keys: Vec<Key>,
    /// Bit `len` set in entry `b` when some word starts with byte `b` and has `len` bytes.
    shapes: Vec<u32>,
    /// The same for the word's last byte: a second exact reject before hashing.
    ends: Vec<u32>,
}

const SLOTS: usize = 2048;

fn key_of(w: &[u8]) -> Option<Key> {
    if w.is_empty() || w.len() > MAX_WORD {
        return None;
    }
    let mut key = [0u64; 3];
    for (i, b) in w.iter().enumerate() {
        if let Some(k) = key.get_mut(i / 8) {
            *k |= u64::from(*b) << ((i % 8) * 8);
        }
    }
    Some(key)
}

/// Key of an ASCII word, lowercased eight bytes at a time.
fn ascii_key(w: &[u8]) -> Option<Key> {
    if w.is_empty() || w.len() > MAX_WORD {
        return None;
    }
    // Packed in place (no copy into a padded buffer): the chunks past the word stay zero.
    let mut key = [0u64; 3];
    for (k, chunk) in key.iter_mut().zip(w.chunks(8)) {
        let mut x = 0u64;
        for (j, b) in chunk.iter().enumerate() {
            x |= u64::from(*b) << (j * 8);
        }
        *k = lower_ascii8(x);
    }
    Some(key)
}

/// ASCII-lowercases eight packed bytes (bytes >= 0x80 are left alone).
fn lower_ascii8(x: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    let ge_a = low7.wrapping_add(0x3F3F_3F3F_3F3F_3F3F); // high bit set where byte >= 'A'
    let gt_z = low7.wrapping_add(0x2525_2525_2525_2525); // high bit set where byte > 'Z'
    let upper = ge_a & !gt_z & !x & HIGH;
    x | (upper >> 2)
}

fn slot_of(k: &Key) -> usize {
    const M: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (k[0].wrapping_mul(M) ^ k[1]).wrapping_mul(M) ^ k[2];
    (h.wrapping_mul(M) >> 40) as usize % SLOTS
}

impl WordTable {
    /// Adds `flag` to every word (already folded; longer than [`MAX_WORD`] bytes is ignored).
    pub(crate) fn add(&mut self, words: &[&'static str], flag: u16) {
        if self.flags.is_empty() {
            self.flags = vec![0; SLOTS];
            self.keys = vec![[0; 3]; SLOTS];
            self.shapes = vec![0; 256];
            self.ends = vec![0; 256];
        }
        for w in words {
            if let Some(m) = w
                .as_bytes()
                .first()
                .and_then(|b| self.shapes.get_mut(usize::from(*b)))
            {
                *m |= 1 << w.len().min(31);
            }
            if let Some(m) = w
                .as_bytes()
                .last()
                .and_then(|b| self.ends.get_mut(usize::from(*b)))
            {
                *m |= 1 << w.len().min(31);
            }
            let Some(key) = key_of(w.as_bytes()) else {
                continue;
            };
            let mut i = slot_of(&key);
            for _ in 0..SLOTS {
                match (self.flags.get_mut(i), self.keys.get_mut(i)) {
                    (Some(f), Some(k)) if *f == 0 || *k == key => {
                        *k = key;
                        *f |= flag;
                        break;
                    }
                    _ => i = (i + 1) % SLOTS,
                }
            }
        }
    }

    /// True when some word of `u` (split as [`super::text::word_end`] does) has a flag in
    /// `mask`.
    pub(crate) fn any_word(&self, u: &str, mask: u16) -> bool {
        let mut scratch = String::new();
        let mut i = 0;
        while i < u.len() {
            let Some(c) = u.get(i..).and_then(|r| r.chars().next()) else {
                break;
            };
            if super::text::is_word_char(c) {
                let end = super::text::word_end(u, i).max(i + c.len_utf8());
                if self.get(u.get(i..end).unwrap_or(""), &mut scratch) & mask != 0 {
                    return true;
                }
                i = end;
            } else {
                i += c.len_utf8();
            }
        }
        false
    }

    /// Flags of `word` (any case; folded here), 0 when it is in no table. `buf` is scratch.
    pub(crate) fn get(&self, word: &str, buf: &mut String) -> u16 {
        let key = if word.is_ascii() {
            // Cheap reject by (first letter, length) and (last letter, length) before hashing.
            let b = word.as_bytes();
            let first = b.first().map_or(0, u8::to_ascii_lowercase);
            let last = b.last().map_or(0, u8::to_ascii_lowercase);
            let len_bit = 1 << word.len().min(31);
            let shape = self.shapes.get(usize::from(first)).copied().unwrap_or(0);
            let end = self.ends.get(usize::from(last)).copied().unwrap_or(0);
            if shape & end & len_bit == 0 {
                return 0;
            }
            ascii_key(word.as_bytes())
        } else if word.len() <= MAX_WORD * 2 {
            buf.clear();
            buf.extend(word.chars().map(fold));
            key_of(buf.as_bytes())
        } else {
            None
        };
        let Some(key) = key else { return 0 };
        let mut i = slot_of(&key);
        for _ in 0..SLOTS {
            match self.flags.get(i) {
                Some(&f) if f != 0 => {
                    if self.keys.get(i) == Some(&key) {
                        return f;
                    }
                    i = (i + 1) % SLOTS;
                }
                _ => return 0,
            }
        }
        0
    }
}

/// Phrases in scripts without spaces, found by one pass over the text (first-char index and a
/// bitmap prefilter instead of one substring search per phrase).
#[derive(Default)]
pub(crate) struct PhraseSet {
    /// (first char, phrase, flag), sorted by first char.
    phrases: Vec<(char, &'static str, u16)>,
    mask: Vec<u64>,
}

impl PhraseSet {
    pub(crate) fn add(&mut self, phrases: &[&'static str], flag: u16) {
        if self.mask.is_empty() {
            self.mask = vec![0; 64];
        }
        for p in phrases {
            let Some(c) = p.chars().next() else { continue };
            self.phrases.push((c, p, flag));
            let k = c as usize % 4096;
            if let Some(m) = self.mask.get_mut(k / 64) {
                *m |= 1 << (k % 64);
            }
        }
        self.phrases.sort_unstable();
    }

    /// OR of the flags of every phrase occurring in `s`.
    pub(crate) fn scan(&self, s: &str) -> u16 {
        let mut flags = 0;
        for (i, c) in s.char_indices() {
            if c.is_ascii() {
                continue;
            }
            let k = c as usize % 4096;
            if self.mask.get(k / 64).is_none_or(|m| m & (1 << (k % 64)) == 0) {
                continue;
            }
            let lo = self.phrases.partition_point(|(f, _, _)| *f < c);
            let rest = s.get(i..).unwrap_or("");
            for (_, p, flag) in self
                .phrases
                .get(lo..)
                .unwrap_or(&[])
                .iter()
                .take_while(|(f, _, _)| *f == c)
            {
                if rest.starts_with(p) {
                    flags |= flag;
                }
            }
        }
        flags
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lower_ascii8_matches_std() {
        for word in ["HELLO@[`{", "MiXeD-Case_Z", "az AZ 09", "\u{e9}T\u{c9}"] {
            let w = word.as_bytes();
            let mut want = [0u8; 8];
            let mut got = [0u8; 8];
            for (i, b) in w.iter().take(8).enumerate() {
                want[i] = b.to_ascii_lowercase();
                got[i] = *b;
            }
            assert_eq!(
                lower_ascii8(u64::from_le_bytes(got)).to_le_bytes(),
                want,
                "{word}"
            );
        }
    }

    #[test]
    fn word_table_lookup() {
        let mut t = WordTable::default();
        t.add(&["must", "évite", "don't"], 2);
        t.add(&["must"], 4);
        let mut buf = String::new();
        assert_eq!(t.get("MUST", &mut buf), 6);
        assert_eq!(t.get("Évite", &mut buf), 2);
        assert_eq!(t.get("don’t", &mut buf), 2);
        assert_eq!(t.get("mus", &mut buf), 0);
        assert_eq!(t.get("mist", &mut buf), 0);
        assert_eq!(t.get("DON'T", &mut buf), 2);
        assert_eq!(t.get(&"x".repeat(100), &mut buf), 0);
        assert_eq!(t.get("", &mut buf), 0);
    }
}
