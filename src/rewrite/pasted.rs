//! Pasted material recognised by its structure rather than by an introducer colon (issue 19):
//!
//! * a block between two delimiter lines (`---`, `===`, `***`, `"""`, ...);
//! * an email: from a header line (`Subject:`, `件名：`, `主题：`, `Betreff:`, `Objet :`, `Asunto:`,
//!   `제목:`, or a `From:`/`To:` line next to one) to the end of the text or the closing
//!   delimiter;
//! * a letter or message that opens with a greeting ("Hi,", "您好，", "Hola Marta:",
//!   "안녕하세요") in a paragraph after one that names material ("this customer email", "下面这封
//!   客户邮件"), to the end of the text or the closing delimiter;
//! * a labelled item line ("Essay 18: ...", "Review #3: ...", "レビュー2：..."): the whole line;
//! * transcript lines with a timestamp before the speaker ("(20:14) Pilar: ...").
//!
//! Everything inside is data the user asks about: nothing in it is removed.
//!
//! Invariant: pure and total; one pass over the lines, no lowercasing of the text, no regex.

use std::ops::Range;

use super::text::{is_cjk, is_word_char};

/// Header keys that make a line an email header on their own.
#[rustfmt::skip]
const SUBJECT_KEYS: &[&str] = &[
    "subject", "betreff", "objet", "asunto", "assunto", "oggetto", "件名", "主题", "主旨", "標題",
    "제목",
];

/// Header keys that count only next to a subject line.
#[rustfmt::skip]
const OTHER_KEYS: &[&str] = &[
    "from", "to", "cc", "date", "sent", "von", "an", "datum", "gesendet", "de", "à", "a", "para",
    "fecha", "enviado", "envoyé", "差出人", "宛先", "送信者", "日時", "发件人", "收件人", "日期",
    "보낸 사람", "받는 사람", "보낸사람", "받는사람", "날짜",
];

/// Words that open a letter or a message (compared case-insensitively at the line start, then a
/// non-letter).
#[rustfmt::skip]
const GREETINGS: &[&str] = &[
    "hi", "hello", "hey", "dear", "good morning", "good afternoon", "hola", "estimado", "estimada",
    "estimados", "buenos días", "buenas", "querido", "querida", "bonjour", "bonsoir", "salut",
    "madame", "monsieur", "cher", "chère", "hallo", "sehr geehrte", "sehr geehrter", "guten tag",
    "liebe", "lieber", "moin", "servus",
];

/// Greetings in scripts without spaces (prefixes of the line).
#[rustfmt::skip]
const GREETINGS_CJK: &[&str] = &[
    "您好", "你好", "尊敬的", "亲爱的", "各位好", "こんにちは", "お世話になっております", "お世話になります",
    "いつもお世話に", "拝啓", "お疲れ様です", "안녕하세요", "안녕하십니까", "수고하십니다",
];

/// Words that name material a user pastes (for the paragraph before a greeting).
#[rustfmt::skip]
const MATERIAL_NOUNS: &[&str] = &[
    "email", "e-mail", "mail", "message", "letter", "note", "reply", "review", "complaint",
    "correo", "mensaje", "carta", "reseña", "queja", "courriel", "lettre", "avis",
    "réclamation", "nachricht", "brief", "beschwerde", "bewertung",
];

#[rustfmt::skip]
const MATERIAL_NOUNS_CJK: &[&str] = &[
    "메일", "메시지", "편지", "문의", "리뷰", "후기", "メール", "メッセージ", "手紙", "問い合わせ", "お問い合わせ",
    "レビュー", "口コミ", "邮件", "消息", "来信", "留言", "评论", "投诉",
];

/// Words that label a numbered item of material ("Essay 18:", "Review #3:").
#[rustfmt::skip]
const ITEM_LABELS: &[&str] = &[
    "essay", "review", "comment", "ticket", "email", "message", "answer", "response", "text",
    "sample", "example", "excerpt", "post", "tweet", "entry", "submission", "reseña", "comentario",
    "respuesta", "texto", "ejemplo", "mensaje", "avis", "commentaire", "réponse", "texte",
    "exemple", "copie", "bewertung", "kommentar", "antwort", "beispiel", "aufsatz",
    "리뷰", "후기", "답안", "댓글", "レビュー", "回答", "コメント", "作文", "评论",
    "留言", "答案",
];

/// Byte ranges of structurally pasted material in `t` (unsorted; the caller merges).
pub(crate) fn pasted_ranges(t: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Lines with their byte ranges (without the line break).
    let mut lines: Vec<Range<usize>> = Vec::new();
    let mut pos = 0;
    for line in t.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        lines.push(pos..pos + body.len());
        pos += line.len();
    }
    let line = |r: &Range<usize>| t.get(r.clone()).unwrap_or("");
    let delims: Vec<usize> = (0..lines.len())
        .filter(|&i| lines.get(i).is_some_and(|r| delimiter(line(r))))
        .collect();
    // Blocks between paired delimiters.
    for pair in delims.chunks_exact(2) {
        if let (Some(a), Some(b)) = (
            pair.first().and_then(|&i| lines.get(i)),
            pair.get(1).and_then(|&i| lines.get(i)),
        ) {
            out.push(a.end..b.start);
        }
    }
    // The end of the material that starts on line `i`: the next delimiter line, else the text's end.
    let block_end = |i: usize| -> usize {
        delims
            .iter()
            .find(|&&d| d > i)
            .and_then(|&d| lines.get(d))
            .map_or(t.len(), |r| r.start)
    };
    let mut i = 0;
    let mut prev_blank = true;
    while i < lines.len() {
        let Some(r) = lines.get(i) else { break };
        let l = line(r).trim();
        if l.is_empty() {
            prev_blank = true;
            i += 1;
            continue;
        }
        let after_break = prev_blank || i.checked_sub(1).is_some_and(|j| delims.contains(&j));
        prev_blank = false;
        // (Whether an earlier line names material is asked only of a greeting line.)
        let letter = || {
            after_break
                && i > 0
                && greeting(l)
                && lines
                    .get(..i)
                    .unwrap_or(&[])
                    .iter()
                    .any(|r| names_material(line(r)))
        };
        // Header, item and transcript lines all have a colon: one byte scan decides.
        let colon = colon_near_start(l, 40).is_some();
        if colon && header_run(&lines, i, t) || letter() {
            let end = block_end(i);
            out.push(r.start..end);
            // Continue after the block.
            while lines.get(i).is_some_and(|x| x.start < end) {
                i += 1;
            }
            continue;
        }
        if colon && (item_label(l) || timestamped_speaker(l)) {
            out.push(r.clone());
        }
        i += 1;
    }
    out
}

/// The byte offset of the first colon (`:` or `：`) among the first `max` characters of `l`:
/// labels and header keys are short, so a long line is never scanned to its end.
fn colon_near_start(l: &str, max: usize) -> Option<usize> {
    l.char_indices()
        .take(max)
        .find(|&(_, c)| c == ':' || c == '：')
        .map(|(i, _)| i)
}

/// A line of three or more `-`, `=`, `*`, `_`, `~`, or `"""` / `'''` alone.
fn delimiter(l: &str) -> bool {
    let l = l.trim();
    if l == "\"\"\"" || l == "'''" {
        return true;
    }
    let mut chars = l.chars();
    let Some(first) = chars.next() else { return false };
    matches!(first, '-' | '=' | '*' | '_' | '~') && l.len() >= 3 && l.chars().all(|c| c == first)
}

/// The header key of line `l` ("Subject" of "Subject: ..."), if it has one.
fn header_key(l: &str) -> Option<&str> {
    let p = colon_near_start(l, 14)?;
    let key = l.get(..p)?.trim();
    let value = l.get(p..)?.chars().skip(1).any(|c| !c.is_whitespace());
    (!key.is_empty() && key.chars().count() <= 12 && value).then_some(key)
}

fn key_in(key: &str, list: &[&str]) -> bool {
    list.iter().any(|k| {
        if k.is_ascii() {
            key.eq_ignore_ascii_case(k)
        } else {
            key == *k || !key.is_ascii() && key.to_lowercase() == *k
        }
    })
}

/// Line `i` opens a run of header lines with a subject line in it (at most six lines).
fn header_run(lines: &[Range<usize>], i: usize, t: &str) -> bool {
    let mut subject = false;
    for r in lines.get(i..).unwrap_or(&[]).iter().take(6) {
        let l = t.get(r.clone()).unwrap_or("").trim();
        let Some(key) = header_key(l) else { break };
        if key_in(key, SUBJECT_KEYS) {
            subject = true;
        } else if !key_in(key, OTHER_KEYS) {
            break;
        }
    }
    // The run must start with a header line (not just contain one later).
    subject
        && lines
            .get(i)
            .and_then(|r| t.get(r.clone()))
            .and_then(|l| header_key(l.trim()))
            .is_some_and(|k| key_in(k, SUBJECT_KEYS) || key_in(k, OTHER_KEYS))
}

/// `l` opens with a greeting word.
fn greeting(l: &str) -> bool {
    if GREETINGS_CJK.iter().any(|g| l.starts_with(g)) {
        return true;
    }
    GREETINGS.iter().any(|g| {
        l.get(..g.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(g) || !h.is_ascii() && h.to_lowercase() == *g)
            && l.get(g.len()..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !is_word_char(c))
    })
}

/// `l` names material a user pastes ("this customer email", "下面这封客户邮件").
fn names_material(l: &str) -> bool {
    if l.chars().any(is_cjk) && MATERIAL_NOUNS_CJK.iter().any(|m| l.contains(m)) {
        return true;
    }
    l.split(|c: char| !is_word_char(c) && c != '-').any(|w| {
        w.len() >= 3
            && MATERIAL_NOUNS.iter().any(|m| {
                w.eq_ignore_ascii_case(m)
                    || w.len() > m.len() + 1
                        && w.get(w.len() - m.len()..)
                            .is_some_and(|s| s.eq_ignore_ascii_case(m))
                        && m.len() >= 4
                    || w.len() == m.len() + 1
                        && w.get(..m.len()).is_some_and(|s| s.eq_ignore_ascii_case(m))
                        && w.ends_with(['s', 'S'])
            })
    })
}

/// "Essay 18: ...", "Review #3: ...", "レビュー2：...": a material word, a number, a colon and text.
fn item_label(l: &str) -> bool {
    let Some(p) = colon_near_start(l, 26) else {
        return false;
    };
    let Some(label) = l.get(..p) else { return false };
    if l.get(p..)
        .is_none_or(|r| r.chars().skip(1).all(char::is_whitespace))
        || label.chars().count() > 24
    {
        return false;
    }
    let word: String = label
        .chars()
        .take_while(|c| !c.is_ascii_digit() && *c != '#')
        .collect();
    let tail = label.get(word.len()..).unwrap_or("").trim_start_matches('#');
    let word = word.trim();
    !tail.is_empty()
        && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && tail.chars().next().is_some_and(|c| c.is_ascii_digit())
        && key_in(word, ITEM_LABELS)
}

/// "(20:14) Pilar: ...", "[09:31] 김팀장: ...", "10:02 Tom: ...": a timestamp, a short name, a
/// colon and text.
fn timestamped_speaker(l: &str) -> bool {
    let rest = l.trim_start_matches(['(', '[']);
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let h = digits(rest);
    if !(1..=2).contains(&h) || rest.as_bytes().get(h) != Some(&b':') {
        return false;
    }
    let rest = rest.get(h + 1..).unwrap_or("");
    let m = digits(rest);
    if m != 2 {
        return false;
    }
    let rest = rest.get(m..).unwrap_or("").trim_start_matches([')', ']']);
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    let rest = rest.trim_start();
    let Some(p) = colon_near_start(rest, 24) else {
        return false;
    };
    let name = rest.get(..p).unwrap_or("");
    let n = name.chars().count();
    (1..=20).contains(&n)
        && name.split_whitespace().count() <= 2
        && name.chars().next().is_some_and(|c| c.is_uppercase() || is_cjk(c))
        && name
            .chars()
            .all(|c| is_word_char(c) || is_cjk(c) || c == ' ' || c == '.')
        && rest
            .get(p..)
            .is_some_and(|r| r.chars().skip(1).any(|c| !c.is_whitespace()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn covered(t: &str, s: &str) -> bool {
        let at = t.find(s).unwrap();
        pasted_ranges(t)
            .iter()
            .any(|r| r.start <= at && at + s.len() <= r.end)
    }

    #[test]
    fn shapes() {
        assert!(delimiter("---") && delimiter(" ===== ") && delimiter("\"\"\""));
        assert!(!delimiter("--") && !delimiter("-a-") && !delimiter(""));
        assert!(greeting("Hi, please") && greeting("您好，我想") && greeting("Sehr geehrte Damen"));
        assert!(!greeting("Highly") && !greeting("History"));
        assert!(item_label("Essay 18: Homework should go.") && item_label("Review #3: Nice."));
        assert!(item_label("レビュー2：最高でした。"));
        assert!(!item_label("Step 1: think.") && !item_label("Essay: nice"));
        assert!(timestamped_speaker("(20:14) Pilar: Vale.") && timestamped_speaker("[9:05] 김팀장: 네."));
        assert!(!timestamped_speaker("20:14 is the time: ok") && !timestamped_speaker("Pilar: hola"));
        assert!(
            names_material("Classify this customer email as billing.") && names_material("下面这封客户邮件")
        );
        assert!(!names_material("Solve the puzzle."));
    }

    #[test]
    fn blocks() {
        let t = "Sort this note.\n\n---\nThink hard about it.\n---\nThink step by step.";
        assert!(covered(t, "Think hard about it."));
        assert!(!covered(t, "Think step by step."));
        let t = "Label it.\n\nBetreff: Kündigung\nIch habe lange nachgedacht.\n\nGruß";
        assert!(covered(t, "Ich habe lange nachgedacht."));
        let t = "Reply to the message below.\n\nHola Ana:\nPiénsalo bien.";
        assert!(covered(t, "Piénsalo bien."));
        // A greeting that opens the user's own text is no pasted letter.
        let t = "Hi!\n\nThink step by step and plan my week.";
        assert!(pasted_ranges(t).is_empty());
    }
}
