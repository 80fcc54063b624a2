//! The routing and adaptation stage: where a chat request goes ([`decide`], before admission,
//! which may downgrade it) and what is sent there ([`adapt`], after admission): the stream and
//! usage options the gateway needs, the reasoning adapter (parameters, roles, goal form), the
//! body in the upstream's model name, and the request the chat fallback would send.
//!
//! Invariant: the client's exact bytes are forwarded when nothing needs to change, and the
//! adapted request is serialised at most once for the primary target.

use super::ctx::RequestCtx;
use super::structured::Structured;
use crate::api::ChatRequest;
use crate::classify::Route;
use crate::config::{ModelConfig, ModelKind, Price};
use crate::error::{ErrorKind, GatewayError};
use crate::policy::{Policy, UnsupportedParams};
use crate::rewrite::{resolve_profile, ParamPolicy, Unsupported};
use crate::route::{decide_route, parse_route, RouteDecision, RouteRefusal};
use crate::telemetry;
use crate::upstream::resilience::Candidate;
use bytes::Bytes;
use http::header::HeaderValue;
use tracing::field::Empty;
use tracing::Instrument;

/// A routed request before admission: the decision, and how the client asked the reasoning
/// adapter to treat it.
pub struct Routing {
    pub decision: RouteDecision,
    /// `x-gearbox-rewrite`: `Some(false)` turns the goal-form rewrite off.
    pub rewrite: Option<bool>,
}

/// An admitted target: the routing, possibly downgraded by the budget, and its model.
pub struct Target<'a> {
    pub routing: Routing,
    pub model: &'a ModelConfig,
    /// The budget sent the request to the policy's chat model.
    pub downgraded: bool,
}

/// A chat request adapted for its target, and what the later stages learn about it.
pub struct ChatCall<'a> {
    pub decision: RouteDecision,
    /// The model serving the request: the target's, or the chat model's after a fallback.
    pub model: &'a ModelConfig,
    pub downgraded: bool,
    /// The request as sent to the primary target, `model` in the upstream's name.
    pub chat: ChatRequest,
    /// `chat` as bytes: the client's own when nothing changed.
    pub body: Bytes,
    /// Declared schemas and tools, enforced on the whole answer.
    pub schema: Option<Structured>,
    /// The client asked for a stream.
    pub stream: bool,
    /// The upstream streams too (a structured stream is enforced whole, then replayed).
    pub upstream_stream: bool,
    /// The client asked for the usage chunk of a stream.
    pub include_usage: bool,
    /// The goal-form rewrite changed the prompt.
    pub rewritten: bool,
    /// Routed reasoning requests: the chat model, and the request as it was before the
    /// reasoning adaptation, which a fallback to it sends.
    fallback: Option<(&'a ModelConfig, ChatRequest)>,
    /// Set by the upstream call: a fallback served.
    pub fell_back: bool,
    /// Set by schema enforcement: `valid` or `repaired`.
    pub schema_result: Option<&'static str>,
}

/// Decide the route of a parsed request for the context's team, honouring `x-gearbox-route`
/// and reading `x-gearbox-rewrite`.
pub fn decide(ctx: &RequestCtx<'_>, chat: &ChatRequest) -> Result<Routing, GatewayError> {
    let policy = ctx.policy;
    if telemetry::on() {
        // The server span (current here) learns what the client asked for.
        let server = tracing::Span::current();
        server.record("gen_ai.operation.name", "chat");
        server.record("gen_ai.request.model", chat.model.as_str());
    }
    let span = telemetry::stage_span!(
        "gearbox.classify",
        gearbox.route = Empty,
        gearbox.route.source = Empty,
        gearbox.route.target = Empty,
        gearbox.route.score = Empty,
        gearbox.route.threshold = policy.threshold,
        gearbox.route.reasons = Empty,
        gearbox.route.shadow = Empty,
        error.type = Empty,
    );
    let _in = span.enter();
    let routing = decide_in(ctx, chat);
    if !span.is_disabled() {
        match &routing {
            Ok(r) => record_decision(&span, &r.decision),
            Err(e) => {
                span.record("error.type", e.kind.code());
            }
        }
    }
    routing
}

/// The classification span's attributes: the route, its source and target, the score, and the
/// top reasons as their closed groups (a reason's feature name can hold prompt words).
fn record_decision(span: &tracing::Span, d: &RouteDecision) {
    span.record("gearbox.route", d.route.map_or("passthrough", |r| r.as_str()));
    span.record("gearbox.route.source", d.source.as_str());
    span.record("gearbox.route.target", d.target.as_str());
    if let Some(s) = d.shadow {
        span.record("gearbox.route.shadow", s.as_str());
    }
    if let Some(c) = &d.classification {
        span.record("gearbox.route.score", f64::from(c.score));
        let reasons: Vec<&str> = c
            .reasons
            .iter()
            .map(|r| crate::classify::reason_group(&r.feature))
            .collect();
        span.record("gearbox.route.reasons", reasons.join(",").as_str());
    }
}

fn decide_in(ctx: &RequestCtx<'_>, chat: &ChatRequest) -> Result<Routing, GatewayError> {
    let (state, policy, headers) = (ctx.state, ctx.policy, ctx.headers);
    let rewrite = rewrite_header(headers, policy)?;
    let forced = match headers.get("x-gearbox-route") {
        None => None,
        Some(v) => Some(v.to_str().ok().and_then(parse_route).ok_or_else(|| {
            GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid x-gearbox-route header: expected \"chat\" or \"reasoning\"",
            )
            .with_param("x-gearbox-route")
        })?),
    };
    let models = &state.config.models;
    let decision = decide_route(chat, policy, &state.config.router_model, forced, &|m| {
        models.contains_key(m)
    })
    .map_err(|r| match r {
        RouteRefusal::OverrideForbidden => GatewayError::new(
            ErrorKind::Forbidden,
            "your team's policy does not allow overriding the route (x-gearbox-route); remove the header",
        )
        .with_param("x-gearbox-route"),
    })?;
    if decision.is_routed() {
        let label = decision.route.map_or("passthrough", |r| r.as_str());
        let reason = decision
            .classification
            .as_ref()
            .and_then(|c| c.reasons.first())
            .map_or("none", |r| crate::classify::reason_group(&r.feature));
        state
            .metrics
            .record_route(label, decision.source.as_str(), reason);
        if let (Some(would), Some(c)) = (decision.shadow, &decision.classification) {
            let served = models.get(&decision.target).map_or("other", |m| m.kind.as_str());
            state.metrics.record_shadow(would.as_str(), served);
            tracing::info!(
                target: "gearbox::route",
                team = %ctx.team.0,
                served = %decision.target,
                shadow_route = would.as_str(),
                score = c.score,
                top_reason = c.reasons.first().map_or("-", |r| r.feature.as_str()),
                "shadow routing decision"
            );
        }
    }
    Ok(Routing { decision, rewrite })
}

/// Parse `x-gearbox-rewrite` (`off` | `on`); `Some(false)` turns the rewrite off.
fn rewrite_header(headers: &http::HeaderMap, policy: &Policy) -> Result<Option<bool>, GatewayError> {
    let Some(v) = headers.get("x-gearbox-rewrite") else {
        return Ok(None);
    };
    let on = match v.to_str().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Ok("off") => false,
        Ok("on") => true,
        _ => {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid x-gearbox-rewrite header: expected \"off\" or \"on\"",
            )
            .with_param("x-gearbox-rewrite"))
        }
    };
    if !policy.allow_override {
        return Err(GatewayError::new(
            ErrorKind::Forbidden,
            "your team's policy does not allow the x-gearbox-rewrite header; remove it",
        )
        .with_param("x-gearbox-rewrite"));
    }
    Ok(Some(on))
}

/// Adapt `chat` (already prepared for its `schema`) for its admitted target; `bytes` are the
/// client's, forwarded as they are when nothing changed. Fills in the observe record's model,
/// route and rewrite.
pub async fn adapt<'a>(
    ctx: &mut RequestCtx<'a>,
    target: Target<'a>,
    mut chat: ChatRequest,
    bytes: Bytes,
    schema: Option<Structured>,
) -> Result<ChatCall<'a>, GatewayError> {
    let Target {
        routing: Routing { decision, rewrite },
        model,
        downgraded,
    } = target;
    let (state, policy) = (ctx.state, ctx.policy);
    let mut changed = schema.as_ref().is_some_and(|s| s.changed);
    let stream = chat.is_stream();
    let include_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    // Structured streams are enforced whole, then replayed (see `structured`).
    let upstream_stream = stream && schema.is_none();
    if stream && !upstream_stream {
        chat.stream = None;
        chat.stream_options = None;
        changed = true;
    }
    // A chat model rejects `reasoning_effort`: drop it when routing chose a chat model.
    if model.kind == ModelKind::Chat && decision.is_routed() && chat.reasoning_effort.take().is_some() {
        state.metrics.record_param_change("dropped");
        changed = true;
    }
    // Streamed usage is needed for token limits, budgets and metrics: ask for it, and hide the
    // usage chunk from a client that did not ask (see `SseRelay::hide_usage_chunk`).
    if upstream_stream && !include_usage {
        let mut opts = match chat.stream_options.take() {
            Some(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        opts.insert("include_usage".into(), serde_json::Value::Bool(true));
        chat.stream_options = Some(serde_json::Value::Object(opts));
        changed = true;
    }
    // Fallback for routed reasoning requests: the chat target, sent the request as it was before
    // reasoning adaptation.
    let fallback = (decision.is_routed()
        && decision.shadow.is_none()
        && decision.route == Some(Route::Reasoning)
        && model.kind == ModelKind::Reasoning
        && policy.chat_model != model.public_name)
        .then(|| state.config.models.get(&policy.chat_model))
        .flatten()
        .map(|m| {
            let mut base = chat.clone();
            base.reasoning_effort = None;
            (m, base)
        });
    let mut rewritten = false;
    if model.kind == ModelKind::Reasoning {
        let big = bytes.len() > OFFLOAD_BYTES;
        let (c, r) = adapt_for_reasoning(ctx, &mut chat, model, decision.is_routed(), rewrite, big).await?;
        changed |= c;
        rewritten = r;
    }
    // Forward the client's exact bytes when nothing needs to change (fidelity and speed).
    let body = if chat.model == model.upstream_model && !changed {
        bytes
    } else {
        chat.model.clone_from(&model.upstream_model);
        serialise(&chat)?
    };
    if telemetry::on() {
        // What the upstream is asked for (the adapter may set a default effort).
        if let Some(e) = chat.reasoning_effort.as_deref().filter(|e| e.len() <= 32) {
            tracing::Span::current().record("gen_ai.request.reasoning_effort", e);
        }
    }
    let info = &mut ctx.info;
    info.model = Some(model.upstream_model.clone());
    info.model_label = Some(model.public_name.clone());
    info.route = decision.route.map_or("passthrough", |r| r.as_str());
    info.cache = "bypass";
    info.rewritten = rewritten;
    Ok(ChatCall {
        decision,
        model,
        downgraded,
        chat,
        body,
        schema,
        stream,
        upstream_stream,
        include_usage,
        rewritten,
        fallback,
        fell_back: false,
        schema_result: None,
    })
}

/// Request bodies above this size (bytes) are rewritten on the blocking pool: the goal-form
/// rewrite of a 2 KB prompt takes ~170 us (`cargo bench --bench rewrite`), past the ~100 us a
/// task may hold an event loop; below it the hand-off (~10-20 us) would cost more than it saves.
pub const OFFLOAD_BYTES: usize = 1024;

fn serialise(chat: &ChatRequest) -> Result<Bytes, GatewayError> {
    serde_json::to_vec(chat).map(Bytes::from).map_err(|e| {
        GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
    })
}

impl<'a> ChatCall<'a> {
    /// The deployments of the target model, and of the chat fallback, to try in order.
    pub fn candidates(&self, ctx: &RequestCtx<'_>) -> (Vec<Candidate>, Vec<Candidate>) {
        let fallbacks = self
            .fallback
            .as_ref()
            .map(|(m, _)| super::call::candidates(ctx, m, true))
            .unwrap_or_default();
        (super::call::candidates(ctx, self.model, false), fallbacks)
    }

    /// The body for one candidate: the adapted bytes for the primary model, the request as it
    /// was before the reasoning adaptation for a fallback, in the candidate's model name.
    pub fn body_for(&self, c: &Candidate) -> Result<Bytes, GatewayError> {
        match (&self.fallback, c.fallback) {
            (Some((_, base)), true) => {
                let mut r = base.clone();
                r.model.clone_from(&c.model);
                serialise(&r)
            }
            _ if c.model == self.chat.model => Ok(self.body.clone()),
            _ => {
                let mut r = self.chat.clone();
                r.model.clone_from(&c.model);
                serialise(&r)
            }
        }
    }

    /// The upstream call was answered by `served_by`: a fallback serves with the chat model.
    pub fn served_by(&mut self, ctx: &mut RequestCtx<'_>, served_by: &Candidate) {
        if let (true, Some((m, _))) = (served_by.fallback, &self.fallback) {
            ctx.state.metrics.record_fallback("reasoning", "chat");
            self.decision.route = Some(Route::Chat);
            self.model = m;
            self.fell_back = true;
            ctx.info.route = "chat";
            ctx.info.model_label = Some(m.public_name.clone());
        }
    }

    /// The reasoning target's price, when the request was routed to chat: the saving is
    /// recorded against it.
    pub fn saving_against(&self, ctx: &RequestCtx<'_>) -> Option<Price> {
        let d = &self.decision;
        (d.is_routed() && d.shadow.is_none() && d.route == Some(Route::Chat))
            .then(|| ctx.state.config.models.get(&ctx.policy.reasoning_model))
            .flatten()
            .and_then(|m| m.price)
    }

    /// Headers every chat response carries: the route (for routed requests), the cache result
    /// and whether the prompt was rewritten; and what the upstream call did: schema result,
    /// fallback, budget downgrade.
    pub fn finish(
        &self,
        ctx: &RequestCtx<'_>,
        mut resp: crate::http::Response,
        cache: &'static str,
    ) -> crate::http::Response {
        ctx.state.metrics.record_cache_lookup(cache);
        let h = resp.headers_mut();
        h.insert("x-gearbox-cache", HeaderValue::from_static(cache));
        h.insert(
            "x-gearbox-rewritten",
            HeaderValue::from_static(if self.rewritten { "true" } else { "false" }),
        );
        let decision = &self.decision;
        if decision.is_routed() {
            let served = decision.route.map_or(self.model.kind.as_str(), |r| r.as_str());
            h.insert("x-gearbox-route", HeaderValue::from_static(served));
            if let Some(c) = &decision.classification {
                if let Ok(v) = HeaderValue::from_str(&format!("{:.4}", c.score)) {
                    h.insert("x-gearbox-score", v);
                }
            }
            if let Some(s) = decision.shadow {
                h.insert("x-gearbox-shadow-route", HeaderValue::from_static(s.as_str()));
            }
        }
        if let Some(r) = self.schema_result {
            h.insert("x-gearbox-schema", HeaderValue::from_static(r));
        }
        if self.fell_back {
            h.insert("x-gearbox-fallback", HeaderValue::from_static("chat"));
        }
        // Only an answer of this request's own upstream call was downgraded (a cache hit or a
        // coalesced answer says nothing about it).
        if self.downgraded && !matches!(cache, "hit" | "coalesced") {
            h.insert("x-gearbox-downgraded", HeaderValue::from_static("budget"));
        }
        resp
    }
}

/// Adapt a request bound for a reasoning model: parameters and roles always (so the model
/// accepts it); the goal-form rewrite for routed requests when the policy and the request allow.
/// Returns whether anything changed and whether the prompt was rewritten.
async fn adapt_for_reasoning(
    ctx: &RequestCtx<'_>,
    chat: &mut ChatRequest,
    model: &ModelConfig,
    routed: bool,
    header: Option<bool>,
    big: bool,
) -> Result<(bool, bool), GatewayError> {
    let (state, policy) = (ctx.state, ctx.policy);
    let want_rewrite = routed && policy.reasoning.rewrite && header != Some(false);
    // The goal-form rewrite's span: how many directives went, never which.
    let span = telemetry::stage_span!(
        "gearbox.rewrite",
        gearbox.rewrite.enabled = want_rewrite,
        gearbox.rewrite.offloaded = want_rewrite && big,
        gearbox.rewrite.rewritten = Empty,
        gearbox.rewrite.directives_removed = Empty,
        gearbox.rewrite.params_changed = Empty,
    );
    let adapted = adapt_params_and_prompt(ctx, chat, model, want_rewrite, big)
        .instrument(span.clone())
        .await;
    if let (false, Ok((translation, outcome))) = (span.is_disabled(), &adapted) {
        span.record(
            "gearbox.rewrite.params_changed",
            crate::telemetry::len(translation.changes.len()),
        );
        if let Some(o) = outcome {
            span.record("gearbox.rewrite.rewritten", o.rewritten);
            span.record(
                "gearbox.rewrite.directives_removed",
                crate::telemetry::len(o.removed.len()),
            );
        }
    }
    drop(span);
    let (translation, outcome) = adapted?;
    for c in &translation.changes {
        state.metrics.record_param_change(c.action.label());
    }
    let rewritten = outcome.as_ref().is_some_and(|o| o.rewritten);
    state.metrics.record_rewrite(match &outcome {
        None => "disabled",
        Some(o) if o.rewritten => "rewritten",
        Some(_) => "unchanged",
    });
    Ok((rewritten || !translation.is_empty(), rewritten))
}

/// The parameter translation, and the goal-form rewrite when `want_rewrite` (on the blocking
/// pool when `big`).
async fn adapt_params_and_prompt(
    ctx: &RequestCtx<'_>,
    chat: &mut ChatRequest,
    model: &ModelConfig,
    want_rewrite: bool,
    big: bool,
) -> Result<
    (
        crate::rewrite::Translation,
        Option<crate::rewrite::RewriteOutcome>,
    ),
    GatewayError,
> {
    let (state, policy) = (ctx.state, ctx.policy);
    let profile = resolve_profile(&model.upstream_model, &state.config.reasoning_profiles);
    let params = param_policy(policy);
    let rejection = |r: crate::rewrite::ParamRejection| {
        GatewayError::new(ErrorKind::InvalidRequest, r.message.clone()).with_param(r.param)
    };
    let (translation, outcome) = if want_rewrite && big {
        // The rewrite costs time linear in the prompt (~80 us a KB): a large one runs on the
        // blocking pool, never on the worker's event loop, where it would stall every
        // connection of that thread.
        let mut owned = std::mem::take(chat);
        let (back, a) = tokio::task::spawn_blocking(move || {
            let a = crate::rewrite::adapt(&mut owned, &profile, &params);
            (owned, a)
        })
        .await
        .map_err(|e| GatewayError::new(ErrorKind::Internal, "the rewrite task failed").with_source(e))?;
        *chat = back;
        let a = a.map_err(rejection)?;
        (a.translation, Some(a.rewrite))
    } else if want_rewrite {
        let a = crate::rewrite::adapt(chat, &profile, &params).map_err(rejection)?;
        (a.translation, Some(a.rewrite))
    } else {
        (
            crate::rewrite::translate(chat, &profile, &params).map_err(rejection)?,
            None,
        )
    };
    Ok((translation, outcome))
}

/// The reasoning parameter policy of a team policy.
pub fn param_policy(policy: &Policy) -> ParamPolicy {
    ParamPolicy {
        on_unsupported: match policy.reasoning.unsupported {
            UnsupportedParams::Drop => Unsupported::Drop,
            UnsupportedParams::Reject => Unsupported::Reject,
        },
        min_completion_tokens: policy.reasoning.min_completion_tokens,
        default_reasoning_effort: policy.reasoning.effort.clone(),
    }
}
