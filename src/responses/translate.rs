//! PURE: Responses request -> Chat Completions request, and a chat completion -> Responses
//! `response` object. Lossless for what Chat Completions can express; anything else is a
//! [`TranslateError`] naming the field (`input[2].type`, `tools[0].type`), never a panic.
//!
//! Input items are normalised first ([`input_items`]): a string becomes one user message item,
//! so the store keeps one shape and `previous_response_id` prepends items to items.

use crate::api::{ChatRequest, Content, Message, Role, Usage};
use serde_json::{json, Map, Value};

/// Bad input for the translation: a 400 naming `param`.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslateError {
    pub param: String,
    pub message: String,
}

/// At most `n` characters of `s` (client text quoted in an error message).
fn cut(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn bad(param: impl Into<String>, message: impl Into<String>) -> TranslateError {
    TranslateError {
        param: param.into(),
        message: message.into(),
    }
}

/// How to treat what Chat Completions cannot express: refuse it (the upstream speaks chat), or
/// leave it out (the chat form is only read, by routing and admission, and the request goes to
/// a Responses upstream as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    Strict,
    Lenient,
}

/// The request's `input` as a list of items (each an object with a `type`): a string is one
/// user message; an item with a `role` and no `type` is a message.
pub fn input_items(req: &Map<String, Value>) -> Result<Vec<Value>, TranslateError> {
    match req.get("input") {
        Some(Value::String(s)) => Ok(vec![json!({
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": s}],
        })]),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Value::Object(obj) = item else {
                    return Err(bad(format!("input[{i}]"), "each input item must be an object"));
                };
                let mut obj = obj.clone();
                let ty = match obj.get("type") {
                    Some(Value::String(t)) => t.clone(),
                    None if obj.contains_key("role") => "message".to_string(),
                    _ => return Err(bad(format!("input[{i}].type"), "missing or invalid item type")),
                };
                match ty.as_str() {
                    "message" | "function_call" | "function_call_output" | "reasoning" => {}
                    "item_reference" if obj.get("id").is_some_and(Value::is_string) => {}
                    "item_reference" => {
                        return Err(bad(
                            format!("input[{i}].id"),
                            "an item_reference item needs the id of a stored item",
                        ))
                    }
                    other => {
                        return Err(bad(
                            format!("input[{i}].type"),
                            format!(
                                "unsupported input item type `{}`; expected message, function_call, \
                                 function_call_output, reasoning or item_reference",
                                cut(other, 100)
                            ),
                        ))
                    }
                }
                obj.insert("type".into(), Value::String(ty));
                out.push(Value::Object(obj));
            }
            Ok(out)
        }
        Some(_) => Err(bad(
            "input",
            "invalid value for 'input': expected a string or an array of items",
        )),
        None => Err(bad("input", "missing required parameter 'input'")),
    }
}

/// The id of the response an output item id of this gateway's (or its mock's) making belongs to:
/// `msg_S`, `rs_S` and `fc_S_N` are items of `resp_S`. `None` for other ids.
pub fn response_id_of_item(item_id: &str) -> Option<String> {
    let (prefix, rest) = item_id.split_once('_')?;
    if !matches!(prefix, "msg" | "rs" | "fc") {
        return None;
    }
    let suffix = rest.split('_').next().filter(|s| !s.is_empty())?;
    Some(format!("resp_{suffix}"))
}

/// Replace each `item_reference` in `items` by the item `lookup` finds for its id; those it
/// cannot find are left as they are (a Responses upstream may hold them; for a chat upstream
/// [`to_chat`] refuses them).
pub fn resolve_references(items: &mut [Value], lookup: impl Fn(&str) -> Option<Value>) {
    for item in items.iter_mut() {
        if item.get("type").and_then(Value::as_str) != Some("item_reference") {
            continue;
        }
        if let Some(found) = item.get("id").and_then(Value::as_str).and_then(&lookup) {
            *item = found;
        }
    }
}

/// The Chat Completions request for a Responses request `req` whose input is `items` (already
/// normalised, the stored conversation of `previous_response_id` prepended).
pub fn to_chat(
    req: &Map<String, Value>,
    items: &[Value],
    strictness: Strictness,
) -> Result<ChatRequest, TranslateError> {
    let model = match req.get("model") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(bad("model", "invalid value for 'model': expected a string")),
        None => return Err(bad("model", "missing required parameter 'model'")),
    };
    if req.get("background").and_then(Value::as_bool) == Some(true) {
        return Err(bad(
            "background",
            "background mode is not supported by this gateway yet",
        ));
    }
    let mut chat = ChatRequest {
        model,
        ..ChatRequest::default()
    };
    match req.get("instructions") {
        Some(Value::String(s)) => chat.messages.push(Message::new(Role::System, s.clone())),
        None | Some(Value::Null) => {}
        Some(_) => {
            return Err(bad(
                "instructions",
                "invalid value for 'instructions': expected a string",
            ))
        }
    }
    for (i, item) in items.iter().enumerate() {
        if strictness == Strictness::Strict
            && item.get("type").and_then(Value::as_str) == Some("item_reference")
        {
            let id = item.get("id").and_then(Value::as_str).unwrap_or("");
            return Err(bad(
                format!("input[{i}].id"),
                format!(
                    "no item with id '{}' is stored for your team (items are kept with their \
                     response for a limited time); send the item itself instead",
                    cut(id, 100)
                ),
            ));
        }
        item_to_messages(&mut chat.messages, i, item)?;
    }
    if let Some(tools) = req.get("tools") {
        chat.tools = translate_tools(tools, strictness)?;
    }
    if let Some(tc) = req.get("tool_choice") {
        chat.tool_choice = Some(translate_tool_choice(tc, strictness)?);
    }
    if let Some(format) = req.get("text").and_then(|t| t.get("format")) {
        chat.response_format = translate_format(format)?;
    }
    match req.get("reasoning").and_then(|r| r.get("effort")) {
        Some(Value::String(e)) => chat.reasoning_effort = Some(e.clone()),
        None | Some(Value::Null) => {}
        Some(_) => return Err(bad("reasoning.effort", "invalid value: expected a string")),
    }
    if strictness == Strictness::Strict {
        check_summary(req)?;
        check_include(req)?;
    }
    chat.max_completion_tokens = number(req, "max_output_tokens")?.map(|n| n as u64);
    chat.temperature = number(req, "temperature")?;
    chat.top_p = number(req, "top_p")?;
    chat.stream = req.get("stream").and_then(Value::as_bool);
    for key in ["user", "parallel_tool_calls", "service_tier"] {
        if let Some(v) = req.get(key) {
            chat.extra.insert(key.into(), v.clone());
        }
    }
    Ok(chat)
}

/// `reasoning.summary` (and its older name `generate_summary`) for a chat upstream: Chat
/// Completions has no reasoning summaries. `"auto"` asks for the best summary the model has and
/// may get none (as OpenAI's own models without summaries answer), so it is accepted and the
/// response carries none; `"concise"` and `"detailed"` demand one: a 400 naming the field.
fn check_summary(req: &Map<String, Value>) -> Result<(), TranslateError> {
    let Some(Value::Object(r)) = req.get("reasoning") else {
        return Ok(());
    };
    for key in ["summary", "generate_summary"] {
        match r.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s == "auto" => {}
            Some(Value::String(s)) if s == "concise" || s == "detailed" => {
                return Err(bad(
                    format!("reasoning.{key}"),
                    format!(
                        "reasoning summaries ('{s}') are not available from this model's upstream, \
                         which speaks Chat Completions: leave reasoning.{key} out (or set it to \
                         'auto', which returns none), or use a model whose upstream speaks the \
                         Responses API"
                    ),
                ))
            }
            Some(_) => {
                return Err(bad(
                    format!("reasoning.{key}"),
                    "invalid value: expected auto, concise or detailed",
                ))
            }
        }
    }
    Ok(())
}

/// What `include` may ask of a chat upstream. Input image URLs are in the stored input items
/// anyway; encrypted reasoning, and the outputs of hosted tools (which a chat upstream never
/// runs: such tools are refused), have nothing to include, as for OpenAI's own models without
/// them. Log probabilities of the output text are not translated back: a 400 naming the field,
/// as for an unknown value (OpenAI refuses those too).
const INCLUDE_NOTHING_TO_ADD: &[&str] = &[
    "message.input_image.image_url",
    "reasoning.encrypted_content",
    "web_search_call.action.sources",
    "web_search_call.results",
    "code_interpreter_call.outputs",
    "computer_call_output.output.image_url",
    "file_search_call.results",
];

fn check_include(req: &Map<String, Value>) -> Result<(), TranslateError> {
    let items = match req.get("include") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(bad(
                "include",
                "invalid value for 'include': expected an array of strings",
            ))
        }
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(v) if INCLUDE_NOTHING_TO_ADD.contains(&v) => {}
            Some("message.output_text.logprobs") => {
                return Err(bad(
                    format!("include[{i}]"),
                    "output log probabilities ('message.output_text.logprobs') are not \
                     available through this gateway from an upstream that speaks Chat \
                     Completions: leave it out, or use a model whose upstream speaks the \
                     Responses API",
                ))
            }
            Some(v) => {
                return Err(bad(
                    format!("include[{i}]"),
                    format!("unsupported value for 'include': '{}'", cut(v, 100)),
                ))
            }
            None => {
                return Err(bad(
                    format!("include[{i}]"),
                    "invalid value for 'include': expected an array of strings",
                ))
            }
        }
    }
    Ok(())
}

fn number(req: &Map<String, Value>, key: &str) -> Result<Option<f64>, TranslateError> {
    match req.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().filter(|n| *n >= 0.0).map(Some).ok_or_else(|| {
            bad(
                key,
                format!("invalid value for '{key}': expected a non-negative number"),
            )
        }),
    }
}

/// One input item as chat messages (a `reasoning` item is dropped: chat cannot carry it back).
fn item_to_messages(out: &mut Vec<Message>, i: usize, item: &Value) -> Result<(), TranslateError> {
    let field = |k: &str| item.get(k).and_then(Value::as_str);
    match field("type").unwrap_or("message") {
        "message" => {
            let role = match field("role") {
                Some("user") => Role::User,
                Some("assistant") => Role::Assistant,
                Some("system") => Role::System,
                Some("developer") => Role::Developer,
                _ => {
                    return Err(bad(
                        format!("input[{i}].role"),
                        "expected user, assistant, system or developer",
                    ))
                }
            };
            let content = match item.get("content") {
                Some(Value::String(s)) => Content::Text(s.clone()),
                Some(Value::Array(parts)) => {
                    let mut out_parts = Vec::with_capacity(parts.len());
                    for (j, p) in parts.iter().enumerate() {
                        out_parts.push(translate_part(p, &format!("input[{i}].content[{j}]"))?);
                    }
                    // Assistant turns go back as plain text (chat servers expect it there).
                    if role == Role::Assistant {
                        Content::Text(Content::Parts(out_parts).text().into_owned())
                    } else {
                        Content::Parts(out_parts)
                    }
                }
                _ => {
                    return Err(bad(
                        format!("input[{i}].content"),
                        "expected a string or an array of parts",
                    ))
                }
            };
            let mut m = Message::new(role, "");
            m.content = Some(content);
            out.push(m);
        }
        "function_call" => {
            let (Some(call_id), Some(name)) = (field("call_id"), field("name")) else {
                return Err(bad(
                    format!("input[{i}]"),
                    "a function_call item needs call_id and name",
                ));
            };
            let call = json!({
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": field("arguments").unwrap_or("{}")},
            });
            // Consecutive calls are one assistant turn with several tool calls.
            match out.last_mut() {
                Some(m) if m.role == Role::Assistant && m.tool_calls.is_some() => {
                    if let Some(calls) = m.tool_calls.as_mut() {
                        calls.push(call);
                    }
                }
                _ => {
                    let mut m = Message::new(Role::Assistant, "");
                    m.content = None;
                    m.tool_calls = Some(vec![call]);
                    out.push(m);
                }
            }
        }
        "function_call_output" => {
            let Some(call_id) = field("call_id") else {
                return Err(bad(
                    format!("input[{i}].call_id"),
                    "a function_call_output item needs call_id",
                ));
            };
            let output = match item.get("output") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            let mut m = Message::new(Role::Tool, output);
            m.tool_call_id = Some(call_id.to_string());
            out.push(m);
        }
        // Reasoning items are passed back by clients for Responses upstreams; chat has no place
        // for them.
        _ => {}
    }
    Ok(())
}

fn translate_part(p: &Value, path: &str) -> Result<Value, TranslateError> {
    match p.get("type").and_then(Value::as_str) {
        Some("input_text" | "output_text" | "text") => Ok(json!({
            "type": "text",
            "text": p.get("text").and_then(Value::as_str).unwrap_or(""),
        })),
        Some("refusal") => Ok(json!({
            "type": "text",
            "text": p.get("refusal").and_then(Value::as_str).unwrap_or(""),
        })),
        Some("input_image") => {
            let Some(url) = p.get("image_url").and_then(Value::as_str) else {
                return Err(bad(
                    format!("{path}.image_url"),
                    "an input_image part needs image_url (file_id is not supported)",
                ));
            };
            let mut image = json!({"url": url});
            if let Some(d) = p.get("detail") {
                image["detail"] = d.clone();
            }
            Ok(json!({"type": "image_url", "image_url": image}))
        }
        other => Err(bad(
            format!("{path}.type"),
            format!(
                "unsupported content part type `{}`",
                cut(other.unwrap_or("none"), 100)
            ),
        )),
    }
}

fn translate_tools(tools: &Value, strictness: Strictness) -> Result<Option<Vec<Value>>, TranslateError> {
    let Value::Array(list) = tools else {
        return Err(bad("tools", "invalid value for 'tools': expected an array"));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        match t.get("type").and_then(Value::as_str) {
            Some("function") => {
                let Some(name) = t.get("name").and_then(Value::as_str) else {
                    return Err(bad(format!("tools[{i}].name"), "a function tool needs a name"));
                };
                let mut f = Map::new();
                f.insert("name".into(), Value::String(name.into()));
                for k in ["description", "parameters", "strict"] {
                    if let Some(v) = t.get(k).filter(|v| !v.is_null()) {
                        f.insert(k.into(), v.clone());
                    }
                }
                out.push(json!({"type": "function", "function": f}));
            }
            other if strictness == Strictness::Strict => {
                return Err(bad(
                    format!("tools[{i}].type"),
                    format!(
                        "tool type `{}` is not supported by this model's upstream, which speaks Chat \
                         Completions; only function tools can be translated",
                        cut(other.unwrap_or("none"), 100)
                    ),
                ))
            }
            _ => {}
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

fn translate_tool_choice(tc: &Value, strictness: Strictness) -> Result<Value, TranslateError> {
    match tc {
        Value::String(s) if matches!(s.as_str(), "auto" | "none" | "required") => Ok(tc.clone()),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("function") => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            Ok(json!({"type": "function", "function": {"name": name}}))
        }
        _ if strictness == Strictness::Lenient => Ok(Value::String("auto".into())),
        _ => Err(bad(
            "tool_choice",
            "unsupported tool_choice for an upstream that speaks Chat Completions; expected auto, none, \
             required or a function",
        )),
    }
}

fn translate_format(format: &Value) -> Result<Option<Value>, TranslateError> {
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(None),
        Some("json_object") => Ok(Some(json!({"type": "json_object"}))),
        Some("json_schema") => {
            let mut js = Map::new();
            for k in ["name", "schema", "strict", "description"] {
                if let Some(v) = format.get(k).filter(|v| !v.is_null()) {
                    js.insert(k.into(), v.clone());
                }
            }
            if !js.contains_key("schema") {
                return Err(bad("text.format.schema", "a json_schema format needs a schema"));
            }
            js.entry("name")
                .or_insert_with(|| Value::String("response".into()));
            Ok(Some(json!({"type": "json_schema", "json_schema": js})))
        }
        _ => Err(bad(
            "text.format.type",
            "expected text, json_object or json_schema",
        )),
    }
}

/// What a response object echoes of its request, and its identity.
#[derive(Debug, Clone)]
pub struct Echo {
    /// `resp_...`; the item ids derive from its suffix.
    pub id: String,
    pub created_at: u64,
    /// The request's fields the response repeats (instructions, tools, metadata, ...).
    pub fields: Map<String, Value>,
}

impl Echo {
    /// The echo of request `req`, under `id` (a suffix from [`super::new_id_suffix`]).
    pub fn of(req: &Map<String, Value>, suffix: &str, created_at: u64) -> Echo {
        let mut fields = Map::new();
        for k in [
            "instructions",
            "tools",
            "tool_choice",
            "text",
            "temperature",
            "top_p",
            "max_output_tokens",
            "metadata",
            "previous_response_id",
            "reasoning",
            "parallel_tool_calls",
            "user",
        ] {
            fields.insert(k.into(), req.get(k).cloned().unwrap_or(Value::Null));
        }
        fields.insert(
            "store".into(),
            Value::Bool(req.get("store").and_then(Value::as_bool) != Some(false)),
        );
        if !matches!(fields.get("tools"), Some(Value::Array(_))) {
            fields.insert("tools".into(), json!([]));
        }
        if fields.get("tool_choice").is_some_and(Value::is_null) {
            fields.insert("tool_choice".into(), json!("auto"));
        }
        if fields.get("metadata").is_some_and(Value::is_null) {
            fields.insert("metadata".into(), json!({}));
        }
        if fields.get("text").is_some_and(Value::is_null) {
            fields.insert("text".into(), json!({"format": {"type": "text"}}));
        }
        if fields.get("parallel_tool_calls").is_some_and(Value::is_null) {
            fields.insert("parallel_tool_calls".into(), json!(true));
        }
        Echo {
            id: format!("resp_{suffix}"),
            created_at,
            fields,
        }
    }

    pub fn suffix(&self) -> &str {
        self.id.strip_prefix("resp_").unwrap_or(&self.id)
    }

    /// The `response` object around `output`, with `status` and `usage`.
    pub fn response(&self, model: &str, status: &str, output: Vec<Value>, usage: Option<&Usage>) -> Value {
        let mut r = Map::new();
        r.insert("id".into(), Value::String(self.id.clone()));
        r.insert("object".into(), json!("response"));
        r.insert("created_at".into(), json!(self.created_at));
        r.insert("status".into(), json!(status));
        r.insert("error".into(), Value::Null);
        r.insert(
            "incomplete_details".into(),
            if status == "incomplete" {
                json!({"reason": "max_output_tokens"})
            } else {
                Value::Null
            },
        );
        r.insert("model".into(), json!(model));
        r.insert("output".into(), Value::Array(output));
        for (k, v) in &self.fields {
            r.insert(k.clone(), v.clone());
        }
        r.insert("usage".into(), usage.map_or(Value::Null, usage_to_responses));
        Value::Object(r)
    }
}

/// A message output item holding `text`.
pub fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({
        "type": "message",
        "id": id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    })
}

/// The reasoning text a chat message (or stream delta) carries, which Chat Completions itself
/// does not define but OpenAI-compatible servers add: `reasoning_content` (vLLM's reasoning
/// parsers, DeepSeek, llama.cpp) or `reasoning` (newer vLLM). Empty text counts as none.
pub fn chat_reasoning(message: &Value) -> Option<&str> {
    ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| message.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// A reasoning output item holding the upstream's reasoning `text` as `reasoning_text` content
/// (raw reasoning, not a summary: `summary` stays empty).
pub fn reasoning_item(id: &str, text: &str, status: &str) -> Value {
    json!({
        "type": "reasoning",
        "id": id,
        "status": status,
        "summary": [],
        "content": [{"type": "reasoning_text", "text": text}],
    })
}

/// A function call output item.
pub fn function_call_item(id: &str, call_id: &str, name: &str, arguments: &str, status: &str) -> Value {
    json!({
        "type": "function_call",
        "id": id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    })
}

/// The Responses `response` object for a whole chat completion `chat` (its first choice).
pub fn response_from_chat(chat: &Value, echo: &Echo) -> Value {
    let choice = chat.get("choices").and_then(|c| c.get(0));
    let message = choice.and_then(|c| c.get("message"));
    let mut output = Vec::new();
    if let Some(r) = message.and_then(chat_reasoning) {
        output.push(reasoning_item(&format!("rs_{}", echo.suffix()), r, "completed"));
    }
    let text = message
        .and_then(|m| m.get("content"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !text.is_empty() {
        output.push(message_item(&format!("msg_{}", echo.suffix()), text, "completed"));
    }
    if let Some(Value::Array(calls)) = message.and_then(|m| m.get("tool_calls")) {
        for (i, c) in calls.iter().enumerate() {
            let f = c.get("function");
            let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
            output.push(function_call_item(
                &format!("fc_{}_{i}", echo.suffix()),
                &s(c.get("id")),
                &s(f.and_then(|f| f.get("name"))),
                &s(f.and_then(|f| f.get("arguments"))),
                "completed",
            ));
        }
    }
    let status = match choice
        .and_then(|c| c.get("finish_reason"))
        .and_then(Value::as_str)
    {
        Some("length") => "incomplete",
        _ => "completed",
    };
    let usage = chat
        .get("usage")
        .and_then(|u| serde_json::from_value::<Usage>(u.clone()).ok());
    let model = chat.get("model").and_then(Value::as_str).unwrap_or("");
    echo.response(model, status, output, usage.as_ref())
}

/// Chat usage in the Responses shape.
pub fn usage_to_responses(u: &Usage) -> Value {
    json!({
        "input_tokens": u.prompt_tokens,
        "input_tokens_details": {
            "cached_tokens": u.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens),
        },
        "output_tokens": u.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": u.reasoning_tokens()},
        "total_tokens": u.prompt_tokens + u.completion_tokens,
    })
}

/// A Responses `usage` object as chat usage (what accounting counts); `None` unless it has
/// token counts.
pub fn usage_from_responses(u: &Value) -> Option<Usage> {
    let n = |v: Option<&Value>| v.and_then(Value::as_u64);
    let input = n(u.get("input_tokens"))?;
    let output = n(u.get("output_tokens")).unwrap_or(0);
    let reasoning = n(u.pointer("/output_tokens_details/reasoning_tokens")).unwrap_or(0);
    let cached = n(u.pointer("/input_tokens_details/cached_tokens")).unwrap_or(0);
    Some(Usage {
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: input + output,
        completion_tokens_details: (reasoning > 0).then_some(crate::api::CompletionTokensDetails {
            reasoning_tokens: reasoning,
        }),
        prompt_tokens_details: (cached > 0).then_some(crate::api::PromptTokensDetails {
            cached_tokens: cached,
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn req(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn chat_of(v: Value) -> Result<Value, TranslateError> {
        let r = req(v);
        let items = input_items(&r)?;
        to_chat(&r, &items, Strictness::Strict).map(|c| serde_json::to_value(c).unwrap())
    }

    #[test]
    fn requests_translate_to_chat() {
        let cases: Vec<(Value, Value)> = vec![
            (
                json!({"model":"m","input":"hi","instructions":"be brief","max_output_tokens":50}),
                json!({"model":"m","messages":[{"role":"system","content":"be brief"},
                    {"role":"user","content":[{"type":"text","text":"hi"}]}],"max_completion_tokens":50}),
            ),
            (
                json!({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"look"},
                    {"type":"input_image","image_url":"http://x/a.png"}]}]}),
                json!({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"look"},
                    {"type":"image_url","image_url":{"url":"http://x/a.png"}}]}]}),
            ),
            (
                json!({"model":"m","input":[{"type":"reasoning","id":"rs_1","summary":[]},
                    {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
                    {"type":"function_call_output","call_id":"c1","output":"42"}],
                    "tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],
                    "tool_choice":{"type":"function","name":"f"},"reasoning":{"effort":"low"}}),
                json!({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c1","type":"function",
                    "function":{"name":"f","arguments":"{}"}}]},{"role":"tool","content":"42","tool_call_id":"c1"}],
                    "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
                    "tool_choice":{"type":"function","function":{"name":"f"}},"reasoning_effort":"low"}),
            ),
            (
                json!({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"p","schema":{"type":"object"},"strict":true}}}),
                json!({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],
                    "response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}}}),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(chat_of(input.clone()).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            (json!({"model":"m"}), "input"),
            (json!({"input":"x"}), "model"),
            (
                json!({"model":"m","input":[{"type":"computer_call"}]}),
                "input[0].type",
            ),
            (json!({"model":"m","input":[7]}), "input[0]"),
            (
                json!({"model":"m","input":"x","tools":[{"type":"web_search"}]}),
                "tools[0].type",
            ),
            (
                json!({"model":"m","input":[{"role":"user","content":[{"type":"input_file"}]}]}),
                "input[0].content[0].type",
            ),
            (
                json!({"model":"m","input":"x","temperature":"hot"}),
                "temperature",
            ),
            (json!({"model":"m","input":"x","background":true}), "background"),
            (
                json!({"model":"m","input":"x","reasoning":{"summary":"detailed"}}),
                "reasoning.summary",
            ),
            (
                json!({"model":"m","input":"x","reasoning":{"generate_summary":"concise"}}),
                "reasoning.generate_summary",
            ),
            (
                json!({"model":"m","input":"x","reasoning":{"summary":7}}),
                "reasoning.summary",
            ),
        ];
        for (input, param) in cases {
            assert_eq!(chat_of(input.clone()).unwrap_err().param, param, "{input}");
        }
        // An item_reference needs an id; one left unresolved cannot go to a chat upstream.
        let r = req(json!({"model":"m","input":[{"type":"item_reference"}]}));
        assert_eq!(input_items(&r).unwrap_err().param, "input[0].id");
        let r = req(json!({"model":"m","input":[{"role":"user","content":"hi"},
            {"type":"item_reference","id":"msg_x"}]}));
        let items = input_items(&r).unwrap();
        assert_eq!(
            to_chat(&r, &items, Strictness::Strict).unwrap_err().param,
            "input[1].id"
        );
        assert!(to_chat(&r, &items, Strictness::Lenient).is_ok());
        // Lenient translation (a Responses upstream) leaves other tools out instead.
        let r = req(json!({"model":"m","input":"x","tools":[{"type":"web_search"}]}));
        let c = to_chat(&r, &input_items(&r).unwrap(), Strictness::Lenient).unwrap();
        assert!(c.tools.is_none());
        // A summary is the Responses upstream's to give; `auto` may get none from a chat one.
        let r = req(json!({"model":"m","input":"x","reasoning":{"effort":"high","summary":"detailed"}}));
        assert!(to_chat(&r, &input_items(&r).unwrap(), Strictness::Lenient).is_ok());
        let auto = chat_of(json!({"model":"m","input":"x","reasoning":{"effort":"high","summary":"auto"}}));
        assert_eq!(auto.unwrap()["reasoning_effort"], "high");
    }

    #[test]
    fn item_references_resolve_to_stored_items() {
        assert_eq!(response_id_of_item("msg_abc").as_deref(), Some("resp_abc"));
        assert_eq!(response_id_of_item("rs_abc").as_deref(), Some("resp_abc"));
        assert_eq!(response_id_of_item("fc_abc_2").as_deref(), Some("resp_abc"));
        assert_eq!(response_id_of_item("item_abc"), None);
        assert_eq!(response_id_of_item("msg_"), None);
        let mut items = vec![
            json!({"type":"item_reference","id":"msg_abc"}),
            json!({"type":"item_reference","id":"msg_gone"}),
            json!({"type":"message","role":"user","content":"next"}),
        ];
        let stored = message_item("msg_abc", "earlier answer", "completed");
        resolve_references(&mut items, |id| (id == "msg_abc").then(|| stored.clone()));
        assert_eq!(items[0], stored);
        assert_eq!(items[1]["type"], "item_reference");
        assert_eq!(items[2]["content"], "next");
    }

    #[test]
    fn chat_completion_becomes_a_response() {
        let r = req(json!({"model":"m","input":"x","metadata":{"k":"v"}}));
        let echo = Echo::of(&r, "abc", 7);
        let chat = json!({"model":"up","choices":[{"message":{"role":"assistant","content":"hello",
            "tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
            "finish_reason":"tool_calls"}],
            "usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8,"completion_tokens_details":{"reasoning_tokens":2}}});
        let resp = response_from_chat(&chat, &echo);
        assert_eq!(resp["id"], "resp_abc");
        assert_eq!(resp["status"], "completed");
        assert_eq!(resp["metadata"], json!({"k":"v"}));
        assert_eq!(resp["output"][0]["content"][0]["text"], "hello");
        assert_eq!(resp["output"][1]["call_id"], "c1");
        assert_eq!(resp["usage"]["output_tokens_details"]["reasoning_tokens"], 2);
        assert_eq!(resp["usage"]["total_tokens"], 8);
        let u = usage_from_responses(&resp["usage"]).unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.reasoning_tokens()),
            (3, 5, 2)
        );
        let cut = json!({"model":"up","choices":[{"message":{"content":"he"},"finish_reason":"length"}]});
        assert_eq!(response_from_chat(&cut, &echo)["status"], "incomplete");
    }
}
