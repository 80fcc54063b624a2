//! Goal-form sectioning: assigns the pieces of a (directive-free) prompt to Goal, Output format,
//! Constraints and Context by cue words in seven languages, and lays them out as one message
//! with `## ` headed sections.
//!
//! Invariant: pure, total and lossless. Every sentence, code fence, quote and data block of the
//! input appears verbatim (trimmed) in exactly one section of the output; only the whitespace
//! between pieces and their order across sections change.

use std::ops::Range;
use std::sync::OnceLock;

use super::lexicon::{PhraseSet, WordTable};
use super::text::{self, is_word_char, protected_spans};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sec {
    Goal = 0,
    Format = 1,
    Constraints = 2,
    Context = 3,
}

const HEADERS: [&str; 4] = ["## Goal", "## Output format", "## Constraints", "## Context"];

/// Always a format cue.
#[rustfmt::skip]
const FORMAT_STRONG: &[&str] = &[
    "format", "formatted", "formatting", "markdown", "bullet", "bullets", "bulleted", "formato",
    "viñetas", "puces", "formatiert", "formatieren", "stichpunkte", "stichpunkten", "aufzählung",
    "aufzählungspunkte", "schema",
];
/// A format cue after a lead word (`in json`, `as a table`), or after a number that itself follows
/// a lead word (`in 3 bullet points`, `max 5 items`). Length units (`UNITS`) need only the number
/// (`200 words`); other counts do not (`raised churn by 0.3 points` is data, not a format).
#[rustfmt::skip]
const FORMAT_NOUNS: &[&str] = &[
    "json", "yaml", "csv", "xml", "html", "table", "tabla", "tableau", "tabelle", "list", "lista",
    "liste", "paragraph", "paragraphs", "sentence", "sentences", "words", "word", "characters",
    "chars", "lines", "items", "points", "palabras", "oraciones", "frases", "párrafos", "mots",
    "phrases", "paragraphes", "caractères", "lignes", "wörter", "wörtern", "sätze", "sätzen",
    "absätze", "zeichen", "zeilen", "tokens",
];
/// Length units: a number before one of these is a format cue on its own (`write 300 words`).
#[rustfmt::skip]
const UNITS: &[&str] = &[
    "words", "sentences", "paragraphs", "characters", "chars", "palabras", "oraciones", "párrafos",
    "mots", "paragraphes", "caractères", "wörter", "wörtern", "sätze", "sätzen", "absätze",
    "zeichen",
];
#[rustfmt::skip]
const FORMAT_LEADS: &[&str] = &[
    "in", "as", "into", "to", "respond", "reply", "answer", "return", "output", "give", "provide",
    "en", "como", "comme", "sous", "als", "im", "under", "within", "max", "maximum", "most",
    "least", "exactly", "than", "responde", "devuelve", "réponds", "répondez", "renvoie",
    "antworte", "gib", "valid", "formatted", "single", "plain",
];
#[rustfmt::skip]
const ARTICLES: &[&str] = &[
    "a", "an", "the", "un", "una", "une", "ein", "eine", "einer", "einem",
];
#[rustfmt::skip]
const CONSTRAINT_WORDS: &[&str] = &[
    "must", "never", "only", "without", "avoid", "don't", "dont", "mustn't", "shouldn't", "cannot",
    "can't", "ensure", "required", "forbidden", "exclusively", "strictly", "warning", "important", "note", "notes", "warnings",
    "requirements", "constraints", "rules", "restrictions", "no", "caution",
    // es
    "debe", "debes", "deben", "nunca", "solo", "sólo", "únicamente", "sin", "evita", "evite",
    "evitar", "asegúrate", "asegúrese", "jamás", "obligatorio", "prohibido", "importante",
    "restricciones", "reglas", "requisitos",
    // fr
    "dois", "doit", "devez", "doivent", "jamais", "seulement", "uniquement", "sans", "évite",
    "évitez", "assure", "assurez", "pas", "contraintes", "règles", "exigences", "interdit",
    // de
    "muss", "musst", "müssen", "nie", "niemals", "nur", "ohne", "vermeide", "vermeiden", "sicher",
    "nicht", "kein", "keine", "keinen", "wichtig", "einschränkungen", "regeln", "anforderungen",
    "darfst", "verboten",
];
#[rustfmt::skip]
const NEGATED: &[&str] = &[
    "do", "does", "should", "must", "may", "will", "did", "is", "are",
];
#[rustfmt::skip]
const CONTEXT_HEADER_WORDS: &[&str] = &[
    "context", "background", "data", "input", "document", "article", "text", "code", "email", "log",
    "logs", "transcript", "contexto", "datos", "texto", "contexte", "données", "texte", "kontext",
    "daten", "hintergrund",
];
#[rustfmt::skip]
const FORMAT_CJK: &[&str] = &[
    "형식", "표로", "글머리", "목록으로", "단어 이내", "자 이내", "形式", "箇条書き", "表で", "文字以内", "語以内", "格式", "表格", "要点",
    "列表", "字以内",
];
#[rustfmt::skip]
const CONSTRAINT_CJK: &[&str] = &[
    "반드시", "절대", "하지 마", "하지마", "마세요", "말고", "말 것", "없이", "피하", "금지", "로만", "으로만", "必ず", "絶対",
    "しないで", "ないでください", "禁止", "避け", "のみ", "だけ", "ずに", "必须", "不要", "只", "仅", "避免", "不得", "切勿", "确保",
    "务必", "不能", "不可",
];
#[rustfmt::skip]
const CONTEXT_CJK: &[&str] = &[
    "문맥", "배경", "데이터", "コンテキスト", "背景", "データ", "上下文", "背景", "数据",
];

const STRONG: u16 = 1;
const NOUN: u16 = 2;
const LEAD: u16 = 4;
const ARTICLE: u16 = 8;
const CONSTRAINT: u16 = 16;
const AUX: u16 = 32;
const CONTEXT: u16 = 64;
const MAKE_BE: u16 = 128;
const DATA_FORMAT: u16 = 256;
const DET: u16 = 512;
const UNIT: u16 = 1024;

/// Words that open a label for pasted material ("The code:", "Here is the log:").
#[rustfmt::skip]
const DETERMINERS: &[&str] = &[
    "the", "this", "these", "that", "those", "here", "here's", "below", "following", "attached",
    "el", "la", "los", "las", "este", "esta", "estos", "aquí", "le", "les", "ce", "cette", "ces",
    "voici", "ci", "der", "die", "das", "dies", "diese", "dieser", "hier", "unten",
];

fn cues() -> &'static WordTable {
    static C: OnceLock<WordTable> = OnceLock::new();
    C.get_or_init(|| {
        let mut m = WordTable::default();
        let tables: [(&[&'static str], u16); 11] = [
            (DETERMINERS, DET),
            (FORMAT_STRONG, STRONG),
            (FORMAT_NOUNS, NOUN),
            (FORMAT_LEADS, LEAD),
            (ARTICLES, ARTICLE),
            (CONSTRAINT_WORDS, CONSTRAINT),
            (NEGATED, AUX),
            (CONTEXT_HEADER_WORDS, CONTEXT),
            (&["make", "be"], MAKE_BE),
            (&["json", "yaml", "csv", "xml", "markdown", "table"], DATA_FORMAT),
            (UNITS, UNIT),
        ];
        for (words, flag) in tables {
            m.add(words, flag);
        }
        m
    })
}

fn cjk_cues() -> &'static PhraseSet {
    static C: OnceLock<PhraseSet> = OnceLock::new();
    C.get_or_init(|| {
        let mut p = PhraseSet::default();
        p.add(FORMAT_CJK, STRONG);
        p.add(CONSTRAINT_CJK, CONSTRAINT);
        p.add(CONTEXT_CJK, CONTEXT);
        p
    })
}

/// Builds the cue tables ahead of the first request (optional).
pub(crate) fn warm_up() {
    let _ = cues();
    let _ = cjk_cues();
}

/// Cue classification of one sentence.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cue {
    /// Format or Constraints when the sentence carries such a cue.
    pub sec: Option<Sec>,
    pub words: usize,
    /// Names context/data/input/... somewhere.
    pub ctx_word: bool,
    /// Opens like a label ("The ...", "Here is ...").
    pub label_start: bool,
}

pub(crate) fn cue(s: &str) -> Cue {
    let c = cues();
    let mut words = 0;
    let (mut fmt, mut cons, mut ctx, mut data_format) = (false, false, false, false);
    // Flags of the previous two words; whether the previous word was a number, and whether
    // that number followed a lead word.
    let (mut p1, mut p2, mut p1_number, mut p1_led_number) = (0u16, 0u16, false, false);
    let mut first = 0u16;
    let mut w = String::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if bytes
            .get(i)
            .is_some_and(|b| b.is_ascii() && !text::ascii_alnum(b))
        {
            i += 1;
            continue;
        }
        let Some(ch) = s.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        if !is_word_char(ch) {
            i += ch.len_utf8();
            continue;
        }
        let end = text::word_end(s, i).max(i + ch.len_utf8());
        let word = s.get(i..end).unwrap_or("");
        words += 1;
        let f = c.get(word, &mut w);
        if words == 1 {
            first = f;
        }
        if f & STRONG != 0 {
            fmt = true;
        } else if f & NOUN != 0 {
            data_format |= f & DATA_FORMAT != 0;
            fmt |= p1 & LEAD != 0
                || (p1 & ARTICLE != 0 && p2 & LEAD != 0)
                || (p1_number && (f & UNIT != 0 || p1_led_number));
        }
        if f & CONSTRAINT != 0
            || (p1 & AUX != 0 && word.eq_ignore_ascii_case("not"))
            || (p1 & MAKE_BE != 0 && word.eq_ignore_ascii_case("sure"))
            || (word.len() > 2 && matches!(word.as_bytes(), [b'n' | b'N', b'\'', ..]))
            || word.starts_with("n’")
            || word.starts_with("N’")
        {
            cons = true;
        }
        ctx |= f & CONTEXT != 0;
        let number = word.bytes().all(|b| b.is_ascii_digit());
        p1_led_number = number && p1 & LEAD != 0;
        p2 = p1;
        p1 = f;
        p1_number = number;
        i = end;
    }
    if !s.is_ascii() && s.chars().any(text::is_cjk) {
        let f = cjk_cues().scan(s);
        fmt |= data_format || f & STRONG != 0;
        cons |= f & CONSTRAINT != 0;
        ctx |= f & CONTEXT != 0;
        words += s.chars().filter(|c| text::is_cjk(*c)).count() / 3;
    }
    let sec = if fmt {
        Some(Sec::Format)
    } else if cons {
        Some(Sec::Constraints)
    } else {
        None
    };
    Cue {
        sec,
        words,
        ctx_word: ctx,
        label_start: first & DET != 0,
    }
}

/// Section texts of a prompt, in `Sec` order; empty when nothing went there.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sections {
    pub parts: [String; 4],
    /// (paragraph, line) of the last piece appended to each section, for separators.
    last: [(usize, usize); 4],
    /// Byte offset in the source where the last piece of each section ended.
    ends: [Option<usize>; 4],
}

impl Sections {
    fn add(&mut self, sec: Sec, piece: &str, para: usize, line: usize) {
        let piece = piece.trim();
        if piece.is_empty() {
            return;
        }
        let k = sec as usize;
        let (Some(buf), Some(last)) = (self.parts.get_mut(k), self.last.get_mut(k)) else {
            return;
        };
        if !buf.is_empty() {
            buf.push_str(if last.0 != para {
                "\n\n"
            } else if last.1 != line {
                "\n"
            } else {
                " "
            });
        }
        buf.push_str(piece);
        *last = (para, line);
    }

    /// [`Sections::add`] for a piece of `source`: when the previous piece of the same section
    /// stood right before it (only whitespace between), the original whitespace is kept, so
    /// neighbours stay verbatim ("。テーマは", "? Answer in two paragraphs.").
    fn add_from(&mut self, source: &str, sec: Sec, piece: &str, para: usize, line: usize) {
        let trimmed = piece.trim();
        let start = (trimmed.as_ptr() as usize).wrapping_sub(source.as_ptr() as usize);
        let k = sec as usize;
        let prev_end = self.ends.get(k).copied().flatten();
        let gap = prev_end
            .filter(|&e| e <= start && start <= source.len())
            .and_then(|e| source.get(e..start))
            .filter(|g| g.chars().all(char::is_whitespace));
        match (gap, self.parts.get_mut(k)) {
            (Some(g), Some(buf)) if !buf.is_empty() && !trimmed.is_empty() => {
                buf.push_str(g);
                buf.push_str(trimmed);
                if let Some(l) = self.last.get_mut(k) {
                    *l = (para, line);
                }
            }
            _ => self.add(sec, piece, para, line),
        }
        if !trimmed.is_empty() {
            if let Some(e) = self.ends.get_mut(k) {
                *e = Some(start + trimmed.len());
            }
        }
    }

    pub(crate) fn get(&self, sec: Sec) -> &str {
        self.parts.get(sec as usize).map_or("", String::as_str)
    }

    /// Takes a section's text out, leaving it empty.
    pub(crate) fn take(&mut self, sec: Sec) -> String {
        self.parts
            .get_mut(sec as usize)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Appends a pre-formatted block (e.g. the earlier conversation) to a section.
    pub(crate) fn push_block(&mut self, sec: Sec, block: &str) {
        self.add(sec, block, usize::MAX - 1, 0);
        if let Some(l) = self.last.get_mut(sec as usize) {
            *l = (usize::MAX, 0);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Fence,
    /// Pasted material: quote/tag blocks or data-like lines.
    Material,
    /// Long paragraph: material when any instruction paragraph exists.
    Long,
    Prose,
}

/// Paragraph and fence blocks of `t`.
fn blocks(t: &str, spans: &[Range<usize>]) -> Vec<(Range<usize>, Kind)> {
    let mut out = Vec::new();
    let mut para: Option<usize> = None;
    let mut pos = 0;
    while pos < t.len() {
        let line_end = t
            .get(pos..)
            .and_then(|s| s.find('\n'))
            .map_or(t.len(), |p| pos + p);
        let line = t.get(pos..line_end).unwrap_or("");
        let indent = line.len() - line.trim_start().len();
        let fence = text::span_at(spans, pos + indent)
            .filter(|s| s.start == pos + indent && line.trim_start().starts_with("```"));
        if let Some(f) = fence {
            if let Some(p) = para.take() {
                out.push((p..pos, Kind::Prose));
            }
            let mut end = line_end_after(t, f.end);
            // A span that starts on the closing line and runs on extends the block.
            while let Some(s) = text::span_at(spans, end).filter(|s| s.end > end) {
                end = line_end_after(t, s.end);
            }
            out.push((pos..end, Kind::Fence));
            pos = end + 1;
            continue;
        }
        if line.trim().is_empty() && text::span_at(spans, pos).is_none() {
            if let Some(p) = para.take() {
                out.push((p..pos, Kind::Prose));
            }
        } else if para.is_none() {
            para = Some(pos);
        }
        pos = line_end + 1;
    }
    if let Some(p) = para {
        out.push((p..t.len(), Kind::Prose));
    }
    for (r, kind) in out.iter_mut() {
        if *kind == Kind::Prose {
            *kind = prose_kind(t.get(r.clone()).unwrap_or(""));
        }
    }
    out
}

fn line_end_after(t: &str, from: usize) -> usize {
    t.get(from..)
        .and_then(|s| s.find('\n'))
        .map_or(t.len(), |p| from + p)
}

fn is_list_item(line: &str) -> bool {
    let l = line.trim_start();
    if l.starts_with(['-', '*', '•', '+']) {
        return true;
    }
    let digits = l.bytes().take(4).take_while(u8::is_ascii_digit).count();
    (1..=3).contains(&digits) && matches!(l.as_bytes().get(digits), Some(b'.' | b')'))
}

/// The text before a colon that an inline list item follows ("...: 1. Remote", "...: A) x").
fn inline_list_head(piece: &str) -> Option<&str> {
    let p = piece.find([':', '：'])?;
    let rest = piece.get(p..)?.trim_start_matches([':', '：']).trim_start();
    let marker = rest.bytes().take(3).take_while(u8::is_ascii_alphanumeric).count();
    let listed = is_list_item(rest)
        || marker == 1 && matches!(rest.as_bytes().get(1), Some(b')')) && rest.get(2..3) == Some(" ");
    listed.then(|| piece.get(..p)).flatten()
}

fn prose_kind(p: &str) -> Kind {
    let first = p.trim_start().chars().next();
    if matches!(first, Some('>' | '<' | '|' | '{' | '[')) {
        return Kind::Material;
    }
    let lines: Vec<&str> = p.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.len() >= 3 {
        let ended = lines
            .iter()
            .filter(|l| {
                l.trim_end()
                    .chars()
                    .next_back()
                    .is_some_and(|c| text::is_terminator(c) || c == ':')
            })
            .count();
        let listy = lines.iter().filter(|l| is_list_item(l)).count();
        if ended * 2 < lines.len() && listy * 2 < lines.len() && !lines.iter().any(|l| cue(l).sec.is_some()) {
            return Kind::Material;
        }
    }
    if p.len() > 400 {
        Kind::Long
    } else {
        Kind::Prose
    }
}

/// Assigns the pieces of `t` to sections.
pub(crate) fn classify(t: &str) -> Sections {
    let spans = protected_spans(t);
    let bl = blocks(t, &spans);
    let any_prose = bl.iter().any(|(_, k)| *k == Kind::Prose);
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    // Section for the block after an introducer line ("Here is the data:").
    let mut intro: Option<Sec> = None;
    for (para, (r, kind)) in bl.iter().enumerate() {
        let body = t.get(r.clone()).unwrap_or("");
        let next_intro = intro.take();
        let block = |sec| Piece {
            sec,
            text: body,
            para,
            line: 0,
            cued: false,
            sentence: false,
        };
        match kind {
            Kind::Fence | Kind::Material => pieces.push(block(next_intro.unwrap_or(Sec::Context))),
            Kind::Long if any_prose && next_intro.is_none() => {
                // Pasted material unless some sentence in it is a format/constraint.
                let mut tmp = Vec::new();
                intro = prose(t, r.clone(), &spans, para, &mut tmp);
                if tmp.iter().any(|p| p.cued) {
                    pieces.extend(tmp);
                } else {
                    intro = None;
                    pieces.push(block(Sec::Context));
                }
            }
            _ => match next_intro {
                Some(sec) => pieces.push(block(sec)),
                None => intro = prose(t, r.clone(), &spans, para, &mut pieces),
            },
        }
    }
    // A prompt whose every sentence carries a cue ("Explain TCP in under 200 words.") or is
    // quoted material still has a goal: its first cued sentence, else its first sentence.
    if !pieces.iter().any(|p| p.sec == Sec::Goal) {
        let first = match pieces.iter().position(|p| p.cued) {
            Some(i) => Some(i),
            None => pieces.iter().position(|p| p.sentence),
        };
        if let Some(p) = first.and_then(|i| pieces.get_mut(i)) {
            p.sec = Sec::Goal;
        }
    }
    let mut out = Sections::default();
    for p in pieces {
        out.add_from(t, p.sec, p.text, p.para, p.line);
    }
    out
}

struct Piece<'a> {
    sec: Sec,
    text: &'a str,
    para: usize,
    line: usize,
    /// Assigned by its own format/constraint cue.
    cued: bool,
    /// A prose sentence (not a whole block).
    sentence: bool,
}

/// Classifies a prose paragraph sentence by sentence; returns the section of a trailing
/// introducer line for the next block.
fn prose<'a>(
    t: &'a str,
    r: Range<usize>,
    spans: &[Range<usize>],
    para: usize,
    out: &mut Vec<Piece<'a>>,
) -> Option<Sec> {
    let local = text::spans_within(spans, r.start, r.end);
    let body = t.get(r).unwrap_or("");
    let sents = text::sentences(body, &local);
    let mut inherit: Option<(Sec, bool)> = None;
    let mut intro = None;
    let mut line = 0;
    let mut line_pos = 0;
    // The section of the list item that opened the current line.
    let mut line_item: Option<Sec> = None;
    let first_piece = out.len();
    for (k, s) in sents.iter().enumerate() {
        line += body.get(line_pos..s.start).map_or(0, |g| g.matches('\n').count());
        line_pos = s.start;
        let piece = body.get(s.clone()).unwrap_or("");
        // "Rank these offers: 1. Remote, no equity": the list after the colon is data; the
        // words before it decide the section.
        let cue = cue(inline_list_head(piece).unwrap_or(piece));
        let line_end = body
            .get(s.end..)
            .is_none_or(|rest| rest.starts_with('\n') || rest.trim().is_empty());
        let heading = line_end && piece.starts_with('#');
        let header = heading || (line_end && piece.ends_with([':', '：']));
        let new_line = k == 0
            || body
                .get(..s.start)
                .is_some_and(|b| b.trim_end_matches([' ', '\t']).ends_with('\n'));
        let list_line = new_line && is_list_item(piece);
        if new_line {
            line_item = None;
        }
        // After "Header:" list items inherit its section; after a data header every line does.
        if inherit.is_some_and(|(_, lists_only)| lists_only) && !list_line && new_line && !header {
            inherit = None;
        }
        let inherited = inherit.filter(|&(_, lists_only)| !lists_only || list_line || !new_line);
        // Only a sentence that states an output format or a limit moves; a question stays in
        // the goal, in its order, whatever cue it holds.
        let question = piece.trim_end().ends_with(['?', '？']);
        let (own, cued) = match (cue.sec, inherited.map(|(s, _)| s)) {
            (_, Some(i)) if !header && (!question || i == Sec::Context) => (i, false),
            (Some(c), _) if !question => (c, true),
            (_, _) if heading && cue.ctx_word => (Sec::Context, false),
            (_, _) if heading => (Sec::Goal, false),
            (_, _) if header && (cue.words <= 1 || cue.ctx_word || cue.label_start) => (Sec::Context, false),
            (_, _) => (Sec::Goal, false),
        };
        // The items of a list run on one line ("1. Die Rechnung ist doppelt. 2. Login geht
        // nicht. 3. ...") are data: no cue of theirs moves them, and they stay together in the
        // section of the first.
        let run_on = list_line
            && sents
                .get(k + 1)
                .and_then(|n| body.get(s.end..n.start))
                .is_some_and(|gap| !gap.contains('\n'));
        let (own, cued) = match line_item {
            Some(sec) if !new_line => (sec, false),
            _ if run_on && cued => (Sec::Goal, false),
            _ => (own, cued),
        };
        if run_on {
            line_item = Some(own);
        }
        out.push(Piece {
            sec: own,
            text: piece,
            para,
            line,
            cued,
            sentence: true,
        });
        if header {
            let next_is_list = sents
                .get(k + 1)
                .and_then(|n| body.get(n.clone()))
                .is_some_and(is_list_item);
            let follow = match own {
                Sec::Format | Sec::Constraints => own,
                _ if next_is_list || heading => own,
                _ => Sec::Context,
            };
            inherit = Some((follow, next_is_list && !heading));
            intro = (k + 1 == sents.len()).then_some(follow);
        }
    }
    // A sentence moved by its own cue while the task goes on after it in the same paragraph
    // ("A bag has 4 red and 6 blue marbles. You draw three without replacement. What's the
    // probability ...?") states a fact of the task: it stays in the goal, in its place.
    let last_goal = out
        .iter()
        .rposition(|p| p.sec == Sec::Goal && p.sentence)
        .filter(|&g| g >= first_piece);
    if let Some(g) = last_goal {
        for p in out.get_mut(first_piece..g).unwrap_or(&mut []) {
            // (A header line such as "Requirements:" introduces its list: it keeps its section.)
            if p.cued && !p.text.trim_end().ends_with([':', '：']) {
                p.sec = Sec::Goal;
                p.cued = false;
            }
        }
    }
    intro
}

/// Lays out sections as one message. With only a goal (and nothing else), the goal text alone.
pub(crate) fn render(instructions: Option<&str>, s: &Sections) -> String {
    let only_goal = instructions.is_none()
        && [Sec::Format, Sec::Constraints, Sec::Context]
            .iter()
            .all(|k| s.get(*k).is_empty());
    if only_goal {
        return s.get(Sec::Goal).to_string();
    }
    let mut out = String::new();
    let mut section = |title: &str, body: &str| {
        if body.trim().is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(title);
        out.push('\n');
        out.push_str(body);
    };
    if let Some(i) = instructions {
        section("## Instructions", i);
    }
    for (k, title) in HEADERS.iter().enumerate() {
        section(title, s.parts.get(k).map_or("", String::as_str));
    }
    out
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

    /// (input, goal, format, constraints, context)
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );

    #[test]
    fn classify_table() {
        let cases: &[Case] = &[
            ("Summarize the report. Answer in JSON. Do not mention names.", "Summarize the report.", "Answer in JSON.", "Do not mention names.", ""),
            ("Fix the bug in my JSON parser.", "Fix the bug in my JSON parser.", "", "", ""),
            ("Explain TCP in under 200 words.", "Explain TCP in under 200 words.", "", "", ""),
            ("Explain TCP. Use under 200 words.", "Explain TCP.", "Use under 200 words.", "", ""),
            ("Plan the launch. Give it in 5 points.", "Plan the launch.", "Give it in 5 points.", "", ""),
            ("Estimate the churn. The price change raised churn by 0.3 points.", "Estimate the churn. The price change raised churn by 0.3 points.", "", "", ""),
            ("Count the errors. The log has 300 lines.", "Count the errors. The log has 300 lines.", "", "", ""),
            ("Review this:\n\n```rust\nfn main() {}\n```\n\nOnly list real bugs.", "Review this:", "", "Only list real bugs.", "```rust\nfn main() {}\n```"),
            ("Requirements:\n- fast\n- no deps\nWrite a parser.", "Write a parser.", "", "Requirements:\n- fast\n- no deps", ""),
            ("Here is the data:\nname,age\nbob,3", "", "", "", "Here is the data:\nname,age\nbob,3"),
            ("Fix it.\n\nThe failing test:\n\n```\nassert!(x)\n```", "Fix it.", "", "", "The failing test:\n\n```\nassert!(x)\n```"),
            ("Summarize the following:\n\n```\ntext\n```", "Summarize the following:", "", "", "```\ntext\n```"),
            ("Reply to her. For context, she is our CEO.", "Reply to her. For context, she is our CEO.", "", "", ""),
            ("## Task\nWrite a haiku.\n\n## Notes\nNo rhymes.\n\n## Context\nFor a card.", "## Task\nWrite a haiku.", "", "## Notes\nNo rhymes.", "## Context\nFor a card."),
            ("Answer her. She wrote: \"The invoice from March is wrong, fix it now.\"", "Answer her. She wrote: \"The invoice from March is wrong, fix it now.\"", "", "", ""),
            ("Do the following:\n- summarize\n- translate", "Do the following:\n- summarize\n- translate", "", "", ""),
            ("보고서를 요약하세요. 표 형식으로 답하세요. 반드시 한국어로 쓰세요.", "보고서를 요약하세요.", "표 형식으로 답하세요.", "반드시 한국어로 쓰세요.", ""),
            ("この文章を要約して。箇条書きで答えて。専門用語は使わないでください。", "この文章を要約して。", "箇条書きで答えて。", "専門用語は使わないでください。", ""),
            ("总结这篇文章。用表格格式回答。不要使用术语。", "总结这篇文章。", "用表格格式回答。", "不要使用术语。", ""),
            ("Resume el texto. Responde en formato JSON. No uses jerga.", "Resume el texto.", "Responde en formato JSON.", "No uses jerga.", ""),
            ("Résume le texte. Réponds en liste à puces. N'utilise pas de jargon.", "Résume le texte.", "Réponds en liste à puces.", "N'utilise pas de jargon.", ""),
            ("Fasse den Text zusammen. Antworte als Tabelle. Verwende keine Fachbegriffe.", "Fasse den Text zusammen.", "Antworte als Tabelle.", "Verwende keine Fachbegriffe.", ""),
            ("> quoted mail line one\n> line two\n\nReply politely.", "Reply politely.", "", "", "> quoted mail line one\n> line two"),
        ];
        for (input, g, f, c, x) in cases {
            let s = classify(input);
            assert_eq!(
                (s.get(Sec::Goal), s.get(Sec::Format), s.get(Sec::Constraints), s.get(Sec::Context)),
                (*g, *f, *c, *x),
                "input: {input}"
            );
        }
    }

    /// Items run on one line stay together, in order, in the section of the first item,
    /// whatever cue one of them holds ("nicht", "出力").
    #[test]
    fn items_on_one_line_stay_together() {
        let items = "1. Paket kam nicht an. 2. Farbe falsch. 3. Gibt es Rabatt?";
        let s = classify(&format!("Sortiere diese Nachrichten nach Thema.\n{items}"));
        assert_eq!(s.get(Sec::Goal), format!("Sortiere diese Nachrichten nach Thema.\n{items}"));
        assert!(s.get(Sec::Constraints).is_empty(), "{}", s.get(Sec::Constraints));
        let items = "1. 画面が固まる 2. 請求額が違う 3. PDF出力に表紙を付けたい";
        let s = classify(&format!("次の声を3つに分類してください。\n{items}"));
        assert!(s.get(Sec::Goal).contains(items), "{:?}", s.get(Sec::Goal));
    }

    #[test]
    fn long_paragraph_is_context_only_next_to_instructions() {
        let long = "Lorem ipsum dolor sit amet. ".repeat(20);
        let s = classify(&format!("Summarize this.\n\n{long}"));
        assert_eq!(s.get(Sec::Goal), "Summarize this.");
        assert_eq!(s.get(Sec::Context), long.trim());
        let alone = classify(&long);
        assert!(alone.get(Sec::Context).is_empty());
    }

    #[test]
    fn render_layouts() {
        let s = classify("Summarize. Use JSON format.");
        assert_eq!(
            render(None, &s),
            "## Goal\nSummarize.\n\n## Output format\nUse JSON format."
        );
        assert_eq!(render(None, &classify("Just a goal.")), "Just a goal.");
        assert_eq!(
            render(Some("Be terse."), &classify("Hi.")),
            "## Instructions\nBe terse.\n\n## Goal\nHi."
        );
        assert_eq!(render(None, &classify("")), "");
    }
}
