//! Structured answers for the mock: JSON that matches the requested schema (from
//! `response_format`, or from the schema instruction a gateway put in the prompt), tool calls
//! with generated arguments, and deliberately invalid output on demand (the `invalid_output`
//! fault), so repair and failure paths can be exercised.

use crate::api::{ChatRequest, Role};
use crate::schema::{example_instance, invalid_instance};
use serde_json::{json, Value};

/// What the mock answers instead of prose.
#[derive(Debug, Clone, PartialEq)]
pub enum Structured {
    /// Content that is a JSON document.
    Json(String),
    /// One tool call.
    ToolCall {
        id: String,
        name: String,
        arguments: String,
    },
}

/// The prefix of the instruction a gateway puts in the prompt for upstreams without native
/// structured outputs (see `schema::instruction_for`).
const SCHEMA_MARKER: &str = "JSON Schema: ";

fn prompt_schema(req: &ChatRequest) -> Option<Value> {
    req.messages.iter().rev().find_map(|m| {
        let text = m.text();
        let at = text.rfind(SCHEMA_MARKER)?;
        let rest = text.get(at + SCHEMA_MARKER.len()..)?;
        // The schema is one JSON value; parse the longest valid prefix line by line.
        let mut de = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        de.next()?.ok()
    })
}

/// The structured answer `req` asks for, if any. `seed` makes it deterministic; `invalid`
/// produces output that breaks the schema (or is not JSON at all for `json_object`).
pub fn answer(req: &ChatRequest, seed: u64, invalid: bool) -> Option<Structured> {
    let last_is_user = req.messages.last().is_some_and(|m| m.role == Role::User);
    let tools_on = req.tool_choice.as_ref().and_then(Value::as_str) != Some("none");
    if let (Some(tools), true, true) = (&req.tools, last_is_user, tools_on) {
        let wanted = req
            .tool_choice
            .as_ref()
            .and_then(|c| c.pointer("/function/name"))
            .and_then(Value::as_str);
        let tool = tools.iter().find(|t| {
            wanted.is_none_or(|w| t.pointer("/function/name").and_then(Value::as_str) == Some(w))
        })?;
        let name = tool
            .pointer("/function/name")
            .and_then(Value::as_str)?
            .to_string();
        let params = tool
            .pointer("/function/parameters")
            .cloned()
            .unwrap_or(json!({"type": "object"}));
        let args = if invalid {
            invalid_instance(&params, seed)
        } else {
            example_instance(&params, seed)
        };
        return Some(Structured::ToolCall {
            id: format!("call_mock{:x}", seed & 0xffff_ffff),
            name,
            arguments: args.to_string(),
        });
    }
    let rf_type = req
        .response_format
        .as_ref()
        .and_then(|r| r.get("type"))
        .and_then(Value::as_str);
    let schema = match rf_type {
        Some("json_schema") => req
            .response_format
            .as_ref()
            .and_then(|r| r.pointer("/json_schema/schema"))
            .cloned(),
        Some("json_object") => {
            return Some(Structured::Json(if invalid {
                "Sure! Here is the answer you asked for.".to_string()
            } else {
                json!({"answer": format!("mock-{:x}", seed & 0xffff)}).to_string()
            }))
        }
        _ => prompt_schema(req),
    }?;
    let v = if invalid {
        invalid_instance(&schema, seed)
    } else {
        example_instance(&schema, seed)
    };
    Some(Structured::Json(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parse_chat_request;

    #[test]
    fn schema_answers_validate_unless_asked_not_to() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}}}}"#;
        let req = parse_chat_request(body.as_bytes()).unwrap();
        let Some(Structured::Json(ok)) = answer(&req, 1, false) else {
            panic!()
        };
        assert!(serde_json::from_str::<Value>(&ok).unwrap()["n"].is_i64());
        let Some(Structured::Json(bad)) = answer(&req, 1, true) else {
            panic!()
        };
        assert_ne!(ok, bad);
    }

    #[test]
    fn tool_calls_and_prompt_schemas() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"3 times 4"}],"tools":[{"type":"function","function":{"name":"multiply","parameters":{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}}}]}"#;
        let req = parse_chat_request(body.as_bytes()).unwrap();
        let Some(Structured::ToolCall { name, arguments, .. }) = answer(&req, 7, false) else {
            panic!()
        };
        assert_eq!(name, "multiply");
        assert!(serde_json::from_str::<Value>(&arguments).unwrap()["a"].is_number());
        let body = r#"{"model":"m","messages":[{"role":"system","content":"Respond with only JSON.\nJSON Schema: {\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},\"required\":[\"k\"]}"},{"role":"user","content":"go"}]}"#;
        let req = parse_chat_request(body.as_bytes()).unwrap();
        let Some(Structured::Json(v)) = answer(&req, 2, false) else {
            panic!()
        };
        assert!(serde_json::from_str::<Value>(&v).unwrap()["k"].is_string());
    }
}
