//! Request rewriting: the repair request sent after invalid output, and moving a
//! `response_format` into the prompt for upstreams without native structured outputs.
//!
//! Invariant: rewriting is deterministic (same inputs, same request) and lossless for the client's
//! messages: existing message text is never edited; the instruction is only ever appended after
//! the original system/developer text (or added as a new system message), and repair only appends
//! messages after the original conversation.

use serde_json::{Map, Value};

use super::{display_path, Expectation, Violation, MESSAGE_VIOLATION_LIMIT};
use crate::api::{ChatRequest, Content, Message, Role};

/// Separator between the client's system text and the appended instruction.
const SEPARATOR: &str = "\n\n";

/// The instruction for an upstream without native structured outputs, or `None` when nothing is
/// expected. The schema is embedded as canonical JSON (sorted keys) so the text is stable.
pub fn instruction_for(exp: &Expectation) -> Option<String> {
    match exp {
        Expectation::None => None,
        Expectation::JsonObject => Some(
            "Respond with only a JSON object. Do not wrap it in code fences and do not add any \
             text before or after it."
                .to_string(),
        ),
        Expectation::JsonSchema { name, schema, .. } => Some(format!(
            "Respond with only a JSON value that validates against this JSON Schema (named \
             \"{name}\"). Do not wrap it in code fences and do not add any text before or after \
             it.\nJSON Schema: {}",
            schema.canonical()
        )),
    }
}

/// Removes `response_format` so an upstream that does not support it never sees it.
pub fn strip_response_format(req: &mut ChatRequest) {
    req.response_format = None;
}

/// Puts `text` into the prompt without touching any existing text:
/// * the first message is `system` or `developer` with string content → `text` is appended after
///   a blank line (the original string stays an exact prefix);
/// * the same with array-of-parts content → a new `{"type": "text", "text": text}` part is
///   appended;
/// * otherwise a new `system` message (`developer` if the conversation already uses developer
///   messages and no system ones) is inserted first.
///
/// Idempotent: a prompt that already ends with `text` is left alone.
pub fn inject_instruction(req: &mut ChatRequest, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(first) = req.messages.first_mut() {
        if matches!(first.role, Role::System | Role::Developer) {
            match &mut first.content {
                Some(Content::Text(s)) => {
                    if !s.ends_with(text) {
                        if !s.is_empty() {
                            s.push_str(SEPARATOR);
                        }
                        s.push_str(text);
                    }
                    return;
                }
                Some(Content::Parts(parts)) => {
                    let last_text = parts.last().and_then(|p| p.get("text")).and_then(Value::as_str);
                    if last_text != Some(text) {
                        parts.push(text_part(text));
                    }
                    return;
                }
                None => {}
            }
        }
    }
    let uses_developer = req.messages.iter().any(|m| m.role == Role::Developer)
        && !req.messages.iter().any(|m| m.role == Role::System);
    let role = if uses_developer {
        Role::Developer
    } else {
        Role::System
    };
    req.messages.insert(0, Message::new(role, text));
}

fn text_part(text: &str) -> Value {
    let mut part = Map::new();
    part.insert("type".into(), Value::String("text".into()));
    part.insert("text".into(), Value::String(text.into()));
    Value::Object(part)
}

/// The request for one repair attempt: `original` (pass the request as it was sent upstream, i.e.
/// after [`inject_instruction`] when that was used) followed by
/// * the bad output as an assistant message (content and tool calls as the model sent them);
/// * for tool-call violations, when every call has an `id` and JSON arguments, one `tool` message
///   per call saying it was not executed and why, so the transcript stays well-formed; otherwise
///   the calls are given back as text in the assistant message;
/// * a user message listing the violations (first 20, as `path: reason`) and asking for the
///   corrected answer only: the JSON value (content violations) and/or the corrected tool calls.
///
/// `stream` is forced to `false` (and `stream_options` dropped), and `n` is dropped (one answer).
pub fn repair_request(original: &ChatRequest, bad_message: &Value, violations: &[Violation]) -> ChatRequest {
    let mut req = original.clone();
    req.stream = Some(false);
    req.stream_options = None;
    req.n = None;

    let content = bad_message
        .get("content")
        .and_then(|c| match c {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        })
        .filter(|s| !s.is_empty());
    let calls: Vec<Value> = bad_message
        .get("tool_calls")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();

    let tool_violations: Vec<&Violation> = violations.iter().filter(|v| v.is_tool_call()).collect();
    let content_violations: Vec<&Violation> = violations.iter().filter(|v| !v.is_tool_call()).collect();

    let well_formed = !calls.is_empty() && calls.iter().all(call_is_replayable);
    let mut assistant = Message::new(Role::Assistant, "");
    assistant.content = None;
    if well_formed {
        assistant.content = content.map(Content::Text);
        assistant.tool_calls = Some(calls.clone());
        req.messages.push(assistant);
        for (i, call) in calls.iter().enumerate() {
            let prefix = format!("tool_calls[{i}].");
            let mine: Vec<String> = tool_violations
                .iter()
                .filter(|v| v.path.starts_with(&prefix))
                .map(|v| format!("{}: {}", v.path, v.reason))
                .collect();
            let text = if mine.is_empty() && tool_violations.is_empty() {
                "Not executed: the response content did not match the required format.".to_string()
            } else if mine.is_empty() {
                "Not executed: another tool call in this turn was invalid.".to_string()
            } else {
                format!("Not executed: invalid tool call. {}", mine.join("; "))
            };
            let mut msg = Message::new(Role::Tool, text);
            msg.tool_call_id = call.get("id").and_then(Value::as_str).map(str::to_string);
            req.messages.push(msg);
        }
    } else {
        let mut text = content.unwrap_or_default();
        if !calls.is_empty() {
            if !text.is_empty() {
                text.push_str(SEPARATOR);
            }
            text.push_str("Tool calls: ");
            text.push_str(&Value::Array(calls.clone()).to_string());
        }
        assistant.content = Some(Content::Text(text));
        req.messages.push(assistant);
    }

    req.messages.push(Message::new(
        Role::User,
        repair_prompt(original, &content_violations, &tool_violations),
    ));
    req
}

fn call_is_replayable(call: &Value) -> bool {
    let has_id = call
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let args_ok = match call.get("function").and_then(|f| f.get("arguments")) {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).is_ok(),
        _ => false,
    };
    has_id && args_ok
}

fn repair_prompt(original: &ChatRequest, content: &[&Violation], tools: &[&Violation]) -> String {
    let all: Vec<&&Violation> = content.iter().chain(tools.iter()).collect();
    let mut text = String::from("Your previous response did not match the required format. Problems:\n");
    for v in all.iter().take(MESSAGE_VIOLATION_LIMIT) {
        text.push_str("- ");
        text.push_str(display_path(&v.path));
        text.push_str(": ");
        text.push_str(&v.reason);
        text.push('\n');
    }
    if all.len() > MESSAGE_VIOLATION_LIMIT {
        text.push_str(&format!("- and {} more\n", all.len() - MESSAGE_VIOLATION_LIMIT));
    }
    let target = format_target(original);
    match (content.is_empty(), tools.is_empty()) {
        (_, true) => text.push_str(&format!(
            "Reply again with only the corrected {target}, in the same format, with no commentary and no code fences."
        )),
        (true, false) => text.push_str(
            "Call the tools again with corrected arguments that match each tool's parameters schema, \
             using only the declared tools. Do not add commentary.",
        ),
        (false, false) => text.push_str(&format!(
            "Reply again with corrected tool calls (only declared tools, arguments matching each \
             tool's parameters schema) and, as the message content, only the corrected {target}, \
             with no commentary and no code fences."
        )),
    }
    text
}

/// What the answer must be, named from the request's `response_format` when it is still there.
fn format_target(req: &ChatRequest) -> String {
    let rf = req.response_format.as_ref();
    match rf.and_then(|r| r.get("type")).and_then(Value::as_str) {
        Some("json_schema") => {
            let name = rf
                .and_then(|r| r.get("json_schema"))
                .and_then(|j| j.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("requested");
            format!("JSON value that validates against the \"{name}\" JSON Schema")
        }
        Some("json_object") => "JSON object".to_string(),
        _ => "JSON value".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaCache;
    use serde_json::json;

    fn base() -> ChatRequest {
        serde_json::from_value(json!({
            "model": "m",
            "stream": true,
            "stream_options": {"include_usage": true},
            "n": 2,
            "messages": [{"role": "user", "content": "Summarise the patient."}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "PatientReport", "schema": {"type": "object"}}},
            "tools": [{"type": "function", "function": {"name": "multiply", "parameters": {"type": "object"}}}],
            "metadata": {"k": "v"}
        }))
        .unwrap()
    }

    #[test]
    fn content_repair_shape() {
        let original = base();
        let bad = json!({"role": "assistant", "content": "{\"risk_level\": \"high\"}"});
        let v = vec![
            Violation::new("/risk_level", "\"high\" is not of type \"integer\""),
            Violation::new("", "\"diagnosis\" is a required property"),
        ];
        let r = repair_request(&original, &bad, &v);
        assert_eq!(r.stream, Some(false));
        assert_eq!(r.stream_options, None);
        assert_eq!(r.n, None);
        assert_eq!(r.response_format, original.response_format);
        assert_eq!(r.extra, original.extra);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[0], original.messages[0]);
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert_eq!(r.messages[1].text(), "{\"risk_level\": \"high\"}");
        assert_eq!(r.messages[2].role, Role::User);
        let ask = r.messages[2].text();
        assert!(
            ask.contains("- /risk_level: \"high\" is not of type \"integer\"\n"),
            "{ask}"
        );
        assert!(
            ask.contains("- (root): \"diagnosis\" is a required property\n"),
            "{ask}"
        );
        assert!(
            ask.contains(
                "only the corrected JSON value that validates against the \"PatientReport\" JSON Schema"
            ),
            "{ask}"
        );
        assert!(ask.contains("no commentary"));
        // Deterministic.
        assert_eq!(repair_request(&original, &bad, &v), r);
    }

    #[test]
    fn tool_call_repair_shape() {
        let original = base();
        let bad = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "multiply", "arguments": "{\"a\": \"x\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "multiply", "arguments": "{\"a\": 1, \"b\": 2}"}}
        ]});
        let v = vec![Violation::new(
            "tool_calls[0].arguments/a",
            "\"x\" is not of type \"number\"",
        )];
        let r = repair_request(&original, &bad, &v);
        assert_eq!(r.messages.len(), 5);
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert_eq!(r.messages[1].content, None);
        assert_eq!(r.messages[1].tool_calls.as_ref().map(Vec::len), Some(2));
        assert_eq!(r.messages[2].role, Role::Tool);
        assert_eq!(r.messages[2].tool_call_id.as_deref(), Some("call_1"));
        assert!(r.messages[2].text().contains("tool_calls[0].arguments/a"));
        assert_eq!(r.messages[3].tool_call_id.as_deref(), Some("call_2"));
        assert!(r.messages[3].text().contains("another tool call"));
        let ask = r.messages[4].text();
        assert!(
            ask.contains("Call the tools again with corrected arguments"),
            "{ask}"
        );

        // Unparsable arguments: the calls go back as text, no dangling tool_calls.
        let bad = json!({"role": "assistant", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "multiply", "arguments": "{a: 1"}}
        ]});
        let v = vec![Violation::new(
            "tool_calls[0].arguments",
            "arguments are not valid JSON",
        )];
        let r = repair_request(&original, &bad, &v);
        assert_eq!(r.messages.len(), 3);
        assert_eq!(r.messages[1].tool_calls, None);
        assert!(r.messages[1].text().starts_with("Tool calls: [{"));
        assert_eq!(r.messages[2].role, Role::User);

        // Calls without ids cannot be answered by tool messages: also given back as text.
        let bad = json!({"role": "assistant", "content": "Calling.", "tool_calls": [
            {"type": "function", "function": {"name": "divide", "arguments": "{}"}}
        ]});
        let v = vec![Violation::new(
            "tool_calls[0].function.name",
            "unknown tool \"divide\"",
        )];
        let r = repair_request(&original, &bad, &v);
        assert_eq!(r.messages.len(), 3);
        assert!(r.messages[1].text().starts_with("Calling.\n\nTool calls: [{"));
        assert!(r.messages[2]
            .text()
            .contains("- tool_calls[0].function.name: unknown tool"));

        // Content-only violations next to valid tool calls: the calls are answered, content asked for.
        let bad = json!({"role": "assistant", "content": "nope", "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "multiply", "arguments": "{\"a\": 1, \"b\": 2}"}}
        ]});
        let r = repair_request(&original, &bad, &[Violation::new("", "not valid JSON")]);
        assert_eq!(r.messages.len(), 4);
        assert!(r.messages[2].text().contains("content did not match"));
        assert!(r.messages[3].text().contains("only the corrected JSON value"));
    }

    #[test]
    fn instruction_text() {
        let cache = SchemaCache::default();
        assert_eq!(instruction_for(&Expectation::None), None);
        let obj = instruction_for(&Expectation::JsonObject).unwrap();
        assert!(obj.starts_with("Respond with only a JSON object."));
        let schema =
            json!({"type": "object", "properties": {"b": {"type": "string"}, "a": {"type": "integer"}}});
        let exp = Expectation::JsonSchema {
            name: "thing".into(),
            schema: cache.get_or_compile(&schema).unwrap(),
            strict: false,
        };
        let text = instruction_for(&exp).unwrap();
        assert!(text.starts_with("Respond with only a JSON value that validates against this JSON Schema"));
        assert!(text.ends_with(r#"JSON Schema: {"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}"#), "{text}");
    }

    #[test]
    fn injection_is_lossless() {
        let instr = "Respond with only a JSON object.";
        // (messages, expected messages after injection)
        let cases: Vec<(Value, Value)> = vec![
            (
                json!([{"role": "user", "content": "hi"}]),
                json!([{"role": "system", "content": instr}, {"role": "user", "content": "hi"}]),
            ),
            (
                json!([{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]),
                json!([{"role": "system", "content": format!("Be terse.\n\n{instr}")}, {"role": "user", "content": "hi"}]),
            ),
            (
                json!([{"role": "developer", "content": [{"type": "text", "text": "Dev."}]}, {"role": "user", "content": "hi"}]),
                json!([{"role": "developer", "content": [{"type": "text", "text": "Dev."}, {"type": "text", "text": instr}]},
                       {"role": "user", "content": "hi"}]),
            ),
            (
                json!([{"role": "user", "content": "hi"}, {"role": "developer", "content": "late"}]),
                json!([{"role": "developer", "content": instr}, {"role": "user", "content": "hi"}, {"role": "developer", "content": "late"}]),
            ),
            (
                json!([{"role": "system", "content": ""}]),
                json!([{"role": "system", "content": instr}]),
            ),
        ];
        for (messages, expected) in cases {
            let mut req: ChatRequest = serde_json::from_value(json!({
                "model": "m", "messages": messages,
                "response_format": {"type": "json_object"}, "temperature": 0.2
            }))
            .unwrap();
            let before = req.clone();
            strip_response_format(&mut req);
            inject_instruction(&mut req, instr);
            assert_eq!(req.response_format, None);
            assert_eq!(req.temperature, before.temperature);
            assert_eq!(
                serde_json::to_value(&req.messages).unwrap(),
                expected,
                "{messages}"
            );
            // Every user message is byte-identical and the original system text is a prefix.
            let users = |r: &ChatRequest| {
                r.messages
                    .iter()
                    .filter(|m| m.role == Role::User)
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(users(&req), users(&before));
            // Idempotent.
            let once = req.clone();
            inject_instruction(&mut req, instr);
            assert_eq!(req, once);
        }
    }
}
