//! Structured-output enforcement: `response_format` (`json_object` / `json_schema`) and tool-call
//! arguments are checked against what the client declared, a bounded repair prompt is built for
//! invalid output, and the schema can be moved into the prompt for upstreams without native
//! structured outputs.
//!
//! Invariant: everything here is pure (no IO, no network, no clock) and total: no input, however
//! malformed, makes a function in this module panic. Client mistakes come back as [`SchemaError`]
//! (a 400 with a `param`), model mistakes as [`Violation`]s (repair, then a 502).
//!
//! Flow in the gateway:
//! 1. [`expectation`] reads `response_format` (400 on a bad schema); [`validate_tools`] compiles the
//!    declared tool parameter schemas (400 on a bad one). Both go through a shared [`SchemaCache`].
//! 2. Upstream without native structured outputs: [`strip_response_format`] +
//!    [`inject_instruction`] with the text of [`instruction_for`].
//! 3. Each returned assistant message goes through [`check_message`]; when `cleaned_content` is set,
//!    the gateway replaces the content with it; a `refusal` is passed through untouched.
//! 4. Violations: [`repair_request`] for at most N extra calls, then a 502 whose message is
//!    [`violations_message`].
//!
//! Decisions:
//! * Schemas are always compiled as JSON Schema draft 2020-12 (whatever `$schema` says), with
//!   `format` asserted (OpenAI enforces formats), and only local `$ref`s (`#/...`, `$id`-named
//!   subschemas inside the document): a remote or file `$ref` is a 400, never a fetch.
//! * `strict: true` (on `response_format.json_schema` or on a tool's `function`): breaking the
//!   structural rules of the OpenAI strict subset (root `type: object`, not an `anyOf`; every
//!   object `additionalProperties: false` with every property in `required`) is a 400 naming the
//!   schema paths, before any upstream call; keywords OpenAI has listed as unsupported in strict
//!   mode are only warnings ([`StrictReport::warnings`]), since that list shrinks over time and
//!   other upstreams accept them. Validation of output always uses the full schema.
//! * What counts as JSON in content (bare value, code fence, prose around an object/array) is
//!   specified on [`extract_json`]'s module, [`check`]: scalars are never picked out of prose.

pub mod check;
mod compile;
mod instance;
mod repair;
mod strict;

use std::fmt;
use std::sync::Arc;

pub use check::{check_message, extract_json, Extracted};
pub use compile::{expectation, validate_tools, Compiled, SchemaCache};
pub use instance::{example_instance, invalid_instance};
pub use repair::{inject_instruction, instruction_for, repair_request, strip_response_format};
pub use strict::{strict_subset, StrictReport};

/// How many violations [`violations_message`] spells out before summarising the rest.
pub const MESSAGE_VIOLATION_LIMIT: usize = 20;
/// Longest `reason` kept on a [`Violation`] (validator messages embed the offending value).
pub const REASON_LIMIT: usize = 300;

/// One way a model output breaks the declared format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the output: a JSON pointer into the content value (`""` is the whole value,
    /// `/risk_level`, `/items/0`), or for tool calls `tool_calls[i].arguments` followed by a JSON
    /// pointer into the arguments (`tool_calls[0].arguments/a`) or `tool_calls[i].function.name`.
    pub path: String,
    /// Why, in words (at most [`REASON_LIMIT`] characters plus an ellipsis).
    pub reason: String,
}

impl Violation {
    /// A violation with `reason` cut to [`REASON_LIMIT`] characters.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Violation {
            path: path.into(),
            reason: truncate(reason.into(), REASON_LIMIT),
        }
    }

    /// True for violations found in `tool_calls` (as opposed to the content).
    pub fn is_tool_call(&self) -> bool {
        self.path.starts_with("tool_calls[")
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// A client mistake in a schema or `response_format`: the gateway answers 400
/// `invalid_request_error` with this message and `param`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Human-readable reason, naming the problem (and the schema location when there is one).
    pub message: String,
    /// The request field at fault, OpenAI style: `response_format.type`,
    /// `response_format.json_schema.schema`, `tools[2].function.parameters`, ...
    pub param: String,
}

impl SchemaError {
    pub(crate) fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        SchemaError {
            message: truncate(message.into(), 2000),
            param: param.into(),
        }
    }

    /// The same error reported against another request field (the cache compiles a schema once,
    /// whatever field it came from).
    pub(crate) fn at(mut self, param: &str) -> Self {
        self.param = param.to_string();
        self
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.param, self.message)
    }
}

impl std::error::Error for SchemaError {}

/// What the client asked the assistant content to be.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// No `response_format`, or `{"type": "text"}`: content is not checked.
    None,
    /// `{"type": "json_object"}`: content must be a JSON object.
    JsonObject,
    /// `{"type": "json_schema", ...}`: content must validate against `schema` (draft 2020-12).
    JsonSchema {
        name: String,
        schema: Arc<Compiled>,
        strict: bool,
    },
}

impl Expectation {
    /// True when content is checked at all.
    pub fn is_none(&self) -> bool {
        matches!(self, Expectation::None)
    }
}

/// The outcome of [`check_message`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// Everything wrong with the message; empty when it is acceptable.
    pub violations: Vec<Violation>,
    /// The JSON text extracted from the content when the content needed unwrapping (code fence,
    /// surrounding prose); the gateway should put it in place of the content.
    pub cleaned_content: Option<String>,
    /// The model refused (`message.refusal` is set): nothing was checked, pass it through.
    pub refusal: bool,
}

impl Checked {
    /// True when the message can go to the client as is (or with `cleaned_content` swapped in).
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// The message of the 502 sent when output is still invalid after repair: the first
/// [`MESSAGE_VIOLATION_LIMIT`] violations as `path: reason`, then `and N more`. The length is
/// bounded (about 20 × [`REASON_LIMIT`] characters) whatever the input.
pub fn violations_message(v: &[Violation]) -> String {
    let mut out = format!(
        "The model's output does not match the requested format ({} violation{}): ",
        v.len(),
        if v.len() == 1 { "" } else { "s" }
    );
    for (i, violation) in v.iter().take(MESSAGE_VIOLATION_LIMIT).enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        let path = truncate(display_path(&violation.path).to_string(), 200);
        let reason = truncate(violation.reason.clone(), REASON_LIMIT);
        out.push_str(&path);
        out.push_str(": ");
        out.push_str(&reason);
    }
    if v.len() > MESSAGE_VIOLATION_LIMIT {
        out.push_str(&format!("; and {} more", v.len() - MESSAGE_VIOLATION_LIMIT));
    }
    if v.is_empty() {
        out.push_str("none");
    }
    out
}

/// Human form of a violation path: the whole content value (`""`) reads as `(root)`.
pub(crate) fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(root)"
    } else {
        path
    }
}

/// `s` cut to at most `max` characters (on a char boundary), with `…` appended when cut.
pub(crate) fn truncate(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some((idx, _)) => {
            let mut cut = s.get(..idx).unwrap_or_default().to_string();
            cut.push('…');
            cut
        }
    }
}

#[cfg(test)]
mod tests;
