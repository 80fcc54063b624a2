//! How-to-think directive tables (en, ko, ja, zh, es, fr, de) and the anchor finder.
//!
//! *Anchors* are strong how-to-think signals ("step by step", "take a deep breath", generic
//! personas, "단계별로", "ステップバイステップ", "一步一步", "paso a paso", "étape par étape",
//! "Schritt für Schritt"); *fillers* are the words that may surround an anchor in a pure
//! directive (please, let's, carefully, before answering, 해 보세요, てください, 请...); *verbs*
//! are thinking verbs that anchors like "step by step" require ("Write step-by-step
//! instructions" has none and stays). [`super::strip`] decides what to remove.
//!
//! Invariant: pure and total. Tables are folded literals indexed once (first two letters /
//! first char); no per-request compilation, no allocation beyond the match list, and text inside
//! protected spans is never matched.

use std::ops::Range;
use std::sync::OnceLock;

use super::lexicon::WordTable;
use super::text::{self, fold, is_word_char, match_at};

/// (anchor, needs a thinking verb in the same clause). Folded: lowercase, `'` apostrophes,
/// a space matches any run of whitespace or hyphens.
#[rustfmt::skip]
const ANCHORS: &[(&str, bool)] = &[
    // en
    ("step by step", true), ("one step at a time", true), ("take a deep breath", false),
    ("show your work", false), ("show your reasoning", false), ("show your thinking", false),
    ("show your thought process", false), ("explain your reasoning", false),
    ("explain your thinking", false), ("explain your thought process", false),
    ("reason it out", false), ("reason through", false), ("let's reason", false),
    ("think it through", false), ("think this through", false), ("think through", false),
    ("work through", false), ("work it out", false), ("work this out", false),
    ("think carefully", false), ("think hard", false), ("think deeply", false),
    ("think out loud", false), ("think aloud", false), ("think before you answer", false),
    ("think before answering", false), ("chain of thought", false), ("you are a helpful", false),
    ("you are an helpful", false), ("you are a world class", false), ("you are an expert", false),
    ("you are a highly", false), ("you are an ai", false), ("you are a smart", false),
    ("you are an intelligent", false), ("you are a brilliant", false), ("you are a genius", false),
    ("you are chatgpt", false), ("you are a large language model", false),
    ("act as an expert", false), ("act as a world class", false),
    // ko
    ("단계별로", true), ("단계적으로", true), ("한 단계씩", true), ("한단계씩", true), ("차근차근", true),
    ("한 걸음씩", true), ("심호흡", false), ("추론 과정을 설명", false), ("풀이 과정을 보여", false),
    ("생각 과정을 보여", false), ("당신은 유용한", false), ("당신은 도움이 되는", false), ("당신은 세계 최고의", false),
    ("당신은 친절한", false), ("천천히 생각", false), ("깊이 생각", false), ("신중하게 생각", false),
    // ja
    ("ステップバイステップ", true), ("段階的に", true), ("一歩ずつ", true), ("順を追って", true), ("一つずつ", true),
    ("深呼吸", false), ("推論過程を説明", false), ("思考過程を示", false), ("あなたは役に立つ", false), ("あなたは優秀な", false),
    ("あなたは親切な", false), ("あなたは世界最高の", false), ("よく考え", false), ("じっくり考え", false),
    // zh
    ("一步一步", true), ("一步步", true), ("逐步", true), ("循序渐进", true), ("分步骤", true), ("深呼吸", false),
    ("展示你的推理", false), ("解释你的推理", false), ("展示你的思考过程", false), ("你是一个乐于助人的", false),
    ("你是一个有用的", false), ("你是一位世界级的", false), ("你是一个世界级的", false), ("你是一个智能助手", false),
    ("仔细思考", false), ("认真思考", false), ("深入思考", false),
    // es
    ("paso a paso", true), ("paso por paso", true), ("respira hondo", false),
    ("respira profundamente", false), ("muestra tu razonamiento", false),
    ("explica tu razonamiento", false), ("muestra tu trabajo", false),
    ("cadena de pensamiento", false), ("eres un asistente", false), ("eres un experto", false),
    ("usted es un asistente", false), ("piensa con cuidado", false), ("piensa detenidamente", false),
    ("razona con cuidado", false),
    // fr
    ("étape par étape", true), ("pas à pas", true), ("respire profondément", false),
    ("respirez profondément", false), ("montre ton raisonnement", false),
    ("montrez votre raisonnement", false), ("explique ton raisonnement", false),
    ("expliquez votre raisonnement", false), ("chaîne de pensée", false),
    ("tu es un assistant", false), ("vous êtes un assistant", false), ("tu es un expert", false),
    ("vous êtes un expert", false), ("prends une grande inspiration", false),
    ("prenez une grande inspiration", false), ("réfléchis bien", false), ("réfléchissez bien", false),
    // de
    ("schritt für schritt", true), ("schrittweise", true), ("atme tief durch", false),
    ("atmen sie tief durch", false), ("erkläre deine überlegungen", false),
    ("erklären sie ihre überlegungen", false), ("gedankenkette", false),
    ("du bist ein hilfreicher", false), ("sie sind ein hilfreicher", false),
    ("du bist ein experte", false), ("du bist ein weltklasse", false), ("denke sorgfältig", false),
    ("denk sorgfältig", false), ("überlege sorgfältig", false), ("denke gründlich", false),
];

/// Thinking verbs (space-separated scripts). Also fillers.
#[rustfmt::skip]
const VERBS: &[&str] = &[
    "think", "thinking", "reason", "reasoning", "work", "go", "proceed", "approach",
    "ponder", "mull",
    "piensa", "piense", "pensemos", "pensar", "razona", "razone", "razonemos", "razonar",
    "piénsalo", "piénsatelo", "piénsala", "razónalo", "medita", "medítalo", "reflexiónalo",
    "reflexiona", "reflexionemos", "procede", "procedamos", "vayamos", "réfléchis", "réfléchissez",
    "réfléchissons", "réfléchir", "raisonne", "raisonnez", "raisonnons", "raisonner", "pense",
    "pensez", "pensons", "procède", "procédez", "procédons", "denke", "denk", "denken", "denkt",
    "überlege", "überleg", "überlegen", "gehe", "geh", "gehen", "vorgehen", "argumentiere",
    "nachdenken", "überlegs", "grüble", "grübel", "durchdenke", "durchdenk",
];

/// Thinking verbs in scripts without spaces (matched as substrings). Also fillers.
#[rustfmt::skip]
pub(super) const CJK_VERBS: &[&str] = &[
    "생각", "추론", "사고", "고민", "考え", "推論", "思考", "推理", "想", "考虑",
];

/// Words that may surround an anchor in a pure directive.
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    // en
    "please", "let's", "lets", "let", "us", "we", "now", "first", "also", "just", "always",
    "really", "carefully", "slowly", "thoroughly", "systematically", "logically", "methodically",
    "deeply", "hard", "and", "then", "so", "you", "your", "should", "must", "need", "to", "try",
    "can", "will", "i", "want", "before", "after", "answering", "answer", "responding", "respond",
    "replying", "reply", "giving", "the", "a", "an", "this", "that", "it", "problem", "question",
    "task", "through", "about", "out", "loud", "aloud", "over", "on", "of", "in", "into", "steps",
    "step", "parts", "reasoning", "thought", "process", "final", "use", "using", "with", "way",
    "manner", "fashion", "be", "sure", "make", "everything", "all", "helpful", "harmless", "honest",
    "assistant", "ai", "expert", "world", "class", "highly", "skilled", "knowledgeable",
    "experienced", "smart", "intelligent", "brilliant", "genius", "very", "extremely",
    "professional", "problem-solver", "solver", "thinker", "who", "helps", "users", "people",
    "their", "questions", "tasks", "large", "language", "model", "are", "act", "as", "here",
    "things", "well", "and", "by", "little", "bit", "ok", "okay", "have", "right", "correct",
    "within", "end", "une", "grande",
    // es
    "por", "favor", "vamos", "a", "primero", "con", "cuidado", "detenidamente", "el", "la",
    "problema", "esto", "lo", "y", "luego", "antes", "de", "responder", "contestar", "tu",
    "respuesta", "un", "una", "asistente", "útil", "experto", "talla", "mundial", "muy",
    "servicial", "eres", "usted", "es", "que", "ayuda", "ahora", "bien", "sobre", "ello",
    // fr
    "s'il", "te", "plaît", "plait", "vous", "d'abord", "bien", "attentivement", "soigneusement",
    "calmement", "le", "problème", "ce", "sujet", "et", "puis", "ensuite", "avant", "répondre",
    "ta", "votre", "réponse", "es", "êtes", "une", "assistant", "utile", "serviable", "classe",
    "mondiale", "très", "qui", "aide", "allons", "y", "procéder", "maintenant", "nous",
    // de
    "bitte", "lass", "lasst", "uns", "nach", "zuerst", "erst", "sorgfältig", "gründlich", "genau",
    "ruhig", "das", "die", "der", "problem", "darüber", "dabei", "und", "dann", "bevor", "du",
    "antwortest", "sie", "antworten", "antwort", "ein", "eine", "hilfreicher", "assistent",
    "experte", "weltklasse", "bist", "sind", "sehr", "mal", "es", "hier", "jetzt", "durch",
    "zunächst", "aufgabe", "frage", "vor",
];

/// Fillers in scripts without spaces (a run must split entirely into these and verbs).
#[rustfmt::skip]
pub(super) const CJK_FILLERS: &[&str] = &[
    // ko
    "해", "해서", "해요", "보세요", "봐", "봐요", "보자", "봅시다", "하세요", "하십시오", "합시다", "하자", "해라", "하고", "주세요",
    "을", "를", "은", "는", "이", "가", "의", "먼저", "천천히", "꼼꼼히", "신중하게", "깊이", "자", "우리", "같이", "함께",
    "그리고", "문제", "에", "대해", "하면서", "하며", "답하기", "전에", "당신은", "유용한", "도움이", "되는", "어시스턴트", "입니다",
    "비서", "조수", "친절한", "세계", "최고의", "전문가", "하여", "한", "보고", "하기", "과정", "주십시오", "요",
    "답하세요", "답해", "답변", "후에", "후", "다음에",
    // ja
    "で", "に", "て", "てください", "て下さい", "ください", "下さい", "ましょう", "みましょう", "みて", "よう", "しょう", "して",
    "しましょう", "しなさい", "なさい", "まず", "よく", "じっくり", "慎重に", "しっかり", "問題", "を", "は", "が", "の", "について",
    "から", "答える", "前に", "ね", "よ", "あなたは", "役に立つ", "アシスタント", "です", "優秀な", "親切な", "世界最高の", "専門家", "る",
    "み", "ます", "回答", "する", "すること", "こと", "ながら", "答え", "てから",
    // zh
    "请", "让我们", "我们", "我", "你", "要", "先", "一下", "地", "吧", "来", "然后", "仔细", "认真", "好好", "这个", "问题",
    "在", "回答", "之前", "的", "是", "一个", "一位", "乐于助人", "有用", "助手", "智能", "人工智能", "世界级", "专家", "过程",
    "进行", "地进行", "并", "再", "后",
];

const FILLER: u16 = 1;
pub(super) const VERB: u16 = 2;
/// Fillers that state a task when they stand alone ("then answer the question").
pub(super) const TASK: u16 = 4;
/// Verbs that are thinking verbs only to the detector's features, not to the guards: alone
/// they are task words as often ("Does the price reflect inflation?", "Reflect: ..." as a
/// heading). The detector was trained with them as [`VERB`]s, so its features keep them.
pub(super) const DETECTOR_VERB: u16 = 8;
const DETECTOR_VERBS: &[&str] = &["reflect"];
const TASK_WORDS: &[&str] = &[
    "answer",
    "respond",
    "reply",
    "question",
    "problem",
    "task",
    "this",
    "it",
    "that",
    "questions",
    "tasks",
    "everything",
    "answers",
    "responder",
    "contestar",
    "problema",
    "répondre",
    "problème",
    "antworten",
    "antwort",
    "aufgabe",
    "frage",
    "problem",
];

pub(super) struct Tables {
    /// (pattern, needs verb, Latin word-boundary rules, leading ASCII word for a quick
    /// case-insensitive byte check before the full match).
    anchors: Vec<(&'static str, bool, bool, &'static [u8])>,
    /// Anchor indices by their first two letters (`a`..`z`), for ASCII-letter anchors.
    pairs: Vec<Vec<(&'static [u8], Vec<u16>)>>,
    /// Anchor indices by folded first char, for ASCII.
    ascii: Vec<Vec<u16>>,
    /// (first char, anchor index) for non-ASCII first chars, sorted.
    other: Vec<(char, u16)>,
    /// Bit `c % 4096` set for every first char in `other` (cheap prefilter).
    other_mask: Vec<u64>,
    pub(super) words: WordTable,
}

pub(super) fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut ascii = vec![Vec::new(); 128];
        let mut pairs: Vec<Vec<u16>> = vec![Vec::new(); 26 * 26];
        let mut other = Vec::new();
        let mut anchors = Vec::new();
        for (i, (pat, verb)) in ANCHORS.iter().enumerate() {
            let Some(first) = pat.chars().next() else {
                continue;
            };
            let latin = pat.chars().any(is_word_char);
            // Leading ASCII letters: compared bytewise, and must end the text word there.
            let head_len = pat.bytes().take_while(u8::is_ascii_lowercase).count();
            let head: &[u8] = pat.as_bytes().get(..head_len).unwrap_or(&[]);
            anchors.push((*pat, *verb, latin, head));
            let idx = u16::try_from(i).unwrap_or(u16::MAX);
            match (pat.as_bytes(), ascii.get_mut(first as usize)) {
                ([a @ b'a'..=b'z', b @ b'a'..=b'z', ..], _) => {
                    if let Some(v) = pairs.get_mut(pair_index(*a, *b)) {
                        v.push(idx);
                    }
                }
                (_, Some(v)) if first.is_ascii() => v.push(idx),
                _ => other.push((first, idx)),
            }
        }
        other.sort_unstable();
        // Group each bucket by head word, so a text word is compared with each head once.
        let head_of = |i: u16| anchors.get(usize::from(i)).map_or(&[][..], |a| a.3);
        let pairs = pairs
            .into_iter()
            .map(|v| {
                let mut groups: Vec<(&'static [u8], Vec<u16>)> = Vec::new();
                for i in v {
                    match groups.iter_mut().find(|(h, _)| *h == head_of(i)) {
                        Some((_, g)) => g.push(i),
                        None => groups.push((head_of(i), vec![i])),
                    }
                }
                groups
            })
            .collect();
        let mut other_mask = vec![0u64; 64];
        for (c, _) in &other {
            let k = u32::from(*c) as usize % 4096;
            if let Some(m) = other_mask.get_mut(k / 64) {
                *m |= 1 << (k % 64);
            }
        }
        let mut words = WordTable::default();
        words.add(FILLERS, FILLER);
        words.add(VERBS, VERB);
        words.add(DETECTOR_VERBS, DETECTOR_VERB);
        words.add(TASK_WORDS, TASK);
        Tables {
            anchors,
            pairs,
            ascii,
            other,
            other_mask,
            words,
        }
    })
}

fn pair_index(a: u8, b: u8) -> usize {
    usize::from(a.wrapping_sub(b'a')) * 26 + usize::from(b.wrapping_sub(b'a'))
}

/// Builds the tables ahead of the first request (optional; they are built lazily otherwise).
pub fn warm_up() {
    let _ = tables();
}

#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub(super) range: Range<usize>,
    pub(super) needs_verb: bool,
}

/// Every anchor occurrence outside protected spans, in order of start.
pub(crate) fn find_anchors(text: &str, spans: &[Range<usize>]) -> Vec<Match> {
    let t = tables();
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut prev_word = false;
    let mut span_idx = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if text::ascii_alnum(&b) {
            if !prev_word {
                let next = bytes.get(i + 1).map_or(0, u8::to_ascii_lowercase);
                let lower = b.to_ascii_lowercase();
                if lower.is_ascii_lowercase() && next.is_ascii_lowercase() {
                    for (head, group) in t
                        .pairs
                        .get(pair_index(lower, next))
                        .map_or(&[][..], Vec::as_slice)
                    {
                        let word = bytes.get(i..i + head.len());
                        let ends = !bytes.get(i + head.len()).is_some_and(text::ascii_alnum);
                        if ends && word.is_some_and(|w| w.eq_ignore_ascii_case(head)) {
                            try_anchors(t, text, spans, i, group.iter().copied(), false, &mut out);
                        }
                    }
                }
                if let Some(c) = t.ascii.get(usize::from(lower)).filter(|c| !c.is_empty()) {
                    try_anchors(t, text, spans, i, c.iter().copied(), false, &mut out);
                }
            }
            prev_word = true;
            i += 1;
            while bytes.get(i).is_some_and(text::ascii_alnum) {
                i += 1;
            }
            continue;
        }
        // Protected spans start at '`', '"' or a non-ASCII opener.
        if b == b'`' || b == b'"' || !b.is_ascii() {
            while spans.get(span_idx).is_some_and(|s| s.end <= i) {
                span_idx += 1;
            }
            if let Some(s) = spans.get(span_idx).filter(|s| s.start <= i) {
                i = s.end.max(i + 1);
                prev_word = false;
                continue;
            }
        }
        if b.is_ascii() {
            prev_word = false;
            i += 1;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            i += 1;
            continue;
        };
        let f = fold(c);
        let k = u32::from(f) as usize % 4096;
        if t.other_mask.get(k / 64).is_some_and(|m| m & (1 << (k % 64)) != 0) {
            let lo = t.other.partition_point(|(k, _)| *k < f);
            let cands = t
                .other
                .get(lo..)
                .unwrap_or(&[])
                .iter()
                .take_while(|(k, _)| *k == f);
            try_anchors(t, text, spans, i, cands.map(|(_, i)| *i), prev_word, &mut out);
        }
        prev_word = is_word_char(c);
        i += c.len_utf8();
    }
    out
}

/// [`match_at`] with a bytewise fast path: an ASCII pattern that matches case-insensitively
/// as written needs no folding; a mismatch on a letter is final; only a mismatch on whitespace,
/// a hyphen or a non-ASCII byte (curly apostrophe, full-width) falls back to the full matcher.
fn quick_match(bytes: &[u8], text: &str, i: usize, pat: &str) -> Option<usize> {
    let p = pat.as_bytes();
    if !pat.is_ascii() {
        return match_at(text, i, pat);
    }
    let rest = bytes.get(i..).unwrap_or(&[]);
    match rest.iter().zip(p).position(|(t, q)| t.to_ascii_lowercase() != *q) {
        None if rest.len() >= p.len() => Some(i + p.len()),
        None => None,
        Some(j) => match rest.get(j) {
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'-') => match_at(text, i, pat),
            Some(b) if !b.is_ascii() => match_at(text, i, pat),
            _ => None,
        },
    }
}

/// Tries the candidate anchors at byte `i` and records those that match.
fn try_anchors(
    t: &Tables,
    text: &str,
    spans: &[Range<usize>],
    i: usize,
    cands: impl Iterator<Item = u16>,
    prev_word: bool,
    out: &mut Vec<Match>,
) {
    let bytes = text.as_bytes();
    for idx in cands {
        let Some(&(pat, needs_verb, latin, head)) = t.anchors.get(usize::from(idx)) else {
            continue;
        };
        let head_ok = bytes
            .get(i..i + head.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(head));
        if (latin && prev_word) || !head_ok {
            continue;
        }
        let Some(end) = quick_match(bytes, text, i, pat) else {
            continue;
        };
        let boundary = !latin
            || text
                .get(end..)
                .and_then(|s| s.chars().next())
                .is_none_or(|n| !is_word_char(n));
        if boundary && !text::overlaps(spans, i, end) {
            out.push(Match {
                range: i..end,
                needs_verb,
            });
        }
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use crate::rewrite::lexicon::MAX_WORD;

    #[test]
    fn tables_are_folded_and_fit() {
        let folded = |w: &str| w.chars().map(fold).collect::<String>() == w;
        for (a, _) in ANCHORS {
            assert!(
                folded(a) && !a.is_empty() && !a.starts_with(' ') && !a.contains("  "),
                "{a}"
            );
        }
        for w in FILLERS.iter().chain(VERBS).chain(TASK_WORDS) {
            assert!(folded(w) && w.len() <= MAX_WORD && !w.contains(' '), "{w}");
        }
        assert!(CJK_FILLERS.iter().chain(CJK_VERBS).all(|w| !w.is_empty()));
        assert_eq!(tables().anchors.len(), ANCHORS.len());
    }

    #[test]
    fn anchors_found_case_and_hyphen_insensitive_outside_spans() {
        let cases: &[(&str, usize)] = &[
            ("TAKE A DEEP BREATH, THINK STEP-BY-STEP", 2),
            ("rethink stepbystep", 0),
            ("\"think step by step\" and `think step by step`", 0),
            ("Étape par étape", 1),
            ("请一步一步地思考", 1),
            ("", 0),
        ];
        for (text, n) in cases {
            let spans = text::protected_spans(text);
            assert_eq!(find_anchors(text, &spans).len(), *n, "{text}");
        }
    }
}
