//! Unicode script classes shared by the router's features (`classify`) and the goal-form
//! rewrite (`rewrite`): one definition, so both modules agree on what a word and a CJK
//! character are (they disagreed on Hangul and on CJK punctuation before).
//!
//! Invariant: pure and total; a few compares per character.

/// Hangul, kana and Han characters (scripts written without spaces between words).
#[inline]
pub fn is_cjk(c: char) -> bool {
    // Below the first range (all ASCII and Latin text): one compare.
    if (c as u32) < 0x1100 {
        return false;
    }
    matches!(c as u32,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7A3 | // Hangul
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F | // kana
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF) // Han
}

/// CJK symbols and punctuation (U+3001..U+303F: 、。「」 and friends), never letters or digits.
#[inline]
pub fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3001..=0x303F)
}

/// A letter or digit of a space-separated script (part of a "word").
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    !is_cjk(c) && !is_cjk_punct(c) && c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts() {
        for c in ['가', '힣', 'ㄱ', 'あ', 'ア', 'ㇰ', 'ｱ', '中', '㐀', '豈'] {
            assert!(is_cjk(c), "{c}");
            assert!(!is_word_char(c), "{c}");
        }
        for c in ['a', 'Z', '7', 'é', 'ß', 'ж', 'ñ'] {
            assert!(!is_cjk(c) && is_word_char(c), "{c}");
        }
        for c in ['、', '。', '「', '々', '〇', ' ', '-', '!'] {
            assert!(!is_cjk(c) && !is_word_char(c), "{c}");
        }
        // Past the last Hangul syllable (U+D7A3) is not Hangul.
        assert!(!is_cjk('\u{D7A4}'));
    }
}
