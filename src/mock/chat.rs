//! The mock's model behaviour: deterministic completions derived from the request, usage
//! figures, reasoning tokens, and the strict checks real reasoning models apply.
//!
//! Invariant: the same request always yields the same content and usage, so tests can compare
//! an answer through the gateway with one from the mock directly.

use crate::api::{ChatRequest, Role};
use serde_json::{json, Value};

/// Vocabulary for generated text; the words are arbitrary but fixed.
const WORDS: &[&str] = &[
    "alpha", "bright", "cedar", "delta", "ember", "fable", "garnet", "harbor", "island", "jasper", "kernel",
    "lumen", "meadow", "nectar", "orbit", "prism", "quartz", "river", "summit", "timber", "umber", "velvet",
    "willow", "xenon", "yarrow", "zephyr",
];

/// FNV-1a: a stable hash (std's hasher is randomised per process).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// What the mock will answer for one request.
#[derive(Debug, Clone)]
pub struct Completion {
    /// Content tokens (each includes its trailing space except the last).
    pub tokens: Vec<String>,
    /// A tool call instead of content.
    pub tool_call: Option<(String, String, String)>,
    pub finish_reason: &'static str,
    pub prompt_tokens: u64,
    pub reasoning_tokens: u64,
    /// Reasoning text shown as `reasoning_content` (vLLM's reasoning parsers, DeepSeek), when
    /// the mock is asked to (`--reasoning-content`).
    pub reasoning_text: Option<String>,
}

impl Completion {
    pub fn content(&self) -> String {
        self.tokens.concat()
    }

    pub fn completion_tokens(&self) -> u64 {
        self.tokens.len() as u64 + self.reasoning_tokens
    }

    pub fn usage(&self, reasoning: bool) -> Value {
        let completion = self.completion_tokens();
        let mut u = json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": 0},
        });
        if reasoning {
            u["completion_tokens_details"] = json!({"reasoning_tokens": self.reasoning_tokens});
        }
        u
    }
}

/// Rough prompt token count: 1 token per 4 bytes of text plus 4 per message.
pub fn prompt_tokens(req: &ChatRequest) -> u64 {
    req.messages
        .iter()
        .map(|m| 4 + (m.text().len() as u64).div_ceil(4))
        .sum::<u64>()
        .max(1)
}

/// Generate the deterministic answer for `req` as served by `model`.
pub fn complete(req: &ChatRequest, model: &str, reasoning: bool) -> Completion {
    let mut seed_src = String::new();
    for m in &req.messages {
        seed_src.push_str(&m.text());
        seed_src.push('\u{1f}');
    }
    let h = fnv1a(seed_src.as_bytes());
    let echo: String = req
        .last_user()
        .map(|m| m.text().into_owned())
        .unwrap_or_default()
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ");
    let mut words: Vec<String> = vec![format!("[{model}]"), "You".into(), "said:".into()];
    words.extend(
        echo.split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| w.chars().take(32).collect::<String>()),
    );
    words.push("|".into());
    let mut x = h;
    for _ in 0..12 {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let i = ((x >> 33) as usize) % WORDS.len();
        words.push(WORDS.get(i).copied().unwrap_or("alpha").to_string());
    }
    let reasoning_tokens = if reasoning { 16 + (h % 48) } else { 0 };
    let cap = req.max_completion_tokens.or(req.max_tokens);
    let mut finish_reason = "stop";
    let mut visible = words.len() as u64;
    if let Some(cap) = cap {
        let room = cap.saturating_sub(reasoning_tokens);
        if room < visible {
            visible = room;
            finish_reason = "length";
        }
    }
    let n = usize::try_from(visible).unwrap_or(usize::MAX);
    let mut tokens: Vec<String> = words.into_iter().take(n).collect();
    let last = tokens.len().saturating_sub(1);
    for (i, t) in tokens.iter_mut().enumerate() {
        if i != last {
            t.push(' ');
        }
    }
    let reasoning_used = match cap {
        Some(c) if reasoning => reasoning_tokens.min(c),
        _ => reasoning_tokens,
    };
    Completion {
        tokens,
        tool_call: None,
        finish_reason,
        prompt_tokens: prompt_tokens(req),
        reasoning_tokens: reasoning_used,
        reasoning_text: None,
    }
}

/// A strict-mode rejection, shaped like OpenAI's 400.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub param: String,
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn body(&self) -> Value {
        json!({"error": {"message": self.message, "type": "invalid_request_error", "param": self.param, "code": self.code}})
    }
}

/// Reasoning models that accept neither `system` nor `developer` messages.
pub fn rejects_system_role(model: &str) -> bool {
    model.starts_with("o1-mini") || model.starts_with("o1-preview") || model.contains("deepseek-r1")
}

/// What a real reasoning model rejects (strict mode only).
pub fn strict_check(req: &ChatRequest, model: &str) -> Option<Rejection> {
    let unsupported = |p: &str| Rejection {
        param: p.to_string(),
        code: "unsupported_parameter",
        message: format!("Unsupported parameter: '{p}' is not supported with this model."),
    };
    if req.max_tokens.is_some() {
        return Some(Rejection {
            param: "max_tokens".into(),
            code: "unsupported_parameter",
            message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".into(),
        });
    }
    if let Some(t) = req.temperature {
        if (t - 1.0).abs() > f64::EPSILON {
            return Some(Rejection {
                param: "temperature".into(),
                code: "unsupported_value",
                message: format!("Unsupported value: 'temperature' does not support {t} with this model. Only the default (1) value is supported."),
            });
        }
    }
    let present = [
        ("top_p", req.top_p.is_some()),
        ("presence_penalty", req.presence_penalty.is_some()),
        ("frequency_penalty", req.frequency_penalty.is_some()),
        ("logprobs", req.logprobs.is_some()),
        ("top_logprobs", req.top_logprobs.is_some()),
        ("logit_bias", req.logit_bias.is_some()),
    ];
    if let Some((p, _)) = present.iter().find(|(_, on)| *on) {
        return Some(unsupported(p));
    }
    if rejects_system_role(model) {
        for (i, m) in req.messages.iter().enumerate() {
            if matches!(m.role, Role::System | Role::Developer) {
                let role = if m.role == Role::System {
                    "system"
                } else {
                    "developer"
                };
                return Some(Rejection {
                    param: format!("messages[{i}].role"),
                    code: "unsupported_value",
                    message: format!(
                        "Unsupported value: 'messages[{i}].role' does not support '{role}' with this model."
                    ),
                });
            }
        }
    }
    None
}

/// A non-streaming `chat.completion` body.
pub fn completion_body(
    id: &str,
    created: u64,
    model: &str,
    c: &Completion,
    n: u32,
    reasoning: bool,
) -> Value {
    let choices: Vec<Value> = (0..n.max(1))
        .map(|i| {
            let message = match &c.tool_call {
                Some((id, name, args)) => json!({"role": "assistant", "content": null, "refusal": null,
                    "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": args}}]}),
                None => json!({"role": "assistant", "content": c.content(), "refusal": null}),
            };
            let mut message = message;
            if let Some(r) = &c.reasoning_text {
                message["reasoning_content"] = json!(r);
            }
            json!({
                "index": i,
                "message": message,
                "logprobs": null,
                "finish_reason": c.finish_reason,
            })
        })
        .collect();
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_gearbox_mock",
        "choices": choices,
        "usage": c.usage(reasoning),
    })
}

/// One `chat.completion.chunk` as an SSE event.
pub fn chunk_event(
    id: &str,
    created: u64,
    model: &str,
    delta: Value,
    finish: Option<&str>,
    with_usage_null: bool,
) -> String {
    let mut v = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_gearbox_mock",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    });
    if with_usage_null {
        v["usage"] = Value::Null;
    }
    format!("data: {v}\n\n")
}

/// The final usage chunk (`stream_options.include_usage`).
pub fn usage_event(id: &str, created: u64, model: &str, c: &Completion, reasoning: bool) -> String {
    let v = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_gearbox_mock",
        "choices": [],
        "usage": c.usage(reasoning),
    });
    format!("data: {v}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse_chat_request;

    fn req(body: &str) -> ChatRequest {
        parse_chat_request(body.as_bytes()).unwrap()
    }

    #[test]
    fn deterministic_and_request_dependent() {
        let a = req(r#"{"model":"m","messages":[{"role":"user","content":"hello there"}]}"#);
        let b = req(r#"{"model":"m","messages":[{"role":"user","content":"something else"}]}"#);
        assert_eq!(
            complete(&a, "m", false).content(),
            complete(&a, "m", false).content()
        );
        assert_ne!(
            complete(&a, "m", false).content(),
            complete(&b, "m", false).content()
        );
        assert!(complete(&a, "m", false).content().contains("hello there"));
    }

    #[test]
    fn reasoning_tokens_count_against_the_cap() {
        let r = req(r#"{"model":"o","messages":[{"role":"user","content":"x"}],"max_completion_tokens":5}"#);
        let c = complete(&r, "o", true);
        assert!(c.tokens.is_empty());
        assert_eq!(c.finish_reason, "length");
    }

    #[test]
    fn strict_rules() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                r#"{"model":"o3-mini","messages":[{"role":"user","content":"x"}],"max_tokens":5}"#,
                "o3-mini",
                Some("max_tokens"),
            ),
            (
                r#"{"model":"o3-mini","messages":[{"role":"user","content":"x"}],"temperature":0.2}"#,
                "o3-mini",
                Some("temperature"),
            ),
            (
                r#"{"model":"o3-mini","messages":[{"role":"user","content":"x"}],"temperature":1}"#,
                "o3-mini",
                None,
            ),
            (
                r#"{"model":"o3-mini","messages":[{"role":"user","content":"x"}],"top_p":0.5}"#,
                "o3-mini",
                Some("top_p"),
            ),
            (
                r#"{"model":"o3-mini","messages":[{"role":"user","content":"x"}],"logit_bias":{}}"#,
                "o3-mini",
                Some("logit_bias"),
            ),
            (
                r#"{"model":"o3-mini","messages":[{"role":"system","content":"s"},{"role":"user","content":"x"}]}"#,
                "o3-mini",
                None,
            ),
            (
                r#"{"model":"o1-mini","messages":[{"role":"system","content":"s"},{"role":"user","content":"x"}]}"#,
                "o1-mini",
                Some("messages[0].role"),
            ),
            (
                r#"{"model":"o1-mini","messages":[{"role":"user","content":"x"},{"role":"developer","content":"s"}]}"#,
                "o1-mini",
                Some("messages[1].role"),
            ),
        ];
        for (body, model, want) in cases {
            let got = strict_check(&req(body), model).map(|r| r.param);
            assert_eq!(got.as_deref(), *want, "{body}");
        }
    }
}
