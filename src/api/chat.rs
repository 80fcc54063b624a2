//! Chat Completions request shapes.
//!
//! Invariant: every field a client sends survives a parse/serialize round trip. Fields the gateway
//! understands are typed (so bad input gets a 400 naming the field); everything else lands in
//! `extra` and is forwarded untouched.
//!
//! `ChatRequest`, `Message` and `Content` deserialise by hand (see `de` below) rather than by
//! derive: the derive's `#[serde(flatten)]` and `#[serde(untagged)]` buffer the whole body into
//! serde's intermediate tree before reading a field, which made parsing the costliest step after
//! classification and rewrite on a cold CPU. The hand-written visitors read each field once, in
//! place, with the derive's errors (`missing field`, `duplicate field`, `invalid type`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A `POST /v1/chat/completions` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    /// A string or an array of strings; kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<Map<String, Value>>,
    /// `{"type":"text"|"json_object"|"json_schema", ...}`; kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<Value>,
    /// Tool declarations; kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// `low` | `medium` | `high` (servers may accept more); kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Every field the gateway does not model, forwarded untouched.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub role: Role,
    /// Absent or null on assistant messages that only carry tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Message author. Unknown roles are rejected with a 400 naming `messages[i].role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

/// Message content: a plain string or an array of typed parts (`{"type":"text","text":...}`,
/// `{"type":"image_url",...}`, ...). Parts are kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Value>),
}

impl Content {
    /// The text of this content: the string itself, or the `text` of every text part joined by
    /// newlines. Non-text parts (images, audio) contribute nothing.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Content::Text(s) => std::borrow::Cow::Borrowed(s.as_str()),
            Content::Parts(parts) => {
                let mut out = String::new();
                for part in parts {
                    if let Some(t) = part.get("text").and_then(Value::as_str) {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        out.push_str(t);
                    }
                }
                std::borrow::Cow::Owned(out)
            }
        }
    }
}

impl Message {
    /// Text of this message's content, empty when there is none.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.content {
            Some(c) => c.text(),
            None => std::borrow::Cow::Borrowed(""),
        }
    }

    /// A text message with the given role.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            extra: Map::new(),
        }
    }
}

impl ChatRequest {
    /// True when the client asked for a server-sent-event stream.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// The last message whose role is `user`, if any.
    pub fn last_user(&self) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.role == Role::User)
    }
}

mod de {
    //! Field-by-field visitors (see the module docs for why not derive).

    use super::{ChatRequest, Content, Message};
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};
    use std::fmt;

    /// Declares the known keys of an object: an enum with one variant per key and `Other` for
    /// the rest, read from the key string without allocating for known keys.
    macro_rules! keys {
        ($name:ident { $($variant:ident = $key:literal,)* }) => {
            // Duplicates are tracked in a `u32`, one bit per known key.
            const _: () = assert!([$($key,)*].len() <= 32, "more known keys than bits in the mask");

            enum $name {
                $($variant,)*
                Other(String),
            }

            impl $name {
                /// A known key's own bit (for duplicate detection) and its name; `None` for
                /// `Other`.
                fn known(&self) -> Option<(u32, &'static str)> {
                    // Numbers the keys in declaration order.
                    #[repr(u32)]
                    enum Position {
                        $($variant,)*
                    }
                    match self {
                        $($name::$variant => Some((1 << Position::$variant as u32, $key)),)*
                        $name::Other(_) => None,
                    }
                }
            }

            impl<'de> Deserialize<'de> for $name {
                fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    struct V;
                    impl<'de> Visitor<'de> for V {
                        type Value = $name;
                        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                            f.write_str("a field name")
                        }
                        fn visit_str<E: de::Error>(self, k: &str) -> Result<$name, E> {
                            Ok(match k {
                                $($key => $name::$variant,)*
                                _ => $name::Other(k.to_owned()),
                            })
                        }
                    }
                    d.deserialize_identifier(V)
                }
            }
        };
    }

    keys!(RequestKey {
        Model = "model",
        Messages = "messages",
        Stream = "stream",
        StreamOptions = "stream_options",
        MaxTokens = "max_tokens",
        MaxCompletionTokens = "max_completion_tokens",
        Temperature = "temperature",
        TopP = "top_p",
        N = "n",
        Stop = "stop",
        PresencePenalty = "presence_penalty",
        FrequencyPenalty = "frequency_penalty",
        Logprobs = "logprobs",
        TopLogprobs = "top_logprobs",
        LogitBias = "logit_bias",
        ResponseFormat = "response_format",
        Tools = "tools",
        ToolChoice = "tool_choice",
        ReasoningEffort = "reasoning_effort",
    });

    keys!(MessageKey {
        Role = "role",
        Content = "content",
        Name = "name",
        ToolCalls = "tool_calls",
        ToolCallId = "tool_call_id",
    });

    /// Records a known key as seen; one seen twice is the derive's `duplicate field` error.
    fn first_time<E: de::Error>(seen: &mut u32, known: Option<(u32, &'static str)>) -> Result<(), E> {
        if let Some((bit, name)) = known {
            if *seen & bit != 0 {
                return Err(E::duplicate_field(name));
            }
            *seen |= bit;
        }
        Ok(())
    }

    impl<'de> Deserialize<'de> for ChatRequest {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = ChatRequest;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a Chat Completions request object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChatRequest, A::Error> {
                    let mut r = ChatRequest::default();
                    let (mut model, mut messages) = (None, None);
                    let mut seen = 0u32;
                    while let Some(key) = map.next_key::<RequestKey>()? {
                        first_time(&mut seen, key.known())?;
                        match key {
                            RequestKey::Model => model = Some(map.next_value()?),
                            RequestKey::Messages => messages = Some(map.next_value()?),
                            RequestKey::Stream => r.stream = map.next_value()?,
                            RequestKey::StreamOptions => r.stream_options = map.next_value()?,
                            RequestKey::MaxTokens => r.max_tokens = map.next_value()?,
                            RequestKey::MaxCompletionTokens => r.max_completion_tokens = map.next_value()?,
                            RequestKey::Temperature => r.temperature = map.next_value()?,
                            RequestKey::TopP => r.top_p = map.next_value()?,
                            RequestKey::N => r.n = map.next_value()?,
                            RequestKey::Stop => r.stop = map.next_value()?,
                            RequestKey::PresencePenalty => r.presence_penalty = map.next_value()?,
                            RequestKey::FrequencyPenalty => r.frequency_penalty = map.next_value()?,
                            RequestKey::Logprobs => r.logprobs = map.next_value()?,
                            RequestKey::TopLogprobs => r.top_logprobs = map.next_value()?,
                            RequestKey::LogitBias => r.logit_bias = map.next_value()?,
                            RequestKey::ResponseFormat => r.response_format = map.next_value()?,
                            RequestKey::Tools => r.tools = map.next_value()?,
                            RequestKey::ToolChoice => r.tool_choice = map.next_value()?,
                            RequestKey::ReasoningEffort => r.reasoning_effort = map.next_value()?,
                            RequestKey::Other(k) => {
                                let v: Value = map.next_value()?;
                                r.extra.insert(k, v);
                            }
                        }
                    }
                    r.model = model.ok_or_else(|| de::Error::missing_field("model"))?;
                    r.messages = messages.ok_or_else(|| de::Error::missing_field("messages"))?;
                    // Exhaustive on purpose: a field added to `ChatRequest` stops the build here
                    // until it has a key above (else it would silently land in `extra`).
                    let ChatRequest {
                        model: _,
                        messages: _,
                        stream: _,
                        stream_options: _,
                        max_tokens: _,
                        max_completion_tokens: _,
                        temperature: _,
                        top_p: _,
                        n: _,
                        stop: _,
                        presence_penalty: _,
                        frequency_penalty: _,
                        logprobs: _,
                        top_logprobs: _,
                        logit_bias: _,
                        response_format: _,
                        tools: _,
                        tool_choice: _,
                        reasoning_effort: _,
                        extra: _,
                    } = &r;
                    Ok(r)
                }
            }
            d.deserialize_map(V)
        }
    }

    impl<'de> Deserialize<'de> for Message {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Message;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a message object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
                    let (mut role, mut content, mut name, mut tool_calls, mut tool_call_id) =
                        (None, None, None, None, None);
                    let mut extra = Map::new();
                    let mut seen = 0u32;
                    while let Some(key) = map.next_key::<MessageKey>()? {
                        first_time(&mut seen, key.known())?;
                        match key {
                            MessageKey::Role => role = Some(map.next_value()?),
                            MessageKey::Content => content = map.next_value()?,
                            MessageKey::Name => name = map.next_value()?,
                            MessageKey::ToolCalls => tool_calls = map.next_value()?,
                            MessageKey::ToolCallId => tool_call_id = map.next_value()?,
                            MessageKey::Other(k) => {
                                let v: Value = map.next_value()?;
                                extra.insert(k, v);
                            }
                        }
                    }
                    Ok(Message {
                        role: role.ok_or_else(|| de::Error::missing_field("role"))?,
                        content,
                        name,
                        tool_calls,
                        tool_call_id,
                        extra,
                    })
                }
            }
            d.deserialize_map(V)
        }
    }

    impl<'de> Deserialize<'de> for Content {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Content;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string or an array of content parts")
                }
                fn visit_str<E: de::Error>(self, s: &str) -> Result<Content, E> {
                    Ok(Content::Text(s.to_owned()))
                }
                fn visit_string<E: de::Error>(self, s: String) -> Result<Content, E> {
                    Ok(Content::Text(s))
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                    let mut parts = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                    while let Some(p) = seq.next_element::<Value>()? {
                        parts.push(p);
                    }
                    Ok(Content::Parts(parts))
                }
            }
            d.deserialize_any(V)
        }
    }
}
