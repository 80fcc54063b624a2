//! PURE: a Chat Completions event stream as the Responses event sequence.
//!
//! `response.created`, `response.in_progress`, then per output item `response.output_item.added`
//! (and for a message `response.content_part.added`, `response.output_text.delta`...,
//! `response.output_text.done`, `response.content_part.done`; for a function call
//! `response.function_call_arguments.delta`..., `.done`; for the reasoning text a chat upstream
//! streams as `reasoning_content`, a `reasoning` item with `response.reasoning_text.delta`...,
//! `.done`), `response.output_item.done`, and
//! finally `response.completed` (or `response.incomplete` when the answer hit its token cap)
//! with the whole response; an error event of the chat stream becomes `error` and ends it. Every
//! event carries a `sequence_number`, counting from 0.
//!
//! Invariant: the translator never fails; a chunk it cannot read contributes nothing.

use super::translate::{chat_reasoning, function_call_item, message_item, reasoning_item, Echo};
use crate::api::Usage;
use serde_json::{json, Value};

/// One open function call (chat streams it by `index`).
struct Call {
    index: u64,
    output_index: usize,
    id: String,
    call_id: String,
    name: String,
    arguments: String,
}

/// The open message item.
struct Text {
    output_index: usize,
    id: String,
    text: String,
}

/// Translates one chat stream. Feed [`start`](Self::start), then each chunk, then
/// [`finish`](Self::finish) (or [`error`](Self::error)); each returns SSE bytes to send.
pub struct StreamTranslator {
    echo: Echo,
    model: String,
    seq: u64,
    output: Vec<Value>,
    text: Option<Text>,
    /// The open reasoning item (its `text` is the reasoning so far).
    reasoning: Option<Text>,
    call: Option<Call>,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    /// The final response object, once `finish` has run.
    done: Option<Value>,
}

impl StreamTranslator {
    pub fn new(echo: Echo, model: &str) -> Self {
        StreamTranslator {
            echo,
            model: model.to_string(),
            seq: 0,
            output: Vec::new(),
            text: None,
            reasoning: None,
            call: None,
            usage: None,
            finish_reason: None,
            done: None,
        }
    }

    fn event(&mut self, out: &mut Vec<u8>, ty: &str, mut data: Value) {
        if let Value::Object(m) = &mut data {
            m.insert("type".into(), json!(ty));
            m.insert("sequence_number".into(), json!(self.seq));
        }
        self.seq += 1;
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(ty.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        out.extend_from_slice(data.to_string().as_bytes());
        out.extend_from_slice(b"\n\n");
    }

    /// `response.created` and `response.in_progress`.
    pub fn start(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let r = self.echo.response(&self.model, "in_progress", Vec::new(), None);
        self.event(&mut out, "response.created", json!({ "response": r }));
        self.event(&mut out, "response.in_progress", json!({ "response": r }));
        out
    }

    /// One chat chunk (the parsed `data` of an event).
    pub fn chunk(&mut self, chunk: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some(m) = chunk.get("model").and_then(Value::as_str) {
            if self.model != m {
                self.model = m.to_string();
            }
        }
        if let Some(u) = chunk.get("usage").filter(|u| !u.is_null()) {
            self.usage = serde_json::from_value(u.clone()).ok();
        }
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            return out;
        };
        if let Some(r) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(r.to_string());
        }
        let Some(delta) = choice.get("delta") else {
            return out;
        };
        if let Some(r) = chat_reasoning(delta) {
            self.reasoning_delta(&mut out, r);
        }
        if let Some(t) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.text_delta(&mut out, t);
        }
        if let Some(Value::Array(calls)) = delta.get("tool_calls") {
            for c in calls {
                self.call_delta(&mut out, c);
            }
        }
        out
    }

    fn reasoning_delta(&mut self, out: &mut Vec<u8>, t: &str) {
        self.close_text(out);
        self.close_call(out);
        if self.reasoning.is_none() {
            let output_index = self.output.len();
            self.output.push(Value::Null);
            let id = format!("rs_{}", self.echo.suffix());
            let mut item = reasoning_item(&id, "", "in_progress");
            item["content"] = json!([]);
            self.event(
                out,
                "response.output_item.added",
                json!({"output_index": output_index, "item": item}),
            );
            self.reasoning = Some(Text {
                output_index,
                id,
                text: String::new(),
            });
        }
        let Some(open) = self.reasoning.as_mut() else {
            return;
        };
        open.text.push_str(t);
        let data =
            json!({"item_id": open.id, "output_index": open.output_index, "content_index": 0, "delta": t});
        self.event(out, "response.reasoning_text.delta", data);
    }

    fn close_reasoning(&mut self, out: &mut Vec<u8>) {
        let Some(r) = self.reasoning.take() else {
            return;
        };
        let (id, oi) = (r.id.as_str(), r.output_index);
        self.event(
            out,
            "response.reasoning_text.done",
            json!({"item_id": id, "output_index": oi, "content_index": 0, "text": r.text}),
        );
        let item = reasoning_item(id, &r.text, "completed");
        self.event(
            out,
            "response.output_item.done",
            json!({"output_index": oi, "item": item}),
        );
        if let Some(slot) = self.output.get_mut(oi) {
            *slot = item;
        }
    }

    fn text_delta(&mut self, out: &mut Vec<u8>, t: &str) {
        self.close_reasoning(out);
        self.close_call(out);
        if self.text.is_none() {
            let output_index = self.output.len();
            // A placeholder keeps the output index taken; `close_text` fills it in.
            self.output.push(Value::Null);
            let id = format!("msg_{}", self.echo.suffix());
            let mut item = message_item(&id, "", "in_progress");
            item["content"] = json!([]);
            self.event(
                out,
                "response.output_item.added",
                json!({"output_index": output_index, "item": item}),
            );
            self.event(
                out,
                "response.content_part.added",
                json!({"item_id": id, "output_index": output_index, "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []}}),
            );
            self.text = Some(Text {
                output_index,
                id,
                text: String::new(),
            });
        }
        let Some(open) = self.text.as_mut() else {
            return;
        };
        open.text.push_str(t);
        let data =
            json!({"item_id": open.id, "output_index": open.output_index, "content_index": 0, "delta": t});
        self.event(out, "response.output_text.delta", data);
    }

    fn close_text(&mut self, out: &mut Vec<u8>) {
        let Some(t) = self.text.take() else {
            return;
        };
        let (id, oi) = (t.id.as_str(), t.output_index);
        self.event(
            out,
            "response.output_text.done",
            json!({"item_id": id, "output_index": oi, "content_index": 0, "text": t.text}),
        );
        self.event(
            out,
            "response.content_part.done",
            json!({"item_id": id, "output_index": oi, "content_index": 0,
                "part": {"type": "output_text", "text": t.text, "annotations": []}}),
        );
        let item = message_item(id, &t.text, "completed");
        self.event(
            out,
            "response.output_item.done",
            json!({"output_index": oi, "item": item}),
        );
        if let Some(slot) = self.output.get_mut(oi) {
            *slot = item;
        }
    }

    fn call_delta(&mut self, out: &mut Vec<u8>, c: &Value) {
        let index = c.get("index").and_then(Value::as_u64).unwrap_or(0);
        let f = c.get("function");
        let args = f
            .and_then(|f| f.get("arguments"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if self.call.as_ref().is_none_or(|open| open.index != index) {
            self.close_reasoning(out);
            self.close_text(out);
            self.close_call(out);
            let output_index = self.output.len();
            self.output.push(Value::Null);
            let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
            let call = Call {
                index,
                output_index,
                id: format!("fc_{}_{output_index}", self.echo.suffix()),
                call_id: s(c.get("id")),
                name: s(f.and_then(|f| f.get("name"))),
                arguments: String::new(),
            };
            let item = function_call_item(&call.id, &call.call_id, &call.name, "", "in_progress");
            self.event(
                out,
                "response.output_item.added",
                json!({"output_index": output_index, "item": item}),
            );
            self.call = Some(call);
        }
        if args.is_empty() {
            return;
        }
        let Some(open) = self.call.as_mut() else {
            return;
        };
        open.arguments.push_str(args);
        let data = json!({"item_id": open.id, "output_index": open.output_index, "delta": args});
        self.event(out, "response.function_call_arguments.delta", data);
    }

    fn close_call(&mut self, out: &mut Vec<u8>) {
        let Some(c) = self.call.take() else {
            return;
        };
        let oi = c.output_index;
        self.event(
            out,
            "response.function_call_arguments.done",
            json!({"item_id": c.id, "output_index": oi, "arguments": c.arguments}),
        );
        let item = function_call_item(&c.id, &c.call_id, &c.name, &c.arguments, "completed");
        self.event(
            out,
            "response.output_item.done",
            json!({"output_index": oi, "item": item}),
        );
        if let Some(slot) = self.output.get_mut(oi) {
            *slot = item;
        }
    }

    /// The chat stream ended: close the open items, then `response.completed` (or
    /// `response.incomplete`) with the whole response.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.close_reasoning(&mut out);
        self.close_text(&mut out);
        self.close_call(&mut out);
        let status = match self.finish_reason.as_deref() {
            Some("length") => "incomplete",
            _ => "completed",
        };
        let output = self.output.iter().filter(|v| !v.is_null()).cloned().collect();
        let r = self
            .echo
            .response(&self.model, status, output, self.usage.as_ref());
        let ty = if status == "incomplete" {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.event(&mut out, ty, json!({ "response": r }));
        self.done = Some(r);
        out
    }

    /// The chat stream failed (`error` is its error event's `error` object): an `error` event.
    pub fn error(&mut self, error: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        let s = |k: &str| error.get(k).cloned().unwrap_or(Value::Null);
        self.event(
            &mut out,
            "error",
            json!({"code": s("code"), "message": s("message"), "param": s("param")}),
        );
        out
    }

    /// How many events this translator has written (each carries its sequence number).
    pub fn events(&self) -> u64 {
        self.seq
    }

    /// The completed response, after [`finish`](Self::finish).
    pub fn take_response(&mut self) -> Option<Value> {
        self.done.take()
    }

    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
}

/// The chat chunks a whole chat completion would have streamed: its text as one delta, each
/// tool call as one delta, the finish reason, the usage. Replayed through a
/// [`StreamTranslator`] when the gateway had to take the answer whole (a structured answer is
/// validated before anything is sent).
pub fn replay_chat_completion(chat: &Value) -> Vec<Value> {
    let model = chat.get("model").cloned().unwrap_or(Value::Null);
    let choice = chat.get("choices").and_then(|c| c.get(0));
    let message = choice.and_then(|c| c.get("message"));
    let mut chunks = Vec::new();
    if let Some(r) = message.and_then(chat_reasoning) {
        chunks.push(json!({"model": model, "choices": [{"index": 0, "delta": {"reasoning_content": r}}]}));
    }
    if let Some(t) = message.and_then(|m| m.get("content")).and_then(Value::as_str) {
        chunks.push(json!({"model": model, "choices": [{"index": 0, "delta": {"content": t}}]}));
    }
    if let Some(Value::Array(calls)) = message.and_then(|m| m.get("tool_calls")) {
        for (i, c) in calls.iter().enumerate() {
            let mut c = c.clone();
            c["index"] = json!(i);
            chunks.push(json!({"model": model, "choices": [{"index": 0, "delta": {"tool_calls": [c]}}]}));
        }
    }
    let finish = choice
        .and_then(|c| c.get("finish_reason"))
        .cloned()
        .unwrap_or(Value::Null);
    chunks.push(json!({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}));
    if let Some(u) = chat.get("usage") {
        chunks.push(json!({"model": model, "choices": [], "usage": u}));
    }
    chunks
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn events(bytes: &[u8]) -> Vec<Value> {
        String::from_utf8_lossy(bytes)
            .split("\n\n")
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn text_and_tool_call_stream_in_order_with_sequence_numbers() {
        let echo = Echo::of(json!({"model":"m"}).as_object().unwrap(), "s1", 1);
        let mut t = StreamTranslator::new(echo, "m");
        let mut out = t.start();
        for c in [
            json!({"choices":[{"delta":{"role":"assistant","content":""}}]}),
            json!({"choices":[{"delta":{"content":"Hel"}}]}),
            json!({"choices":[{"delta":{"content":"lo"}}]}),
            json!({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{\"a\""}}]}}]}),
            json!({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}),
            json!({"choices":[{"delta":{},"finish_reason":"tool_calls"}]}),
            json!({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}),
        ] {
            out.extend(t.chunk(&c));
        }
        out.extend(t.finish());
        let evs = events(&out);
        let types: Vec<&str> = evs.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.delta",
                "response.function_call_arguments.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        for (i, e) in evs.iter().enumerate() {
            assert_eq!(e["sequence_number"], i as u64);
        }
        let done = &evs[14]["response"];
        assert_eq!(done["output"][0]["content"][0]["text"], "Hello");
        assert_eq!(done["output"][1]["arguments"], "{\"a\":1}");
        assert_eq!(done["usage"]["total_tokens"], 3);
        assert_eq!(t.take_response().unwrap(), *done);
    }

    #[test]
    fn replayed_completion_matches_the_whole_answer() {
        let plain = json!({"model":"m","choices":[{"message":{"content":"{\"x\":1}"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}});
        let reasoned = json!({"model":"m","choices":[{"message":{"content":"4","reasoning_content":"2+2 is 4"},
            "finish_reason":"stop"}]});
        for chat in [plain, reasoned] {
            let echo = Echo::of(json!({"model":"m"}).as_object().unwrap(), "s2", 1);
            let mut t = StreamTranslator::new(echo.clone(), "m");
            t.start();
            for c in replay_chat_completion(&chat) {
                t.chunk(&c);
            }
            t.finish();
            assert_eq!(
                t.take_response().unwrap(),
                super::super::response_from_chat(&chat, &echo)
            );
        }
    }

    #[test]
    fn reasoning_content_streams_as_a_reasoning_item_before_the_message() {
        let echo = Echo::of(json!({"model":"m"}).as_object().unwrap(), "s3", 1);
        let mut t = StreamTranslator::new(echo, "m");
        let mut out = t.start();
        for c in [
            json!({"choices":[{"delta":{"role":"assistant","content":""}}]}),
            json!({"choices":[{"delta":{"reasoning_content":"Two "}}]}),
            json!({"choices":[{"delta":{"reasoning":"plus two."}}]}),
            json!({"choices":[{"delta":{"content":"4"}}]}),
            json!({"choices":[{"delta":{},"finish_reason":"stop"}]}),
        ] {
            out.extend(t.chunk(&c));
        }
        out.extend(t.finish());
        let evs = events(&out);
        let types: Vec<&str> = evs.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.reasoning_text.delta",
                "response.reasoning_text.delta",
                "response.reasoning_text.done",
                "response.output_item.done",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        assert_eq!(evs[2]["item"]["type"], "reasoning");
        assert_eq!(evs[5]["text"], "Two plus two.");
        let done = &evs[13]["response"];
        assert_eq!(done["output"][0]["id"], "rs_s3");
        assert_eq!(done["output"][0]["content"][0]["type"], "reasoning_text");
        assert_eq!(done["output"][0]["content"][0]["text"], "Two plus two.");
        assert_eq!(done["output"][0]["summary"], json!([]));
        assert_eq!(done["output"][1]["content"][0]["text"], "4");
    }
}
