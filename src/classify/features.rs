//! Feature extraction for the chat-vs-reasoning router.
//!
//! Invariant: pure and total. No IO, no allocation proportional to more than the capped text,
//! never panics on any request (empty messages, content-part arrays, non-text parts, huge or
//! odd Unicode input). Every emitted hashed index is `< NAMED_COUNT + (1 << bits)`.
//!
//! What is looked at (caps keep the cost linear and bounded):
//! * The **ask** is the instruction text of the last user turn (see [`super::segment`]): the
//!   turn is split into paragraphs and fenced blocks over its first 64 KB and last 4 KB; the
//!   first short prose paragraph and/or the last short paragraph are the ask (with two blocks,
//!   the shorter one; an `"Instruction:"` first line before a long body is the ask alone); fenced
//!   blocks, code/log/table blocks and everything else are **material**. A lone paragraph is
//!   entirely the ask. Each ask segment keeps at most its first 8 KB and last 2 KB; after
//!   normalisation the ask is capped to its first [`ASK_HEAD_CHARS`] and last
//!   [`ASK_TAIL_CHARS`] characters, and only that is turned into character n-grams and words.
//! * Material is only scanned for cheap statistics (size bucket, code lines, stack traces,
//!   tables, numeric lines), at most 32 KB of it and 256 bytes per line.
//! * Earlier turns: counted, sized (bucketed) and checked for code, [`CONTEXT_SCAN_BYTES`] per
//!   message at most. The system prompt contributes its first [`SYSTEM_CHARS`] characters as
//!   down-weighted words.
//!
//! Normalisation: full-width ASCII folded to ASCII, ideographic space to space, lower case,
//! every run of digits becomes a single `0` (numbers carry no identity), whitespace runs collapse.

use super::embed::{self, DIM};
use super::segment::{ask_stats, code_line_count, split_turn};
use super::text::{emit_ngrams, emit_words, head_str, normalize, tail_str, Group, Hashed, Kind, Sink};
use crate::api::{ChatRequest, Content, Role};
use serde_json::Value;

/// Normalised ask characters kept from the head.
pub const ASK_HEAD_CHARS: usize = 640;
/// Normalised ask characters kept from the tail.
pub const ASK_TAIL_CHARS: usize = 256;
/// System prompt characters looked at.
pub const SYSTEM_CHARS: usize = 600;
/// Bytes of each earlier message checked for code.
pub const CONTEXT_SCAN_BYTES: usize = 8 * 1024;
/// Bytes kept from the head and the tail of one long ask segment before normalisation.
pub const ASK_SEGMENT_HEAD: usize = 8 * 1024;
pub const ASK_SEGMENT_TAIL: usize = 2 * 1024;

/// Bytes of the ask's head and tail that are embedded (the n-gram caps, in bytes).
pub const EMBED_HEAD_BYTES: usize = 640;
pub const EMBED_TAIL_BYTES: usize = 256;
/// System prompt bytes embedded.
pub const EMBED_SYSTEM_BYTES: usize = 400;
/// Pasted material above this many bytes switches on the "ask with material" block.
pub const EMBED_MATERIAL_BYTES: usize = 1200;

/// The dense block: what the ask means ([`DIM`] values), the same again when the ask comes with
/// pasted material (so "summarise" over a long paste can weigh differently from "summarise"
/// alone), and what the system prompt means. Indices are relative to the block's start.
pub mod dense {
    use super::DIM;
    pub const ASK: usize = 0;
    pub const ASK_WITH_MATERIAL: usize = DIM;
    pub const SYSTEM: usize = 2 * DIM;
    pub const COUNT: usize = 3 * DIM;
    /// Names of the dense groups for explanations and metric labels.
    pub const ASK_NAME: &str = "ask:meaning";
    pub const SYSTEM_NAME: &str = "system:meaning";
}

/// Names of the fixed (non-hashed) features, in weight-vector order.
pub const NAMED: &[&str] = &[
    "bias",
    "structure:turns_1",
    "structure:turns_2_3",
    "structure:turns_4_plus",
    "structure:system_prompt",
    "structure:tools",
    "structure:tool_messages",
    "structure:last_turn_not_user",
    "structure:response_format_json_object",
    "structure:response_format_json_schema",
    "structure:reasoning_effort_low",
    "structure:reasoning_effort_medium",
    "structure:reasoning_effort_high",
    "structure:pasted_material_none",
    "structure:pasted_material_small",
    "structure:pasted_material_medium",
    "structure:pasted_material_large",
    "structure:context_none",
    "structure:context_small",
    "structure:context_large",
    "structure:code_block",
    "structure:material_code_lines",
    "structure:stack_trace",
    "structure:material_table",
    "structure:material_numeric",
    "structure:context_code",
    "structure:non_text_parts",
    "text:math_operators",
    "text:latex",
    "text:question_mark",
    "text:inline_code",
    "text:code_in_ask",
    "text:ask_empty",
];

/// Index of each named feature.
pub mod f {
    pub const BIAS: usize = 0;
    pub const TURNS_1: usize = 1;
    pub const TURNS_2_3: usize = 2;
    pub const TURNS_4_PLUS: usize = 3;
    pub const SYSTEM: usize = 4;
    pub const TOOLS: usize = 5;
    pub const TOOL_MESSAGES: usize = 6;
    pub const LAST_NOT_USER: usize = 7;
    pub const RF_JSON_OBJECT: usize = 8;
    pub const RF_JSON_SCHEMA: usize = 9;
    pub const EFFORT_LOW: usize = 10;
    pub const EFFORT_MEDIUM: usize = 11;
    pub const EFFORT_HIGH: usize = 12;
    pub const MATERIAL_NONE: usize = 13;
    pub const MATERIAL_SMALL: usize = 14;
    pub const MATERIAL_MEDIUM: usize = 15;
    pub const MATERIAL_LARGE: usize = 16;
    pub const CONTEXT_NONE: usize = 17;
    pub const CONTEXT_SMALL: usize = 18;
    pub const CONTEXT_LARGE: usize = 19;
    pub const CODE_BLOCK: usize = 20;
    pub const MATERIAL_CODE: usize = 21;
    pub const STACK_TRACE: usize = 22;
    pub const MATERIAL_TABLE: usize = 23;
    pub const MATERIAL_NUMERIC: usize = 24;
    pub const CONTEXT_CODE: usize = 25;
    pub const NON_TEXT: usize = 26;
    pub const MATH_OPS: usize = 27;
    pub const LATEX: usize = 28;
    pub const QUESTION: usize = 29;
    pub const INLINE_CODE: usize = 30;
    pub const CODE_IN_ASK: usize = 31;
    pub const ASK_EMPTY: usize = 32;
}

pub use super::text::NAMED_COUNT;

/// Relative weight of the system-prompt group against the ask group.
pub const SYSTEM_GROUP_SCALE: f32 = 0.5;

/// Everything extracted from a request except the hashed occurrences. Hashed features each
/// carry value `group_scale / sqrt(count in group)`; see [`Meta::group_value`].
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub named: Vec<(usize, f32)>,
    /// Dense values, [`dense::COUNT`] of them (empty when the table is empty).
    pub dense: Vec<f32>,
    pub ask_count: u32,
    pub sys_count: u32,
    /// Normalised ask characters (for naming n-grams).
    pub ask_buf: Vec<char>,
    /// Normalised system characters (for naming words).
    pub sys_buf: Vec<char>,
}

/// [`Meta`] plus the collected hashed occurrences.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub meta: Meta,
    pub hashed: Vec<Hashed>,
}

impl Meta {
    /// The value each hashed feature of `group` carries.
    pub fn group_value(&self, group: Group) -> f32 {
        match group {
            Group::Ask => inv_sqrt(self.ask_count),
            Group::System => SYSTEM_GROUP_SCALE * inv_sqrt(self.sys_count),
        }
    }

    /// Human-readable name of a hashed feature occurrence.
    pub fn name_of(&self, h: &Hashed) -> String {
        let buf = match h.group {
            Group::Ask => &self.ask_buf,
            Group::System => &self.sys_buf,
        };
        let start = h.start as usize;
        let end = start.saturating_add(h.len as usize).min(buf.len());
        let text: String = buf.get(start.min(end)..end).unwrap_or(&[]).iter().collect();
        let prefix = match h.kind {
            Kind::CharGram => "ask:ngram",
            Kind::Word => "ask:word",
            Kind::WordPair => "ask:words",
            Kind::SysWord => "system:word",
        };
        format!("{prefix}\"{text}\"")
    }
}

fn inv_sqrt(n: u32) -> f32 {
    if n == 0 {
        0.0
    } else {
        1.0 / (n as f32).sqrt()
    }
}

/// Extract all features of a request for a hash space of `bits` bits (and the dense block),
/// collecting hashed occurrences into a vector.
pub fn extract(req: &ChatRequest, bits: u32) -> Extracted {
    let mut hashed = Vec::new();
    let meta = extract_into(req, bits, true, &mut hashed);
    Extracted { meta, hashed }
}

/// Extract all features, streaming hashed occurrences into `sink`; returns everything else.
/// The dense block ([`Meta::dense`]) is computed only when `with_dense` is set: a model without it
/// (version 1) pays nothing for the embeddings.
pub fn extract_into<S: Sink>(req: &ChatRequest, bits: u32, with_dense: bool, sink: &mut S) -> Meta {
    let mut out = Meta::default();
    let bits = bits.clamp(8, 24);
    let mask: u64 = (1u64 << bits) - 1;
    out.named.push((f::BIAS, 1.0));

    // --- request structure ---
    let last_user_idx = req.messages.iter().rposition(|m| m.role == Role::User);
    let convo = req
        .messages
        .iter()
        .filter(|m| matches!(m.role, Role::User | Role::Assistant | Role::Tool | Role::Function))
        .count();
    out.named.push((
        match convo {
            0 | 1 => f::TURNS_1,
            2 | 3 => f::TURNS_2_3,
            _ => f::TURNS_4_PLUS,
        },
        1.0,
    ));
    if let Some(last) = req.messages.last() {
        if last.role != Role::User {
            out.named.push((f::LAST_NOT_USER, 1.0));
        }
    }
    if req
        .messages
        .iter()
        .any(|m| matches!(m.role, Role::Tool | Role::Function))
    {
        out.named.push((f::TOOL_MESSAGES, 1.0));
    }
    if req.tools.as_ref().is_some_and(|t| !t.is_empty()) {
        out.named.push((f::TOOLS, 1.0));
    }
    if let Some(rf) = &req.response_format {
        match rf.get("type").and_then(Value::as_str) {
            Some("json_object") => out.named.push((f::RF_JSON_OBJECT, 1.0)),
            Some("json_schema") => out.named.push((f::RF_JSON_SCHEMA, 1.0)),
            _ => {}
        }
    }
    if let Some(e) = &req.reasoning_effort {
        let e = e.trim().to_ascii_lowercase();
        match e.as_str() {
            "minimal" | "none" | "low" => out.named.push((f::EFFORT_LOW, 1.0)),
            "medium" => out.named.push((f::EFFORT_MEDIUM, 1.0)),
            "high" | "xhigh" | "max" => out.named.push((f::EFFORT_HIGH, 1.0)),
            _ => {}
        }
    }

    // --- earlier context ---
    let mut context_bytes = 0usize;
    let mut context_code = false;
    let mut non_text = false;
    let mut sys_text = String::new();
    for (i, m) in req.messages.iter().enumerate() {
        if let Some(Content::Parts(parts)) = &m.content {
            if parts
                .iter()
                .any(|p| p.get("type").and_then(Value::as_str) != Some("text"))
            {
                non_text = true;
            }
        }
        if Some(i) == last_user_idx {
            continue;
        }
        match m.role {
            Role::System | Role::Developer => {
                if sys_text.len() < SYSTEM_CHARS * 4 {
                    if !sys_text.is_empty() {
                        sys_text.push('\n');
                    }
                    sys_text.push_str(head_str(&m.text(), SYSTEM_CHARS * 4));
                }
            }
            _ => {
                let t = m.text();
                context_bytes = context_bytes.saturating_add(t.len());
                if !context_code {
                    let s = head_str(&t, CONTEXT_SCAN_BYTES);
                    context_code = s.contains("```") || code_line_count(s) >= 3;
                }
                if m.tool_calls.as_ref().is_some_and(|c| !c.is_empty()) {
                    out.named.push((f::TOOL_MESSAGES, 1.0));
                }
            }
        }
    }
    if non_text {
        out.named.push((f::NON_TEXT, 1.0));
    }
    out.named.push((
        match context_bytes {
            0 => f::CONTEXT_NONE,
            1..=1500 => f::CONTEXT_SMALL,
            _ => f::CONTEXT_LARGE,
        },
        1.0,
    ));
    if context_code {
        out.named.push((f::CONTEXT_CODE, 1.0));
    }
    let table = embed::shared();
    let with_dense = with_dense && !table.is_empty();
    let mut dense_block = if with_dense {
        vec![0f32; dense::COUNT]
    } else {
        Vec::new()
    };
    if with_dense && !sys_text.is_empty() {
        let mut v = [0f32; DIM];
        table.embed_into(head_str(&sys_text, EMBED_SYSTEM_BYTES), 1.0, &mut v);
        if let Some(dst) = dense_block.get_mut(dense::SYSTEM..dense::SYSTEM + DIM) {
            dst.copy_from_slice(&v);
        }
    }
    if !sys_text.is_empty() {
        out.named.push((f::SYSTEM, 1.0));
        out.sys_buf = normalize(&sys_text, SYSTEM_CHARS, 0);
        out.sys_count = emit_words(&out.sys_buf, mask, Group::System, Kind::SysWord, sink);
    }

    // --- last user turn: ask vs material ---
    let last_text = match last_user_idx.and_then(|i| req.messages.get(i)) {
        Some(m) => m.text(),
        None => std::borrow::Cow::Borrowed(""),
    };
    let split = split_turn(&last_text);
    out.named.push((
        match split.material_bytes {
            0..=120 => f::MATERIAL_NONE,
            121..=1200 => f::MATERIAL_SMALL,
            1201..=8000 => f::MATERIAL_MEDIUM,
            _ => f::MATERIAL_LARGE,
        },
        1.0,
    ));
    if split.fenced {
        out.named.push((f::CODE_BLOCK, 1.0));
    }
    if split.code_lines >= 3 {
        out.named.push((f::MATERIAL_CODE, 1.0));
    }
    if split.stack_trace {
        out.named.push((f::STACK_TRACE, 1.0));
    }
    if split.table_lines >= 3 {
        out.named.push((f::MATERIAL_TABLE, 1.0));
    }
    if split.numeric_lines >= 4 {
        out.named.push((f::MATERIAL_NUMERIC, 1.0));
    }

    // Each ask segment contributes at most its head and tail (the n-gram cap is far smaller).
    let mut ask_raw = String::new();
    for seg in &split.ask {
        if !ask_raw.is_empty() {
            ask_raw.push('\n');
        }
        if seg.len() > ASK_SEGMENT_HEAD + ASK_SEGMENT_TAIL {
            ask_raw.push_str(head_str(seg, ASK_SEGMENT_HEAD));
            ask_raw.push('\n');
            ask_raw.push_str(tail_str(seg, ASK_SEGMENT_TAIL));
        } else {
            ask_raw.push_str(seg);
        }
    }
    if with_dense {
        let mut v = [0f32; DIM];
        if ask_raw.len() > EMBED_HEAD_BYTES + EMBED_TAIL_BYTES {
            table.embed_into(head_str(&ask_raw, EMBED_HEAD_BYTES), 0.8, &mut v);
            table.embed_into(tail_str(&ask_raw, EMBED_TAIL_BYTES), 0.6, &mut v);
        } else {
            table.embed_into(&ask_raw, 1.0, &mut v);
        }
        if let Some(dst) = dense_block.get_mut(dense::ASK..dense::ASK + DIM) {
            dst.copy_from_slice(&v);
        }
        if split.material_bytes > EMBED_MATERIAL_BYTES {
            if let Some(dst) = dense_block.get_mut(dense::ASK_WITH_MATERIAL..dense::ASK_WITH_MATERIAL + DIM) {
                dst.copy_from_slice(&v);
            }
        }
    }
    out.dense = dense_block;
    let ask_buf = normalize(&ask_raw, ASK_HEAD_CHARS, ASK_TAIL_CHARS);
    if ask_buf.iter().all(|c| *c == ' ') {
        out.named.push((f::ASK_EMPTY, 1.0));
    }
    let stats = ask_stats(&ask_raw);
    if stats.math_ops {
        out.named.push((f::MATH_OPS, 1.0));
    }
    if stats.latex {
        out.named.push((f::LATEX, 1.0));
    }
    if stats.question {
        out.named.push((f::QUESTION, 1.0));
    }
    if stats.inline_code {
        out.named.push((f::INLINE_CODE, 1.0));
    }
    if stats.code_lines >= 2 {
        out.named.push((f::CODE_IN_ASK, 1.0));
    }
    out.ask_count = emit_ngrams(&ask_buf, mask, sink);
    out.ask_count += emit_words(&ask_buf, mask, Group::Ask, Kind::Word, sink);
    out.ask_buf = ask_buf;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Message, Role};
    use crate::classify::text::is_cjk;

    fn req(text: &str) -> ChatRequest {
        ChatRequest {
            model: "auto".into(),
            messages: vec![Message::new(Role::User, text)],
            ..Default::default()
        }
    }

    fn has(ex: &Extracted, i: usize) -> bool {
        ex.meta.named.iter().any(|(k, _)| *k == i)
    }

    #[test]
    fn normalisation_folds_width_case_digits_and_space() {
        let buf: String = normalize("ＡＢＣ　Hello   World 2024年 ３個", 100, 0)
            .into_iter()
            .collect();
        assert_eq!(buf, " abc hello world 0年 0個 ");
    }

    #[test]
    fn every_script_yields_ngrams() {
        for text in [
            "안녕하세요 반갑습니다",
            "こんにちは、カタカナ",
            "你好世界,今天天气很好",
            "Hello there, general",
        ] {
            let ex = extract(&req(text), 18);
            assert!(ex.hashed.len() >= 8, "{text}: {}", ex.hashed.len());
            assert_eq!(ex.meta.ask_count as usize, ex.hashed.len());
            let limit = (NAMED_COUNT + (1 << 18)) as u32;
            assert!(ex
                .hashed
                .iter()
                .all(|h| h.index >= NAMED_COUNT as u32 && h.index < limit));
            if text.chars().any(is_cjk) {
                // CJK unigrams and bigrams exist, and name back to the text.
                let uni = ex.hashed.iter().find(|h| h.len == 1).map(|h| ex.meta.name_of(h));
                assert!(uni.is_some_and(|n| n.starts_with("ask:ngram\"") && n.chars().any(is_cjk)));
            } else {
                let names: Vec<String> = ex.hashed.iter().map(|h| ex.meta.name_of(h)).collect();
                assert!(names.iter().any(|n| n == "ask:word\"general\""));
                assert!(names.iter().any(|n| n == "ask:words\"hello there\""));
            }
        }
    }

    #[test]
    fn document_with_trivial_ask_is_split() {
        let doc = "The meeting covered the budget and the roadmap for next year in detail. ".repeat(60);
        let ex = extract(&req(&format!("Translate this into French:\n\n{doc}")), 18);
        let ask: String = ex.meta.ask_buf.iter().collect();
        assert_eq!(ask.trim(), "translate this into french:");
        assert!(has(&ex, f::MATERIAL_MEDIUM));
        // Trailing instruction after the document.
        let ex = extract(
            &req(&format!("{doc}\n\nFind the contradictions in these notes.")),
            18,
        );
        let ask: String = ex.meta.ask_buf.iter().collect();
        assert_eq!(ask.trim(), "find the contradictions in these notes.");
    }

    #[test]
    fn code_and_traces_are_material() {
        let text = "Why does this crash?\n\n```python\ndef f(x):\n    return x[0]\n\nprint(f(3))\n```\n\n```\nTraceback (most recent call last):\n  File \"a.py\", line 4, in <module>\nTypeError: 'int' object is not subscriptable\n```";
        let ex = extract(&req(text), 18);
        let ask: String = ex.meta.ask_buf.iter().collect();
        assert_eq!(ask.trim(), "why does this crash?");
        assert!(has(&ex, f::CODE_BLOCK) && has(&ex, f::STACK_TRACE) && has(&ex, f::MATERIAL_CODE));
        assert!(has(&ex, f::QUESTION));
    }

    #[test]
    fn lone_paragraph_is_the_ask() {
        let ex = extract(
            &req("Prove that there are infinitely many primes, and 3 + 4 = 7."),
            18,
        );
        assert!(has(&ex, f::MATERIAL_NONE) && has(&ex, f::MATH_OPS) && has(&ex, f::TURNS_1));
        assert!(!has(&ex, f::ASK_EMPTY));
    }

    #[test]
    fn structure_features() {
        let mut r = req("hi");
        r.messages.insert(0, Message::new(Role::System, "You are terse."));
        r.messages.insert(1, Message::new(Role::User, "earlier question"));
        r.messages.insert(
            2,
            Message::new(Role::Assistant, "```\nlet x = 1;\nlet y = 2;\nlet z = 3;\n```"),
        );
        r.tools = Some(vec![
            serde_json::json!({"type": "function", "function": {"name": "f"}}),
        ]);
        r.response_format = Some(serde_json::json!({"type": "json_schema"}));
        r.reasoning_effort = Some("HIGH".into());
        let ex = extract(&r, 18);
        for i in [
            f::SYSTEM,
            f::TOOLS,
            f::RF_JSON_SCHEMA,
            f::EFFORT_HIGH,
            f::TURNS_2_3,
            f::CONTEXT_SMALL,
            f::CONTEXT_CODE,
        ] {
            assert!(has(&ex, i), "missing {}", NAMED.get(i).copied().unwrap_or("?"));
        }
        assert!(ex.meta.sys_count > 0);
        assert_eq!(NAMED.len(), NAMED_COUNT);
    }

    #[test]
    fn caps_bound_the_work() {
        let huge = "word ".repeat(100_000);
        let ex = extract(&req(&huge), 18);
        assert!(ex.meta.ask_buf.len() <= ASK_HEAD_CHARS + ASK_TAIL_CHARS + 4);
        let cjk = "漢字かなカナ한글".repeat(50_000);
        let ex = extract(&req(&cjk), 18);
        assert!(ex.hashed.len() <= 4 * (ASK_HEAD_CHARS + ASK_TAIL_CHARS + 4));
    }
}
