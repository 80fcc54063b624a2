//! Cache entries: a completed `chat.completion` body, whichever way it arrived.
//!
//! A streamed upstream answer is assembled into the same shape ([`Assembler`]); an entry replays
//! as a valid SSE stream ([`replay_sse`]), so a non-streamed entry serves a streamed request and
//! vice versa. Invariant: only complete, successful answers become entries — no refusals, no
//! content-filtered or unfinished choices.

use crate::api::Usage;
use crate::stream::{event_data, find_event_end};
use bytes::{Bytes, BytesMut};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A cached answer: the `chat.completion` JSON body and its usage.
#[derive(Debug, Clone)]
pub struct CachedResponse {
    pub body: Bytes,
    pub usage: Option<Usage>,
    /// A choice was cut by `finish_reason: "length"`: the answer may be handed to the requests
    /// coalesced with the one that fetched it, but is never stored (a later request with a
    /// larger budget, or a "regenerate", must not get the cut answer).
    pub truncated: bool,
}

impl CachedResponse {
    /// An entry from a completion body, if the body is a complete, storable answer.
    pub fn from_body(body: Bytes) -> Option<CachedResponse> {
        Self::answer(body).filter(|e| !e.truncated)
    }

    /// A complete answer (every choice finished, no refusal or content filter), possibly
    /// `truncated`; only [`CachedResponse::from_body`]'s answers may be stored.
    pub fn answer(body: Bytes) -> Option<CachedResponse> {
        let v: Value = serde_json::from_slice(&body).ok()?;
        if v.get("object").and_then(Value::as_str) != Some("chat.completion") {
            return None;
        }
        let choices = v.get("choices")?.as_array()?;
        if choices.is_empty() {
            return None;
        }
        let mut truncated = false;
        for c in choices {
            let finish = c.get("finish_reason").and_then(Value::as_str);
            if matches!(finish, None | Some("content_filter")) {
                return None;
            }
            truncated |= finish == Some("length");
            let refusal = c.get("message").and_then(|m| m.get("refusal"));
            if refusal.is_some_and(|r| !r.is_null()) {
                return None;
            }
        }
        let usage = v
            .get("usage")
            .and_then(|u| serde_json::from_value(u.clone()).ok());
        Some(CachedResponse {
            body,
            usage,
            truncated,
        })
    }

    /// Bytes held in memory, for the cache's weigher.
    pub fn weight(&self) -> u32 {
        u32::try_from(self.body.len() + 64).unwrap_or(u32::MAX)
    }
}

#[derive(Default)]
struct ToolCallAcc {
    id: Option<Value>,
    kind: Option<Value>,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct ChoiceAcc {
    content: Option<String>,
    refusal: Option<String>,
    tool_calls: BTreeMap<u64, ToolCallAcc>,
    finish_reason: Option<Value>,
}

/// Assembles SSE `chat.completion.chunk` events into one `chat.completion` body.
#[derive(Default)]
pub struct Assembler {
    pending: BytesMut,
    head: Option<Map<String, Value>>,
    choices: BTreeMap<u64, ChoiceAcc>,
    usage: Option<Value>,
    done: bool,
    broken: bool,
}

impl Assembler {
    /// Feed relayed bytes (whole events, or pieces of them).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.broken {
            return;
        }
        self.pending.extend_from_slice(bytes);
        while let Some(end) = find_event_end(&self.pending) {
            let ev = self.pending.split_to(end);
            if let Some(data) = event_data(&ev) {
                self.event(&data);
            }
        }
    }

    fn event(&mut self, data: &[u8]) {
        if data == b"[DONE]" {
            self.done = true;
            return;
        }
        let Ok(Value::Object(v)) = serde_json::from_slice::<Value>(data) else {
            self.broken = true;
            return;
        };
        if v.contains_key("error") {
            self.broken = true;
            return;
        }
        if self.head.is_none() {
            let mut head = Map::new();
            for k in ["id", "created", "model", "system_fingerprint", "service_tier"] {
                if let Some(x) = v.get(k) {
                    head.insert(k.into(), x.clone());
                }
            }
            self.head = Some(head);
        }
        if let Some(u) = v.get("usage").filter(|u| !u.is_null()) {
            self.usage = Some(u.clone());
        }
        for c in v.get("choices").and_then(Value::as_array).into_iter().flatten() {
            let idx = c.get("index").and_then(Value::as_u64).unwrap_or(0);
            let acc = self.choices.entry(idx).or_default();
            if let Some(f) = c.get("finish_reason").filter(|f| !f.is_null()) {
                acc.finish_reason = Some(f.clone());
            }
            let Some(d) = c.get("delta") else { continue };
            if let Some(s) = d.get("content").and_then(Value::as_str) {
                acc.content.get_or_insert_with(String::new).push_str(s);
            }
            if let Some(s) = d.get("refusal").and_then(Value::as_str) {
                acc.refusal.get_or_insert_with(String::new).push_str(s);
            }
            for tc in d
                .get("tool_calls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ti = tc.get("index").and_then(Value::as_u64).unwrap_or(0);
                let t = acc.tool_calls.entry(ti).or_default();
                if let Some(id) = tc.get("id").filter(|x| !x.is_null()) {
                    t.id = Some(id.clone());
                }
                if let Some(k) = tc.get("type").filter(|x| !x.is_null()) {
                    t.kind = Some(k.clone());
                }
                if let Some(f) = tc.get("function") {
                    if let Some(n) = f.get("name").and_then(Value::as_str) {
                        t.name.push_str(n);
                    }
                    if let Some(a) = f.get("arguments").and_then(Value::as_str) {
                        t.arguments.push_str(a);
                    }
                }
            }
        }
    }

    /// The assembled body, when the stream completed (`[DONE]`) with every choice finished.
    pub fn finish(self) -> Option<CachedResponse> {
        if !self.done || self.broken || self.choices.is_empty() {
            return None;
        }
        let mut out = self.head.unwrap_or_default();
        out.insert("object".into(), Value::from("chat.completion"));
        let mut choices = Vec::new();
        for (idx, c) in self.choices {
            let mut msg = Map::new();
            msg.insert("role".into(), Value::from("assistant"));
            msg.insert("content".into(), c.content.map_or(Value::Null, Value::from));
            msg.insert("refusal".into(), c.refusal.map_or(Value::Null, Value::from));
            if !c.tool_calls.is_empty() {
                let calls: Vec<Value> = c
                    .tool_calls
                    .into_values()
                    .map(|t| {
                        json!({
                            "id": t.id.unwrap_or(Value::Null),
                            "type": t.kind.unwrap_or_else(|| Value::from("function")),
                            "function": {"name": t.name, "arguments": t.arguments},
                        })
                    })
                    .collect();
                msg.insert("tool_calls".into(), Value::Array(calls));
            }
            choices.push(json!({
                "index": idx,
                "message": Value::Object(msg),
                "logprobs": null,
                "finish_reason": c.finish_reason.unwrap_or(Value::Null),
            }));
        }
        out.insert("choices".into(), Value::Array(choices));
        if let Some(u) = self.usage {
            out.insert("usage".into(), u);
        }
        let body = serde_json::to_vec(&Value::Object(out)).ok()?;
        CachedResponse::answer(Bytes::from(body))
    }
}

/// Replay a cached completion as SSE events: a role chunk, the content, tool calls, the finish
/// chunk, the usage chunk when asked for, then `[DONE]`.
pub fn replay_sse(entry: &CachedResponse, include_usage: bool) -> Bytes {
    let mut out = BytesMut::new();
    let Ok(v) = serde_json::from_slice::<Value>(&entry.body) else {
        out.extend_from_slice(b"data: [DONE]\n\n");
        return out.freeze();
    };
    let mut head = Map::new();
    for k in ["id", "created", "model", "system_fingerprint"] {
        if let Some(x) = v.get(k) {
            head.insert(k.into(), x.clone());
        }
    }
    head.insert("object".into(), Value::from("chat.completion.chunk"));
    let mut emit = |choices: Value, usage: Option<&Value>| {
        let mut o = head.clone();
        o.insert("choices".into(), choices);
        if include_usage {
            o.insert("usage".into(), usage.cloned().unwrap_or(Value::Null));
        }
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(Value::Object(o).to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
    };
    for c in v.get("choices").and_then(Value::as_array).into_iter().flatten() {
        let idx = c.get("index").cloned().unwrap_or(Value::from(0));
        let msg = c.get("message").cloned().unwrap_or(Value::Null);
        emit(
            json!([{"index": idx, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
            None,
        );
        if let Some(s) = msg.get("content").and_then(Value::as_str) {
            if !s.is_empty() {
                emit(
                    json!([{"index": idx, "delta": {"content": s}, "logprobs": null, "finish_reason": null}]),
                    None,
                );
            }
        }
        if let Some(calls) = msg.get("tool_calls").and_then(Value::as_array) {
            let deltas: Vec<Value> = calls
                .iter()
                .enumerate()
                .map(|(i, t)| json!({"index": i, "id": t.get("id"), "type": t.get("type"), "function": t.get("function")}))
                .collect();
            emit(
                json!([{"index": idx, "delta": {"tool_calls": deltas}, "logprobs": null, "finish_reason": null}]),
                None,
            );
        }
        emit(
            json!([{"index": idx, "delta": {}, "logprobs": null, "finish_reason": c.get("finish_reason")}]),
            None,
        );
    }
    if include_usage {
        emit(json!([]), v.get("usage"));
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
        "data: [DONE]\n\n"
    );

    #[test]
    fn assembles_a_stream_split_anywhere() {
        for cut in [1, 17, 100, 250, STREAM.len() - 3] {
            let mut a = Assembler::default();
            a.push(&STREAM.as_bytes()[..cut]);
            a.push(&STREAM.as_bytes()[cut..]);
            let e = a.finish().unwrap();
            let v: Value = serde_json::from_slice(&e.body).unwrap();
            assert_eq!(v["choices"][0]["message"]["content"], "Hello");
            assert_eq!(v["choices"][0]["finish_reason"], "stop");
            assert_eq!(e.usage.as_ref().unwrap().total_tokens, 5);
        }
    }

    #[test]
    fn incomplete_or_failed_streams_are_not_entries() {
        let cut = STREAM.find("data: [DONE]").unwrap();
        let mut a = Assembler::default();
        a.push(&STREAM.as_bytes()[..cut]);
        assert!(a.finish().is_none(), "no [DONE]");
        let mut a = Assembler::default();
        a.push(b"data: {\"error\":{\"message\":\"x\"}}\n\ndata: [DONE]\n\n");
        assert!(a.finish().is_none(), "error event");
    }

    #[test]
    fn replay_round_trips_through_the_assembler() {
        let mut a = Assembler::default();
        a.push(STREAM.as_bytes());
        let e = a.finish().unwrap();
        let sse = replay_sse(&e, true);
        let mut b = Assembler::default();
        b.push(&sse);
        let again = b.finish().unwrap();
        let (x, y): (Value, Value) = (
            serde_json::from_slice(&e.body).unwrap(),
            serde_json::from_slice(&again.body).unwrap(),
        );
        assert_eq!(x, y);
    }

    #[test]
    fn refusals_and_filtered_answers_are_not_stored() {
        let refusal = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"no"},"finish_reason":"stop"}]}"#;
        assert!(CachedResponse::from_body(Bytes::from(refusal)).is_none());
        let filtered = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"content_filter"}]}"#;
        assert!(CachedResponse::from_body(Bytes::from(filtered)).is_none());
        let ok = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"x","refusal":null},"finish_reason":"stop"}]}"#;
        assert!(CachedResponse::from_body(Bytes::from(ok)).is_some());
    }

    #[test]
    fn answers_cut_by_length_are_never_stored() {
        let cut = r#"{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"length"}]}"#;
        assert!(CachedResponse::from_body(Bytes::from(cut)).is_none());
        assert!(CachedResponse::answer(Bytes::from(cut)).is_some_and(|e| e.truncated));
        let s = concat!(
            "data: {\"id\":\"c1\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"c1\",\"created\":5,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
            "data: [DONE]\n\n"
        );
        let mut a = Assembler::default();
        a.push(s.as_bytes());
        assert!(a.finish().is_some_and(|e| e.truncated));
    }

    #[test]
    fn tool_calls_assemble() {
        let s = concat!(
            "data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"mul\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n",
            "data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"2}\"}}]}}]}\n\n",
            "data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n"
        );
        let mut a = Assembler::default();
        a.push(s.as_bytes());
        let v: Value = serde_json::from_slice(&a.finish().unwrap().body).unwrap();
        assert_eq!(
            v["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"],
            "{\"a\":2}"
        );
        assert_eq!(
            v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
            "mul"
        );
    }
}
