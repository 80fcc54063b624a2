//! Cache keys: a 128-bit hash of what is sent upstream, scoped by namespace.
//!
//! Invariant: two requests share a key only if they would send the same thing to the same
//! upstream model in the same namespace, up to normalisation (object key order, whitespace,
//! explicit defaults such as `temperature: 1`, a single text part versus a string). The request
//! is destructured field by field, so adding a field to `ChatRequest` fails to compile here until
//! someone decides whether it belongs in the key.

use crate::api::{ChatRequest, Content, Message};
use serde_json::Value;
use xxhash_rust::xxh3::Xxh3;

/// A cache key (xxh3-128: stable across processes, so replicas share Redis entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey(pub u128);

impl CacheKey {
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

/// Which sampling the cache takes as deterministic (the team's `[policy.cache]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Determinism {
    /// A `seed` makes a request cacheable at any temperature.
    pub trust_seed: bool,
}

/// Is this request safe to cache? Deterministic sampling by OpenAI's own defaults:
/// `temperature: 0` (absent means OpenAI's default of 1: sampled), or a `seed` when the policy
/// trusts seeds; one choice; and no logprobs (a replay could not reproduce them).
pub fn is_deterministic(req: &ChatRequest, rules: Determinism) -> bool {
    let greedy = req.temperature == Some(0.0);
    let seeded = rules.trust_seed && req.extra.get("seed").is_some_and(|s| !s.is_null());
    let n_ok = req.n.is_none_or(|n| n <= 1);
    (greedy || seeded) && n_ok && req.logprobs != Some(true)
}

/// The key of `req` (already routed and translated) for `upstream` in `namespace`.
pub fn cache_key(namespace: &str, upstream: &str, req: &ChatRequest) -> CacheKey {
    let ChatRequest {
        model,
        messages,
        // Excluded: the same answer serves streamed and non-streamed requests.
        stream: _,
        stream_options: _,
        max_tokens,
        max_completion_tokens,
        temperature,
        top_p,
        n,
        stop,
        presence_penalty,
        frequency_penalty,
        logprobs,
        top_logprobs,
        logit_bias,
        response_format,
        tools,
        tool_choice,
        reasoning_effort,
        extra,
    } = req;
    let mut h = Xxh3::new();
    let mut field = |name: &str, v: &Value| {
        if v.is_null() {
            return;
        }
        h.update(name.as_bytes());
        h.update(b"=");
        write_canonical(&mut h, v);
        h.update(b"\x1e");
    };
    // Default values are dropped so `{"temperature": 1}` and `{}` share a key.
    let non_default =
        |x: &Option<f64>, default: f64| x.filter(|v| *v != default).map_or(Value::Null, Value::from);
    field("ns", &Value::from(namespace));
    field("upstream", &Value::from(upstream));
    field("model", &Value::from(model.as_str()));
    field(
        "messages",
        &Value::Array(messages.iter().map(canonical_message).collect()),
    );
    field("max_tokens", &max_tokens.map_or(Value::Null, Value::from));
    field(
        "max_completion_tokens",
        &max_completion_tokens.map_or(Value::Null, Value::from),
    );
    field("temperature", &non_default(temperature, 1.0));
    field("top_p", &non_default(top_p, 1.0));
    field("n", &n.filter(|n| *n != 1).map_or(Value::Null, Value::from));
    field("stop", stop.as_ref().unwrap_or(&Value::Null));
    field("presence_penalty", &non_default(presence_penalty, 0.0));
    field("frequency_penalty", &non_default(frequency_penalty, 0.0));
    field(
        "logprobs",
        &logprobs.filter(|l| *l).map_or(Value::Null, Value::from),
    );
    field("top_logprobs", &top_logprobs.map_or(Value::Null, Value::from));
    field(
        "logit_bias",
        &logit_bias.clone().map_or(Value::Null, Value::Object),
    );
    field(
        "response_format",
        response_format.as_ref().unwrap_or(&Value::Null),
    );
    field("tools", &tools.clone().map_or(Value::Null, Value::Array));
    field("tool_choice", tool_choice.as_ref().unwrap_or(&Value::Null));
    field(
        "reasoning_effort",
        &reasoning_effort.as_deref().map_or(Value::Null, Value::from),
    );
    // Unknown fields are kept in the key: the gateway cannot know they do not matter.
    for (k, v) in extra {
        field(&format!("x.{k}"), v);
    }
    CacheKey(h.digest128())
}

fn canonical_message(m: &Message) -> Value {
    let Message {
        role,
        content,
        name,
        tool_calls,
        tool_call_id,
        extra,
    } = m;
    let mut o = serde_json::Map::new();
    o.insert("role".into(), serde_json::to_value(role).unwrap_or(Value::Null));
    let content = match content {
        None => Value::Null,
        Some(Content::Text(s)) => Value::from(s.as_str()),
        // A single text part means the same as the plain string.
        Some(Content::Parts(p)) => match p.as_slice() {
            [one]
                if one.get("type").and_then(Value::as_str) == Some("text")
                    && one.as_object().is_some_and(|o| o.len() == 2) =>
            {
                one.get("text").cloned().unwrap_or(Value::Null)
            }
            _ => Value::Array(p.clone()),
        },
    };
    o.insert("content".into(), content);
    if let Some(n) = name {
        o.insert("name".into(), Value::from(n.as_str()));
    }
    if let Some(t) = tool_calls {
        o.insert("tool_calls".into(), Value::Array(t.clone()));
    }
    if let Some(t) = tool_call_id {
        o.insert("tool_call_id".into(), Value::from(t.as_str()));
    }
    for (k, v) in extra {
        o.insert(format!("x.{k}"), v.clone());
    }
    Value::Object(o)
}

/// Feed `v` to the hasher with object keys sorted and no whitespace, whatever map order the
/// JSON library uses.
fn write_canonical(h: &mut Xxh3, v: &Value) {
    match v {
        Value::Null => h.update(b"n"),
        Value::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            // 1 and 1.0 are the same number to the upstream.
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    h.update(format!("{}", f as i64).as_bytes())
                }
                _ => h.update(n.to_string().as_bytes()),
            }
        }
        Value::String(s) => {
            h.update(b"\"");
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        Value::Array(a) => {
            h.update(b"[");
            for x in a {
                write_canonical(h, x);
                h.update(b",");
            }
            h.update(b"]");
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            h.update(b"{");
            for k in keys {
                h.update(&(k.len() as u64).to_le_bytes());
                h.update(k.as_bytes());
                if let Some(x) = o.get(k) {
                    write_canonical(h, x);
                }
                h.update(b",");
            }
            h.update(b"}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse_chat_request;

    fn key(ns: &str, body: &str) -> CacheKey {
        cache_key(ns, "up", &parse_chat_request(body.as_bytes()).unwrap())
    }

    const BASE: &str = r#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;

    #[test]
    fn normalisation_shares_keys() {
        let same = [
            r#"{ "messages": [ {"content":"hi", "role":"user"} ], "model": "m" }"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1.0,"n":1,"top_p":1}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"presence_penalty":0,"logprobs":false}"#,
        ];
        for b in same {
            assert_eq!(key("t", b), key("t", BASE), "{b}");
        }
    }

    #[test]
    fn differences_change_keys() {
        let different = [
            r#"{"model":"m2","messages":[{"role":"user","content":"hi"}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi!"}]}"#,
            r#"{"model":"m","messages":[{"role":"system","content":"hi"}]}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":1}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":5}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}"#,
            r#"{"model":"m","messages":[{"role":"user","content":"hi","name":"bob"}]}"#,
        ];
        let base = key("t", BASE);
        for b in different {
            assert_ne!(key("t", b), base, "{b}");
        }
        assert_ne!(key("team-a", BASE), key("team-b", BASE), "namespaces isolate");
        assert_ne!(
            cache_key("t", "up1", &parse_chat_request(BASE.as_bytes()).unwrap()),
            cache_key("t", "up2", &parse_chat_request(BASE.as_bytes()).unwrap())
        );
    }

    #[test]
    fn cacheable_by_default_only_when_deterministic() {
        let trusted = Determinism { trust_seed: true };
        let strict = Determinism::default();
        // Without `temperature`, OpenAI samples at 1: not cacheable (issue 22, finding 6).
        assert!(!is_deterministic(
            &parse_chat_request(BASE.as_bytes()).unwrap(),
            strict
        ));
        let seeded = r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":7}"#;
        assert!(!is_deterministic(
            &parse_chat_request(seeded.as_bytes()).unwrap(),
            strict
        ));
        assert!(is_deterministic(
            &parse_chat_request(seeded.as_bytes()).unwrap(),
            trusted
        ));
        let seeded_hot =
            r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"seed":7,"temperature":0.9,"n":2}"#;
        assert!(!is_deterministic(
            &parse_chat_request(seeded_hot.as_bytes()).unwrap(),
            trusted
        ));
        let cases = [
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0}"#,
                true,
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":1}"#,
                false,
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0.7}"#,
                false,
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"n":3}"#,
                false,
            ),
            (
                r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"logprobs":true}"#,
                false,
            ),
        ];
        for (b, want) in cases {
            assert_eq!(
                is_deterministic(&parse_chat_request(b.as_bytes()).unwrap(), strict),
                want,
                "{b}"
            );
        }
    }
}
