//! What a request may cost, estimated before the call: the amount admission reserves.
//!
//! PURE. The estimate errs high on purpose: a reservation that is too large is given back when
//! the request settles, while one that is too small lets a budget overshoot by the difference.

use crate::api::{ChatRequest, Usage};
use crate::config::Price;

/// Completion tokens assumed for a chat request that sets neither `max_tokens` nor
/// `max_completion_tokens` (`[limits] completion_estimate`).
pub const DEFAULT_COMPLETION_ESTIMATE: u64 = 1024;

/// Estimated tokens of one request before the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Estimate {
    pub fn tokens(&self) -> u64 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }

    /// The estimate priced at `price` (0 for a model without a price).
    pub fn usd(&self, price: Option<Price>) -> f64 {
        price.map_or(0.0, |p| {
            p.cost(&Usage {
                prompt_tokens: self.prompt_tokens,
                completion_tokens: self.completion_tokens,
                total_tokens: self.tokens(),
                ..Usage::default()
            })
        })
    }
}

/// Text length in bytes as tokens: one token per 4 bytes, rounded up (the usual rule of thumb
/// for English; the mock counts the same way).
fn text_tokens(len: usize) -> u64 {
    (len as u64).div_ceil(4)
}

/// A chat request: prompt text / 4 plus 4 per message, plus the completion cap
/// (`max_completion_tokens`, else `max_tokens`, else `default_completion`).
pub fn estimate_chat(req: &ChatRequest, default_completion: u64) -> Estimate {
    let prompt: u64 = req.messages.iter().map(|m| 4 + text_tokens(m.text().len())).sum();
    Estimate {
        prompt_tokens: prompt,
        completion_tokens: req
            .max_completion_tokens
            .or(req.max_tokens)
            .unwrap_or(default_completion),
    }
}

/// An embeddings `input`: a string, an array of strings, an array of token ids, or an array of
/// token-id arrays. Input tokens only; embeddings have no completion.
pub fn estimate_embeddings(input: &serde_json::Value) -> Estimate {
    use serde_json::Value;
    fn one(v: &Value) -> u64 {
        match v {
            Value::String(s) => text_tokens(s.len()),
            Value::Number(_) => 1,
            Value::Array(a) => a.iter().map(one).sum(),
            // Not a valid input; the upstream will say so. Count its text all the same.
            other => text_tokens(other.to_string().len()),
        }
    }
    Estimate {
        prompt_tokens: one(input),
        completion_tokens: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_estimate_is_prompt_plus_the_completion_cap() {
        let req = |v: serde_json::Value| crate::api::parse_chat_request(v.to_string().as_bytes()).unwrap();
        let msgs = json!([{"role": "user", "content": "12345678"}]);
        let cases = [
            (json!({"model": "m", "messages": msgs}), 6 + 1024),
            (json!({"model": "m", "messages": msgs, "max_tokens": 10}), 16),
            (
                json!({"model": "m", "messages": msgs, "max_tokens": 10, "max_completion_tokens": 20}),
                26,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(estimate_chat(&req(body.clone()), 1024).tokens(), want, "{body}");
        }
    }

    #[test]
    fn embeddings_estimate_counts_every_input_form() {
        let cases = [
            (json!("12345678"), 2),
            (json!(["1234", "12345"]), 3),
            (json!([1, 2, 3]), 3),
            (json!([[1, 2], [3]]), 3),
        ];
        for (input, want) in cases {
            assert_eq!(estimate_embeddings(&input).tokens(), want, "{input}");
        }
    }

    #[test]
    fn estimate_is_priced_per_million() {
        let e = Estimate {
            prompt_tokens: 1_000_000,
            completion_tokens: 500_000,
        };
        let p = Price {
            input: 1.0,
            output: 4.0,
            cached_input: 0.5,
        };
        assert!((e.usd(Some(p)) - 3.0).abs() < 1e-9);
        assert_eq!(e.usd(None), 0.0);
    }
}
