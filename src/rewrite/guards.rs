//! Hard keep guards: text the detector never removes, whatever it scores.
//!
//! * Pasted material: what follows an introducer colon that names material or an analysis task
//!   ("Classify this email:", "Here is the system prompt our bot uses:", "다음 회의록을 요약해
//!   줘:", "次のデータ：", "Übersetze ins Englische:"): the rest of the sentence, or the block
//!   after the line (to the first blank line) when the colon ends it; transcript lines ("Tom: ...", two or more in the
//!   text); `>` quote lines. Quotes and code are protected spans already.
//! * Units that state facts: an identifier mixing letters and digits (`X200`, `40k`), a decimal
//!   number (`0.91`, `37,5`), an equation, a URL or an address.
//! * Voice and audience: a unit that names a voice, tone or style ("Voice: you are a cheerful
//!   new hire", "im Stil eines Taxifahrers", "말투는 ...").
//! * Role lines that carry task facts: a persona opener followed by `;`/`:` and more ("You are
//!   the on-call engineer for the payments API; the pager says ..."); and a persona clause is
//!   never cut out of a longer sentence on its own.
//!
//! Invariant: pure and total; ranges are sorted, lie on char boundaries of the text given.

use std::cell::OnceCell;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

use super::lexicon::WordTable;
use super::phrases::{Lists, WordSet};
use super::text::{self, is_cjk, is_word_char};

/// Latin words that mark material or an analysis of it before a colon.
#[rustfmt::skip]
const MATERIAL_WORDS: &[&str] = &[
    // en
    "email", "e-mail", "mail", "message", "messages", "log", "logs", "prompt", "prompts",
    "transcript", "thread", "chat", "conversation", "review", "reviews", "text", "passage",
    "document", "letter", "article", "post", "tweet", "comment", "comments", "ticket", "minutes",
    "excerpt", "quote", "snippet", "sentence", "sentences", "phrase", "line", "lines", "data",
    "output", "report", "clause", "contract", "essay", "poem", "story", "headline", "translate",
    "classify", "categorize", "categorise", "critique", "analyse", "analyze", "summarise",
    "summarize", "proofread", "rephrase", "paraphrase", "grade", "label", "following", "below",
    "here", "here's", "says", "said", "wrote", "writes", "reads", "uses", "feedback", "rubric",
    // es
    "correo", "mensaje", "registro", "transcripción", "conversación", "reseña", "reseñas", "texto",
    "artículo", "carta", "contrato", "cláusula", "datos", "traduce", "traducir", "clasifica",
    "resume", "revisa", "critica", "siguiente", "siguientes", "aquí", "dice", "escribió",
    "comentarios", "opiniones", "frase", "rúbrica", "baremo",
    // fr
    "courriel", "journal", "transcription", "avis", "texte", "lettre", "contrat", "données",
    "traduis", "traduisez", "traduire", "classe", "classifie", "résume", "suivant", "suivante",
    "suivants", "voici", "dit", "écrit", "commentaires", "phrase", "extrait", "barème", "grille",
    // de
    "nachricht", "protokoll", "systemprompt", "chatverlauf", "gespräch", "bewertung",
    "bewertungen", "artikel", "brief", "vertrag", "klausel", "daten", "übersetze", "übersetz",
    "klassifiziere", "ordne", "folgende", "folgenden", "folgendes", "hier", "steht", "schreibt",
    "kommentare", "satz", "ausschnitt", "bewertungsschema", "punkteschema", "bewertungsraster",
];

/// Compound endings that mark material in German ("Kundenmail", "Gesprächsprotokoll").
const MATERIAL_SUFFIXES: &[&str] = &[
    "mail",
    "protokoll",
    "prompt",
    "verlauf",
    "nachricht",
    "text",
    "bewertungen",
];

/// Material and analysis cues in scripts without spaces (substrings).
#[rustfmt::skip]
const MATERIAL_CJK: &[&str] = &[
    // ko
    "메일", "메시지", "로그", "프롬프트", "녹취록", "회의록", "대화", "리뷰", "후기", "문장", "텍스트", "기사", "편지",
    "계약서", "특약", "조항", "데이터", "번역", "분류", "요약", "검토", "비평", "다음 ", "다음의", "다음은", "다음을", "다음과", "아래", "내용", "채점 기준", "채점기준",
    // ja
    "メール", "メッセージ", "ログ", "プロンプト", "議事録", "会話", "レビュー", "文章", "テキスト", "記事", "手紙", "契約",
    "条項", "データ", "翻訳", "分類", "要約", "添削", "次の", "以下", "口コミ", "採点基準", "配点",
    // zh
    "邮件", "消息", "日志", "提示词", "记录", "对话", "评论", "文本", "文章", "合同", "条款", "数据", "翻译", "分类",
    "总结", "以下", "下面", "如下", "这段", "这封", "评分标准", "评分细则",
];

/// Words naming a voice, tone or style the user wants in the answer. Not "ton", "voix", "voz":
/// French "ton" is also "your", and "à voix haute" / "en voz alta" is thinking aloud.
#[rustfmt::skip]
const VOICE_WORDS: &[&str] = &[
    "voice", "tone", "style", "accent", "persona", "audience", "tono", "estilo", "registre",
    "stil", "tonfall", "sprachstil", "público", "publikum",
];

#[rustfmt::skip]
const VOICE_CJK: &[&str] = &[
    "말투", "어투", "톤으로", "톤은", "문체", "口調", "語り口", "口吻", "语气", "风格", "文体", "スタイル", "스타일",
];

/// Persona openers: a clause starting with one of these is about who the model is.
#[rustfmt::skip]
const PERSONA_OPENERS: &[&str] = &[
    "you are", "you're", "act as", "as a", "as an", "imagine you are", "pretend you are",
    "du bist", "sie sind", "tu es", "vous êtes", "eres", "usted es", "sei", "너는", "넌", "당신은",
    "あなたは", "君は", "你是", "您是", "作为",
];

const MATERIAL: u16 = 1;
const VOICE: u16 = 2;
const FORWARD_WORD: u16 = 4;
const PASTED_NOUN: u16 = 8;

/// One unit (a sentence or a clause) as the guards read it, with what they derive from it
/// computed once and shared: its lowercase and which lowercase phrase lists occur in it (one
/// pass for all of them, [`LOWER_LISTS`]). Before, each guard lowercased the unit again and
/// searched its list phrase by phrase.
pub(crate) struct Unit<'a> {
    pub(crate) text: &'a str,
    lower: OnceCell<String>,
    hits: OnceCell<u32>,
    facts: OnceCell<bool>,
    /// For the caller's own memo of a thinking verb in the unit (`strip::has_thinking_verb`).
    pub(crate) thinking_verb: OnceCell<bool>,
}

impl<'a> Unit<'a> {
    pub(crate) fn new(text: &'a str) -> Unit<'a> {
        Unit {
            text,
            lower: OnceCell::new(),
            hits: OnceCell::new(),
            facts: OnceCell::new(),
            thinking_verb: OnceCell::new(),
        }
    }

    /// `text.to_lowercase()`, computed once.
    pub(crate) fn lower(&self) -> &str {
        self.lower.get_or_init(|| self.text.to_lowercase())
    }

    /// The [`LOWER_LISTS`] bits of the lowercase text, each list's rule applied.
    fn hits(&self) -> u32 {
        *self.hits.get_or_init(|| lower_hits(self.lower()))
    }

    /// [`states_facts`] of the text, computed once.
    pub(crate) fn facts(&self) -> bool {
        *self.facts.get_or_init(|| states_facts(self.text))
    }
}

// Bits of the lists searched in a unit's lowercase (see [`LOWER_LISTS`]).
const L_CREDENTIALS: u32 = 1;
const L_SITUATION: u32 = 1 << 1;
const L_FLATTERY: u32 = 1 << 2;
const L_SUPERLATIVES: u32 = 1 << 3;
const L_MODEL_WORDS: u32 = 1 << 4;
const L_BRIBES: u32 = 1 << 5;
const L_BRIBE_AIMED: u32 = 1 << 6;
const L_STAKES: u32 = 1 << 7;
const L_SUBPARTS: u32 = 1 << 8;
const L_SPLIT_VERBS: u32 = 1 << 9;
const L_FINAL_ANSWER: u32 = 1 << 10;
const L_ANSWER_CONTAINERS: u32 = 1 << 11;
const L_REASONING_NOUNS: u32 = 1 << 12;
const L_LEARNER: u32 = 1 << 13;
const L_BEFORE: u32 = 1 << 14;
/// A superlative with a [`YOU_BEFORE`] word before it in its clause (a hit only).
const H_SUPERLATIVE_OF_YOU: u32 = 1 << 15;
const L_SHAPE: u32 = 1 << 16;

/// The lowercase-substring lists of the guards, one automaton. Each list keeps its own rule:
/// [`CREDENTIALS`] and [`BRIBES`] count a Latin phrase only on word boundaries; a
/// [`SUPERLATIVES`] occurrence is checked for "you" before it in its clause.
static LOWER_LISTS: LazyLock<Lists> = LazyLock::new(|| {
    Lists::new(&[
        (CREDENTIALS, L_CREDENTIALS),
        (SITUATION, L_SITUATION),
        (FLATTERY, L_FLATTERY),
        (SUPERLATIVES, L_SUPERLATIVES),
        (MODEL_WORDS, L_MODEL_WORDS),
        (BRIBES, L_BRIBES),
        (BRIBE_AIMED, L_BRIBE_AIMED),
        (STAKES, L_STAKES),
        (SUBPARTS, L_SUBPARTS),
        (SPLIT_VERBS, L_SPLIT_VERBS),
        (FINAL_ANSWER, L_FINAL_ANSWER),
        (ANSWER_CONTAINERS, L_ANSWER_CONTAINERS),
        (REASONING_NOUNS, L_REASONING_NOUNS),
        (LEARNER_DELIVERABLES, L_LEARNER),
        (BEFORE, L_BEFORE),
        (ANSWER_SHAPE, L_SHAPE),
    ])
});

/// Counting how often each item occurs in the user's data ("how many times each answer was
/// chosen", "出现次数最多的答案", "回答ごとの件数"): a frequency task, never a thinking procedure
/// (lowercase substrings).
#[rustfmt::skip]
const OCCURRENCE_COUNTS: &[&str] = &[
    "how many times", "how often", "combien de fois", "cuántas veces", "wie oft", "wie häufig",
    "出现次数", "出现的次数", "出現回数", "出現した回数", "件数", "나온 횟수", "등장 횟수", "응답 수",
];

/// The unit asks how often items occur in the user's data (see [`OCCURRENCE_COUNTS`]).
pub(crate) fn counts_occurrences(u: &Unit) -> bool {
    OCCURRENCE_COUNTS.iter().any(|w| u.lower().contains(w))
}

/// The shape of the answer or an upper limit the user sets ("as a fraction", "분수로", "单独一行",
/// "como máximo", "höchstens"): lowercase substrings, a Latin one at the start of a word. Not
/// "at least" / "au maximum" / "最多" / "最大限" and the like: thoroughness, pep-talk ("Fais
/// chauffer tes neurones au maximum") and majority-vote directives use them.
#[rustfmt::skip]
const ANSWER_SHAPE: &[&str] = &[
    "as a fraction", "as fractions", "in fraction", "fraction form", "as a percentage",
    "as a decimal", "on its own line", "on a separate line", "in one line", "at most",
    "no more than", "como fracción", "en fracción", "forma de fracción", "como porcentaje",
    "en una línea", "como máximo", "a lo sumo", "no más de", "en fraction", "forme de fraction",
    "en pourcentage", "sur une ligne", "au plus", "pas plus de", "als bruch",
    "in prozent", "in einer zeile", "eigenen zeile", "höchstens", "nicht mehr als", "분수로",
    "소수로", "퍼센트로", "백분율로", "한 줄로", "따로 한 줄", "이내로", "分数で", "小数で", "パーセントで",
    "百分率で", "1行で", "一行で", "別の行", "以内で", "分数形式", "用分数", "分数表示", "以分数", "小数形式",
    "百分比", "单独一行", "不超过",
];

/// The [`LOWER_LISTS`] found in `lower` (a lowercased unit), with the per-list rules.
fn lower_hits(lower: &str) -> u32 {
    let mut hits = 0;
    LOWER_LISTS.each(lower, |bits, at, end| {
        let mut b = bits & !(L_CREDENTIALS | L_BRIBES | L_MODEL_WORDS | L_SHAPE);
        let latin = lower
            .get(at..)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| !is_cjk(c));
        let before = || lower.get(..at).and_then(|b| b.chars().next_back());
        // A Latin word that starts a word ("leading" is not in "misleading").
        let starts_word = || !latin || before().is_none_or(|c| !is_word_char(c));
        // ... and ends one, or only a plural "s" follows ("tip" is not in "tipo"; "tips" is one;
        // "ai" is not in "aim" or "air").
        let whole_word = || {
            starts_word() && {
                let after = lower.get(end..).and_then(|a| a.chars().next());
                !latin || after.is_none_or(|c| !is_word_char(c) || c == 's')
            }
        };
        if bits & L_SHAPE != 0 && starts_word() {
            b |= L_SHAPE;
        }
        if bits & L_CREDENTIALS != 0 && starts_word() {
            b |= L_CREDENTIALS;
        }
        if bits & L_BRIBES != 0 && whole_word() {
            b |= L_BRIBES;
        }
        if bits & L_MODEL_WORDS != 0 && whole_word() {
            b |= L_MODEL_WORDS;
        }
        if bits & L_SUPERLATIVES != 0 && hits & H_SUPERLATIVE_OF_YOU == 0 {
            let clause = lower
                .get(..at)
                .map(|b| b.rsplit([';', ':', '；', '：', '.', '。']).next().unwrap_or(b))
                .unwrap_or("");
            if YOU_BEFORE.iter().any(|y| clause.contains(y)) {
                b |= H_SUPERLATIVE_OF_YOU;
            }
        }
        hits |= b;
        false
    });
    hits
}

fn words() -> &'static WordTable {
    static W: OnceLock<WordTable> = OnceLock::new();
    W.get_or_init(|| {
        let mut w = WordTable::default();
        w.add(MATERIAL_WORDS, MATERIAL);
        w.add(VOICE_WORDS, VOICE);
        w.add(FORWARD, FORWARD_WORD);
        w.add(PASTED_NOUNS, PASTED_NOUN);
        w
    })
}

/// Builds the word table ahead of the first request.
pub(crate) fn warm_up() {
    let _ = words();
    let _ = output_words();
    let _ = deliver_words();
}

/// OR of the flags in `want` of the words of `s` (plus CJK substring cues); it stops at the
/// first flag wanted, and skips the searches only other flags need (the suffix test and CJK
/// cues of material when only the voice is asked).
fn cue_flags(s: &str, want: u16) -> u16 {
    let t = words();
    let mut scratch = String::new();
    let mut flags = 0;
    let mut i = 0;
    let mut any_cjk = false;
    while i < s.len() {
        let Some(c) = s.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if is_word_char(c) {
            let end = text::word_end(s, i).max(i + c.len_utf8());
            let w = s.get(i..end).unwrap_or("");
            flags |= t.get(w, &mut scratch) & want;
            if want & MATERIAL != 0 && w.len() > 6 && material_suffix(w) {
                flags |= MATERIAL;
            }
            if flags != 0 {
                return flags;
            }
            i = end;
        } else {
            any_cjk |= is_cjk(c);
            i += c.len_utf8();
        }
    }
    if any_cjk {
        if want & MATERIAL != 0 && MATERIAL_CJK_LIST.any_in(s) {
            flags |= MATERIAL;
        }
        if want & VOICE != 0 && VOICE_CJK_LIST.any_in(s) {
            flags |= VOICE;
        }
    }
    flags
}

static MATERIAL_CJK_LIST: LazyLock<Lists> = LazyLock::new(|| Lists::new(&[(MATERIAL_CJK, 1)]));
static VOICE_CJK_LIST: LazyLock<Lists> = LazyLock::new(|| Lists::new(&[(VOICE_CJK, 1)]));
static DELIVER_CJK_LIST: LazyLock<Lists> = LazyLock::new(|| Lists::new(&[(DELIVER_CJK, 1)]));

/// The word ends with a [`MATERIAL_SUFFIXES`] entry, in any case. ASCII words are compared in
/// place (the same bytes `to_lowercase` would give); others are lowercased first.
fn material_suffix(w: &str) -> bool {
    if w.is_ascii() {
        let b = w.as_bytes();
        return MATERIAL_SUFFIXES.iter().any(|x| {
            b.len() >= x.len()
                && b.get(b.len() - x.len()..)
                    .is_some_and(|t| t.eq_ignore_ascii_case(x.as_bytes()))
        });
    }
    let lw = w.to_lowercase();
    MATERIAL_SUFFIXES.iter().any(|x| lw.ends_with(x))
}

/// Byte ranges of pasted material in `t`, sorted and disjoint. Protected spans are not
/// repeated here.
#[cfg(test)]
pub(crate) fn material_ranges(t: &str, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    material_ranges_in(t, spans, true)
}

/// [`material_ranges`]; the items listed after a request to classify them count only in a
/// user's turn (`user`): in a system prompt such a list holds the prompt's rules.
pub(crate) fn material_ranges_in(t: &str, spans: &[Range<usize>], user: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Introducer colons.
    let mut i = 0;
    while let Some(off) = t.get(i..).and_then(|r| r.find([':', '：', '?', '？'])) {
        let at = i + off;
        let mark = t.get(at..).and_then(|r| r.chars().next()).unwrap_or(':');
        let after = at + mark.len_utf8();
        i = after;
        if text::span_at(spans, at).is_some() {
            continue;
        }
        // A question about material ("Which of these sentences would you cut? 1. ... 2. ...")
        // introduces the list right after it, as a colon does.
        let question = matches!(mark, '?' | '？');
        if question && !starts_list(t.get(after..).unwrap_or("")) {
            continue;
        }
        // The introducer: from the last sentence end (or line start) before the colon.
        let line_start = t.get(..at).and_then(|h| h.rfind('\n')).map_or(0, |p| p + 1);
        let head = t.get(line_start..at).unwrap_or("");
        let intro_start = head
            .char_indices()
            .rev()
            .find(|&(j, c)| {
                matches!(c, ':' | '：')
                    || text::is_terminator(c)
                        && head
                            .get(j + c.len_utf8()..)
                            .is_some_and(|r| r.starts_with(char::is_whitespace) || c != '.')
            })
            .map_or(0, |(j, c)| j + c.len_utf8());
        let intro = head.get(intro_start..).unwrap_or("");
        if intro.trim().is_empty() || cue_flags(intro, MATERIAL) == 0 {
            continue;
        }
        let rest = t.get(after..).unwrap_or("");
        let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let body_at = after + ws;
        if text::span_at(spans, body_at).is_some_and(|s| s.start == body_at) {
            // The material is the quote or code right after the colon: protected already.
            continue;
        }
        let line_end = t
            .get(body_at..)
            .and_then(|r| r.find('\n'))
            .map_or(t.len(), |p| body_at + p);
        if question || t.get(body_at..line_end).is_some_and(|l| l.trim().is_empty()) {
            // The colon ends its line (or a question opens a list): the next block is
            // material, to the first blank line outside a protected span (instructions after
            // the pasted block are not).
            let from = if question { body_at } else { line_end };
            let next = t
                .get(from..)
                .map_or(t.len(), |r| from + (r.len() - r.trim_start().len()));
            let mut end = next;
            loop {
                match t.get(end..).and_then(|r| r.find("\n\n")).map(|p| end + p) {
                    Some(p) => match text::span_at(spans, p) {
                        Some(sp) => end = sp.end.max(p + 1),
                        None => {
                            end = p;
                            break;
                        }
                    },
                    None => {
                        end = t.len();
                        break;
                    }
                }
            }
            out.push(next..end);
            i = end.max(i);
            continue;
        }
        // A numbered item's label opening its line ("Essay 18: ...", "Ticket #4: ...",
        // "답안 2: ...") introduces the whole line.
        if intro_start == 0 && numbered_label(intro) {
            out.push(body_at..line_end);
            continue;
        }
        // Inline material: to the end of its sentence.
        let local = text::spans_within(spans, body_at, line_end);
        let line = t.get(body_at..line_end).unwrap_or("");
        let end = text::sentences(line, &local)
            .first()
            .map_or(line_end, |s| body_at + s.end);
        out.push(body_at..end);
    }
    if user {
        out.extend(items_to_classify(t));
    }
    if t.contains('\n') {
        delimited_blocks(t, &mut out);
        blocks_after_forward_reference(t, &mut out);
    }
    // Transcript lines ("Tom: ...", "(20:14) Pilar: ..."), when there are two or more, and
    // "> " quote lines.
    let mut transcript = Vec::new();
    let mut pos = 0;
    for line in t.split_inclusive('\n') {
        let r = pos..pos + line.trim_end().len();
        pos += line.len();
        let l = line.trim_start();
        if l.starts_with('>') {
            out.push(r);
        } else if speaker_label(without_timestamp(l)) {
            transcript.push(r);
        }
    }
    if transcript.len() >= 2 {
        out.extend(transcript);
    }
    // Sorted and merged: `text::overlaps` binary-searches on both ends.
    out.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// A label naming one numbered item: a word or two, then a number ("Essay 18", "Review #3",
/// "Ticket 12", "답안 2", "レビュー3"), nothing else.
fn numbered_label(intro: &str) -> bool {
    let t = intro.trim();
    let digits = t.chars().rev().take_while(char::is_ascii_digit).count();
    let head = t
        .get(..t.len() - digits)
        .unwrap_or("")
        .trim_end()
        .trim_end_matches(['#', '№'])
        .trim_end();
    digits > 0
        && (1..=4).contains(&digits)
        && !head.is_empty()
        && head.split_whitespace().count() <= 2
        && head.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '-')
}

/// A line of three or more of one of `-`, `=`, `*`, `_`, `~` and nothing else: a delimiter
/// around pasted material (or a rule).
fn delimiter_line(l: &str) -> bool {
    let l = l.trim();
    l.len() >= 3
        && l.chars()
            .next()
            .is_some_and(|c| matches!(c, '-' | '=' | '*' | '_' | '~') && l.chars().all(|d| d == c))
}

/// Pasted material between delimiter lines ("Classify this email ...\n---\nHi, please think
/// carefully before you charge me again ...\n---"): the lines after a delimiter line up to the
/// next one (or the end), when the text before the opening one names material or asks to
/// handle it ([`MATERIAL`] cue).
fn delimited_blocks(t: &str, out: &mut Vec<Range<usize>>) {
    let mut open: Option<usize> = None;
    let mut pos = 0;
    // Whether the text before the current line has a material cue: each line is scanned once
    // (a cue never spans a line), until one is found.
    let mut cued = false;
    for line in t.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        if !delimiter_line(line) {
            cued = cued || cue_flags(line, MATERIAL) != 0;
            continue;
        }
        match open.take() {
            Some(from) if from < start => out.push(from..start),
            Some(_) => {}
            None if cued => open = Some(pos),
            None => {}
        }
    }
    if let Some(from) = open.filter(|&f| f < t.len()) {
        out.push(from..t.len());
    }
}

/// Words pointing forward to material ("the email below", "el siguiente correo", "下面这封邮件").
#[rustfmt::skip]
const FORWARD: &[&str] = &[
    "below", "following", "underneath", "siguiente", "siguientes", "continuación", "abajo",
    "ci-dessous", "dessous", "suivant", "suivante", "suivants", "suivantes", "folgende", "folgenden",
    "folgendes", "unten", "nachstehend", "nachstehende", "nachstehenden",
];
/// [`FORWARD`] in scripts without spaces (substrings).
const FORWARD_CJK: &[&str] = &["아래", "다음", "以下", "次の", "下記", "下面", "如下", "下列"];
/// Nouns naming a message someone else wrote, which the user pastes to have it handled.
#[rustfmt::skip]
const PASTED_NOUNS: &[&str] = &[
    "email", "e-mail", "mail", "message", "letter", "review", "ticket", "chat", "conversation",
    "transcript", "post", "comment", "text", "correo", "mensaje", "carta", "reseña",
    "conversación", "texto", "courriel", "lettre", "avis", "texte", "commentaire", "nachricht",
    "brief", "bewertung", "gespräch", "chatverlauf",
];
/// [`PASTED_NOUNS`] in scripts without spaces (substrings).
#[rustfmt::skip]
const PASTED_CJK: &[&str] = &[
    "메일", "메시지", "편지", "리뷰", "후기", "대화", "문의", "メール", "メッセージ", "手紙", "文章", "レビュー",
    "口コミ", "問い合わせ", "会話", "邮件", "消息", "来信", "评论", "对话", "留言", "咨询", "文本",
];

/// The paragraph points forward to a pasted message ("Classify the customer email below.",
/// "请把下面这封客户邮件归类", "以下の問い合わせメールを分類し").
fn points_to_pasted(p: &str) -> bool {
    if !p.is_ascii()
        && p.chars().any(is_cjk)
        && FORWARD_CJK.iter().any(|w| p.contains(w))
        && PASTED_CJK.iter().any(|w| p.contains(w))
    {
        return true;
    }
    // (The word table's hashed lookup; the compound endings only once a forward word is in.)
    let t = words();
    t.any_word(p, FORWARD_WORD)
        && (t.any_word(p, PASTED_NOUN)
            || p.split(|c: char| !is_word_char(c))
                .any(|w| w.len() > 6 && material_suffix(w)))
}

/// The paragraph right after one that points forward to a pasted message (a blank line
/// between them) is that message, to the next blank line: "请把下面这封客户邮件归类 ...\n\n您好，我反复
/// 思考了很久，...".
fn blocks_after_forward_reference(t: &str, out: &mut Vec<Range<usize>>) {
    // Paragraphs: runs of non-blank lines.
    let mut paras: Vec<Range<usize>> = Vec::new();
    let mut cur: Option<Range<usize>> = None;
    let mut pos = 0;
    for line in t.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        if line.trim().is_empty() {
            if let Some(c) = cur.take() {
                paras.push(c);
            }
            continue;
        }
        let end = start + line.trim_end().len();
        match cur.as_mut() {
            Some(c) => c.end = end,
            None => cur = Some(start..end),
        }
    }
    if let Some(c) = cur {
        paras.push(c);
    }
    for w in paras.windows(2) {
        if let [prev, next] = w {
            if t.get(prev.clone()).is_some_and(points_to_pasted) {
                out.push(next.clone());
            }
        }
    }
}

/// `l` without a leading timestamp ("(20:14) ", "[09:02] ", "12/03/24, 20:14 - "): what a
/// chat export puts before the speaker.
fn without_timestamp(l: &str) -> &str {
    let end = l
        .find(|c: char| {
            !(c.is_ascii_digit() || matches!(c, ':' | '.' | '/' | '-' | ',' | ' ' | '(' | ')' | '[' | ']'))
        })
        .unwrap_or(l.len());
    let head = l.get(..end).unwrap_or("");
    if head.contains(|c: char| c.is_ascii_digit()) && head.contains(':') {
        l.get(end..).unwrap_or(l)
    } else {
        l
    }
}

/// Word starts that ask to classify or sort items ("Classify", "Sort these", "Clasifica",
/// "Ordne ... zu", "Classe", "Kategorisiere"): lowercase, matched at the start of a word.
#[rustfmt::skip]
const CLASSIFY_STEMS: &[&str] = &[
    "classif", "categori", "sort", "label", "tag ", "tag these", "group ", "assign", "clasific",
    "categoriz", "etiquet", "ordena", "agrupa", "asigna", "classe", "catégoris", "étiquet", "range ",
    "trie ", "ordne", "sortier", "klassifizier", "kategorisier", "einordn", "zuordn",
];
/// [`CLASSIFY_STEMS`] in scripts without spaces (substrings).
const CLASSIFY_CJK: &[&str] = &["분류", "分類", "仕分け", "分类", "归类", "归到", "分到"];

/// The line asks to classify or sort items.
fn asks_to_classify(line: &str) -> bool {
    if !line.is_ascii() && CLASSIFY_CJK.iter().any(|w| line.contains(w)) {
        return true;
    }
    let lower = line.to_lowercase();
    lower.char_indices().any(|(i, _)| {
        let at_word = lower
            .get(..i)
            .and_then(|h| h.chars().next_back())
            .is_none_or(|c| !is_word_char(c));
        at_word
            && lower
                .get(i..)
                .is_some_and(|r| CLASSIFY_STEMS.iter().any(|w| r.starts_with(w)))
    })
}

/// Items the user asks to classify or sort: the list lines ("1. ...", "2) ...", "- ...", also
/// several items on one line: "1. Llegó roto. 2. Justo lo que esperaba.") right after a line
/// asking to classify them, with no colon to introduce them ("Clasifica estas reseñas como
/// positiva o negativa y devuelve JSON.\n1. ..."). Blank lines between them do not end the list.
fn items_to_classify(t: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // The last line that is no list item, and whether it asks to classify (looked up only
    // when a list follows it: most texts hold no list).
    let mut intro = "";
    let mut asked: Option<bool> = None;
    let mut pos = 0;
    for line in t.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if !starts_list(l) {
            intro = l;
            asked = None;
            continue;
        }
        if *asked.get_or_insert_with(|| asks_to_classify(intro)) {
            let lead = line.len() - line.trim_start().len();
            out.push(start + lead..start + lead + l.len());
        }
    }
    out
}

/// `rest` (after a question mark) opens a list: "1." / "1)" / "-" / "*" / "•" after spaces or
/// line breaks.
fn starts_list(rest: &str) -> bool {
    let r = rest.trim_start();
    r.starts_with(['-', '*', '•'])
        || r.starts_with(|c: char| c.is_ascii_digit())
            && r.trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with(['.', ')'])
}

/// "Maria: ..." / "김팀장: ..." / "Interviewer: ...": a short name then a colon and text.
fn speaker_label(line: &str) -> bool {
    let Some(p) = line.find([':', '：']) else {
        return false;
    };
    let label = line.get(..p).unwrap_or("");
    let chars = label.chars().count();
    let words = label.split_whitespace().count();
    let first = label.chars().next();
    let named = first.is_some_and(|c| c.is_uppercase() || is_cjk(c));
    (1..=20).contains(&chars)
        && (1..=2).contains(&words)
        && named
        && label
            .chars()
            .all(|c| is_word_char(c) || is_cjk(c) || c == ' ' || c == '.')
        && !label.chars().any(|c| c.is_ascii_digit())
        && line.get(p..).is_some_and(|r| {
            // "Tom: ..." needs the space; "佐藤：..." (a full-width colon) does not.
            r.starts_with('：') || r.chars().nth(1).is_some_and(char::is_whitespace)
        })
        // Something is said after the label ("Report:" alone on its line is a header).
        && line.get(p..).is_some_and(|r| r.chars().skip(1).any(|c| !c.is_whitespace()))
}

/// Facts that must never go: identifiers mixing ASCII letters and digits (`X200`, `40k`),
/// decimal numbers (`0.91`, `0,91`), `=`, braces and backslashes (LaTeX, templates), URLs and
/// addresses.
pub(crate) fn states_facts(u: &str) -> bool {
    // (All ASCII: one pass over the bytes, which also finds the marks and "://" between the
    // runs of letters and digits: they never stand inside one.)
    let b = u.as_bytes();
    let mut i = 0;
    while let Some(&x) = b.get(i) {
        if !x.is_ascii_alphanumeric() {
            if matches!(x, b'=' | b'@' | b'{' | b'}' | b'\\')
                || x == b':' && b.get(i + 1..i + 3) == Some(b"//")
            {
                return true;
            }
            i += 1;
            continue;
        }
        let start = i;
        let (mut letters, mut digits) = (false, false);
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_alphanumeric() || **c == b'_') {
            letters |= c.is_ascii_alphabetic();
            digits |= c.is_ascii_digit();
            i += 1;
        }
        // A Latin word glued to a non-ASCII letter (é, ü) is a word, not an identifier; next
        // to CJK text or punctuation ("分速80m、") it is one.
        let latin = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && c.is_alphabetic() && !is_cjk(c));
        // (Looked at only for a run with letters and digits.)
        let glued = || {
            latin(u.get(i..).and_then(|r| r.chars().next()))
                || latin(u.get(..start).and_then(|h| h.chars().next_back()))
        };
        if letters && digits && !glued() {
            return true;
        }
        // 0.91 / 0,91 (but not "3, 4" or "Step 1.").
        if digits
            && !letters
            && matches!(b.get(i), Some(b'.' | b','))
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let run = b
                .get(i + 1..)
                .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
            // "4,120" is a thousands group (a count); "0,91" and "3.14" are decimals.
            let thousands = b.get(i) == Some(&b',') && run == 3
                || b.get(i) == Some(&b'.') && run == 3 && !u.contains(',');
            if !thousands || b.get(start).is_none_or(|c| *c == b'0') {
                return true;
            }
        }
    }
    false
}

/// The unit names a voice, tone or style the answer should have.
pub(crate) fn names_voice(u: &str) -> bool {
    cue_flags(u, VOICE) != 0
}

/// The unit starts like a persona ("You are ...", "너는 ...", "あなたは...").
pub(crate) fn persona_opener(u: &str) -> bool {
    let u = u.trim_start_matches(|c: char| !is_word_char(c) && !is_cjk(c));
    // `match_at` needs the folded first char to equal the pattern's: checked before calling it.
    let first = u.chars().next().map(text::fold);
    PERSONA_OPENERS.iter().any(|p| {
        p.chars().next() == first
            && text::match_at(u, 0, p).is_some_and(|end| {
                u.get(end..)
                    .and_then(|r| r.chars().next())
                    .is_none_or(|c| !is_word_char(c) || is_cjk(c))
            })
    })
}

/// Credentials of a generic persona ("with decades of research", "award-winning", "수십 년간",
/// "第一人者", "资深"): lowercase substrings.
#[rustfmt::skip]
const CREDENTIALS: &[&str] = &[
    "decades", "years of experience", "years' experience", "renowned", "distinguished",
    "world-class", "world class", "award-winning", "leading", "seasoned", "veteran", "elite",
    "décadas", "años de experiencia", "renombrad", "reconocid", "prestigios", "eminente",
    "décennies", "ans d'expérience", "renommé", "éminent", "chevronné", "jahrzehnt",
    "jahren erfahrung", "jahrelang", "renommiert", "preisgekrönt", "erfahrene", "수십 년", "년간",
    "저명한", "베테랑", "경력", "長年", "第一人者", "一流", "ベテラン", "年の経験", "数十年", "多年",
    "知名", "顶尖", "资深", "深耕", "年经验",
];

/// A persona with credentials (see [`CREDENTIALS`]): generic, whatever its field.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn credentialed(u: &str) -> bool {
    credentialed_in(&Unit::new(u))
}

/// [`credentialed`] of a [`Unit`]. Latin words on word boundaries ("leading" is not in
/// "misleading"); CJK and Hangul as substrings ([`lower_hits`]).
pub(crate) fn credentialed_in(u: &Unit) -> bool {
    u.hits() & L_CREDENTIALS != 0
}

/// First-person subjects that open a clause: the user speaking of themselves ("I", "ich",
/// "je", "yo", "我", "저는", "私は").
#[rustfmt::skip]
const FIRST_PERSON: &[&str] = &[
    "i", "i'm", "i've", "i'd", "i'll", "my", "ich", "je", "j'ai", "j'", "yo", "mi", "we", "wir", "nous",
    "nosotros",
];
#[rustfmt::skip]
const FIRST_PERSON_CJK: &[&str] = &[
    "저는", "제가", "나는", "내가", "저희", "우리", "私", "僕", "俺", "我",
];

/// `rest` (what follows a clause in its sentence) opens in the first person: the clause before
/// it was the user's own role ("As a nurse on night shifts, I need ...").
pub(crate) fn first_person_follows(rest: &str) -> bool {
    let r = rest.trim_start_matches(|c: char| !is_word_char(c) && !is_cjk(c));
    if FIRST_PERSON_CJK.iter().any(|w| r.starts_with(w)) {
        return true;
    }
    let lower = r.to_lowercase();
    let first = lower
        .split(|c: char| !is_word_char(c) && c != '\'' && c != '’')
        .next()
        .unwrap_or("");
    FIRST_PERSON.contains(&first.replace('’', "'").as_str()) || lower.starts_with("j'")
}

/// A persona given to the model with generic credentials ("You are a renowned ...", "As a
/// world-class chef with decades behind you, ..."), not the user's own role: `rest` is what
/// follows the clause `u` in its sentence.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn credentialed_persona(u: &str, rest: &str) -> bool {
    credentialed_persona_in(&Unit::new(u), rest)
}

/// [`credentialed_persona`] of a [`Unit`].
pub(crate) fn credentialed_persona_in(unit: &Unit, rest: &str) -> bool {
    let u = unit.text;
    let viewpoint = VIEWPOINT_CJK
        .iter()
        .any(|w| u.trim_end_matches([',', '、', '，', ' ']).ends_with(w));
    (persona_opener(u) || viewpoint)
        && credentialed_in(unit)
        && !first_person_follows(rest)
        && !first_person_in(unit)
}

/// A clause that ends by naming the standpoint to answer from ("…教授の立場から", "…의 입장에서",
/// "以…的身份"): in CJK scripts a persona given to the model, like "As a ..." opening it.
const VIEWPOINT_CJK: &[&str] = &["の立場から", "の立場で", "입장에서", "的身份", "的角度"];

/// The clause speaks of the user in the first person ("As a teacher I ...", "作为我们的...").
fn first_person_in(unit: &Unit) -> bool {
    let u = unit.text;
    unit.lower()
        .split(|c: char| !is_word_char(c) && c != '\'' && c != '’')
        .any(|w| {
            [
                "i", "i'm", "my", "ich", "mein", "meine", "je", "mon", "ma", "mes", "yo", "mi",
            ]
            .contains(&w)
        })
        || ["저는", "제가", "나는", "私", "僕", "我"]
            .iter()
            .any(|w| u.contains(w))
}

/// The unit opens with a second-person pronoun ("Tu corriges des copies avec ce barème : ...",
/// "Du bewertest ..."): with facts after a colon it is a role line, like a persona opener.
fn role_pronoun(u: &str) -> bool {
    let u = u.trim_start_matches(|c: char| !is_word_char(c));
    let first = u.split(|c: char| !is_word_char(c)).next().unwrap_or("");
    ["you", "tu", "tú", "du", "vous", "usted"]
        .iter()
        .any(|p| first.eq_ignore_ascii_case(p))
}

/// Words that place a role in the user's own situation: a duty ("on call", "당직", "当番",
/// "值班", "de garde", "Rufbereitschaft") or a time ("this week", "이번 주", "今週", "本周").
/// A persona with one of them ("당신은 오늘 밤 물류 창고 당번 관리자입니다.") is a fact of the
/// task, not a generic persona. Lowercase substrings.
#[rustfmt::skip]
const SITUATION: &[&str] = &[
    "on call", "on-call", "on duty", "this week", "this weekend", "tonight", "today's shift",
    "de guardia", "de turno", "esta semana", "este fin de semana", "de garde", "d'astreinte",
    "de permanence", "cette semaine", "ce week-end", "bereitschaft", "diensthabend", "im dienst",
    "diese woche", "dieses wochenende", "당직", "당번", "이번 주", "이번주", "오늘 밤", "当番", "当直", "今週",
    "今夜", "值班", "本周", "这周", "这个星期", "今晚",
];

/// A persona placed in the user's situation (see [`SITUATION`]): a [`SITUATION`] phrase in
/// the lowercase unit (for ASCII text the same as an ASCII-case-insensitive search, as the
/// lists are lowercase: `lower_lists_are_lowercase`).
fn situated_role(u: &Unit) -> bool {
    u.hits() & L_SITUATION != 0
}

/// Flattery that can only be aimed at the model ("never let me down", "the best model",
/// "nunca me fallas", "最高のAI"): lowercase substrings.
#[rustfmt::skip]
const FLATTERY: &[&str] = &[
    "never let me down", "best model", "nunca me fallas", "mejor modelo", "te invito",
    "meilleur modèle", "beste modell", "최고의 ai", "最高のai",
];

/// Superlatives that flatter the model only when said of it ("the smartest model", "you're
/// the cleverest", "Du bist das klügste ..."), not of someone in the task ("Lena is the
/// smartest player"): lowercase substrings.
#[rustfmt::skip]
const SUPERLATIVES: &[&str] = &[
    "smartest", "cleverest", "brightest", "más listo", "más lista", "plus brillant",
    "plus intelligent", "klügste", "schlauste", "천재", "天才", "最聪明",
];

/// Words that show a superlative is said of the model: the model itself, or "you" before it
/// in the same clause.
#[rustfmt::skip]
const MODEL_WORDS: &[&str] = &["model", "modelo", "modèle", "modell", "ai", "assistant", "모델", "モデル", "模型"];
#[rustfmt::skip]
const YOU_BEFORE: &[&str] = &[
    "you", "eres", "tú", "t'es", "tu es", "du bist", "du ", "너", "당신", "あなた", "君", "你", "您",
];

/// A superlative from [`SUPERLATIVES`] said of the model: a [`MODEL_WORDS`] word anywhere, or
/// a [`YOU_BEFORE`] word before the superlative in its clause ([`lower_hits`]).
fn superlative_of_model(hits: u32) -> bool {
    hits & L_SUPERLATIVES != 0 && hits & L_MODEL_WORDS != 0 || hits & H_SUPERLATIVE_OF_YOU != 0
}

/// Bribes and ratings ("tip", "Trinkgeld", "チップ", "打赏"): only a sign when aimed at the model
/// (see [`BRIBE_AIMED`]); alone they are the user's facts ("the bonus depends on sales",
/// "五星级酒店"). Latin words on word boundaries ("tip" is not in "tipo").
#[rustfmt::skip]
const BRIBES: &[&str] = &[
    "tip", "bonus", "propina", "pourboire", "étoiles", "trinkgeld", "sterne", "팁", "별점", "チップ",
    "星5", "小费", "红包", "打赏", "五星",
];

/// What makes a bribe aimed at the model: it is given to "you" ("I'll tip you", "te doy",
/// "je te file", "geb dir", "给你", "あげます", "줄게"). Lowercase substrings.
#[rustfmt::skip]
const BRIBE_AIMED: &[&str] = &[
    "tip you", "give you", "for you", "pay you", "te doy", "te daré", "te pago", "te dejo",
    "para ti", "je te", "te file", "te mets", "te donne", "pour toi", "gebe dir", "geb dir",
    "gibt's", "für dich", "bekommst du", "kriegst du", "给你", "打赏你", "あげ", "払います",
    "渡します", "줄게", "쏠게", "드릴게", "드립니다", "주겠",
];

/// Flattery of the model, or a bribe or rating aimed at it ("a $30 tip for you if it works",
/// "si aciertas, te invito a una cerveza", "答得好就给你红包"). A persona line holding one is a pep
/// talk, not a role with facts.
fn flatters_or_bribes(u: &Unit) -> bool {
    let h = u.hits();
    h & L_FLATTERY != 0 || superlative_of_model(h) || h & L_BRIBES != 0 && h & L_BRIBE_AIMED != 0
}

/// A role line that carries task facts: a persona placed in the user's situation (a duty or a
/// time: "あなたは今夜の受付当番です。"); or a persona opener, then `;`, `:` or a dash and more
/// text in the same sentence, unless it flatters or bribes the model.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn role_with_facts(sentence: &str) -> bool {
    role_with_facts_in(&Unit::new(sentence))
}

/// [`role_with_facts`] of a [`Unit`].
pub(crate) fn role_with_facts_in(unit: &Unit) -> bool {
    let sentence = unit.text;
    let persona = persona_opener(sentence);
    if persona && situated_role(unit) {
        return true;
    }
    if !persona && !role_pronoun(sentence) || flatters_or_bribes(unit) {
        return false;
    }
    let body = sentence.trim_end_matches(|c: char| text::is_terminator(c) || c.is_whitespace());
    body.find([';', ':', '；', '：', '—', '–'])
        .and_then(|p| body.get(p..))
        .is_some_and(|rest| rest.chars().filter(|c| is_word_char(*c) || is_cjk(*c)).count() >= 3)
}

/// Question words that open a clause of a question (Latin scripts: the first word; "¿" in
/// Spanish).
#[rustfmt::skip]
const QUESTION_WORDS: &[&str] = &[
    "what", "what's", "which", "who", "whom", "whose", "where", "why", "how", "was", "wer", "wen",
    "wem", "wo", "wie", "warum", "weshalb", "wieso", "welche", "welcher", "welches", "welchen",
    "wann", "que", "qu'est-ce", "quel", "quelle", "quels", "quelles", "qui", "où", "pourquoi",
    "comment", "combien", "quoi", "qué", "quién", "quiénes", "cuál", "cuáles", "dónde", "cómo",
    "cuánto", "cuánta", "cuántos", "cuántas", "cuándo",
];

/// Question words in scripts without spaces (substrings of the clause).
#[rustfmt::skip]
const QUESTION_CJK: &[&str] = &[
    "什么", "哪", "怎么", "为什么", "多少", "谁", "是否", "뭘", "무엇", "뭐", "왜", "어떻게", "어느", "누구",
    "언제", "몇", "何", "なぜ", "どう", "どの", "誰", "いつ", "どれ", "どこ",
];

/// What follows a [`QUESTION_CJK`] word when it asks nothing: "何度も" (again and again), "何か"
/// (something), "いつも" (always), "どうか" (please), "哪怕" (even if), "什么都" (anything), "뭐든"
/// (whatever), "언제나" (always), "몇몇" (some).
#[rustfmt::skip]
const NOT_QUESTION_AFTER: &[(&str, &[&str])] = &[
    ("何", &["度", "回", "でも", "も", "とか", "か", "より", "事", "気"]),
    ("誰", &["でも", "も", "か"]),
    ("いつ", &["も", "でも", "か"]),
    ("どこ", &["でも", "か"]),
    ("どう", &["か", "ぞ", "しても", "も"]),
    ("どれ", &["も", "でも", "か"]),
    ("哪", &["怕"]),
    ("什么", &["都", "也"]),
    ("谁", &["都", "也"]),
    ("怎么", &["也", "都"]),
    ("뭐", &["든"]),
    ("언제", &["나", "든"]),
    ("어떻게", &["든"]),
    ("누구", &["나", "든"]),
    ("몇", &["몇"]),
];

/// The clause opens like a question ("Which log do you open first", "Welche Datei öffnest du zuerst",
/// "¿Qué harías", "오늘 뭘 먼저 고쳐야 하고"): with the question mark at the end of its sentence
/// it is part of what is asked, never a directive of its own.
pub(crate) fn opens_question(u: &str) -> bool {
    let t = u.trim_start();
    if t.starts_with('¿') {
        return true;
    }
    if t.chars().next().is_some_and(is_cjk) {
        return QUESTION_CJK.iter().any(|w| {
            t.match_indices(w).any(|(at, _)| {
                let rest = t.get(at + w.len()..).unwrap_or("");
                !NOT_QUESTION_AFTER
                    .iter()
                    .any(|&(q, after)| q == *w && after.iter().any(|a| rest.starts_with(a)))
            })
        });
    }
    // The first word, or the second after a preposition ("Bis wann", "Depuis quand", "Por
    // qué", "In which").
    t.split(|c: char| !is_word_char(c) && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .take(2)
        .any(|w| {
            QUESTION_WORDS.iter().any(|q| w.eq_ignore_ascii_case(q))
                || !w.is_ascii() && QUESTION_WORDS.iter().any(|q| w.to_lowercase() == *q)
        })
}

/// Names of the final answer ("final answer", "respuesta final", "최종 답", "最终答案"): lowercase
/// substrings.
#[rustfmt::skip]
const FINAL_ANSWER: &[&str] = &[
    "final answer", "final result", "respuesta final", "resultado final", "réponse finale",
    "résultat final", "endgültige antwort", "finale antwort", "endergebnis", "最终答案", "最终结果",
    "最終回答", "最終的な答え", "最終的な回答", "최종 답", "최종답", "최종 결과",
];

/// Reasoning nouns that make a unit about the thinking after all ("put your reasoning in
/// <think> tags and the final answer in ..."): lowercase substrings.
#[rustfmt::skip]
const REASONING_NOUNS: &[&str] = &[
    "reasoning", "thinking", "thought", "razonamiento", "pensamiento", "raisonnement", "réflexion",
    "gedanken", "überlegung", "denkweg", "推理", "思考", "思路", "推論", "考え", "추론", "생각", "풀이",
];

/// A unit about where the final answer goes (tags, a box, JSON, bold: "pon la respuesta final entre
/// <final></final>", "최종 답은 <정답> 태그 안에 넣어 줘."), naming no reasoning: an output
/// format, never a directive. The caller checks for a thinking verb.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn final_answer_format(u: &str) -> bool {
    final_answer_format_in(&Unit::new(u))
}

/// [`final_answer_format`] of a [`Unit`].
/// The unit states the shape of the answer or a limit ([`ANSWER_SHAPE`]: "Give it as a
/// fraction.", "Cada persona puede estar en dos equipos como máximo.", "最后单独一行给答案。")
/// and names no reasoning, "before ...", stakes, flattery or bribe. The caller checks for
/// lexicon anchors and thinking verbs.
pub(crate) fn states_answer_shape_in(u: &Unit) -> bool {
    let h = u.hits();
    h & L_SHAPE != 0 && h & (L_REASONING_NOUNS | L_BEFORE | L_STAKES | L_FLATTERY | L_BRIBES) == 0
}

/// The unit states stakes, flatters, or offers a bribe (its phrase lists only).
pub(crate) fn stakes_or_praise_in(u: &Unit) -> bool {
    u.hits() & (L_STAKES | L_FLATTERY | L_BRIBES | L_BRIBE_AIMED) != 0
}

pub(crate) fn final_answer_format_in(u: &Unit) -> bool {
    let h = u.hits();
    h & L_FINAL_ANSWER != 0 && h & L_ANSWER_CONTAINERS != 0 && h & (L_REASONING_NOUNS | L_BEFORE) == 0
}

/// Containers and marks the final answer is put in (tags, a box, JSON, bold): lowercase
/// substrings.
#[rustfmt::skip]
const ANSWER_CONTAINERS: &[&str] = &[
    "<", "tag", "태그", "タグ", "标签", "etiqueta", "balise", "boxed", "json", "bold", "negrita",
    "gras", "fett", "加粗", "굵게", "太字",
];

/// Nouns of a teaching deliverable: learners who will do the steps and the answer key or worked
/// solutions the user wants made ("Leave space where students show their work step by step",
/// "끝에 모범 답안을 달아 줘", "附上标准解答步骤", "Dans le corrigé, détaille chaque étape").
/// Lowercase substrings.
#[rustfmt::skip]
const LEARNER_DELIVERABLES: &[&str] = &[
    "answer key", "answer sheet", "worksheet", "students", "pupils", "learners", "worked solution",
    "model answer", "solution key", "marking scheme", "solucionario", "hoja de respuestas",
    "ficha de ejercicios", "hoja de trabajo", "alumnos", "estudiantes", "corrigé", "fiche d'exercices",
    "élèves", "étudiants", "apprenants", "lösungsschlüssel", "musterlösung", "lösungsblatt",
    "arbeitsblatt", "schüler", "lernende", "정답지", "해설지", "학습지", "학생", "빈칸", "모범 답안",
    "모범답안", "模範解答", "解答例", "解答欄", "生徒", "ワークシート", "标准解答", "参考答案", "答案解析",
    "练习题", "练习册", "学生",
];

/// Words that put a unit before the answer ("before", "avant", "전에", "前に", "之前"): a
/// directive about the thinking, not about a deliverable.
const BEFORE: &[&str] = &[
    "before", "avant", "antes", "bevor", "vorher", "전에", "前に", "之前", "先",
];

/// A teaching deliverable (see [`LEARNER_DELIVERABLES`]) that puts nothing "before" the answer:
/// the steps are the learners' or the answer key's, not the model's thinking. The caller checks
/// for a thinking verb.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn learner_deliverable(u: &str) -> bool {
    learner_deliverable_in(&Unit::new(u))
}

/// [`learner_deliverable`] of a [`Unit`].
pub(crate) fn learner_deliverable_in(u: &Unit) -> bool {
    let h = u.hits();
    h & L_LEARNER != 0 && h & L_BEFORE == 0
}

/// Verbs that make "step by step" describe the answer ("Write step-by-step instructions",
/// "Explain step by step how TCP works", "단계별로 설명해 줘").
#[rustfmt::skip]
const OUTPUT_VERBS: &[&str] = &[
    "write", "answer", "explain", "show", "list", "describe", "give", "number", "document", "outline",
    "draft", "create", "make", "teaches", "teach", "guide", "instructions", "tutorial", "checklist",
    "escribe", "explica", "muestra", "enumera", "dame", "crea", "instrucciones", "guía",
    "écris", "rédige", "explique", "montre", "liste", "donne", "crée", "guide", "instructions",
    "schreib", "schreibe", "erkläre", "erklär", "zeig", "zeige", "liste", "gib", "erstelle", "anleitung",
    "checkliste", "beibringt", "tutorial",
];
#[rustfmt::skip]
const OUTPUT_CJK: &[&str] = &[
    "설명", "써 줘", "써줘", "작성", "보여", "정리", "만들어", "알려", "배우", "書い", "説明", "示し", "作っ", "教え", "まとめ",
    "覚え", "学ぶ", "学べ",
    "写出", "写一", "说明", "列出", "展示", "解释", "介绍", "教",
];

/// "Step by step" as the deliverable: a step-by-step anchor with an output verb and no
/// thinking verb in the unit.
pub(crate) fn steps_deliverable(u: &str, has_step_anchor: bool, has_thinking_verb: bool) -> bool {
    if !has_step_anchor || has_thinking_verb {
        return false;
    }
    output_words().any_word(u, u16::MAX) || (!u.is_ascii() && OUTPUT_CJK.iter().any(|v| u.contains(v)))
}

fn output_words() -> &'static WordTable {
    static W: OnceLock<WordTable> = OnceLock::new();
    W.get_or_init(|| {
        let mut w = WordTable::default();
        w.add(OUTPUT_VERBS, 1);
        w
    })
}

/// Imperatives that ask for something in the answer ("State the assumptions.", "Donne trois
/// raisons.", "Gib Punkte pro Kriterium."): the first word of a unit (after "please", "also").
/// Not "answer" or "reply": "..., then answer" closes a procedure.
#[rustfmt::skip]
const DELIVER_VERBS: &[&str] = &[
    // en
    "state", "give", "list", "name", "tell", "return", "provide", "include", "rank", "rate", "score",
    "use", "add", "mark", "flag", "label", "quote", "cite", "estimate", "compute", "calculate",
    "summarize", "summarise", "suggest", "recommend", "propose", "write", "draft", "translate",
    "compare", "explain", "describe", "format", "keep", "limit", "end", "put",     "output", "print", "report", "highlight", "identify", "evaluate", "assess",
    "grade", "pick", "choose", "sort", "group", "convert", "rewrite", "point", "note", "specify",
    "mention", "offer", "present", "define", "assume", "round", "express", "show", "outline",
    "justify", "prove", "derive", "demuestra", "démontre", "beweise",
    // fr
    "donne", "donnez", "indique", "indiquez", "liste", "listez", "cite", "citez", "nomme", "nommez",
    "propose", "proposez", "résume", "résumez", "traduis", "traduisez", "compare", "comparez",
    "explique", "expliquez", "décris", "décrivez", "écris", "écrivez", "rédige", "rédigez",
    "calcule", "calculez", "estime", "estimez", "évalue", "évaluez", "classe", "classez",
    "renvoie", "fournis", "fournissez", "ajoute", "ajoutez", "utilise",
    "utilisez", "précise", "précisez", "suggère", "recommande", "présente", "présentez", "note",
    "notez", "attribue", "mentionne", "formule", "arrondis", "exprime", "montre", "montrez",
    // es
    "da", "dame", "danos", "dé", "indica", "enumera", "lista", "nombra", "propón", "resume",
    "traduce", "compara", "explica", "describe", "escribe", "redacta", "calcula", "estima",
    "evalúa", "clasifica", "devuelve", "incluye", "añade", "agrega", "usa", "utiliza",
    "sugiere", "recomienda", "presenta", "señala", "menciona", "puntúa", "asigna", "formula",
    "redondea", "expresa", "muestra", "dime", "indícame",
    // de
    "gib", "gebt", "geben", "nenne", "nennen", "nennt", "liste", "fasse", "übersetze", "vergleiche",
    "erkläre", "erklär", "beschreibe", "schreibe", "schreib", "berechne", "schätze", "bewerte",
    "ordne", "liefere", "füge", "verwende", "benutze", "nutze", "schlage", "empfiehl",
    "markiere", "formuliere", "erstelle", "vergib", "runde", "zeige", "zeig", "stelle", "führe",
];

/// Openers that may stand before a [`DELIVER_VERBS`] word.
#[rustfmt::skip]
const DELIVER_LEAD: &[&str] = &[
    "please", "also", "and", "then", "finally", "just", "bitte", "auch", "dann", "und", "außerdem",
    "zum", "schluss", "aussi", "et", "puis", "enfin", "ensuite", "por", "favor", "también",
    "luego", "y", "además", "plz", "pls",
];

/// First-person statements of what the user wants or values ("I want each row once.", "I value
/// flexibility most."): facts about the task, never about how the model thinks.
#[rustfmt::skip]
const WANT_OPENERS: &[&str] = &[
    "i want", "i'd like", "i would like", "i prefer", "i value", "i care", "i need", "we want",
    "we need", "we prefer", "we value", "je veux", "je voudrais", "j'aimerais", "je préfère",
    "nous voulons", "quiero", "prefiero", "me gustaría", "necesito", "queremos", "ich möchte",
    "ich will", "ich brauche", "ich bevorzuge", "wir möchten", "wir brauchen", "wir wollen",
];

/// Words that make an output request about the reasoning or a pep talk after all ("Show your
/// reasoning", "Give it your best", "List every hypothesis before concluding").
#[rustfmt::skip]
const NOT_DELIVERABLE: &[&str] = &[
    "your", "yourself", "reasoning", "chain", "cot", "calm", "principles", "thought", "thoughts", "thinking", "monologue",
    "hypothesis", "hypotheses", "scratchpad", "scratch", "intermediate", "before", "best",
    "perfect", "perfectly", "careful", "carefully", "thorough", "thoroughly", "deep", "deeply",
    "slow", "slowly", "twice", "expert", "genius", "brilliant", "smart", "tip", "matters",
    "important", "critical", "job", "career", "draft", "double", "triple", "everything",
    "correctly", "cookie", "step", "steps", "therefore", "first", "candidate", "candidates",
    "crucial", "pensamentos", "pensieri",
    "raisonnement", "pensée", "pensées", "réflexion", "hypothèse", "hypothèses", "brouillon",
    "intermédiaires", "avant", "étape", "étapes", "d'abord", "candidats", "candidates", "meilleur", "meilleure", "parfait", "parfaite", "soigneusement",
    "attentivement", "profondément", "lentement", "génie", "expert", "toi", "vous", "ton", "ta",
    "tes", "votre", "vos",
    "razonamiento", "pensamiento", "pensamientos", "reflexión", "hipótesis", "borrador",
    "intermedios", "antes", "mejor", "perfecto", "perfecta", "cuidadosamente", "detenidamente",
    "experto", "genio", "despacio", "tu", "tus", "te", "ti", "paso", "pasos", "primero",
    "candidatos", "importante",
    "gedanken", "überlegungen", "denkweg", "hypothesen", "entwurf", "zwischenschritt",
    "zwischenschritte", "bevor", "vorher", "beste", "besten", "bestes", "perfekt", "sorgfältig",
    "gründlich", "langsam", "experte", "genie", "dein", "deine", "deinen", "deiner", "dich", "dir",
    "schritt", "schritte", "rechenschritte", "zuerst", "vor", "kandidaten", "wichtig",
];

/// The pronouns among [`NOT_DELIVERABLE`]: they address the model, which a plain question does
/// too ("tu as des astuces ?"), so they are no sign of a thinking instruction.
const ADDRESS: &[&str] = &[
    "your", "yourself", "toi", "vous", "ton", "ta", "tes", "votre", "vos", "tu", "tus", "te", "ti", "dein",
    "deine", "deinen", "deiner", "dich", "dir",
];

/// A sign in `u` that it is about the thinking: a reasoning noun, "before ...", a care or
/// pep-talk word ([`NOT_DELIVERABLE`] and [`NOT_DELIVERABLE_CJK`], less the pronouns). A
/// question with none of these (and no anchor or thinking verb) is the task itself.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn thinking_signal(u: &str) -> bool {
    thinking_signal_in(&Unit::new(u))
}

/// [`NOT_DELIVERABLE`] less [`ADDRESS`], for word lookups.
static THINKING_WORDS: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(NOT_DELIVERABLE, ADDRESS));
/// [`NOT_DELIVERABLE_CJK`] as one automaton.
static NOT_DELIVERABLE_CJK_LIST: LazyLock<Lists> = LazyLock::new(|| Lists::new(&[(NOT_DELIVERABLE_CJK, 1)]));

/// [`thinking_signal`] of a [`Unit`].
pub(crate) fn thinking_signal_in(unit: &Unit) -> bool {
    let u = unit.text;
    // A curly apostrophe is an apostrophe ("d’abord" is "d'abord").
    if unit
        .lower()
        .split(|c: char| !is_word_char(c) && c != '\'' && c != '’')
        .any(|w| {
            if w.contains('’') {
                THINKING_WORDS.contains(&w.replace('’', "'"))
            } else {
                THINKING_WORDS.contains(w)
            }
        })
    {
        return true;
    }
    // (No CJK cue can occur in ASCII text.)
    let mut cjk = false;
    if !u.is_ascii() {
        NOT_DELIVERABLE_CJK_LIST.each(u, |_, s, e| {
            cjk = u.get(s..e).is_some_and(|w| w != "너");
            cjk
        });
    }
    cjk
}

/// Words that address the model ("you", "tu", "dich"): lowercase. Not the words that are
/// something else in another language: French "ton"/"ta" (English "ton", "ta"), English "u";
/// German "du" is French "of the", so it counts only next to a verb in "-st" ("du bist",
/// "kannst du").
#[rustfmt::skip]
const YOU: &[&str] = &[
    "you", "your", "yours", "yourself", "you're", "you've", "you'll", "ur", "tu", "tú", "te",
    "ti", "tus", "usted", "contigo", "vous", "toi", "tes", "votre", "vos", "t'es", "dich", "dir",
    "dein", "deine", "deinen", "deiner", "deinem",
];
/// Words in "-st" next to a French "du" that are no German verb ("du test", "c'est du ...").
const NOT_DU_VERBS: &[&str] = &["test", "tests", "post", "ouest", "rest", "zest", "contrast"];

/// [`YOU`] in scripts without spaces (substrings).
#[rustfmt::skip]
const YOU_CJK: &[&str] = &["너", "네가", "당신", "あなた", "君", "お前", "你", "您"];

/// Some sign besides the lexicon that a unit is about the model or its thinking: a reasoning
/// noun, care or pep-talk word ([`thinking_signal`]), a word addressing the model, a bribe or
/// superlative flattery, credentials, stakes, or an order to split the problem into
/// sub-problems. The caller checks anchors and thinking verbs.
// The `&str` form, for tests and callers without a `Unit`.
#[allow(dead_code)]
pub(crate) fn directive_signal(u: &str) -> bool {
    directive_signal_in(&Unit::new(u))
}

static YOU_WORDS: LazyLock<WordSet> = LazyLock::new(|| WordSet::new(YOU, &[]));

/// [`directive_signal`] of a [`Unit`].
pub(crate) fn directive_signal_in(unit: &Unit) -> bool {
    let u = unit.text;
    if thinking_signal_in(unit) || flatters_or_bribes(unit) || credentialed_in(unit) {
        return true;
    }
    let h = unit.hits();
    if h & L_STAKES != 0 || decomposition_order(h) {
        return true;
    }
    if !u.is_ascii() && u.chars().any(is_cjk) && YOU_CJK.iter().any(|w| u.contains(w)) {
        return true;
    }
    // Each word with the one before and after it (no list of the words).
    let du_verb =
        |v: Option<&str>| v.is_some_and(|v| v.len() > 3 && v.ends_with("st") && !NOT_DU_VERBS.contains(&v));
    let mut words = unit
        .lower()
        .split(|c: char| !is_word_char(c) && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .peekable();
    let mut prev: Option<&str> = None;
    while let Some(w) = words.next() {
        if YOU_WORDS.contains(w) || w == "du" && (du_verb(prev) || du_verb(words.peek().copied())) {
            return true;
        }
        prev = Some(w);
    }
    false
}

/// What the user says is at stake ("my rent depends on it", "월세가 걸린", "家賃がかかって"):
/// lowercase substrings. Not a bare "depends on" / "dépend" / "hängt" / "depende" / "取决于",
/// nor a bare "걸려" / "かかって" ("몇 초 걸려?", "時間がかかって"): prices, rules and
/// durations depend on things too.
#[rustfmt::skip]
const STAKES: &[&str] = &[
    "depends on it", "depends on this", "riding on", "at stake", "get fired", "be fired", "my job",
    "my career", "davon hängt", "depende de esto", "me juego", "en juego", "me despiden", "en dépend", "en jeu",
    "viré", "hängt davon ab", "hängt alles", "auf dem spiel", "gefeuert", "잘려", "월세가 걸", "돈이 걸린", "생계가 걸",
    "인생이 걸", "승진이 걸", "목숨이 걸", "자리가 걸", "生活がかかって", "昇進がかかって",
    "人生がかかって", "進退がかかって", "給料がかかって", "家賃がかかって", "クビ", "取决于你", "取决于这",
    "关系到我", "生死", "饭碗",
];

/// The parts a decomposition procedure names ("sub-problems", "Teilprobleme", "하위 문제").
#[rustfmt::skip]
const SUBPARTS: &[&str] = &[
    "sub-problem", "subproblem", "sub-question", "subquestion", "teilproblem", "teilfrage",
    "subproblema", "subpregunta", "sous-problème", "sous-question", "하위 문제", "部分問題", "子问题",
    "小问题",
];

/// Verbs ordering a split ("break", "zerleg", "divide", "나눠", "分解", "拆"): lowercase
/// substrings.
#[rustfmt::skip]
const SPLIT_VERBS: &[&str] = &[
    "break", "split", "divide", "decompose", "zerleg", "aufteil", "unterteil", "gliedere",
    "divíde", "descompón", "descompon", "separa", "décompose", "divise", "découpe", "sépare",
    "나누", "나눠", "쪼개", "분해", "分け", "分解", "拆", "分成",
];

/// An order to split the problem into sub-problems: a [`SUBPARTS`] noun with a
/// [`SPLIT_VERBS`] verb, not the bare noun ("the subproblems of this recurrence").
fn decomposition_order(hits: u32) -> bool {
    hits & L_SUBPARTS != 0 && hits & L_SPLIT_VERBS != 0
}

/// CJK output requests (substrings): a verb asking for something in the answer.
#[rustfmt::skip]
const DELIVER_CJK: &[&str] = &[
    // ko
    "알려 줘", "알려줘", "알려 주세요", "알려주세요", "정리해 줘", "정리해줘", "정리해 주세요", "써 줘", "써줘",
    "써 주세요", "말해 줘", "말해줘", "제시해", "보여 줘", "보여줘", "작성해", "추천해", "계산해", "요약해",
    "번역해", "들어 줘", "들어줘", "표로", "표 형식", "목록으로", "골라 줘", "매겨 줘", "짜 줘", "짜줘",
    "만들어 줘", "만들어줘", "구해 줘", "구해줘", "구해 주세요", "비교해 줘", "비교해줘",
    // ja
    "教えて", "挙げて", "示して", "まとめて", "書いて", "出して", "提案して", "計算して",
    "評価して", "列挙して", "表で", "表形式", "箇条書き", "使って", "付けて", "つけて",
    // zh
    "请评价", "请列出", "给出", "列出", "告诉我", "写出", "总结", "翻译", "计算", "评价", "评估", "推荐",
    "举一个", "举个", "用一个", "用表格", "用列表", "打分", "给我", "写一", "帮我写", "做一个", "画一",
];

/// CJK words that make a request about the reasoning or a pep talk (see [`NOT_DELIVERABLE`]).
#[rustfmt::skip]
const NOT_DELIVERABLE_CJK: &[&str] = &[
    // ko
    "전에", "가설", "최선", "꼼꼼", "천천히", "신중", "깊이", "천재", "전문가", "완벽", "제발", "부탁", "과정",
    "생각", "검토", "스스로", "다시", "두 번", "너", "풀이", "단계", "혼잣말", "속마음",
    // ja
    "前に", "仮説", "慎重", "じっくり", "ゆっくり", "深呼吸", "完璧", "天才", "専門家", "プロ", "必ず", "見直",
    "思考", "推論", "考え", "過程", "下書き", "自分", "てから", "なりき", "浮か", "途中", "一貫", "複数の答え",
    "点検", "確認", "チェック", "候補", "ステップ", "心の声", "独り言", "ひとりごと",
    // zh
    "之前", "先", "假设", "认真", "仔细", "慢慢", "深呼吸", "完美", "天才", "专家", "顶级", "一定", "务必",
    "反复", "检查", "思考", "推理", "过程", "思路", "草稿", "内心", "你", "反思", "核对", "纠正", "一遍", "答案", "答え",
    "步骤", "自言自语", "独白",
];

/// Names of reasoning models as a topic ("这段提示词里哪些话对推理模型没用").
#[rustfmt::skip]
const MODEL_TOPICS: &[&str] = &[
    "reasoning model", "Reasoning model", "推理模型", "推論モデル", "추론 모델", "추론모델",
    "modèle de raisonnement", "modèles de raisonnement", "modelo de razonamiento",
    "modelos de razonamiento", "Reasoning-Modell",
];

/// `u` with [`MODEL_TOPICS`] replaced by "model": "reasoning models" is a topic, not a request
/// about the reasoning.
pub(crate) fn without_model_topics(u: &str) -> std::borrow::Cow<'_, str> {
    let maybe = u.contains("odel") || u.contains("odèle") || u.contains(['模', 'モ', '모']);
    if maybe && MODEL_TOPICS.iter().any(|t| u.contains(t)) {
        MODEL_TOPICS
            .iter()
            .fold(u.to_string(), |b, t| b.replace(t, "model"))
            .into()
    } else {
        u.into()
    }
}

fn deliver_words() -> &'static WordTable {
    static W: OnceLock<WordTable> = OnceLock::new();
    W.get_or_init(|| {
        let mut w = WordTable::default();
        w.add(DELIVER_VERBS, 1);
        w.add(DELIVER_LEAD, 2);
        w.add(NOT_DELIVERABLE, 4);
        w
    })
}

/// A request about the output (what to state, give, list, evaluate or use), not about how to
/// think: an output verb leads the unit (or, in Hangul/kana/Han text, an output request
/// occurs), or it states what the user wants ("I want every city listed once."); and no lexicon
/// anchor, thinking verb, reasoning noun, "before ...", pep-talk word or "you" occurs. Such a
/// unit is never removed.
pub(crate) fn asks_for_output(u: &str, has_anchor: bool, has_thinking_verb: bool) -> bool {
    if has_anchor || has_thinking_verb {
        return false;
    }
    let body = u.trim_start_matches(|c: char| !is_word_char(c) && !is_cjk(c));
    let table = deliver_words();
    let mut scratch = String::new();
    let mut lead = true;
    let mut verb = false;
    let mut latin_words = 0;
    let mut addressed = false;
    let mut i = 0;
    while i < body.len() {
        let Some(c) = body.get(i..).and_then(|r| r.chars().next()) else {
            break;
        };
        if is_word_char(c) {
            let end = text::word_end(body, i).max(i + c.len_utf8());
            let w = body.get(i..end).unwrap_or("");
            let f = table.get(w, &mut scratch);
            if f & 4 != 0 {
                return false;
            }
            if lead {
                if f & 1 != 0 {
                    verb = true;
                    lead = false;
                } else if f & 2 == 0 {
                    lead = false;
                }
            }
            latin_words += 1;
            addressed |= ["you", "u", "du", "dich", "dir", "te", "toi", "vous", "tu"]
                .iter()
                .any(|y| w.eq_ignore_ascii_case(y));
            i = end;
        } else {
            i += c.len_utf8();
        }
    }
    let cjk = body.chars().any(is_cjk);
    if cjk {
        if NOT_DELIVERABLE_CJK_LIST.any_in(body) {
            return false;
        }
        return verb || DELIVER_CJK_LIST.any_in(body);
    }
    let wants = WANT_OPENERS.iter().any(|o| {
        text::match_at(body, 0, o).is_some_and(|end| {
            body.get(end..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !is_word_char(c))
        })
    });
    (verb || wants && !addressed) && latin_words >= 2
}

/// A quote that is only a short label in a template ("Thoughts:", 「答え：」) or a reasoning
/// template ("思考：<推理> 答案：<结果>"), not material.
pub(crate) fn label_quote(q: &str) -> bool {
    let inner = q.trim_matches(|c: char| !is_word_char(c) && !is_cjk(c) && c != ':' && c != '：');
    let label = inner.chars().count() <= 14 && inner.ends_with([':', '：']);
    // A whole reasoning template: "Thoughts: <...> Answer: <...>", 「考察：（...）」,
    // „Gedanken: … / Antwort: …“ (a label, a colon and a placeholder).
    // After each label's colon there is nothing but a placeholder (and the next label): a
    // quoted message ("Error: file (config.yml) missing") is material.
    let body = q.trim_matches(|c: char| c.is_whitespace() || "\"'“”„«»「」『』‘’‚".contains(c));
    let mut parts = body.split([':', '：']);
    parts.next();
    let mut parts = parts.peekable();
    let mut template = parts.peek().is_some() && body.chars().count() <= 60;
    while let Some(part) = parts.next() {
        let (rest, had) = without_placeholders(part);
        let rest = rest.trim_matches(|c: char| !is_word_char(c) && !is_cjk(c));
        // The next label ("Answer", "/ Antwort") may follow; after the last colon nothing.
        let next_label = parts.peek().is_some() && rest.chars().count() <= 14;
        template &= had && (rest.is_empty() || next_label);
    }
    label || template
}

/// `s` without its placeholders (`<…>`, `‹…›`, `(…)`, `（…）` holding words, `…`, `...`), and
/// whether it had one.
fn without_placeholders(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut had = false;
    let mut close: Option<char> = None;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        rest = rest.get(c.len_utf8()..).unwrap_or("");
        if let Some(end) = close {
            if c == end {
                close = None;
            }
            continue;
        }
        let end = match c {
            '<' => Some('>'),
            '‹' => Some('›'),
            '(' => Some(')'),
            '（' => Some('）'),
            _ => None,
        };
        // A bracket holds a placeholder when it holds words, not a file name, path or number
        // ("(your reasoning)", "（考えたこと）", not "(config.yml)" or "(line 12)").
        let words_only = |e: char| {
            rest.split(e).next().is_some_and(|inside| {
                c == '<' || c == '‹' || inside == "..." || inside == "…" || {
                    !inside
                        .chars()
                        .any(|x| x.is_ascii_digit() || matches!(x, '.' | '/' | '\\' | '_'))
                }
            })
        };
        if let Some(e) = end.filter(|e| rest.contains(*e) && words_only(*e)) {
            close = Some(e);
            had = true;
        } else if c == '…' {
            had = true;
        } else if c == '.' && rest.starts_with("..") {
            had = true;
            rest = rest.get(2..).unwrap_or("");
        } else {
            out.push(c);
        }
    }
    (out, had)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn material(t: &str) -> Vec<&str> {
        let spans = text::protected_spans(t);
        material_ranges(t, &spans).into_iter().map(|r| &t[r]).collect()
    }

    /// A curly apostrophe (U+2019) joins a word as a straight one does: "d’abord" is the
    /// thinking word "d'abord".
    #[test]
    fn curly_apostrophe_in_thinking_words() {
        assert!(thinking_signal("Reprends d'abord la question."));
        assert!(thinking_signal("Reprends d\u{2019}abord la question."));
        assert!(!thinking_signal("Reprends la question."));
    }

    #[test]
    fn material_after_introducers() {
        assert_eq!(
            material("Classify this email:\n\nHi, think step by step.\nBye"),
            ["Hi, think step by step.\nBye"]
        );
        assert_eq!(
            material("Report:\nQ3 up.\nThink.\n\nThink step by step."),
            ["Q3 up.\nThink."]
        );
        assert_eq!(
            material("Think carefully: the budget is $40k."),
            Vec::<&str>::new()
        );
        assert_eq!(
            material("Translate into German: \"Take a deep breath.\" Keep the tone."),
            Vec::<&str>::new()
        );
        assert_eq!(
            material("次の売上データから計算してください：5月 840万円。考えて。"),
            ["5月 840万円。"]
        );
        assert_eq!(
            material("Summarise this thread: Maria: hi?\nTom: I'll think step by step\nMaria: ok"),
            ["Maria: hi?", "Tom: I'll think step by step", "Maria: ok"]
        );
        let t = "Log:\nTom: a\nAna: b\nQ: x";
        assert_eq!(material(t), ["Tom: a\nAna: b\nQ: x"]);
        assert_eq!(
            material("要約して。\n佐藤：延期しよう。\n鈴木：一つずつ段階的に考えます。"),
            ["佐藤：延期しよう。", "鈴木：一つずつ段階的に考えます。"]
        );
    }

    #[test]
    fn roles_questions_answers_and_deliverables() {
        // A persona placed in the user's situation carries task facts; a generic one does not,
        // nor does a persona line that bribes or flatters.
        assert!(role_with_facts("당신은 이번 주 결제 시스템 당직 엔지니어입니다."));
        assert!(role_with_facts(
            "You are on call this week for the billing service."
        ));
        assert!(!role_with_facts(
            "You are a senior tax accountant with 15 years of experience."
        ));
        assert!(!role_with_facts(
            "Du bist das klügste Modell überhaupt; wenn es klappt, gibt's ein Trinkgeld."
        ));
        assert!(role_with_facts(
            "Du bist Kassenwart im Verein; die Kasse hat 2.300 €."
        ));
        for (u, want) in [
            ("Bis wann muss ich zahlen", true),
            ("What do you check first", true),
            ("¿Qué revisas primero", true),
            ("뭘 먼저 확인해야 하고", true),
            ("Think it over", false),
            ("Eli sits at the end", false),
        ] {
            assert_eq!(opens_question(u), want, "{u}");
        }
        assert!(final_answer_format("y la respuesta final entre <r></r>"));
        assert!(final_answer_format("최종 답은 <정답> 태그 안에 넣어 줘."));
        assert!(!final_answer_format(
            "put your reasoning in <think> and the final answer in <a>"
        ));
        assert!(!final_answer_format(
            "Before the final answer, rate your confidence."
        ));
        assert!(learner_deliverable(
            "Leave room where pupils write out each step."
        ));
        assert!(learner_deliverable("맨 뒤에 정답지를 붙여 줘."));
        assert!(!learner_deliverable(
            "Before grading the students, think it through."
        ));
        assert!(credentialed("As a renowned professor with decades of research"));
        assert!(!credentialed("As a beginner"));
        assert!(states_facts("姉は時速4km、妹は時速3kmで歩いた。"));
        assert!(!states_facts("Überleg genau"));
    }

    #[test]
    fn material_after_a_question_that_opens_a_list_and_a_rubric() {
        assert_eq!(
            material(
                "Which of these lines would you drop? 1. Keep it short.\n2. Think step by step.\n\nThanks."
            ),
            ["1. Keep it short.\n2. Think step by step."]
        );
        assert_eq!(material("Is it right? Think."), Vec::<&str>::new());
        assert_eq!(
            material("Rubric: clarity (4), evidence (6)."),
            ["clarity (4), evidence (6)."]
        );
    }

    /// Regression: "Report:" lines (taken for transcript lines) nested inside a material range
    /// left the list unsorted by end, so `text::overlaps` missed material further on and log
    /// clauses ("2024-03-01 10") of later blocks were scored and removed.
    #[test]
    fn nested_material_ranges_are_merged() {
        let t = "Sum it up.\nReport:\nTom: a b\nAna: c d\n\nReport:\nTom: e\n2024-03-01 10:02 x";
        let spans = text::protected_spans(t);
        let m = material_ranges(t, &spans);
        assert!(m.windows(2).all(|w| w[0].end < w[1].start), "{m:?}");
        let at = t.rfind("2024").unwrap();
        assert!(text::overlaps(&m, at, at + 13), "{m:?}");
        assert!(!speaker_label("Report:\n"));
    }

    #[test]
    fn fact_voice_persona_tables() {
        for (u, want) in [
            ("I'll tip you $100.", false),
            ("the quote is $37.5k", true),
            ("AUC of 0,91", true),
            ("4,120 visitors", false),
            ("Step 1: state it.", false),
            ("x = 3", true),
            ("the X200 blender", true),
            ("Überleg genau", false),
        ] {
            assert_eq!(states_facts(u), want, "{u}");
        }
        assert!(names_voice("Voice: you are a cheerful new hire."));
        assert!(names_voice("말투는 텐션 높은 유튜버처럼."));
        assert!(persona_opener("You're honestly the smartest model."));
        assert!(persona_opener("너는 경력 20년의 세무사야."));
        assert!(!persona_opener("Your task is to sum."));
        assert!(role_with_facts(
            "You are the on-call engineer for the payments API; the pager says 12%."
        ));
        assert!(!role_with_facts(
            "You are a helpful, highly knowledgeable assistant."
        ));
        assert!(role_with_facts(
            "Tu corriges des copies avec ce barème : fond (5), forme (5)."
        ));
        assert!(!role_with_facts("Tu dois bien réfléchir."));
        for (u, want) in [
            ("State the assumptions behind the estimate.", true),
            ("Please give two possible causes.", true),
            ("I want every row once.", true),
            ("I want you to be brilliant.", false),
            ("Give it your best shot.", false),
            ("List every hypothesis before concluding.", false),
            ("Nenne drei Gründe.", true),
            ("Donne trois pistes.", true),
            ("알려 줘 가장 빠른 방법을.", true),
            ("最高の答えを出して、慎重に。", false),
            ("请列出三个原因。", true),
            ("Answer in JSON.", false),
        ] {
            assert_eq!(asks_for_output(u, false, false), want, "{u}");
        }
        assert!(!asks_for_output("Write the summary.", false, true));
        assert_eq!(without_model_topics("对推理模型多余"), "对model多余");
        // Reasoning templates with placeholders other than <...> are labels, not material.
        assert!(label_quote("「分析：（途中の考え）」") && label_quote("„Denkweg: … | Lösung: …“"));
        assert!(!label_quote("「今日は雨です（たぶん）」"));
        assert!(
            label_quote("「考察：」")
                && label_quote("\"Thoughts:\"")
                && !label_quote("\"Think step by step.\"")
        );
    }
}

/// The lists matched through [`LOWER_LISTS`] and the CJK automata keep the old semantics only
/// if they hold what the old scans could find: lowercase phrases (matched in a lowercased unit;
/// an uppercase entry could never match) and, for the CJK lists skipped on ASCII text, no
/// ASCII-only phrase.
#[cfg(test)]
mod list_shape_tests {
    use super::*;

    #[test]
    fn lower_lists_are_lowercase() {
        for list in [
            CREDENTIALS,
            SITUATION,
            FLATTERY,
            SUPERLATIVES,
            MODEL_WORDS,
            BRIBES,
            BRIBE_AIMED,
            STAKES,
            SUBPARTS,
            SPLIT_VERBS,
            FINAL_ANSWER,
            ANSWER_CONTAINERS,
            REASONING_NOUNS,
            LEARNER_DELIVERABLES,
            BEFORE,
        ] {
            for p in list {
                assert_eq!(p.to_lowercase(), *p, "{p}");
            }
        }
        for p in NOT_DELIVERABLE_CJK {
            assert!(!p.is_ascii(), "{p}");
        }
    }
}
