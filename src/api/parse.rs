//! Request parsing with client-facing errors: syntax errors name the line and column, type
//! errors and missing fields name the offending parameter (`messages[2].role`).
//!
//! Invariant: any byte string yields either a request or a 400 [`GatewayError`]; never a panic.
//! JSON nesting is bounded by serde_json's recursion limit (128).

use super::ChatRequest;
use crate::error::{ErrorKind, GatewayError};
use serde_json::error::Category;

/// Parse and check a Chat Completions body.
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, GatewayError> {
    // The plain parse first; only a body that fails is parsed again with its path tracked for
    // the error message (tracking costs ~20 % of a parse that almost always succeeds).
    let req: ChatRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(_) => return Err(parse_error(body)),
    };
    check(&req)?;
    Ok(req)
}

/// The error for a body that does not parse as a Chat Completions request.
fn parse_error(body: &[u8]) -> GatewayError {
    let mut de = serde_json::Deserializer::from_slice(body);
    if let Err(e) = serde_path_to_error::deserialize::<_, ChatRequest>(&mut de) {
        return to_error(e);
    }
    match de.end() {
        // Trailing garbage after the object.
        Err(e) => GatewayError::new(
            ErrorKind::InvalidJson,
            format!(
                "request body is not valid JSON: trailing characters at line {} column {}",
                e.line(),
                e.column()
            ),
        ),
        // Not reached: `from_slice` failed on a body this parse accepts. Say so rather than guess.
        Ok(()) => GatewayError::new(
            ErrorKind::InvalidJson,
            "request body is not a valid Chat Completions request",
        ),
    }
}

/// Parse any JSON object body (endpoints passed through with few checks, e.g. embeddings).
pub fn parse_object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, GatewayError> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(m)) => Ok(m),
        Ok(_) => Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            "request body must be a JSON object",
        )),
        Err(e) => Err(syntax_error(&e)),
    }
}

fn syntax_error(e: &serde_json::Error) -> GatewayError {
    let what = match e.classify() {
        Category::Eof => "unexpected end of input",
        _ => "syntax error",
    };
    GatewayError::new(
        ErrorKind::InvalidJson,
        format!(
            "request body is not valid JSON: {what} at line {} column {} ({e})",
            e.line(),
            e.column()
        ),
    )
}

fn to_error(e: serde_path_to_error::Error<serde_json::Error>) -> GatewayError {
    let path = e.path().to_string();
    let inner = e.inner();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => syntax_error(inner),
        Category::Data => {
            let msg = inner.to_string();
            // serde reports a missing field at the parent's path; name the field itself.
            let named = |field: &str| {
                if path == "." {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                }
            };
            let (param, text) = if let Some(field) = field_in(&msg, "missing field `") {
                let param = named(field);
                let text = format!("missing required parameter '{param}'");
                (param, text)
            } else if let Some(field) = field_in(&msg, "duplicate field `") {
                let param = named(field);
                let text = format!("parameter '{param}' is given more than once");
                (param, text)
            } else if path == "." {
                (
                    String::new(),
                    "request body must be a JSON object with `model` and `messages`".to_string(),
                )
            } else {
                let detail = strip_position(&msg);
                let text = format!("invalid value for '{path}': {detail}");
                (path, text)
            };
            let err = GatewayError::new(ErrorKind::InvalidRequest, text);
            if param.is_empty() {
                err
            } else {
                err.with_param(param)
            }
        }
    }
}

/// The field a serde "missing field `x`" or "duplicate field `x`" message names.
fn field_in<'a>(msg: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = msg.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// serde_json appends " at line X column Y" to data errors; the param already says where.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg),
        None => msg,
    }
}

fn check(req: &ChatRequest) -> Result<(), GatewayError> {
    if req.model.is_empty() {
        return Err(
            GatewayError::new(ErrorKind::InvalidRequest, "'model' must not be empty").with_param("model"),
        );
    }
    if req.messages.is_empty() {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            "'messages' must contain at least one message",
        )
        .with_param("messages"));
    }
    if req.n == Some(0) {
        return Err(GatewayError::new(ErrorKind::InvalidRequest, "'n' must be at least 1").with_param("n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> GatewayError {
        parse_chat_request(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_the_field() {
        // (body, kind, param)
        let cases: &[(&str, ErrorKind, Option<&str>)] = &[
            ("{", ErrorKind::InvalidJson, None),
            ("{\"model\": }", ErrorKind::InvalidJson, None),
            ("[]", ErrorKind::InvalidRequest, None),
            ("{\"messages\":[]}", ErrorKind::InvalidRequest, Some("model")),
            ("{\"model\":\"m\"}", ErrorKind::InvalidRequest, Some("messages")),
            ("{\"model\":\"m\",\"messages\":[]}", ErrorKind::InvalidRequest, Some("messages")),
            ("{\"model\":1,\"messages\":[]}", ErrorKind::InvalidRequest, Some("model")),
            ("{\"model\":\"m\",\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", ErrorKind::InvalidRequest, Some("messages[0].role")),
            ("{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", ErrorKind::InvalidRequest, Some("messages[0].role")),
            ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", ErrorKind::InvalidRequest, Some("messages[0].content")),
            ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", ErrorKind::InvalidRequest, Some("temperature")),
            ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", ErrorKind::InvalidRequest, Some("stream")),
            ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} x", ErrorKind::InvalidJson, None),
        ];
        for (body, kind, param) in cases {
            let e = err(body);
            assert_eq!(e.kind, *kind, "{body}: {}", e.message);
            assert_eq!(e.param.as_deref(), *param, "{body}: {}", e.message);
        }
    }

    #[test]
    fn syntax_errors_name_the_position() {
        let e = err("{\n  \"model\": \"m\",\n  oops\n}");
        assert!(e.message.contains("line 3"), "{}", e.message);
    }

    #[test]
    fn unknown_fields_survive_round_trip() {
        let body = r#"{"model":"m","messages":[{"role":"user","content":"hi","x_msg":{"k":[1,2]}}],"seed":7,"metadata":{"a":"b"},"parallel_tool_calls":false}"#;
        let req = parse_chat_request(body.as_bytes()).unwrap();
        let back: serde_json::Value = serde_json::to_value(&req).unwrap();
        let orig: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, orig);
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let mut body =
            String::from("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"x\":");
        body.push_str(&"[".repeat(100_000));
        let e = err(&body);
        assert_eq!(e.kind, ErrorKind::InvalidJson);
    }
}

#[cfg(test)]
mod hand_written_tests {
    use super::*;
    use crate::api::{Content, Role};

    fn msg(body: &str) -> (String, Option<String>) {
        let e = parse_chat_request(body.as_bytes()).unwrap_err();
        (e.message, e.param)
    }

    #[test]
    fn a_known_key_twice_is_refused_naming_it() {
        let (m, p) = msg(r#"{"model":"a","model":"b","messages":[{"role":"user","content":"x"}]}"#);
        assert_eq!(m, "parameter 'model' is given more than once");
        assert_eq!(p.as_deref(), Some("model"));
        let (m, p) = msg(r#"{"model":"a","messages":[{"role":"user","role":"system","content":"x"}]}"#);
        assert_eq!(m, "parameter 'messages[0].role' is given more than once");
        assert_eq!(p.as_deref(), Some("messages[0].role"));
    }

    #[test]
    fn bad_content_and_missing_role_name_the_place() {
        let (m, p) = msg(r#"{"model":"a","messages":[{"role":"user","content":{"text":"x"}}]}"#);
        assert_eq!(p.as_deref(), Some("messages[0].content"));
        assert!(
            m.contains("expected a string or an array of content parts"),
            "{m}"
        );
        let (m, p) = msg(r#"{"model":"a","messages":[{"role":"user"},{"content":"x"}]}"#);
        assert_eq!(p.as_deref(), Some("messages[1].role"));
        assert!(m.contains("missing required parameter 'messages[1].role'"), "{m}");
    }

    #[test]
    fn every_modelled_field_is_read_typed_and_round_trips() {
        let body = serde_json::json!({
            "model": "m", "messages": [{"role": "user", "content": "x", "name": "n",
                "tool_calls": [], "tool_call_id": "t"}],
            "stream": true, "stream_options": {"include_usage": true}, "max_tokens": 5,
            "max_completion_tokens": 6, "temperature": 0.5, "top_p": 0.9, "n": 2, "stop": ["s"],
            "presence_penalty": 0.1, "frequency_penalty": 0.2, "logprobs": true, "top_logprobs": 3,
            "logit_bias": {"1": 2}, "response_format": {"type": "json_object"}, "tools": [],
            "tool_choice": "auto", "reasoning_effort": "high"
        });
        let r = parse_chat_request(body.to_string().as_bytes()).unwrap();
        // A key spelt differently from its field would land in `extra` instead.
        assert!(r.extra.is_empty(), "{:?}", r.extra);
        assert!(r.messages[0].extra.is_empty(), "{:?}", r.messages[0].extra);
        assert_eq!(r.top_logprobs, Some(3));
        assert_eq!(r.reasoning_effort.as_deref(), Some("high"));
        assert_eq!(serde_json::to_value(&r).unwrap(), body);
    }

    #[test]
    fn content_forms_and_nulls_parse_as_before() {
        let body = r#"{"model":"a","messages":[
            {"role":"user","content":[{"type":"text","text":"a\n\"b\""},{"type":"image_url","image_url":{"url":"u"}}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"t"}]},
            {"role":"tool","content":"r\u00e9sum\u00e9","tool_call_id":"t"}],
            "temperature":null,"stop":["x"],"seed":1}"#;
        let r = parse_chat_request(body.as_bytes()).unwrap();
        assert!(matches!(&r.messages[0].content, Some(Content::Parts(p)) if p.len() == 2));
        assert_eq!(r.messages[0].text(), "a\n\"b\"");
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert!(r.messages[1].content.is_none());
        assert_eq!(r.messages[2].text(), "résumé");
        assert_eq!(r.temperature, None);
        assert_eq!(r.extra.get("seed"), Some(&serde_json::json!(1)));
        // The same value read from a `serde_json::Value` (the training and repair paths).
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(serde_json::from_value::<crate::api::ChatRequest>(v).unwrap(), r);
    }
}
