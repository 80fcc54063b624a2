//! Checking one assistant message (a `choices[i].message` object) against the [`Expectation`] and
//! the declared tools, and extracting a JSON value from model text.
//!
//! Invariant: [`check_message`] and [`extract_json`] are total: any JSON message and any text give
//! a result, never a panic, in time linear in the input times a small constant (at most
//! [`MAX_CANDIDATES`] parse attempts).
//!
//! Accepted JSON forms for content, tried in this order (the first that yields a value wins):
//! 1. the whole text, trimmed of whitespace (and a leading byte-order mark), is one JSON value of
//!    any type — nothing to clean;
//! 2. a Markdown code fence (a line starting with three or more backticks, any info string such
//!    as `json`, closed by a line of at least as many backticks, or unclosed to the end of the
//!    text) whose trimmed body is one JSON value; the first such fence wins, prose around it is
//!    dropped;
//! 3. prose before and/or after a JSON object or array: the first `{` (or, unless an object is
//!    expected, `[`) at which a complete JSON object/array starts; text after it is dropped.
//!    Scalars are never picked out of prose.
//!
//! In cases 2 and 3 [`Checked::cleaned_content`](super::Checked) is the exact source text of the
//! extracted value (the model's own formatting), which the gateway puts in place of the content.

use serde_json::{Map, Value};

use super::compile::type_name;
use super::{Checked, Expectation, SchemaCache, Violation};

/// Most start positions tried when looking for a JSON value inside prose.
pub const MAX_CANDIDATES: usize = 64;

/// A JSON value found in model text.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub value: Value,
    /// The source text of the value when it had to be cut out of fences or prose; `None` when the
    /// whole text was the value.
    pub cleaned: Option<String>,
}

/// Finds the JSON value in `text` (see the module docs for exactly what is accepted). With
/// `want_object`, prose extraction only considers objects. The error is the parser's message for
/// the whole text.
pub fn extract_json(text: &str, want_object: bool) -> Result<Extracted, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let whole_err = match serde_json::from_str::<Value>(trimmed) {
        Ok(value) => return Ok(Extracted { value, cleaned: None }),
        Err(e) => e.to_string(),
    };
    if let Some(found) = from_fences(trimmed) {
        return Ok(found);
    }
    if let Some(found) = from_prose(trimmed, want_object) {
        return Ok(found);
    }
    Err(whole_err)
}

fn from_fences(text: &str) -> Option<Extracted> {
    let mut lines = text.split_inclusive('\n').peekable();
    let mut attempts = 0;
    while let Some(line) = lines.next() {
        let open = line.trim_start();
        let ticks = open.chars().take_while(|c| *c == '`').count();
        if ticks < 3 {
            continue;
        }
        attempts += 1;
        if attempts > MAX_CANDIDATES {
            return None;
        }
        let mut body = String::new();
        for inner in lines.by_ref() {
            let t = inner.trim();
            if t.len() >= ticks && t.chars().all(|c| c == '`') {
                break;
            }
            body.push_str(inner);
        }
        let body = body.trim();
        if let Ok(value) = serde_json::from_str::<Value>(body) {
            return Some(Extracted {
                value,
                cleaned: Some(body.to_string()),
            });
        }
    }
    None
}

fn from_prose(text: &str, want_object: bool) -> Option<Extracted> {
    let starts = text
        .char_indices()
        .filter(|(_, c)| *c == '{' || (!want_object && *c == '['))
        .map(|(i, _)| i)
        .take(MAX_CANDIDATES);
    for start in starts {
        let Some(rest) = text.get(start..) else {
            continue;
        };
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        if let Some(Ok(value)) = stream.next() {
            let end = stream.byte_offset();
            if let Some(src) = rest.get(..end) {
                return Some(Extracted {
                    value,
                    cleaned: Some(src.trim().to_string()),
                });
            }
        }
    }
    None
}

/// Checks one assistant message.
///
/// * `message.refusal` set (non-null, non-empty), or a content part of type `refusal` →
///   `refusal: true` and nothing else is checked.
/// * Content is checked when `exp` is not [`Expectation::None`]: it must hold a JSON value (see the
///   module docs), an object for `json_object`, valid against the schema for `json_schema`.
///   Content that is null, missing or blank is a violation unless the message carries tool calls
///   (then only the tool calls are checked). Array-of-parts content is checked on its joined text.
/// * Tool calls are checked when `tools` declares at least one tool and the message has
///   `tool_calls`: each `function.name` must be a declared function tool
///   (`tool_calls[i].function.name`), and `function.arguments` must be a string holding a JSON
///   object valid against that tool's `parameters` (`tool_calls[i].arguments...`). Blank arguments
///   count as `{}`; a tool declared without `parameters` takes any object. Calls whose `type` is
///   neither absent nor `"function"` are not checked.
///
/// Compiling a tool schema here goes through `cache`; a tool schema that does not compile (which
/// [`super::validate_tools`] would have rejected with a 400 up front) is reported as a violation
/// of that call.
pub fn check_message(
    message: &Value,
    exp: &Expectation,
    tools: Option<&[Value]>,
    cache: &SchemaCache,
) -> Checked {
    let mut checked = Checked::default();
    let Some(msg) = message.as_object() else {
        checked.violations.push(Violation::new(
            "",
            format!(
                "the assistant message must be an object, got {}",
                type_name(message)
            ),
        ));
        return checked;
    };
    if is_refusal(msg.get("refusal")) || has_refusal_part(msg.get("content")) {
        checked.refusal = true;
        return checked;
    }
    let tool_calls = msg.get("tool_calls").filter(|v| !v.is_null());
    let has_tool_calls = tool_calls
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !exp.is_none() {
        match content_text(msg.get("content")) {
            Ok(Some(text)) if !text.trim().is_empty() => check_content(&text, exp, &mut checked),
            Ok(_) if has_tool_calls => {}
            Ok(_) => checked.violations.push(Violation::new(
                "",
                "the message has no content; expected a JSON value".to_string(),
            )),
            Err(reason) => checked.violations.push(Violation::new("", reason)),
        }
    }
    if let (Some(tools), Some(calls)) = (tools.filter(|t| !t.is_empty()), tool_calls) {
        check_tool_calls(calls, tools, cache, &mut checked.violations);
    }
    checked
}

fn is_refusal(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// A content array carrying a `{"type": "refusal", ...}` part.
fn has_refusal_part(content: Option<&Value>) -> bool {
    content.and_then(Value::as_array).is_some_and(|parts| {
        parts
            .iter()
            .any(|p| p.get("type").and_then(Value::as_str) == Some("refusal"))
    })
}

/// The text of a message's content: a string, or the `text` of every text part joined by newlines.
fn content_text(content: Option<&Value>) -> Result<Option<String>, String> {
    match content {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            Ok(Some(texts.join("\n")))
        }
        Some(other) => Err(format!(
            "the message content must be a string or an array of parts, got {}",
            type_name(other)
        )),
    }
}

fn check_content(text: &str, exp: &Expectation, checked: &mut Checked) {
    let want_object = match exp {
        Expectation::None => return,
        Expectation::JsonObject => true,
        Expectation::JsonSchema { schema, .. } => schema_wants_object(schema.schema()),
    };
    let extracted = match extract_json(text, want_object) {
        Ok(e) => e,
        Err(e) => {
            checked
                .violations
                .push(Violation::new("", format!("the content is not valid JSON ({e})")));
            return;
        }
    };
    checked.cleaned_content = extracted.cleaned;
    match exp {
        Expectation::None => {}
        Expectation::JsonObject => {
            if !extracted.value.is_object() {
                checked.violations.push(Violation::new(
                    "",
                    format!("expected a JSON object, got {}", type_name(&extracted.value)),
                ));
            }
        }
        Expectation::JsonSchema { schema, .. } => {
            checked.violations.extend(schema.violations(&extracted.value, ""));
        }
    }
}

fn schema_wants_object(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.len() == 1 && ts.iter().any(|t| t == "object"),
        _ => false,
    }
}

fn check_tool_calls(calls: &Value, tools: &[Value], cache: &SchemaCache, out: &mut Vec<Violation>) {
    let Some(calls) = calls.as_array() else {
        out.push(Violation::new(
            "tool_calls",
            format!("tool_calls must be an array, got {}", type_name(calls)),
        ));
        return;
    };
    let declared: Vec<(&str, Option<&Value>)> = tools
        .iter()
        .filter(|t| t.get("type").is_none_or(|k| k == "function"))
        .filter_map(|t| t.get("function"))
        .filter_map(|f| {
            f.get("name")
                .and_then(Value::as_str)
                .map(|n| (n, f.get("parameters")))
        })
        .collect();
    for (i, call) in calls.iter().enumerate() {
        if call.get("type").is_some_and(|k| k != "function") {
            continue;
        }
        let Some(function) = call.get("function").and_then(Value::as_object) else {
            out.push(Violation::new(
                format!("tool_calls[{i}].function"),
                "missing function object",
            ));
            continue;
        };
        check_one_call(i, function, &declared, cache, out);
    }
}

fn check_one_call(
    i: usize,
    function: &Map<String, Value>,
    declared: &[(&str, Option<&Value>)],
    cache: &SchemaCache,
    out: &mut Vec<Violation>,
) {
    let name_path = format!("tool_calls[{i}].function.name");
    let Some(name) = function.get("name").and_then(Value::as_str) else {
        out.push(Violation::new(name_path, "missing tool name"));
        return;
    };
    let Some((_, params)) = declared.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = declared.iter().map(|(n, _)| *n).collect();
        out.push(Violation::new(
            name_path,
            format!("unknown tool {name:?}; declared tools: {}", names.join(", ")),
        ));
        return;
    };
    let args_path = format!("tool_calls[{i}].arguments");
    let args = match function.get("arguments") {
        Some(Value::String(s)) if s.trim().is_empty() => Value::Object(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v) => v,
            Err(e) => {
                out.push(Violation::new(
                    args_path,
                    format!("arguments are not valid JSON ({e})"),
                ));
                return;
            }
        },
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(other) => {
            out.push(Violation::new(
                args_path,
                format!("arguments must be a JSON string, got {}", type_name(other)),
            ));
            return;
        }
    };
    if !args.is_object() {
        out.push(Violation::new(
            args_path,
            format!("arguments must be a JSON object, got {}", type_name(&args)),
        ));
        return;
    }
    let Some(params) = params else {
        return;
    };
    match cache.get_or_compile(params) {
        Ok(compiled) => out.extend(compiled.violations(&args, &args_path)),
        Err(e) => out.push(Violation::new(
            args_path,
            format!(
                "the declared parameters schema of {name:?} is invalid: {}",
                e.message
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extraction_table() {
        // (text, want_object, expected value, expected cleaned text)
        let cases: Vec<(&str, bool, Value, Option<&str>)> = vec![
            (r#"{"a": 1}"#, true, json!({"a": 1}), None),
            ("  \n{\"a\": 1}\n ", true, json!({"a": 1}), None),
            ("\u{feff}{\"a\": 1}", true, json!({"a": 1}), None),
            ("[1, 2]", false, json!([1, 2]), None),
            ("42", false, json!(42), None),
            (
                "```json\n{\"a\": 1}\n```",
                true,
                json!({"a": 1}),
                Some("{\"a\": 1}"),
            ),
            (
                "```JSON\n{\"a\": 1}\n```",
                true,
                json!({"a": 1}),
                Some("{\"a\": 1}"),
            ),
            ("```\n{\"a\": 1}\n```", true, json!({"a": 1}), Some("{\"a\": 1}")),
            (
                "Here you go:\n```json\n{\n  \"a\": 1\n}\n```\nHope it helps!",
                true,
                json!({"a": 1}),
                Some("{\n  \"a\": 1\n}"),
            ),
            (
                "````json\n{\"a\": \"```\"}\n````",
                true,
                json!({"a": "```"}),
                Some("{\"a\": \"```\"}"),
            ),
            ("```json\n{\"a\": 1}", true, json!({"a": 1}), Some("{\"a\": 1}")),
            (
                "```python\nprint(1)\n```\n```json\n{\"b\": 2}\n```",
                true,
                json!({"b": 2}),
                Some("{\"b\": 2}"),
            ),
            (
                "Sure! Here is the JSON: {\"a\": [1, 2]}",
                true,
                json!({"a": [1, 2]}),
                Some("{\"a\": [1, 2]}"),
            ),
            (
                "{\"a\": 1} Let me know if you need more.",
                true,
                json!({"a": 1}),
                Some("{\"a\": 1}"),
            ),
            (
                "Note {not json} then {\"ok\": true}.",
                true,
                json!({"ok": true}),
                Some("{\"ok\": true}"),
            ),
            (
                "Items [3] then {\"a\": 1}",
                true,
                json!({"a": 1}),
                Some("{\"a\": 1}"),
            ),
            ("Items: [1, 2] done", false, json!([1, 2]), Some("[1, 2]")),
        ];
        for (text, want_object, value, cleaned) in cases {
            let got = extract_json(text, want_object).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got.value, value, "{text:?}");
            assert_eq!(got.cleaned.as_deref(), cleaned, "{text:?}");
        }
        for text in [
            "",
            "   ",
            "The answer is 42.",
            "{broken",
            "```json\n{broken\n```",
            "Items: [1, 2]",
        ] {
            assert!(extract_json(text, true).is_err(), "{text:?}");
        }
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn json_object_expectation() {
        let cache = SchemaCache::default();
        let cases: Vec<(Value, Vec<(&str, &str)>, Option<&str>)> = vec![
            (
                json!({"role": "assistant", "content": "{\"x\": 1}"}),
                vec![],
                None,
            ),
            (
                json!({"role": "assistant", "content": "[1, 2]"}),
                vec![("", "expected a JSON object, got array")],
                None,
            ),
            (
                json!({"role": "assistant", "content": "\"text\""}),
                vec![("", "got string")],
                None,
            ),
            (
                json!({"role": "assistant", "content": "not json"}),
                vec![("", "not valid JSON")],
                None,
            ),
            (
                json!({"role": "assistant", "content": null}),
                vec![("", "no content")],
                None,
            ),
            (
                json!({"role": "assistant", "content": "   "}),
                vec![("", "no content")],
                None,
            ),
            (
                json!({"role": "assistant", "content": 5}),
                vec![("", "must be a string or an array")],
                None,
            ),
            (
                json!({"role": "assistant", "content": "ok: ```json\n{\"x\": 1}\n```"}),
                vec![],
                Some("{\"x\": 1}"),
            ),
            (
                json!({"role": "assistant", "content": [{"type": "text", "text": "{\"x\":"}, {"type": "text", "text": "1}"}]}),
                vec![],
                None,
            ),
            (json!("just a string"), vec![("", "must be an object")], None),
        ];
        for (msg, expected, cleaned) in cases {
            let got = check_message(&msg, &Expectation::JsonObject, None, &cache);
            let got_v: Vec<(&str, &str)> = got
                .violations
                .iter()
                .map(|v| (v.path.as_str(), v.reason.as_str()))
                .collect();
            assert_eq!(got_v.len(), expected.len(), "{msg}: {got_v:?}");
            for ((gp, gr), (ep, er)) in got_v.iter().zip(expected.iter()) {
                assert_eq!(gp, ep, "{msg}");
                assert!(gr.contains(er), "{msg}: {gr}");
            }
            assert_eq!(got.cleaned_content.as_deref(), cleaned, "{msg}");
            assert!(!got.refusal);
        }
    }

    #[test]
    fn none_expectation_checks_nothing_in_content() {
        let cache = SchemaCache::default();
        let got = check_message(&json!({"content": "hello"}), &Expectation::None, None, &cache);
        assert_eq!(got, Checked::default());
    }

    #[test]
    fn refusal_is_reported_not_violated() {
        let cache = SchemaCache::default();
        let msg = json!({"role": "assistant", "content": null, "refusal": "I can't help with that."});
        let got = check_message(&msg, &Expectation::JsonObject, None, &cache);
        assert!(got.refusal);
        assert!(got.violations.is_empty());
        let msg = json!({"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]});
        let got = check_message(&msg, &Expectation::JsonObject, None, &cache);
        assert!(got.refusal && got.violations.is_empty());
        for msg in [
            json!({"role": "assistant", "content": "{}", "refusal": null}),
            json!({"role": "assistant", "content": "{}", "refusal": ""}),
        ] {
            let got = check_message(&msg, &Expectation::JsonObject, None, &cache);
            assert!(!got.refusal && got.is_ok(), "{msg}");
        }
    }
}
