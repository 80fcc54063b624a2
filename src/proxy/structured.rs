//! Structured outputs in the request path: a client's schema is compiled (400 when it is
//! broken), moved into the prompt for upstreams without native structured outputs, and every
//! answer is checked on the way back — content against `response_format`, tool-call arguments
//! against the declared tools — with a bounded repair and a clear 502 when it stays invalid.
//!
//! Streaming with a schema or tools: the gateway calls the upstream without streaming, enforces
//! (and repairs) the answer, then replays it as SSE. The client gets a valid stream or a clean
//! error, never content that is later declared invalid; the cost is that the first byte waits
//! for the whole validated answer.

use super::ctx::RequestCtx;
use super::relay::Answer;
use crate::api::{ChatRequest, Usage};
use crate::config::{ModelConfig, ModelKind};
use crate::error::{ErrorKind, GatewayError};
use crate::schema::{
    check_message, expectation, inject_instruction, instruction_for, repair_request, strip_response_format,
    validate_tools, violations_message, Expectation, SchemaError,
};
use crate::upstream::resilience::Candidate;
use crate::upstream::Endpoint;
use bytes::Bytes;
use http::HeaderValue;
use serde_json::Value;
use tracing::field::Empty;
use tracing::Instrument;

/// What a request declared about its answer's structure.
pub struct Structured {
    pub exp: Expectation,
    pub tools: Option<Vec<Value>>,
    /// The schema moved into the prompt (an upstream without native structured outputs).
    pub changed: bool,
}

fn client_error(e: SchemaError) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidRequest, e.message).with_param(e.param)
}

/// Compile the declared schemas and adapt the request for the serving model. Returns what to
/// enforce (`None`: nothing declared), and whether the request changed.
pub fn prepare(
    ctx: &RequestCtx<'_>,
    chat: &mut ChatRequest,
    model: &ModelConfig,
) -> Result<Option<Structured>, GatewayError> {
    let state = ctx.state;
    let exp = expectation(chat, &state.schemas).map_err(client_error)?;
    validate_tools(chat, &state.schemas).map_err(client_error)?;
    let has_tools = chat.tools.as_ref().is_some_and(|t| !t.is_empty());
    if matches!(exp, Expectation::None) && !has_tools {
        return Ok(None);
    }
    let native = match model.structured_outputs {
        Some(b) => b,
        None => {
            model.kind != ModelKind::Reasoning
                || crate::rewrite::resolve_profile(&model.upstream_model, &state.config.reasoning_profiles)
                    .supports_structured_output
        }
    };
    let mut changed = false;
    if !native {
        if let Some(text) = instruction_for(&exp) {
            strip_response_format(chat);
            inject_instruction(chat, &text);
            changed = true;
        }
    }
    Ok(Some(Structured {
        exp,
        tools: chat.tools.clone(),
        changed,
    }))
}

fn add_usage(total: &mut Usage, u: &Usage) {
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
}

/// Check every choice of a successful `answer` to `sent`; repair at most the policy's
/// `max_repairs` times on the deployment that answered (`served_by`), each repair call under the
/// request's exchange: its deadline, its request id, breakers and retries. On success the answer
/// is the valid (or repaired) one, its usage includes the repairs', and the result is `valid`
/// or `repaired`; on failure the answer still holds the first call's usage, to account for.
pub async fn enforce(
    ctx: &mut RequestCtx<'_>,
    s: &Structured,
    sent: &ChatRequest,
    served_by: &Candidate,
    answer: &mut Answer,
) -> Result<&'static str, GatewayError> {
    let span = crate::telemetry::stage_span!(
        "gearbox.schema",
        gearbox.schema.result = Empty,
        gearbox.schema.repairs = Empty,
        gearbox.schema.violations = Empty,
        error.type = Empty,
    );
    let result = enforce_in(ctx, s, sent, served_by, answer, &span)
        .instrument(span.clone())
        .await;
    if !span.is_disabled() {
        match &result {
            Ok(r) => span.record("gearbox.schema.result", *r),
            Err(e) if e.kind == ErrorKind::SchemaViolation => span
                .record("gearbox.schema.result", "invalid")
                .record("error.type", e.kind.code()),
            Err(e) => span.record("error.type", e.kind.code()),
        };
    }
    result
}

async fn enforce_in(
    ctx: &mut RequestCtx<'_>,
    s: &Structured,
    sent: &ChatRequest,
    served_by: &Candidate,
    answer: &mut Answer,
    span: &tracing::Span,
) -> Result<&'static str, GatewayError> {
    let state = ctx.state;
    let max_repairs = ctx.policy.max_repairs;
    let mut body = answer.body.clone();
    let mut repairs = 0u32;
    let mut repair_usage = Usage::default();
    let mut repair_wait = std::time::Duration::ZERO;
    // Repairs go to the deployment that gave the invalid answer, as a primary (no fallback).
    let repairer = Candidate {
        fallback: false,
        ..served_by.clone()
    };
    loop {
        let mut v: Value = serde_json::from_slice(&body).map_err(|e| {
            GatewayError::new(ErrorKind::UpstreamProtocol, "upstream answer is not JSON").with_source(e)
        })?;
        let mut bad: Option<(Value, Vec<crate::schema::Violation>)> = None;
        let mut cleaned = false;
        if let Some(choices) = v.get_mut("choices").and_then(Value::as_array_mut) {
            for choice in choices.iter_mut() {
                let Some(msg) = choice.get("message") else {
                    continue;
                };
                let checked = check_message(msg, &s.exp, s.tools.as_deref(), &state.schemas);
                if checked.refusal {
                    continue;
                }
                if !checked.violations.is_empty() {
                    bad = Some((msg.clone(), checked.violations));
                    break;
                }
                if let (Some(text), Some(m)) = (checked.cleaned_content, choice.get_mut("message")) {
                    m["content"] = Value::String(text);
                    cleaned = true;
                }
            }
        }
        let Some((bad_message, violations)) = bad else {
            span.record("gearbox.schema.repairs", i64::from(repairs));
            let result = if repairs > 0 { "repaired" } else { "valid" };
            if repairs > 0 {
                state.metrics.record_schema_repair("success");
            }
            state.metrics.record_schema(result);
            if cleaned {
                body = Bytes::from(serde_json::to_vec(&v).unwrap_or_else(|_| body.to_vec()));
            }
            answer.body = body;
            if let Some(u) = answer.usage.as_mut() {
                add_usage(u, &repair_usage);
            }
            // Repair calls are upstream time, not gateway overhead.
            ctx.info.upstream_wait += repair_wait;
            return Ok(result);
        };
        if repairs > 0 {
            state.metrics.record_schema_repair("failure");
        }
        if repairs >= max_repairs {
            span.record("gearbox.schema.repairs", i64::from(repairs));
            span.record(
                "gearbox.schema.violations",
                crate::telemetry::len(violations.len()),
            );
            state.metrics.record_schema("invalid");
            let mut h = http::HeaderMap::new();
            h.insert("x-gearbox-schema", HeaderValue::from_static("invalid"));
            let after = if repairs > 0 {
                format!(" (after {repairs} repair attempt(s))")
            } else {
                String::new()
            };
            return Err(GatewayError::new(
                ErrorKind::SchemaViolation,
                format!("{}{after}", violations_message(&violations)),
            )
            .with_headers(h));
        }
        repairs += 1;
        let mut repair = repair_request(sent, &bad_message, &violations);
        repair.model.clone_from(&served_by.model);
        let out = Bytes::from(serde_json::to_vec(&repair).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the repair request").with_source(e)
        })?);
        // The request's exchange: its deadline is already fixed, this timeout cannot extend it.
        let exchange = ctx.exchange(Endpoint::ChatCompletions, served_by.upstream.request_timeout);
        let repair_span = crate::telemetry::stage_span!(
            "gearbox.schema.repair",
            gearbox.schema.repair = i64::from(repairs),
            gearbox.schema.violations = crate::telemetry::len(violations.len()),
        );
        let (repaired, waited) = async {
            let answered = exchange
                .send(vec![repairer.clone()], Vec::new(), &|_| Ok(out.clone()))
                .await?
                .response;
            let started = answered.started;
            let repaired = super::relay::read_full_by(answered, exchange.deadline).await?;
            Ok::<_, GatewayError>((repaired, started.elapsed()))
        }
        .instrument(repair_span)
        .await?;
        repair_wait += waited;
        if !repaired.parts.status.is_success() {
            return Err(GatewayError::new(
                ErrorKind::UpstreamProtocol,
                format!(
                    "the repair call for invalid structured output failed with status {}",
                    repaired.parts.status.as_u16()
                ),
            ));
        }
        if let Some(u) = repaired.usage {
            add_usage(&mut repair_usage, &u);
        }
        body = repaired.body;
    }
}
