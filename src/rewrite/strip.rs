//! Directive removal: scores every sentence outside protected spans and pasted material with
//! the learned detector ([`super::detect`]) and removes the directive ones whole; in a sentence
//! that is not a directive as a whole, removes the directive clauses (with the connector before
//! them), so "Think carefully: the budget is $40k." keeps its fact. The keep guards
//! ([`super::guards`]) hold whatever the score: facts, voice, role lines with facts, persona
//! clauses inside longer sentences, quotes (other than template labels) and code.
//!
//! The old lexicon rule (an anchor and nothing but fillers,
//! [`super::clause::is_lexicon_directive`]) is now one of the detector's features.
//!
//! Invariant: pure and total; removes only whole sentences or clauses outside protected spans
//! and material, and lists exactly the texts removed.

use std::ops::Range;

use super::clause::{clause_kind, Clause};
use super::directives::{find_anchors, tables, Match, CJK_VERBS, VERB};
use super::guards::Unit;
use super::text::{self, is_cjk, is_word_char, protected_spans};
use super::{detect, guards};

/// The text with directives removed, and the exact texts removed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stripped {
    pub text: String,
    pub removed: Vec<String>,
}

/// Probability at or above which a whole sentence is a directive.
pub(crate) const SENTENCE_THRESHOLD: f32 = 0.6;
/// Probability at or above which one clause of a longer sentence is cut out on its own
/// (stricter: the rest of the sentence stays, so a wrong cut would leave a broken task).
pub(crate) const CLAUSE_THRESHOLD: f32 = 0.85;
/// The sentence threshold for a sentence with no sign of a directive besides the detector's
/// score (no anchor, thinking verb, persona opener, reasoning or pep-talk word, address to the
/// model, bribe or credentials: "来月の社員旅行は箱根と日光のどちらにするか迷っています。"): the
/// detector alone must be surer.
pub(crate) const UNSIGNED_THRESHOLD: f32 = 0.7;
/// A clause below this probability, set off by a colon or semicolon, is a task clause (a
/// half of it when joined by a connector): its sentence is never removed whole.
pub(crate) const TASK_CLAUSE: f32 = 0.2;

/// What the detector decided for one clause of a sentence it did not remove whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Keep,
    /// Goes only next to a [`Cut::Directive`] clause: filler ("before answering") or an
    /// adverbial anchor without a verb ("step by step").
    Rider,
    Directive,
}

/// Removes how-to-think directives from `text`; `None` when there is nothing to remove.
///
/// Every sentence outside protected spans and pasted material is scored by the detector;
/// a sentence at [`SENTENCE_THRESHOLD`] goes whole unless a keep guard holds; otherwise its
/// clauses at [`CLAUSE_THRESHOLD`] go, each run with the connector before it (or, at the start
/// of the sentence, the one after it).
pub(crate) fn strip(text: &str) -> Option<Stripped> {
    strip_as(text, Turn::User)
}

/// Whose text is stripped: a few keep rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// A user turn: a list after a request to label or sort is pasted items, held as material.
    User,
    /// A user turn after an assistant turn that ended in a question: its first sentence is the
    /// user's answer ("Ja, aber nur wenn gzip erfolgreich war.", "Die Raumdiagonale und die
    /// Oberfläche.") and stays unless it names a thinking procedure (a lexicon anchor or a
    /// thinking verb).
    Answer,
    /// A system or developer prompt: a numbered list after a line asking to label or sort is
    /// the prompt's own rules ("Label each ticket by urgency.\n1. Think step by step. ..."),
    /// not items pasted to classify (those come in the user's turns), so it is not material.
    System,
}

/// [`strip`] for a text of the given [`Turn`].
pub(crate) fn strip_as(text: &str, turn: Turn) -> Option<Stripped> {
    let spans = protected_spans(text);
    let material = guards::material_ranges_in(text, &spans, turn != Turn::System);
    let model = detect::model();
    let mut cuts: Vec<Range<usize>> = Vec::new();
    let mut removed = Vec::new();
    for (n, s) in text::sentences(text, &spans).into_iter().enumerate() {
        if s.len() > detect::MAX_UNIT || text::overlaps(&material, s.start, s.end) {
            continue;
        }
        let Some(sent) = text.get(s.clone()) else { continue };
        // What the guards derive from the sentence (its lowercase, the phrase lists in it, its
        // facts, a thinking verb) is computed once for all of them.
        let su = Unit::new(sent);
        if sent.starts_with('#') || guards::names_voice(sent) || guards::role_with_facts_in(&su) {
            continue;
        }
        // The sentence's anchors, found once for the guards and the detector.
        let anchors = find_anchors(sent, &[]);
        if turn == Turn::Answer && n == 0 && anchors.is_empty() && !thinking_verb(&su) {
            continue;
        }
        // A sentence ending in a colon right before a code block or quote introduces it ("Este es el
        // volcado del servidor:" + a stack trace), unless it names a thinking procedure.
        if introduces_block(text, &s, &spans) && anchors.is_empty() && !thinking_verb(&su) {
            continue;
        }
        if steps_deliverable(&su, &anchors) {
            continue;
        }
        // A numbered step is a step of the deliverable ("Include a safety note before step
        // 1."), when no thinking procedure is named and no stakes, flattery or bribe is in it.
        if anchors.is_empty()
            && numbered_step(&su)
            && !thinking_verb(&su)
            && !guards::stakes_or_praise_in(&su)
        {
            continue;
        }
        // A request about the output or a teaching deliverable is never touched (checked
        // lazily: only when something would go).
        let mut output_request: Option<bool> = None;
        let mut guarded = || {
            *output_request.get_or_insert_with(|| {
                asks_for_output_with(&su, &anchors)
                    || teaching_deliverable(&su)
                    || final_answer_format(&su)
                    || answer_shape(&su, &anchors)
                    || guards::counts_occurrences(&su)
            })
        };
        let quoted = material_quote(&spans, &s, text);
        let cls = text::clauses(text, s.clone(), &spans);
        let ends_question = sent.trim_end().ends_with(['?', '？']);
        let plain_asked = ends_question && anchors.is_empty() && guards::opens_question(sent);
        let scored: Vec<(Cut, f32, bool)> = if cls.len() < 2 {
            Vec::new()
        } else {
            cls.iter()
                .enumerate()
                .map(|(i, c)| {
                    // A clause of a question that opens with a question word or a
                    // subordinator, or ends it ("Was prüfst du zuerst, und ...?", "..., wenn
                    // ich nicht reagiere?"), is part of what is asked unless it names a
                    // thinking procedure.
                    // In a question that names no thinking procedure and opens or holds its
                    // question word ("对推理模型来说，哪些句子是多余的？"), every clause without
                    // one is part of it ("reasoning model" names a topic, not a thinking verb).
                    let part_of_question = ends_question
                        && !text::overlaps(&spans, c.start, c.end)
                        && text.get(c.clone()).is_some_and(|u| {
                            (plain_asked
                                || guards::opens_question(u)
                                || opens_with_subordinator(u)
                                || i + 1 == cls.len())
                                && find_anchors(u, &[]).is_empty()
                                && !has_thinking_verb(&guards::without_model_topics(u))
                        });
                    if part_of_question {
                        return (Cut::Keep, 0.0, text.get(c.clone()).is_some_and(substantial));
                    }
                    let (cut, p) = clause_cut(text, c, i > 0, &spans, model);
                    // Set off by a colon, semicolon or dash: a clause that can stand alone.
                    let before = i
                        .checked_sub(1)
                        .and_then(|j| cls.get(j))
                        .map_or(c.start, |b| b.end);
                    let after = cls.get(i + 1).map_or(c.end, |n| n.start);
                    let set_off = [before..c.start, c.end..after].into_iter().any(|g| {
                        text.get(g)
                            .is_some_and(|g| g.contains([':', ';', '：', '；', '—', '–']))
                    });
                    let limit = if set_off { TASK_CLAUSE } else { TASK_CLAUSE / 2.0 };
                    // A question ("..., どんな実験デザインが必要ですか？") is the task itself.
                    let question = text
                        .get(c.end..)
                        .is_some_and(|r| r.trim_start().starts_with(['?', '？']));
                    let limit = if question { SENTENCE_THRESHOLD } else { limit };
                    (cut, p, p < limit && text.get(c.clone()).is_some_and(substantial))
                })
                .collect()
        };
        // A sentence that mixes a directive with a task clause of some substance ("Summarize
        // the report and think step by step.", "Approach it like a mathematician would: use
        // induction on n.") is cut clause by clause instead. A clause joined by "and" must look
        // like a task more clearly than one set off by a colon ("Think aloud and explain each
        // step" goes whole).
        let mixed = scored.iter().any(|&(k, _, task)| k == Cut::Keep && task)
            && scored.iter().any(|&(k, _, _)| k == Cut::Directive);
        // "Think step by step about the 2019 tax changes": the thinking is about a task with a
        // fact in it, stated nowhere else; the sentence stays.
        let thinks_about_facts =
            without_list_marker(sent).chars().any(|c| c.is_ascii_digit()) && thinking_verb(&su);
        // A sentence holding a question of substance is never removed whole.
        let asks = scored.iter().enumerate().any(|(i, &(_, _, task))| {
            task && cls.get(i).is_some_and(|c| {
                text.get(c.end..)
                    .is_some_and(|r| r.trim_start().starts_with(['?', '？']))
            })
        });
        // A question that names no thinking procedure (no anchor, thinking verb, reasoning
        // noun, "before", care or pep-talk word) is the task itself, however the detector scores it ("Bis wann muss ich zustimmen, und was passiert, wenn ...?").
        // (A Hangul sentence run into the question without its full stop is still split below:
        // only its directive half goes.)
        // A question word makes a thinking verb or word part of what is asked ("何が問題だと
        // 考えますか。", "What do you think caused it?"), and a Japanese sentence closing in "か。"
        // is a question as much as one closing in "？".
        let plain_question = is_question(sent)
            && anchors.is_empty()
            && (guards::opens_question(sent) || !thinking_verb(&su) && !guards::thinking_signal_in(&su));
        let whole = !quoted
            && !mixed
            && !asks
            && !thinks_about_facts
            && !su.facts()
            && sentence_directive(model.probability_with(sent, &anchors), &su, &anchors)
            && !guarded();
        // A sentence that would go whole but ends in a task clause of substance
        // ("各方面都考虑一下，然后告诉我要不要买这辆车，以及预算大概多少。") loses only the clauses
        // before it that the detector scores a directive as a sentence would be.
        // A last clause that an output guard holds ("..., 最后单独一行给答案。") leaves the
        // sentence's directive score to the clauses before it.
        let held = whole && held_tail(text, &cls, &scored);
        let task_tail = whole && ends_in_task(text, &cls, &scored, held);
        if whole && !task_tail {
            // A Hangul sentence without its full stop may run into the next one ("꼭 성공해야
            // 돼 표 형식으로."): only the directive half goes.
            let half = match hangul_split(text, &s, model) {
                HangulCut::Keep => continue,
                HangulCut::Part(r) => Some(r),
                HangulCut::Whole => None,
            };
            if plain_question && half.is_none() {
                continue;
            }
            let s = half.unwrap_or(s);
            removed.push(text.get(s.clone()).unwrap_or("").to_string());
            cuts.push(s);
            continue;
        }
        let mut kinds: Vec<Cut> = scored.iter().map(|&(k, _, _)| k).collect();
        if task_tail {
            let last = kinds.len().saturating_sub(1);
            for (i, k) in kinds.iter_mut().enumerate().take(last) {
                if scored
                    .get(i)
                    .is_some_and(|&(_, p, task)| !task && (p >= SENTENCE_THRESHOLD || held))
                {
                    *k = Cut::Directive;
                }
            }
        }
        // A condition belongs to the clause it governs ("If it's wrong, give a
        // counterexample.", "Sinon, propose une autre date."): a clause opened by a
        // subordinator is never cut away from a kept clause after it.
        for i in 0..kinds.len() {
            let next_kept = kinds.get(i + 1) == Some(&Cut::Keep);
            let opens = cls
                .get(i)
                .and_then(|c| text.get(c.clone()))
                .is_some_and(opens_with_subordinator);
            if next_kept && opens {
                if let Some(k) = kinds.get_mut(i) {
                    *k = Cut::Keep;
                }
            }
        }
        // So does a condition after a task clause ("..., was zu tun ist, wenn das WLAN nicht
        // geht."), when it bears no sign of a directive (anchor, thinking verb, address to the
        // model) and is not the user's own ("si je le rate je redouble", "if I fail it": stakes
        // the detector may score a directive go as they would alone).
        for i in 1..kinds.len() {
            let prev_kept =
                kinds.get(i - 1) == Some(&Cut::Keep) && scored.get(i - 1).is_some_and(|&(_, _, task)| task);
            let plain_condition = || {
                cls.get(i).and_then(|c| text.get(c.clone())).is_some_and(|u| {
                    opens_with_subordinator(u)
                        && !first_person_condition(u)
                        && !signals_directive(&Unit::new(u), None)
                })
            };
            if prev_kept && kinds.get(i) != Some(&Cut::Keep) && plain_condition() {
                if let Some(k) = kinds.get_mut(i) {
                    *k = Cut::Keep;
                }
            }
        }
        // In a sentence that states facts, a clause with no sign of a directive besides the
        // detector's score (no anchor, thinking verb, persona opener, reasoning or pep-talk
        // word, address to the model: "姉は時速4km、妹は時速3kmで、駅から同じ方向に出発しました。")
        // is part of the facts and stays.
        let counts =
            || without_list_marker(sent).chars().any(|c| c.is_ascii_digit()) && !guards::persona_opener(sent);
        if su.facts() || counts() {
            for (i, k) in kinds.iter_mut().enumerate() {
                let unsigned = || {
                    !cls.get(i)
                        .and_then(|c| text.get(c.clone()))
                        .is_some_and(|u| signals_directive(&Unit::new(u), None))
                };
                if *k == Cut::Directive && unsigned() {
                    *k = Cut::Keep;
                }
            }
        }
        if kinds.len() < 2 || !kinds.contains(&Cut::Directive) || guarded() {
            continue;
        }
        // Each run of directive clauses (with the riders next to them) goes with one connector.
        let mut k = 0;
        while k < cls.len() {
            if kinds.get(k) == Some(&Cut::Keep) {
                k += 1;
                continue;
            }
            let first = k;
            while kinds.get(k + 1).is_some_and(|c| *c != Cut::Keep) {
                k += 1;
            }
            let run = kinds.get(first..=k).unwrap_or(&[]);
            if !run.contains(&Cut::Directive) {
                k += 1;
                continue;
            }
            let (Some(a), Some(b)) = (cls.get(first), cls.get(k)) else {
                break;
            };
            let cut = match first.checked_sub(1).and_then(|p| cls.get(p)) {
                Some(prev) => prev.end..b.end,
                // At the start of the sentence the run goes up to the connector after it: the
                // connector is the task's, and stays with it ("Think it over and tell me" ->
                // "and tell me", "Réfléchis, puis donne le total." -> "puis donne le total.":
                // the user's words after the directive are kept character for character).
                None => {
                    a.start..cls.get(k + 1).map_or(b.end, |n| {
                        let gap = text.get(b.end..n.start).unwrap_or("");
                        if let Some(w) = gap.find(is_word_char) {
                            return b.end + w;
                        }
                        let g = gap.trim_end();
                        match THEN_CJK.iter().find(|w| g.ends_with(*w)) {
                            Some(w) => b.end + g.len() - w.len(),
                            None => n.start,
                        }
                    })
                }
            };
            for c in cls.get(first..=k).unwrap_or(&[]) {
                removed.push(text.get(c.clone()).unwrap_or("").to_string());
            }
            cuts.push(cut);
            k += 1;
        }
    }
    if cuts.is_empty() {
        return None;
    }
    Some(Stripped {
        text: text::remove_ranges(text, cuts),
        removed,
    })
}

/// Words for a step of a procedure, before its number ("step 1", "Schritt 3", "paso 2").
const STEP_WORDS: &[&str] = &["step", "schritt", "paso", "étape", "etapa"];

/// The unit names one numbered step ("step 1", "Schritt 2", "étape 3", "第1步", "ステップ1",
/// "2단계"): a step of the deliverable. Two or more ("Paso 1, Paso 2, ..., Por lo tanto") are a
/// template for the reasoning, not a reference to one step.
fn numbered_step(u: &Unit) -> bool {
    if !u.text.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let l = u.lower();
    let digit_after = |r: &str| r.trim_start().starts_with(|c: char| c.is_ascii_digit());
    let latin: usize = STEP_WORDS
        .iter()
        .map(|w| {
            l.match_indices(w)
                .filter(|&(at, _)| {
                    let starts = l
                        .get(..at)
                        .and_then(|h| h.chars().next_back())
                        .is_none_or(|c| !is_word_char(c));
                    starts
                        && l.get(at + w.len()..)
                            .is_some_and(|r| r.starts_with(' ') && digit_after(r))
                })
                .count()
        })
        .sum();
    let cjk: usize = if l.is_ascii() {
        0
    } else {
        let marked: usize = ["第", "ステップ"]
            .iter()
            .map(|w| {
                l.match_indices(w)
                    .filter(|&(at, _)| {
                        l.get(at + w.len()..)
                            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                    })
                    .count()
            })
            .sum();
        let hangul = l
            .match_indices("단계")
            .filter(|&(at, _)| {
                l.get(..at)
                    .and_then(|h| h.trim_end().chars().next_back())
                    .is_some_and(|c| c.is_ascii_digit())
            })
            .count();
        marked + hangul
    };
    latin + cjk == 1
}

/// The sentence asks something: it closes in a question mark, or in the Japanese question
/// particle before a full stop ("…ですか。", "…でしょうか。").
fn is_question(sent: &str) -> bool {
    let t = sent.trim_end();
    t.ends_with(['?', '？']) || t.ends_with("か。")
}

/// The sentence ends in a task clause of substance ("以及需要满足哪些前提条件") after a clause the
/// detector scores a directive as a sentence would be, and opens with no persona.
fn ends_in_task(text: &str, cls: &[Range<usize>], scored: &[(Cut, f32, bool)], held: bool) -> bool {
    let (Some(first), Some(&(Cut::Keep, _, true))) = (cls.first(), scored.last()) else {
        return false;
    };
    let last = scored.len().saturating_sub(1);
    cls.len() >= 2
        && scored
            .iter()
            .take(last)
            .any(|&(_, p, task)| !task && (p >= SENTENCE_THRESHOLD || held))
        && !text.get(first.clone()).is_some_and(guards::persona_opener)
}

/// The last clause is a task clause that states the output (an output request, the shape of
/// the answer, where the final answer goes).
fn held_tail(text: &str, cls: &[Range<usize>], scored: &[(Cut, f32, bool)]) -> bool {
    let (Some(&(Cut::Keep, _, true)), Some(c)) = (scored.last(), cls.last()) else {
        return false;
    };
    // (Clauses of substance before it: a template's labels, "1단계, 2단계, … 그러므로 형식으로 써
    // 줘.", are no directive of their own.)
    let before = cls.get(..cls.len().saturating_sub(1)).unwrap_or(&[]);
    if !before
        .iter()
        .all(|b| text.get(b.clone()).is_some_and(substantial))
    {
        return false;
    }
    text.get(c.clone()).is_some_and(|u| {
        let cu = Unit::new(u);
        let anchors = find_anchors(u, &[]);
        asks_for_output_with(&cu, &anchors) || final_answer_format(&cu) || answer_shape(&cu, &anchors)
    })
}

/// Connectors of time in scripts without spaces ("然后", "それから"), which stay with the task
/// clause they open.
const THEN_CJK: &[&str] = &["然后", "接着", "之后", "それから", "그다음", "그 다음"];

/// Words that open a conditional or otherwise subordinate clause, in the seven languages.
const SUBORDINATORS: &[&str] = &[
    "if",
    "unless",
    "when",
    "whenever",
    "otherwise",
    "else",
    "si",
    "sinon",
    "sino",
    "cuando",
    "quand",
    "lorsque",
    "wenn",
    "falls",
    "sofern",
    "sonst",
    "ansonsten",
    "如果",
    "要是",
    "若",
    "否则",
    "もし",
    "만약",
    "만일",
];

/// The clause starts with a subordinator ("If it's wrong", "Si es falsa", "Wenn ja", "如果错了").
fn opens_with_subordinator(clause: &str) -> bool {
    let t = clause.trim_start();
    SUBORDINATORS.iter().any(|w| {
        t.get(..w.len()).is_some_and(|head| head.eq_ignore_ascii_case(w))
            && t.get(w.len()..)
                .and_then(|r| r.chars().next())
                .is_none_or(|c| !c.is_ascii_alphanumeric() || !w.is_ascii())
    })
}

/// Subjects in the first person that open a condition after its subordinator ("si je",
/// "if I", "wenn ich", "si yo", "如果我", "만약 내가", "もし私が").
const FIRST_PERSON: &[&str] = &[
    "i ", "i'", "i’", "je ", "j'", "j’", "ich ", "yo ", "我", "내가", "제가", "私が", "私は", "僕が", "俺が",
];

/// The clause is a condition whose subject is the user ("si je le rate", "if I fail", "wenn
/// ich", "如果我", "내가", "私が").
fn first_person_condition(clause: &str) -> bool {
    let t = clause.trim_start();
    SUBORDINATORS.iter().any(|w| {
        t.get(..w.len()).is_some_and(|head| head.eq_ignore_ascii_case(w))
            && t.get(w.len()..).is_some_and(|rest| {
                let rest = rest.trim_start().to_lowercase();
                FIRST_PERSON.iter().any(|p| rest.starts_with(p))
            })
    }) || ["내가", "제가", "私が"].iter().any(|p| t.contains(p))
}

/// Sentence `s` ends with a colon and a protected span (code or a quote) follows it.
fn introduces_block(text: &str, s: &Range<usize>, spans: &[Range<usize>]) -> bool {
    let Some(sent) = text.get(s.clone()) else {
        return false;
    };
    if !sent.trim_end().ends_with([':', '：']) {
        return false;
    }
    let rest = text.get(s.end..).unwrap_or("");
    let at = s.end + (rest.len() - rest.trim_start().len());
    text::span_at(spans, at).is_some_and(|q| q.start == at)
}

/// True when sentence `s` holds a protected span that is material (not a template label).
fn material_quote(spans: &[Range<usize>], s: &Range<usize>, text: &str) -> bool {
    let lo = spans.partition_point(|q| q.end <= s.start);
    spans
        .get(lo..)
        .unwrap_or(&[])
        .iter()
        .take_while(|q| q.start < s.end)
        .any(|q| !text.get(q.clone()).is_some_and(guards::label_quote))
}

/// `s` without a leading list marker ("2. ", "3) ").
fn without_list_marker(s: &str) -> &str {
    let t = s.trim_start();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    match t.as_bytes().get(digits) {
        Some(b'.' | b')') if (1..=3).contains(&digits) => t.get(digits + 1..).unwrap_or(t),
        _ => t,
    }
}

/// At least three words, or five Hangul/kana/Han characters: enough to state a task.
fn substantial(u: &str) -> bool {
    // (Counts stop at the third word and the fifth CJK character.)
    u.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .nth(2)
        .is_some()
        || u.chars().filter(|c| is_cjk(*c)).nth(4).is_some()
}

/// The cut for one clause and its probability (0 when a guard decided).
fn clause_cut(
    text: &str,
    c: &Range<usize>,
    after_first: bool,
    spans: &[Range<usize>],
    model: &detect::DetectorModel,
) -> (Cut, f32) {
    let Some(u) = text.get(c.clone()) else {
        return (Cut::Keep, 0.0);
    };
    let cu = Unit::new(u);
    // A lone lowercase word is a list tail or an aside ("costs and expectations", "...
    // actually, is that true?"), and so is a capitalised one after the sentence's first clause
    // ("Dev and Eli"), where a name stands, not an opener ("Please, think ..."): never a
    // directive of its own. (Only in scripts with case: CJK and Hangul clauses have no spaces,
    // so there a run of word characters is not one word.)
    // A lone word before a colon is a label instead ("— Reasoning: <your thinking>"), and may
    // go with its template.
    // A persona given to the model with credentials (not the user's own role: "As a nurse
    // with years on night shifts, I ...").
    let credentialed_persona = || guards::credentialed_persona_in(&cu, text.get(c.end..).unwrap_or(""));
    let lone_tail = c.start > 0
        && u.chars()
            .next()
            .is_some_and(|ch| ch.is_lowercase() || (after_first && ch.is_uppercase()))
        && !u.chars().any(|ch| !is_word_char(ch))
        && !text
            .get(c.end..)
            .is_some_and(|r| r.trim_start().starts_with([':', '：']));
    if material_quote(spans, c, text)
        || lone_tail
        || !u.chars().any(|ch| ch.is_alphabetic())
        || cu.facts()
        || guards::persona_opener(u) && (after_first || !credentialed_persona())
        || guards::names_voice(u)
    {
        return (Cut::Keep, 0.0);
    }
    // The clause's anchors, found once for the guards below and the clause kind.
    let matches = find_anchors(u, &[]);
    if steps_deliverable(&cu, &matches) {
        return (Cut::Keep, 0.0);
    }
    let p = model.probability_with(u, &matches);
    // Pure in `u`: computed at most once.
    let mut output_request: Option<bool> = None;
    let mut asks = || *output_request.get_or_insert_with(|| asks_for_output_with(&cu, &matches));
    // The costlier guards run only for a clause that looks like more than a task (a guarded
    // clause counts as a task clause: probability 0).
    // A short label before a colon ("問題：2+2", "Data: ...") introduces content.
    let label = || {
        text.get(c.end..).is_some_and(|r| r.starts_with([':', '：']))
            && u.split_whitespace().count() <= 2
            && u.chars().count() <= 24
            && matches.is_empty()
            && !thinking_verb(&cu)
    };
    if p >= TASK_CLAUSE / 2.0
        && (label() || asks() || final_answer_format(&cu) || answer_shape(&cu, &matches))
    {
        return (Cut::Keep, 0.0);
    }
    // A lone word ("OK, and if I draw three instead, ...?", "Please, ...") is no directive of
    // its own: at most it goes with one next to it.
    // (A Hangul word has spaces around it, so a short run of syllables is one word too: "답해".)
    let hangul_word = || {
        let w = u.trim().trim_end_matches(|ch: char| !ch.is_alphanumeric());
        (1..=4).contains(&w.chars().count()) && w.chars().all(|ch| ('\u{AC00}'..='\u{D7AF}').contains(&ch))
    };
    let lone_word = !u.trim().chars().any(|ch| !is_word_char(ch)) || hangul_word();
    if p >= CLAUSE_THRESHOLD && !lone_word {
        return (Cut::Directive, p);
    }
    // A persona given to the model with credentials opening the sentence ("You, an
    // award-winning architect of thirty years, ...", "你是一位资深的建筑师，") goes at the
    // sentence threshold: its credentials make it generic. Never the user's own role.
    if !after_first && (SENTENCE_THRESHOLD..CLAUSE_THRESHOLD).contains(&p) && credentialed_persona() {
        return (Cut::Directive, p);
    }
    if lone_word && p >= CLAUSE_THRESHOLD {
        return (Cut::Rider, p);
    }
    let kind = clause_kind(u, &(0..u.len()), &matches, &[]);
    // A thinking verb with fillers opening its sentence before a colon or dash ("Denk scharf
    // nach: der Vertrag ...", "Piénsalo con calma: ..."): the opener goes, the facts after it
    // stay. Never a lone word ("Reflect: the team ..." is a heading).
    let opener = !after_first
        && kind == Clause::Filler
        && u.split(|ch: char| !is_word_char(ch))
            .filter(|w| !w.is_empty())
            .count()
            >= 2
        && text
            .get(c.end..)
            .is_some_and(|r| r.trim_start().starts_with([':', '：', '—', '–']))
        && thinking_verb(&cu);
    if opener {
        return (Cut::Directive, p.max(CLAUSE_THRESHOLD));
    }
    let bare_anchor =
        !matches.is_empty() && matches.iter().all(|m| m.needs_verb) && u.split_whitespace().count() <= 4;
    if (kind == Clause::Filler || bare_anchor) && !asks() {
        (Cut::Rider, p)
    } else {
        (Cut::Keep, p)
    }
}

/// A request about the output, not the thinking (see [`guards::asks_for_output`]).
fn asks_for_output(u: &str) -> bool {
    let u = guards::without_model_topics(u);
    guards::asks_for_output(&u, !find_anchors(&u, &[]).is_empty(), has_thinking_verb(&u))
}

/// [`asks_for_output`] given `find_anchors(u, &[])` (searched again only when a model topic
/// was replaced).
fn asks_for_output_with(u: &Unit, anchors: &[Match]) -> bool {
    let t = guards::without_model_topics(u.text);
    let (has_anchor, verb) = match &t {
        std::borrow::Cow::Borrowed(_) => (!anchors.is_empty(), thinking_verb(u)),
        std::borrow::Cow::Owned(o) => (!find_anchors(o, &[]).is_empty(), has_thinking_verb(o)),
    };
    guards::asks_for_output(&t, has_anchor, verb)
}

/// Hangul endings that close a sentence ("돼", "해", "줘", "요", "다").
const HANGUL_FINAL: &[char] = &['돼', '해', '줘', '요', '다', '야', '봐', '라', '지', '네', '까'];
/// Words that continue the verb before them ("해 줘", "해야 돼", "생각해 봐").
const HANGUL_AUX: &[char] = &[
    '줘', '주', '봐', '보', '드', '야', '요', '도', '서', '고', '있', '없', '싶', '하', '되', '돼',
];

/// What goes of a Hangul sentence the detector removes whole.
#[derive(Debug, Clone, PartialEq)]
enum HangulCut {
    /// The whole sentence.
    Whole,
    /// Only this directive part (a full stop is missing between it and a task).
    Part(Range<usize>),
    /// Nothing: the directive part could not be told from the task part it runs into.
    Keep,
}

/// For a Hangul sentence `s` the detector removes whole: when it runs into a task without a
/// full stop (a final ending, a space, then a task), the directive part alone. A directive
/// part that follows a task part and is followed by another ("640점이야 제발 잘 좀 부탁해 하루
/// 2시간씩 ... 짜 줘.") goes alone, between the two, or nothing goes.
fn hangul_split(text: &str, s: &Range<usize>, model: &detect::DetectorModel) -> HangulCut {
    let Some(sent) = text.get(s.clone()) else {
        return HangulCut::Whole;
    };
    let hangul = sent
        .chars()
        .filter(|c| ('\u{AC00}'..='\u{D7AF}').contains(c))
        .count();
    if hangul * 2 < sent.chars().filter(|c| !c.is_whitespace()).count() {
        return HangulCut::Whole;
    }
    let mut splits = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in sent.char_indices() {
        // (An emoticon of jamo, "ㅠㅠ", "ㅋㅋ", closes a sentence as a final ending does.)
        let split = c == ' '
            && prev.is_some_and(|p| HANGUL_FINAL.contains(&p) || ('\u{3131}'..='\u{318E}').contains(&p))
            && sent.get(i + 1..).is_some_and(|r| {
                r.chars().next().is_some_and(|n| is_cjk(n) && !HANGUL_AUX.contains(&n))
                    // "하루" (a day) and "하나" (one) open a new phrase before a noun-like
                    // continuation ("하루 한 시간씩", "하나씩"); "고쳐야 하나요" continues the verb.
                    || ["하루", "하나"].iter().any(|w| {
                        r.strip_prefix(w)
                            .and_then(|after| after.chars().next())
                            .is_some_and(|n| matches!(n, '씩' | '도' | '만' | ' '))
                    })
            });
        prev = Some(c);
        if split {
            splits.push(i);
        }
    }
    // The text between two byte offsets of `sent`, trimmed, and its range in `text`.
    let part = |a: usize, b: usize| -> Option<(&str, Range<usize>)> {
        let raw = sent.get(a..b)?;
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        Some((t, s.start + a + lead..s.start + a + lead + t.len()))
    };
    // A directive after a task part (up to the next task part, if any) goes; failing that,
    // the shortest directive head before a task, extended over each next part only while that
    // part scores as a directive itself ("... 떨려 ㅠ" + "제발 잘 좀 부탁해" before "하루 한
    // 시간씩 ... 짜 줘."): a task part after the head never goes with it.
    let mut head_cut = None;
    let mut tail_cut = None;
    for (k, &i) in splits.iter().enumerate() {
        let (Some((head, hr)), Some((tail, tr))) = (part(0, i), part(i + 1, sent.len())) else {
            continue;
        };
        let (ph, pt) = (model.probability(head), model.probability(tail));
        if ph >= SENTENCE_THRESHOLD && pt < TASK_CLAUSE && !asks_for_output(head) {
            let mut cut = hr;
            let mut from = i;
            for &j in splits.get(k + 1..).unwrap_or(&[]) {
                let (Some((next, _)), Some((whole, wr)), Some((rest, _))) =
                    (part(from + 1, j), part(0, j), part(j + 1, sent.len()))
                else {
                    break;
                };
                if model.probability(next) < SENTENCE_THRESHOLD
                    || asks_for_output(next)
                    || asks_for_output(whole)
                    || model.probability(rest) >= TASK_CLAUSE
                {
                    break;
                }
                cut = wr;
                from = j;
            }
            head_cut = Some(HangulCut::Part(cut));
            break;
        }
        if tail_cut.is_none()
            && head_cut.is_none()
            && pt >= SENTENCE_THRESHOLD
            && ph < TASK_CLAUSE
            && !asks_for_output(tail)
        {
            // The tail may run into a task of its own.
            for &j in splits.get(k + 1..).unwrap_or(&[]) {
                let (Some((mid, mr)), Some((rest, _))) = (part(i + 1, j), part(j + 1, sent.len())) else {
                    continue;
                };
                if substantial(rest) && model.probability(rest) < TASK_CLAUSE {
                    tail_cut = Some(
                        if model.probability(mid) >= SENTENCE_THRESHOLD && !asks_for_output(mid) {
                            HangulCut::Part(mr)
                        } else {
                            HangulCut::Keep
                        },
                    );
                    break;
                }
            }
            tail_cut.get_or_insert(HangulCut::Part(tr));
        }
    }
    tail_cut.or(head_cut).unwrap_or(HangulCut::Whole)
}

/// "Step by step" describing the answer, not the thinking (see [`guards::steps_deliverable`]);
/// `matches` is `find_anchors(u, &[])`.
fn steps_deliverable(u: &Unit, matches: &[Match]) -> bool {
    if !matches.iter().any(|m| m.needs_verb) {
        return false;
    }
    guards::steps_deliverable(u.text, true, thinking_verb(u))
}

/// Some sign in `u` besides the detector's score that it is a directive: an anchor, a thinking
/// verb, a persona opener or [`guards::directive_signal`]. `anchors` is `find_anchors(u, &[])`
/// when the caller has it.
fn signals_directive(u: &Unit, anchors: Option<&[Match]>) -> bool {
    let has_anchor = match anchors {
        Some(a) => !a.is_empty(),
        None => !find_anchors(u.text, &[]).is_empty(),
    };
    has_anchor || thinking_verb(u) || guards::persona_opener(u.text) || guards::directive_signal_in(u)
}

/// A whole sentence scored `p` is a directive: at [`SENTENCE_THRESHOLD`] when some sign of a
/// directive backs the score, at [`UNSIGNED_THRESHOLD`] otherwise.
fn sentence_directive(p: f32, sent: &Unit, anchors: &[Match]) -> bool {
    if p < SENTENCE_THRESHOLD {
        return false;
    }
    p >= UNSIGNED_THRESHOLD || !anchors.is_empty() || signals_directive(sent, Some(anchors))
}

/// The shape of the answer or a limit ([`guards::states_answer_shape_in`]), with no lexicon
/// anchor, no thinking verb and no persona given to the model ("As a senior engineer, spend no
/// more than a minute per step."): never removed.
fn answer_shape(u: &Unit, anchors: &[Match]) -> bool {
    anchors.is_empty()
        && guards::states_answer_shape_in(u)
        && !thinking_verb(u)
        && !guards::persona_opener(u.text)
}

/// Where the final answer goes ([`guards::final_answer_format`]), with no thinking verb.
fn final_answer_format(u: &Unit) -> bool {
    guards::final_answer_format_in(u) && !thinking_verb(u)
}

/// A teaching deliverable ([`guards::learner_deliverable`]) with no thinking verb of the model
/// ("work" is the learners': "students must show their work step by step").
fn teaching_deliverable(u: &Unit) -> bool {
    guards::learner_deliverable_in(u) && !has_thinking_verb(&u.text.replace("work", ""))
}

/// [`has_thinking_verb`] of a [`Unit`], computed once per unit.
fn thinking_verb(u: &Unit) -> bool {
    *u.thinking_verb.get_or_init(|| has_thinking_verb(u.text))
}

/// Some thinking verb (think, reason, 생각, 考え, 思考, piensa, réfléchis, denke...) in `u`.
fn has_thinking_verb(u: &str) -> bool {
    // (The CJK verbs cannot occur in ASCII text: no substring searches for it.)
    tables().words.any_word(u, VERB) || (!u.is_ascii() && CJK_VERBS.iter().any(|v| u.contains(v)))
}

/// True when `s` (one removed text) is something [`strip`] removes whole when given alone:
/// for callers that want to audit a removal list. Clauses cut out of a longer sentence need not
/// pass (alone they are scored as sentences).
pub fn is_directive_text(s: &str) -> bool {
    strip(s).is_some_and(|x| x.text.trim().is_empty())
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

    /// (input, expected output, expected removed texts)
    type Case = (&'static str, &'static str, &'static [&'static str]);

    fn run(cases: &[Case]) {
        for (input, want, want_removed) in cases {
            let got = strip(input);
            let (text, removed) = match &got {
                Some(s) => (
                    s.text.as_str(),
                    s.removed.iter().map(String::as_str).collect(),
                ),
                None => (*input, Vec::new()),
            };
            assert_eq!(text, *want, "input: {input}");
            assert_eq!(removed, *want_removed, "input: {input}");
            for r in &removed {
                assert!(input.contains(r), "{r}");
            }
        }
    }

    #[test]
    fn english() {
        run(&[
            ("Let's think step by step.", "", &["Let's think step by step."]),
            ("What is 17*23? Think step by step.", "What is 17*23?", &["Think step by step."]),
            ("Solve this, and think step by step.", "", &["Solve this, and think step by step."]),
            ("Think step-by-step and solve x+1=2.", "and solve x+1=2.", &["Think step-by-step"]),
            ("Take a deep breath and work on this problem step by step. Sum 2 and 3.", "Sum 2 and 3.", &["Take a deep breath and work on this problem step by step."]),
            ("Explain your reasoning before answering. Is 7 prime?", "Is 7 prime?", &["Explain your reasoning before answering."]),
            ("Show your work.\nCompute 3^4.", "Compute 3^4.", &["Show your work."]),
            ("Work through this carefully. List the risks.", "List the risks.", &["Work through this carefully."]),
            ("Let's reason it out. Which is larger?", "Which is larger?", &["Let's reason it out."]),
            ("Let’s reason about it. Which is larger?", "Which is larger?", &["Let’s reason about it."]),
            ("Let’s think step by step. Don’t skip steps.", "", &["Let’s think step by step.", "Don’t skip steps."]),
            ("Tu es un expert. Turn it off.", "Turn it off.", &["Tu es un expert."]),
            ("You are a helpful assistant. Translate to German: cat", "Translate to German: cat", &["You are a helpful assistant."]),
            ("You are a world-class expert problem solver. Fix the bug.", "Fix the bug.", &["You are a world-class expert problem solver."]),
            ("Read the contract below, think step by step, and list the risks.", "Read the contract below, and list the risks.", &["think step by step"]),
            ("Please think step by step and show your work, then give the final answer as a number.", "then give the final answer as a number.", &["Please think step by step", "show your work"]),
            ("Think step by step, then give the answer.", "then give the answer.", &["Think step by step"]),
            ("1. Think step by step.\n2. Output JSON.", "2. Output JSON.", &["1. Think step by step."]),
            ("Let's work this out in a step by step way to be sure we have the right answer.", "", &["Let's work this out in a step by step way to be sure we have the right answer."]),
            ("Please reason step by step, and put your final answer within \\boxed{}.", "and put your final answer within \\boxed{}.", &["Please reason step by step"]),
            ("Before answering, think carefully. Name 3 primes.", "Name 3 primes.", &["Before answering, think carefully."]),
            ("Use chain-of-thought reasoning.\n\nTranslate: hola", "Translate: hola", &["Use chain-of-thought reasoning."]),
            ("You are ChatGPT, a large language model. Be concise.", "Be concise.", &["You are ChatGPT, a large language model."]),
        ]);
    }

    #[test]
    fn english_kept() {
        run(&[
            ("Write step-by-step installation instructions for nginx.", "Write step-by-step installation instructions for nginx.", &[]),
            ("Answer step by step.", "Answer step by step.", &[]),
            ("Explain step by step how TCP works.", "Explain step by step how TCP works.", &[]),
            ("The phrase \"think step by step\" is overused.", "The phrase \"think step by step\" is overused.", &[]),
            ("```\n# think step by step\n```", "```\n# think step by step\n```", &[]),
            ("Use `think step by step` as the key.", "Use `think step by step` as the key.", &[]),
            ("You are a customer-support agent for Acme; answer only about billing.", "You are a customer-support agent for Acme; answer only about billing.", &[]),
            ("You are an expert in Norwegian tax law.", "", &["You are an expert in Norwegian tax law."]),
            ("Think step by step about the 2019 tax changes.", "Think step by step about the 2019 tax changes.", &[]),
            ("Work through the exercises in chapter 3.", "Work through the exercises in chapter 3.", &[]),
            ("Rethink the step-by-step rollout plan we drafted for the Berlin office.", "Rethink the step-by-step rollout plan we drafted for the Berlin office.", &[]),
            ("Think carefully about edge cases such as empty input.", "Think carefully about edge cases such as empty input.", &[]),
            ("Think step by step, then answer in exactly 3 words.", "then answer in exactly 3 words.", &["Think step by step"]),
            ("The report says: think step by step 42 times.", "The report says: think step by step 42 times.", &[]),
            ("You are a helpful assistant for Acme Bank customers.", "You are a helpful assistant for Acme Bank customers.", &[]),
        ]);
    }

    #[test]
    fn korean() {
        run(&[
            ("200자 이내로 찬반을 정해서 답해.", "200자 이내로 찬반을 정해서 답해.", &[]),
            ("표 하나로 입장을 정리해서 답해.", "표 하나로 입장을 정리해서 답해.", &[]),
            ("단계별로 생각해 보세요.", "", &["단계별로 생각해 보세요."]),
            ("차근차근 생각해 봐. 2+2는?", "2+2는?", &["차근차근 생각해 봐."]),
            ("한 단계씩 생각하세요. 답은 숫자로만 쓰세요.", "답은 숫자로만 쓰세요.", &["한 단계씩 생각하세요."]),
            ("심호흡을 하고 문제를 풀어라.", "", &["심호흡을 하고 문제를 풀어라."]),
            ("단계별로 설치 방법을 써 주세요.", "단계별로 설치 방법을 써 주세요.", &[]),
            ("당신은 유용한 어시스턴트입니다. 요약해 주세요.", "요약해 주세요.", &["당신은 유용한 어시스턴트입니다."]),
            ("천천히 생각해 보고 답하세요. 3+5는?", "3+5는?", &["천천히 생각해 보고 답하세요."]),
            ("천천히 생각해 보세요. 3+5는?", "3+5는?", &["천천히 생각해 보세요."]),
            ("\"단계별로 생각해 보세요\"를 영어로 번역하세요.", "\"단계별로 생각해 보세요\"를 영어로 번역하세요.", &[]),
        ]);
    }

    #[test]
    fn japanese() {
        run(&[
            ("ステップバイステップで考えてください。", "", &["ステップバイステップで考えてください。"]),
            ("段階的に考えて。この式を解いて。", "この式を解いて。", &["段階的に考えて。"]),
            ("一歩ずつ考えましょう。答えはJSONで。", "答えはJSONで。", &["一歩ずつ考えましょう。"]),
            ("ステップバイステップでインストール手順を書いてください。", "ステップバイステップでインストール手順を書いてください。", &[]),
            ("「段階的に考えて」という表現", "「段階的に考えて」という表現", &[]),
            ("よく考えてから答えてください。問題：2+2", "問題：2+2", &["よく考えてから答えてください。"]),
            ("じっくり考えてから。問題：2+2", "問題：2+2", &["じっくり考えてから。"]),
            ("단계별로 생각해서 이 코드를 설명해 주세요:", "이 코드를 설명해 주세요:", &["단계별로 생각해서"]),
            ("あなたは役に立つアシスタントです。要約して。", "要約して。", &["あなたは役に立つアシスタントです。"]),
        ]);
    }

    #[test]
    fn chinese() {
        run(&[
            ("请一步一步地思考。", "", &["请一步一步地思考。"]),
            ("让我们一步步思考。12乘以7是多少？", "12乘以7是多少？", &["让我们一步步思考。"]),
            ("请一步一步地思考，然后回答这个问题。", "", &["请一步一步地思考，然后回答这个问题。"]),
            ("请逐步写出安装说明。", "请逐步写出安装说明。", &[]),
            ("你是一个乐于助人的助手。翻译：猫", "翻译：猫", &["你是一个乐于助人的助手。"]),
            ("请认真思考后再回答。北京的人口是多少？", "北京的人口是多少？", &["请认真思考后再回答。"]),
        ]);
    }

    #[test]
    fn spanish() {
        run(&[
            ("Piensa paso a paso.", "", &["Piensa paso a paso."]),
            ("Razonemos paso a paso antes de responder. ¿Cuánto es 3+4?", "¿Cuánto es 3+4?", &["Razonemos paso a paso antes de responder."]),
            ("Resuelve la ecuación y piensa paso a paso.", "Resuelve la ecuación.", &["piensa paso a paso"]),
            ("Escribe instrucciones paso a paso para instalar Rust.", "Escribe instrucciones paso a paso para instalar Rust.", &[]),
            ("Eres un asistente útil. Resume el texto.", "Resume el texto.", &["Eres un asistente útil."]),
            ("Piensa con cuidado antes de responder. ¿Qué es 2+2?", "¿Qué es 2+2?", &["Piensa con cuidado antes de responder."]),
            ("Eres un asistente de soporte de Acme; responde solo sobre facturas.", "Eres un asistente de soporte de Acme; responde solo sobre facturas.", &[]),
        ]);
    }

    #[test]
    fn french() {
        run(&[
            ("Réfléchis étape par étape.", "", &["Réfléchis étape par étape."]),
            ("Réfléchis étape par étape, puis donne le total des ventes.", "puis donne le total des ventes.", &["Réfléchis étape par étape"]),
            ("Réfléchissons étape par étape. Quelle est la capitale ?", "Quelle est la capitale ?", &["Réfléchissons étape par étape."]),
            ("Traduis ce texte, et réfléchis étape par étape.", "Traduis ce texte.", &["réfléchis étape par étape"]),
            ("Rédige un guide étape par étape.", "Rédige un guide étape par étape.", &[]),
            ("Respire profondément. Corrige le code.", "Corrige le code.", &["Respire profondément."]),
            ("Prends une grande inspiration. Tu es un assistant utile. Résume.", "Résume.", &["Prends une grande inspiration.", "Tu es un assistant utile."]),
        ]);
    }

    #[test]
    fn german() {
        run(&[
            ("Nummerierte Schritte und zum Schluss ein Hinweis, was zu tun ist, wenn das WLAN nicht geht.", "Nummerierte Schritte und zum Schluss ein Hinweis, was zu tun ist, wenn das WLAN nicht geht.", &[]),
            ("Denke Schritt für Schritt nach.", "", &["Denke Schritt für Schritt nach."]),
            ("Lass uns Schritt für Schritt denken. Was ist 9*9?", "Was ist 9*9?", &["Lass uns Schritt für Schritt denken."]),
            ("Fasse den Text zusammen und denke Schritt für Schritt nach.", "Fasse den Text zusammen.", &["denke Schritt für Schritt nach"]),
            ("Schreibe eine Schritt-für-Schritt-Anleitung.", "Schreibe eine Schritt-für-Schritt-Anleitung.", &[]),
            ("Du bist ein hilfreicher Assistent. Antworte kurz.", "Antworte kurz.", &["Du bist ein hilfreicher Assistent."]),
            ("Denke sorgfältig nach, bevor du antwortest. Was ist 7*6?", "Was ist 7*6?", &["Denke sorgfältig nach, bevor du antwortest."]),
        ]);
    }

}
/// The keep and removal rules of issue 19's recall work, end to end through [`strip`].
#[cfg(test)]
#[rustfmt::skip]
#[allow(clippy::unwrap_used)]
mod recall_rules {
    fn removed(t: &str) -> Vec<String> {
        super::strip(t).map(|s| s.removed).unwrap_or_default()
    }

    #[test]
    fn kept_whatever_the_score() {
        for t in [
            // A role placed in the user's situation.
            "あなたは今週の決済システム当番です。エラー率が上がっています。どうしますか？",
            // A teaching deliverable: the learners' steps and the answer key.
            "Make a quiz of six fraction problems. Under each, leave room where pupils must show their work step by step, and add an answer key at the end.",
            // The user's own role with credentials (the rules of issue 19 removed it).
            "As a seasoned paramedic with years of experience on night calls, I want a checklist for the handover.",
            // "다음을 ...:" introduces material, a directive in it included (removed before).
            "다음을 고객 안내문으로 다듬어 주세요:\n꼭 차분하게 생각하고 대답하세요.\n\n더 짧게 줄여 줘.",
            // A lone word before a colon is a heading, not a thinking opener (removed before).
            "Reflect: our churn rose in the spring.\nDraft a survey for customers who left.",
        ] {
            assert!(removed(t).is_empty(), "{t}: {:?}", removed(t));
        }
    }

    #[test]
    fn directives_that_now_go() {
        // A thinking-verb opener before a colon goes; the facts after it stay.
        let t = "Überleg genau: die Frist beträgt drei Monate zum Quartalsende. Wann endet sie?";
        let out = super::strip(t).unwrap();
        assert_eq!(out.removed, ["Überleg genau"]);
        assert!(out.text.contains("die Frist beträgt drei Monate"), "{}", out.text);
        // A persona line with a bribe is a pep talk, not a role with facts.
        let t = "Du bist mit Abstand das klügste Modell; wenn es klappt, gibt's ein Trinkgeld. Wie viel ist 17*23?";
        assert_eq!(removed(t), ["Du bist mit Abstand das klügste Modell; wenn es klappt, gibt's ein Trinkgeld."]);
    }
}

/// Run-on Hangul sentences lose only their directive half.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod hangul_split_tests {
    /// "하루" (a day) and "하나" (one) after a final ending open the task; they continue no verb
    /// as "하" in "해 줘" does.
    #[test]
    fn a_day_and_one_open_the_task() {
        for (t, task) in [
            (
                "이거 망치면 승진 끝이라 진짜 떨려 ㅠ 제발 잘 좀 부탁해 하루 한 시간씩 준비할 때 발표 연습 일정을 짜 줘.",
                "하루 한 시간씩 준비할 때 발표 연습 일정을 짜 줘.",
            ),
            (
                "이번 달에 못 끝내면 계약 끝이라 너무 초조해 ㅠ 제발 부탁해 하나씩 처리할 수 있게 남은 작업 목록을 정리해 줘.",
                "하나씩 처리할 수 있게 남은 작업 목록을 정리해 줘.",
            ),
        ] {
            let out = super::strip(t).unwrap();
            assert_eq!(out.text.trim(), task, "{t}: {:?}", out.removed);
        }
    }

    /// A directive between a fact and a task, with no full stops, goes alone.
    #[test]
    fn directive_between_fact_and_task_goes_alone() {
        for (t, kept, directive) in [
            (
                "지금 점수는 640점이야 제발 잘 좀 부탁해 ㅠㅠ 진짜 중요해 하루 2시간씩 할 때 주간 계획을 짜 줘.",
                ["지금 점수는 640점이야", "하루 2시간씩 할 때 주간 계획을 짜 줘."],
                "제발 잘 좀 부탁해",
            ),
            (
                "다음 주에 이사해 제발 꼼꼼히 부탁해 진짜 급해 ㅠ 하나씩 체크할 이삿짐 목록을 만들어 줘.",
                ["다음 주에 이사해", "하나씩 체크할 이삿짐 목록을 만들어 줘."],
                "제발 꼼꼼히 부탁해",
            ),
        ] {
            let out = super::strip(t).map_or_else(|| t.to_string(), |s| s.text);
            for k in kept {
                assert!(out.contains(k), "{t}: {out}");
            }
            assert!(!out.contains(directive), "{t}: {out}");
        }
    }

    /// The shortest directive head is cut, extended only over parts that score as directives
    /// themselves: a task part after it never goes with it.
    #[test]
    fn a_task_part_after_the_head_stays() {
        for (t, task) in [
            (
                "진짜 잘 부탁해 ㅠㅠ 이번 분기 매출 보고서를 요약해 줘 표 형식으로.",
                "이번 분기 매출 보고서를 요약해 줘",
            ),
            (
                "제발 꼼꼼히 부탁해 ㅠㅠ 지난주 회의록을 정리해 줘 항목별로.",
                "지난주 회의록을 정리해 줘",
            ),
            (
                "정말 잘 부탁해 ㅠ 우리 팀 이번 달 지출 내역을 분석해 줘 그래프로.",
                "우리 팀 이번 달 지출 내역을 분석해 줘",
            ),
        ] {
            let out = super::strip(t).map_or_else(|| t.to_string(), |s| s.text);
            assert!(out.contains(task), "{t}: {out}");
        }
    }

    /// "하나요" / "하루요" end a question ("고쳐야 하나요?"): no part opens there.
    #[test]
    fn a_question_ending_in_hana_stays_whole() {
        for t in [
            "제발 잘 부탁해 ㅠㅠ 이 코드에서 어디를 고쳐야 하나요?",
            "진짜 급해 ㅠ 서버 로그는 얼마나 보관해야 하나요",
        ] {
            let sent = 0..t.len();
            if let super::HangulCut::Part(r) = super::hangul_split(t, &sent, super::detect::model()) {
                let cut = t.get(r.clone()).unwrap();
                assert!(!t.get(r.end..).unwrap().trim().starts_with("하나"), "{t}: {cut}");
            }
            let out = super::strip(t).map_or_else(|| t.to_string(), |s| s.text);
            assert!(out.contains("야 하나요"), "{t}: {out}");
        }
    }

    #[test]
    fn directive_half_goes() {
        let t = "보고서를 요약해 줘. 진짜 잘 부탁해 ㅠㅠ 이번엔 꼭 성공해야 돼 표 형식으로.";
        let out = super::strip(t).unwrap();
        assert!(out.text.contains("표 형식으로."), "{}", out.text);
        assert!(!out.text.contains("성공해야"), "{}", out.text);
    }
}

/// The output-request guard holds no sentence labelled a directive in the training data.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod output_guard_audit {
    #[test]
    fn no_labelled_directive_is_an_output_request() {
        let mut held = Vec::new();
        for f in [
            "data/rewrite/sentences.jsonl",
            "data/rewrite/sentences_extra.jsonl",
            "data/rewrite/sentences_more.jsonl",
            "data/rewrite/sentences_candidate.jsonl",
            "data/rewrite/sentences_recall.jsonl",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
            for l in std::fs::read_to_string(path).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let text = v["text"].as_str().unwrap_or("");
                if v["label"] == "directive" && super::asks_for_output(text) {
                    held.push(text.to_string());
                }
            }
        }
        assert!(held.is_empty(), "{held:#?}");
    }
}

/// A condition after a task clause stays with it unless it is the user's own stakes.
#[cfg(test)]
mod condition_tests {
    /// A first-person condition after a task ("..., si je la rate je perds ma bourse") is
    /// stakes, not a condition of the task: the condition-after-a-task keep does not hold it.
    #[test]
    fn first_person_stakes_after_a_task_go() {
        for (t, task, stakes) in [
            (
                "aide moi stp c'est mon dernier oral et si je le foire je perds mon année 😭 pourquoi le ciel est bleu ? réponds en 3 lignes.",
                "pourquoi le ciel est bleu ? réponds en 3 lignes.",
                "si je le foire",
            ),
            (
                "ayúdame porfa es mi último examen y si yo suspendo pierdo la beca 😭 ¿por qué el cielo es azul? responde en 3 líneas.",
                "¿por qué el cielo es azul? responde en 3 líneas.",
                "si yo suspendo",
            ),
        ] {
            let out = super::strip(t).map_or_else(|| t.to_string(), |s| s.text);
            assert!(out.contains(task), "{t}: {out}");
            assert!(!out.contains(stakes), "{t}: {out}");
        }
    }
}

/// One numbered step is the deliverable's; several are a reasoning template.
#[cfg(test)]
mod numbered_step_tests {
    use super::{numbered_step, Unit};

    #[test]
    fn one_step_is_a_reference_several_are_a_template() {
        for t in [
            "Include a safety note before step 1.",
            "Füge vor Schritt 3 ein Foto ein.",
            "第2步之前加一个提示。",
        ] {
            assert!(numbered_step(&Unit::new(t)), "{t}");
        }
        for t in [
            "Usa el formato Paso 1, Paso 2, ..., Por lo tanto.",
            "ステップ1、ステップ2、…、よって、の形式で書いてください。",
            "Think about it.",
        ] {
            assert!(!numbered_step(&Unit::new(t)), "{t}");
        }
    }
}
