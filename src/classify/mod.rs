//! Request classifier: routes a Chat Completions request to a fast `chat` model or a slow
//! `reasoning` model.
//!
//! Invariant: pure and total. `classify` does no IO, never panics on any request, and costs time
//! linear in the request size with hard caps:
//! * the last user turn is split into ask and material over its first 64 KB and last 4 KB only
//!   ([`segment::SCAN_HEAD_BYTES`], [`segment::SCAN_TAIL_BYTES`]); the bytes in between only
//!   count towards the material size;
//! * only the ask is turned into n-grams, capped to its first 640 and last 256 normalised
//!   characters ([`features::ASK_HEAD_CHARS`], [`features::ASK_TAIL_CHARS`]);
//! * material gets cheap line statistics over at most 32 KB, 256 bytes per line
//!   ([`segment::MATERIAL_SCAN_BYTES`]);
//! * earlier turns are sized and scanned for code, 8 KB each; the system prompt contributes its
//!   first 600 characters.
//!
//! Measured in release mode on one core: about 5 us for a 2 KB request with pasted material,
//! about 13-17 us for a 2 KB request that is all instruction (worst case), about 0.1 ms for a
//! 200 KB document.
//!
//! The model is a logistic regression over (a) named request-structure features (turn count,
//! system prompt, tools, response_format, reasoning_effort, bucketed pasted-material and context
//! size, code blocks, stack traces, tables, numeric material, formulas and questions in the ask)
//! and (b) hashed character n-grams (4-grams; 1- to 4-grams inside CJK runs), words and word
//! pairs of the ask (digits masked, width and case folded), with Platt calibration.

pub mod embed;
pub mod eval;
pub mod features;
pub mod model;
pub mod segment;
pub mod text;
pub mod train;

pub use eval::{
    evaluate, evaluate_with_breakdown, evaluate_with_threshold, Breakdown, ClassMetrics, EvalReport,
    GroupMetrics,
};
pub use model::{Classification, ModelError, Reason, Route, RouterModel};
pub use train::{parse_example_line, train, weigh_file, Example, TrainOptions};

use crate::api::ChatRequest;

/// The metric label for a reason: the named feature itself (a closed set of structure and text
/// features), or `ask_text` for the hashed n-grams and words of the ask.
pub fn reason_group(feature: &str) -> &'static str {
    if feature == features::dense::ASK_NAME {
        return features::dense::ASK_NAME;
    }
    if feature == features::dense::SYSTEM_NAME {
        return features::dense::SYSTEM_NAME;
    }
    features::NAMED
        .iter()
        .find(|n| **n == feature)
        .copied()
        .unwrap_or("ask_text")
}

/// Number of reasons reported with each decision.
pub const REASONS: usize = 5;

/// Classify with the default threshold 0.5 on the calibrated score.
pub fn classify(req: &ChatRequest, model: &RouterModel) -> Classification {
    classify_with_threshold(req, model, 0.5)
}

/// Classify: `Reasoning` when the calibrated P(reasoning) is `>= threshold`; with
/// [`REASONS`] reasons.
pub fn classify_with_threshold(req: &ChatRequest, model: &RouterModel, threshold: f32) -> Classification {
    classify_with_reasons(req, model, threshold, REASONS)
}

/// Classify as [`classify_with_threshold`] does, naming at most `reasons` reasons (the proxy
/// asks for one: naming features costs string formatting on the hot path).
pub fn classify_with_reasons(
    req: &ChatRequest,
    model: &RouterModel,
    threshold: f32,
    reasons: usize,
) -> Classification {
    let (z, reasons) = model.margin(req, reasons);
    let score = model.calibrate(z);
    let threshold = if threshold.is_finite() { threshold } else { 0.5 };
    let route = if score >= threshold {
        Route::Reasoning
    } else {
        Route::Chat
    };
    Classification {
        route,
        score,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Content, Message, Role};
    use serde_json::json;

    /// The trained model shipped with the crate (`config/router.bin`).
    fn shipped() -> Option<RouterModel> {
        RouterModel::from_bytes(include_bytes!("../../config/router.bin")).ok()
    }

    fn user(text: &str) -> ChatRequest {
        ChatRequest {
            model: "auto".into(),
            messages: vec![Message::new(Role::User, text)],
            ..Default::default()
        }
    }

    const DOC: &str = "Quarterly notes. Sales rose in the north and fell in the south. The team hired two engineers and moved the launch to June. Marketing booked the campaign for May. Finance asked for a budget review before any new spending is approved.";

    #[test]
    fn golden_decisions_in_every_language() {
        let Some(model) = shipped() else {
            assert!(shipped().is_some(), "config/router.bin must load");
            return;
        };
        let doc = [DOC; 12].join("\n\n");
        let chat = [
            "hey, how's it going?".to_string(),
            format!("Translate this into German:\n\n{doc}"),
            "What's a 15% tip on $40?".to_string(),
            "안녕! 오늘 날씨 좋다 그치?".to_string(),
            "おはよう!今日もよろしくね".to_string(),
            "你好,今天过得怎么样?".to_string(),
            "¡Hola! ¿Qué tal estás?".to_string(),
            "Hallo, wie geht's dir?".to_string(),
            "Salut, ça va ?".to_string(),
            format!("다음 글을 영어로 번역해 줘:\n\n{doc}"),
        ];
        let reasoning = [
            "Prove that there are infinitely many primes.".to_string(),
            format!("Find the contradictions and scheduling conflicts in these notes, and propose a realistic plan with dependencies.\n\n{doc}"),
            "Why does this crash? Find the root cause and fix it.\n\n```python\ndef avg(xs):\n    return sum(xs) / len(xs)\n\nprint(avg([]))\n```\n\n```\nTraceback (most recent call last):\n  File \"a.py\", line 4, in <module>\nZeroDivisionError: division by zero\n```".to_string(),
            "루트 2가 무리수임을 증명해 줘.".to_string(),
            "√2が無理数であることを証明してください。".to_string(),
            "证明根号2是无理数。".to_string(),
            "Demuestra que la raíz cuadrada de 2 es irracional.".to_string(),
            "Beweise, dass die Wurzel aus 2 irrational ist.".to_string(),
            "Démontre que la racine carrée de 2 est irrationnelle.".to_string(),
        ];
        for text in &chat {
            let c = classify(&user(text), &model);
            assert_eq!(c.route, Route::Chat, "{text:.60} score {}", c.score);
        }
        for text in &reasoning {
            let c = classify(&user(text), &model);
            assert_eq!(c.route, Route::Reasoning, "{text:.60} score {}", c.score);
            assert!(!c.reasons.is_empty() && c.reasons.len() <= REASONS);
        }
    }

    #[test]
    fn metric_reason_labels_are_a_closed_set_without_prompt_text() {
        let Some(model) = shipped() else { return };
        let mut allowed: Vec<&str> = features::NAMED.to_vec();
        allowed.extend([
            features::dense::ASK_NAME,
            features::dense::SYSTEM_NAME,
            "ask_text",
        ]);
        let mut seen_meaning = false;
        for text in [
            "secret-token-123 please translate: hola",
            "Prove that sqrt(2) is irrational.",
            "Design a rate limiter for 1M requests per second across regions.",
            "안녕! 오늘 날씨 좋다",
        ] {
            let mut r = user(text);
            r.messages
                .insert(0, Message::new(Role::System, "You are a support bot for Acme."));
            for reason in classify_with_reasons(&r, &model, 0.45, 50).reasons {
                let group = reason_group(&reason.feature);
                assert!(allowed.contains(&group), "{group}");
                assert!(!group.contains("secret") && !group.contains('"'), "{group}");
                seen_meaning |= group == features::dense::ASK_NAME;
            }
        }
        assert!(seen_meaning, "the embedding block is named among the reasons");
    }

    #[test]
    fn last_turn_decides() {
        let Some(model) = shipped() else { return };
        let mut r = user("Prove that the sum of the first n odd numbers is n^2, by induction.");
        r.messages.push(Message::new(
            Role::Assistant,
            "Base case n = 1: 1 = 1^2. Inductive step: ...",
        ));
        r.messages.push(Message::new(Role::User, "thanks, that's great!"));
        assert_eq!(classify(&r, &model).route, Route::Chat);
    }

    #[test]
    fn threshold_and_score_are_consistent() {
        let Some(model) = shipped() else { return };
        let r = user("What is the capital of France?");
        let c = classify(&r, &model);
        assert!((0.0..=1.0).contains(&c.score));
        assert_eq!(classify_with_threshold(&r, &model, 0.0).route, Route::Reasoning);
        assert_eq!(classify_with_threshold(&r, &model, 1.01).route, Route::Chat);
        assert_eq!(classify_with_threshold(&r, &model, f32::NAN).route, c.route);
    }

    #[test]
    fn never_panics_on_odd_requests() {
        let model = shipped().unwrap_or_else(|| RouterModel::zeros(12));
        let mut odd: Vec<ChatRequest> = vec![
            ChatRequest::default(),
            user(""),
            user("\n\n\n"),
            user("```"),
            user("```\n```\n```"),
        ];
        let mut only_assistant = ChatRequest::default();
        only_assistant
            .messages
            .push(Message::new(Role::Assistant, "hello"));
        odd.push(only_assistant);
        let mut parts = user("");
        parts.messages[0].content = Some(Content::Parts(vec![
            json!({"type": "image_url", "image_url": {"url": "data:..."}}),
            json!({"type": "text", "text": "what is in this image?"}),
            json!(42),
            json!(null),
        ]));
        odd.push(parts);
        let mut no_content = user("x");
        no_content.messages[0].content = None;
        odd.push(no_content);
        let mut tool_loop = user("look it up");
        let mut call = Message::new(Role::Assistant, "");
        call.content = None;
        call.tool_calls = Some(vec![json!({"id": "1", "type": "function"})]);
        tool_loop.messages.push(call);
        tool_loop
            .messages
            .push(Message::new(Role::Tool, "{\"result\": 1}"));
        tool_loop.response_format = Some(json!("not an object"));
        tool_loop.reasoning_effort = Some(String::new());
        tool_loop.tools = Some(vec![]);
        odd.push(tool_loop);
        odd.push(user(&"é".repeat(300_000)));
        odd.push(user(&"\u{200d}\u{0301}\u{FFFF}\u{10FFFF}\u{0}".repeat(10_000)));
        odd.push(user(&"a\n".repeat(200_000)));
        odd.push(user(&format!("{}\n\nsummarize", "| a | 1 |\n".repeat(50_000))));
        odd.push(user(&"```\n".repeat(10_000)));
        odd.push(user(&"$\\frac{1}{2}$ ".repeat(5_000)));
        odd.push(user(&"😀".repeat(100_000)));
        odd.push(user(
            &("Ａ".repeat(700) + "\n\n" + &"x".repeat(70_000) + "\n\n" + &"ｚ".repeat(5_000)),
        ));
        for r in &odd {
            for m in [&model, &RouterModel::zeros(8)] {
                let c = classify(r, m);
                assert!(c.score.is_finite() && (0.0..=1.0).contains(&c.score));
            }
        }
    }
}
