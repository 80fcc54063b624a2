//! Endpoint handlers: chat completions (plain and streamed), embeddings, model listing.
//!
//! Each handler returns `Result<Response, GatewayError>`; the error becomes an OpenAI-shaped
//! response in exactly one place (`app::Handler`). Upstream non-2xx answers are relayed with
//! their status and body; upstream transport failures become 502/504.

pub mod admission;
pub mod cached;
pub mod relay;
pub mod structured;

use crate::api::{parse::parse_object, parse_chat_request, ChatRequest, Usage};
use crate::cache::{cache_key, is_deterministic, Assembler, CacheControl, CachedResponse, Join};
use crate::classify::Route;
use crate::config::{ModelConfig, ModelKind};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, read_limited, Body, ReadError, Response};
use crate::limits::{
    estimate_chat, estimate_embeddings, ConcurrencySlot, Cost, OverBudget, RateView, Reservation,
};
use crate::metrics::TokenType;
use crate::policy::{OnBudget, Policy, UnsupportedParams};
use crate::rewrite::{resolve_profile, ParamPolicy, Unsupported};
use crate::route::{decide_route, parse_route, RouteDecision, RouteRefusal};
use crate::state::{AppState, RequestInfo, Team};
use crate::upstream::resilience::{self, Candidate};
use crate::upstream::Endpoint;
use bytes::Bytes;
use http::header::HeaderValue;
use http::StatusCode;
use std::sync::Arc;
use std::time::Instant;

/// Largest upstream response body buffered for a non-streaming call.
pub(crate) const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;
/// Largest single SSE event relayed.
pub(crate) const MAX_SSE_EVENT: usize = 4 * 1024 * 1024;
/// Upstream response headers passed through to the client.
pub(crate) const RELAYED_HEADERS: &[&str] = &[
    "openai-processing-ms",
    "retry-after",
    "x-ratelimit-reset-requests",
];

/// Read the request body, enforcing the configured limit.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes, GatewayError> {
    read_limited(body, limit).await.map_err(|e| match e {
        ReadError::TooLarge { limit } => GatewayError::new(
            ErrorKind::PayloadTooLarge,
            format!("request body is larger than the limit of {limit} bytes"),
        ),
        ReadError::Body(e) => GatewayError::new(
            ErrorKind::InvalidRequest,
            format!("could not read request body: {e}"),
        ),
    })
}

fn model_not_found(name: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::ModelNotFound,
        format!("The model `{}` does not exist or you do not have access to it. GET /v1/models lists the models this gateway serves.", truncate(name, 200)),
    )
    .with_param("model")
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

fn lookup<'a>(state: &'a AppState, name: &str, want: &[ModelKind]) -> Result<&'a ModelConfig, GatewayError> {
    state
        .config
        .models
        .get(name)
        .filter(|m| want.contains(&m.kind))
        .ok_or_else(|| model_not_found(name))
}

/// Decide the route of a parsed request for `team`, honouring `x-gearbox-route`.
fn route_request(
    state: &AppState,
    team: &Team,
    headers: &http::HeaderMap,
    chat: &ChatRequest,
) -> Result<RouteDecision, GatewayError> {
    let policy = state.config.policy_for(&team.0);
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
                team = %team.0,
                served = %decision.target,
                shadow_route = would.as_str(),
                score = c.score,
                top_reason = c.reasons.first().map_or("-", |r| r.feature.as_str()),
                "shadow routing decision"
            );
        }
    }
    Ok(decision)
}

/// `POST /v1/route`: the routing decision for a Chat Completions body, calling no upstream.
pub async fn route(state: Arc<AppState>, team: Team, req: h::Request) -> Result<Response, GatewayError> {
    let (_, body) = req.into_parts();
    let bytes = read_body(body, state.config.server.max_body_bytes).await?;
    let chat = crate::route::parse_route_input(&bytes)?;
    let policy = state.config.policy_for(&team.0);
    let c = crate::classify::classify_with_threshold(&chat, &state.config.router_model, policy.threshold);
    Ok(h::json(
        StatusCode::OK,
        crate::route::decision_json(None, &c).to_string(),
    ))
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

/// Adapt a request bound for a reasoning model: parameters and roles always (so the model
/// accepts it); the goal-form rewrite for routed requests when the policy and the request allow.
/// Returns whether anything changed and whether the prompt was rewritten.
fn adapt_for_reasoning(
    state: &AppState,
    chat: &mut ChatRequest,
    model: &ModelConfig,
    policy: &Policy,
    routed: bool,
    header: Option<bool>,
) -> Result<(bool, bool), GatewayError> {
    let profile = resolve_profile(&model.upstream_model, &state.config.reasoning_profiles);
    let params = param_policy(policy);
    let want_rewrite = routed && policy.reasoning.rewrite && header != Some(false);
    let rejection = |r: crate::rewrite::ParamRejection| {
        GatewayError::new(ErrorKind::InvalidRequest, r.message.clone()).with_param(r.param)
    };
    let (translation, outcome) = if want_rewrite {
        let a = crate::rewrite::adapt(chat, &profile, &params).map_err(rejection)?;
        (a.translation, Some(a.rewrite))
    } else {
        (
            crate::rewrite::translate(chat, &profile, &params).map_err(rejection)?,
            None,
        )
    };
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

/// `POST /v1/chat/completions`. Teams with rate limits get `x-ratelimit-*` headers on every
/// response, refusals included.
pub async fn chat_completions(
    state: Arc<AppState>,
    team: Team,
    req: h::Request,
) -> Result<Response, GatewayError> {
    let mut view = None;
    let result = chat(state, team, req, &mut view).await;
    admission::with_rate_headers(view, result)
}

/// Enforce the team's allowed models, limits and budget for a chat request. Returns the
/// reservation to settle, the concurrency slot to hold, and whether the budget downgraded the
/// request.
async fn admit(
    state: &AppState,
    team: &Team,
    policy: &Policy,
    chat: &ChatRequest,
    decision: &mut RouteDecision,
    view: &mut Option<RateView>,
) -> Result<(Option<Reservation>, Option<ConcurrencySlot>, bool), GatewayError> {
    use admission::not_allowed;
    if !decision.is_routed() && !policy.allows(&chat.model) {
        return Err(not_allowed(&chat.model));
    }
    if !(policy.limits.is_limited() || policy.budget.is_set()) {
        if !policy.allows(&decision.target) {
            return Err(not_allowed(&decision.target));
        }
        return Ok((None, None, false));
    }
    // Reserve what the request may cost on its target: the prompt estimate plus the completion
    // cap (a reasoning target raises it to the policy's minimum, as the adapter will).
    let target = state.config.models.get(&decision.target);
    let mut est = estimate_chat(chat, state.config.completion_estimate);
    if target.is_some_and(|m| m.kind == ModelKind::Reasoning) {
        est.completion_tokens = est.completion_tokens.max(policy.reasoning.min_completion_tokens);
    }
    let cost = Cost {
        tokens: est.tokens(),
        usd: est.usd(target.and_then(|m| m.price)),
    };
    let over_budget = match policy.budget.on_exceeded {
        OnBudget::Refuse => OverBudget::Refuse,
        OnBudget::Downgrade => OverBudget::Admit,
    };
    let adm = admission::admit(state, team, policy, cost, over_budget, view).await?;
    let mut downgraded = false;
    if adm.over_budget.is_some() {
        state.metrics.record_budget_action(&team.0, "downgraded");
        if decision.target != policy.chat_model {
            decision.target = policy.chat_model.clone();
            decision.route = Some(Route::Chat);
            downgraded = true;
        }
    }
    if !policy.allows(&decision.target) {
        return Err(not_allowed(&decision.target));
    }
    Ok((adm.reservation, adm.slot, downgraded))
}

async fn chat(
    state: Arc<AppState>,
    team: Team,
    req: h::Request,
    view: &mut Option<RateView>,
) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, state.config.server.max_body_bytes).await?;
    let mut chat = parse_chat_request(&bytes)?;
    if chat.messages.len() > state.config.server.max_messages {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "too many messages: {} (this gateway accepts at most {})",
                chat.messages.len(),
                state.config.server.max_messages
            ),
        )
        .with_param("messages"));
    }
    let policy = state.config.policy_for(&team.0).clone();
    let rewrite_hdr = rewrite_header(&parts.headers, &policy)?;
    let mut decision = route_request(&state, &team, &parts.headers, &chat)?;
    let (reservation, slot, downgraded) = admit(&state, &team, &policy, &chat, &mut decision, view).await?;
    let model = lookup(&state, &decision.target, &[ModelKind::Chat, ModelKind::Reasoning])?.clone();
    let upstream = state.upstreams.get(&model.upstream).cloned().ok_or_else(|| {
        GatewayError::new(
            ErrorKind::Internal,
            format!("model {:?} names a missing upstream", model.public_name),
        )
    })?;
    let stream = chat.is_stream();
    let include_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    let mut changed = false;
    let mut rewritten = false;
    // Structured outputs: compile the client's schemas (400 if broken), move them into the
    // prompt for upstreams without native support.
    let (structured, s_changed) = structured::prepare(&state, &mut chat, &model)?;
    changed |= s_changed;
    // Structured streams are enforced whole, then replayed (see `structured`).
    let upstream_stream = stream && structured.is_none();
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
    let fallback_base = (decision.is_routed()
        && decision.shadow.is_none()
        && decision.route == Some(Route::Reasoning)
        && model.kind == ModelKind::Reasoning
        && policy.chat_model != model.public_name)
        .then(|| {
            let mut base = chat.clone();
            base.reasoning_effort = None;
            base
        });
    if model.kind == ModelKind::Reasoning {
        let (c, r) = adapt_for_reasoning(
            &state,
            &mut chat,
            &model,
            &policy,
            decision.is_routed(),
            rewrite_hdr,
        )?;
        changed |= c;
        rewritten = r;
    }
    // Forward the client's exact bytes when nothing needs to change (fidelity and speed).
    let out = if chat.model == model.upstream_model && !changed {
        bytes
    } else {
        chat.model = model.upstream_model.clone();
        Bytes::from(serde_json::to_vec(&chat).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
        })?)
    };
    let route_label = decision.route.map_or("passthrough", |r| r.as_str());
    let mut info = RequestInfo {
        team: Some(team.0.clone()),
        model: Some(model.upstream_model.clone()),
        model_label: Some(model.public_name.clone()),
        route: route_label,
        cache: "bypass",
        rewritten,
        hold: slot.map(|s| Arc::new(s) as Arc<dyn std::any::Any + Send + Sync>),
        ..RequestInfo::default()
    };

    // Cache: look up, or join an identical request in flight, or bypass.
    let cc = CacheControl::parse(&parts.headers);
    let ttl = policy.cache.ttl;
    // A key only for a cacheable request: hashing the canonical request is a pass over every
    // message.
    let key = (policy.cache.enabled && is_deterministic(&chat))
        .then(|| cache_key(policy.cache_namespace(&team.0), &model.upstream, &chat));
    let mut leader = None;
    info.cache = if key.is_some() && !cc.no_cache {
        "miss"
    } else {
        "bypass"
    };
    if let (Some(key), false) = (key, cc.no_cache) {
        if let Some((entry, _tier)) = state.cache.get(key, ttl).await {
            info.cache = "hit";
            if let Some(u) = &entry.usage {
                let _ = info.usage.set(u.clone());
            }
            let resp = cached::serve_entry(&entry, stream, include_usage, info);
            return Ok(finish(&state, resp, &decision, &model, "hit", rewritten));
        }
        if !cc.no_store {
            match state.cache.join(key, upstream_stream) {
                Join::Leader(g) => leader = Some(g),
                Join::Follower(f) => {
                    let wait = state.config.cache.coalesce_timeout;
                    let mut finfo = info.clone();
                    finfo.cache = "coalesced";
                    if let Some(resp) = cached::follow(f, wait, stream, include_usage, finfo).await {
                        return Ok(finish(&state, resp, &decision, &model, "coalesced", rewritten));
                    }
                    // The leader failed before answering: make our own call.
                }
            }
        }
    }
    // Where to store the answer, if it may be stored.
    let store = key.filter(|_| !cc.no_store);

    let request_id = parts.headers.get("x-request-id");
    let candidates = |m: &ModelConfig, fallback: bool| -> Vec<Candidate> {
        m.deployments
            .iter()
            .filter_map(|d| {
                state.upstreams.get(&d.upstream).map(|u| Candidate {
                    upstream: u.clone(),
                    model: d.upstream_model.clone(),
                    fallback,
                })
            })
            .collect()
    };
    let chat_target = fallback_base
        .as_ref()
        .and_then(|_| state.config.models.get(&policy.chat_model));
    let fallbacks = chat_target.map(|m| candidates(m, true)).unwrap_or_default();
    let primary_model = chat.model.clone();
    let body_for = |c: &Candidate| -> Result<Bytes, GatewayError> {
        let ser = |r: &ChatRequest| {
            serde_json::to_vec(r).map(Bytes::from).map_err(|e| {
                GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request")
                    .with_source(e)
            })
        };
        match (&fallback_base, c.fallback) {
            (Some(base), true) => {
                let mut r = base.clone();
                r.model = c.model.clone();
                ser(&r)
            }
            _ if c.model == primary_model => Ok(out.clone()),
            _ => {
                let mut r = chat.clone();
                r.model = c.model.clone();
                ser(&r)
            }
        }
    };
    // One deadline for the request's upstream calls: attempts, body and repair calls.
    let exchange = resilience::Exchange {
        cfg: &state.config.resilience,
        budget: &state.retry_budget,
        metrics: &state.metrics,
        deadline: Instant::now() + upstream.request_timeout,
        request_id,
    };
    let sent = exchange
        .send(candidates(&model, false), fallbacks, &body_for)
        .await?;
    let upstream = sent.candidate.upstream.clone();
    // A fallback serves with the chat target.
    let (model, fell_back) = match (sent.candidate.fallback, chat_target) {
        (true, Some(m)) => {
            state.metrics.record_fallback("reasoning", "chat");
            decision.route = Some(Route::Chat);
            info.route = "chat";
            info.model = Some(sent.candidate.model.clone());
            info.model_label = Some(m.public_name.clone());
            (m.clone(), true)
        }
        _ => {
            info.model = Some(sent.candidate.model.clone());
            (model, false)
        }
    };
    let accounting = Accounting {
        reservation: std::sync::Mutex::new(reservation),
        state: state.clone(),
        team: team.0.clone(),
        model: model.clone(),
        chat_routed: decision.is_routed() && decision.shadow.is_none() && decision.route == Some(Route::Chat),
        reasoning_price: state
            .config
            .models
            .get(&policy.reasoning_model)
            .and_then(|m| m.price),
        started,
    };
    let (sent, served_by) = (sent.response, sent.candidate);
    let status = sent.response.status();
    if (400..500).contains(&status.as_u16()) && status.as_u16() != 429 {
        state.metrics.record_upstream_error(&upstream.name, "status_4xx");
    }
    info.upstream_wait = sent.started.elapsed();
    let cache = info.cache;
    let mut schema_result: Option<&'static str> = None;
    let resp = if upstream_stream && status.is_success() {
        state.metrics.record_upstream(&upstream.name, info.upstream_wait);
        let mut taps: crate::stream::Taps = vec![Box::new(AccountTap {
            acc: accounting,
            usage: info.usage.clone(),
        })];
        if let Some(key) = store {
            taps.push(Box::new(cached::CacheTap {
                assembler: Assembler::default(),
                leader,
                cache: state.cache.clone(),
                key,
                ttl,
            }));
        }
        relay::stream_response(
            &state.metrics,
            sent,
            (upstream.stream_idle_timeout, upstream.stream_total_timeout),
            info,
            taps,
            !include_usage,
        )
    } else {
        let sent_at = sent.started;
        let read = relay::read_full_by(sent, exchange.deadline).await;
        let (parts, bytes, read_usage) = match read {
            Ok(r) => r,
            Err(e) => {
                state.metrics.record_upstream_error(&upstream.name, e.kind.code());
                return Err(e);
            }
        };
        info.upstream_wait = sent_at.elapsed();
        state.metrics.record_upstream(&upstream.name, info.upstream_wait);
        let mut bytes = bytes;
        if parts.status.is_success() {
            let mut usage = read_usage;
            if let Some(s) = &structured {
                // Validate (and repair) before anything reaches the client or the cache.
                let enforced =
                    structured::enforce(&state, &exchange, &served_by, &chat, bytes, s, policy.max_repairs)
                        .await;
                let enforced = match enforced {
                    Ok(e) => e,
                    Err(e) => {
                        if let Some(u) = &usage {
                            accounting.record(u);
                        }
                        return Err(e);
                    }
                };
                bytes = enforced.body;
                schema_result = Some(enforced.result);
                info.upstream_wait += enforced.repair_wait;
                if let Some(u) = usage.as_mut() {
                    u.prompt_tokens += enforced.repair_usage.prompt_tokens;
                    u.completion_tokens += enforced.repair_usage.completion_tokens;
                    u.total_tokens += enforced.repair_usage.total_tokens;
                }
            }
            if let Some(u) = usage {
                accounting.record(&u);
                let _ = info.usage.set(u);
            }
            if let Some(key) = store {
                if let Some(entry) = CachedResponse::from_body(bytes.clone()) {
                    let entry = Arc::new(entry);
                    state.cache.put(key, entry.clone(), ttl);
                    if let Some(l) = leader {
                        l.done(entry);
                    }
                }
            }
        }
        if stream && parts.status.is_success() {
            // A structured stream: replay the enforced answer as SSE.
            let usage = info.usage.get().cloned();
            cached::serve_entry(&CachedResponse { body: bytes, usage }, true, include_usage, info)
        } else {
            relay::full_response(&parts, bytes, info)
        }
    };
    let mut resp = finish(&state, resp, &decision, &model, cache, rewritten);
    if let Some(r) = schema_result {
        resp.headers_mut()
            .insert("x-gearbox-schema", HeaderValue::from_static(r));
    }
    if fell_back {
        resp.headers_mut()
            .insert("x-gearbox-fallback", HeaderValue::from_static("chat"));
    }
    if downgraded {
        resp.headers_mut()
            .insert("x-gearbox-downgraded", HeaderValue::from_static("budget"));
    }
    Ok(resp)
}

/// Token, cost and saving accounting for one upstream answer (never for cache hits, whose usage
/// was counted when they were first served).
struct Accounting {
    /// Settled with the real usage; dropped unsettled (no answer), it gives the tokens back.
    reservation: std::sync::Mutex<Option<Reservation>>,
    state: Arc<AppState>,
    team: Arc<str>,
    model: ModelConfig,
    /// Routed to the chat target: the saving versus the reasoning target is recorded.
    chat_routed: bool,
    reasoning_price: Option<crate::config::Price>,
    started: Instant,
}

impl Accounting {
    fn record(&self, u: &Usage) {
        let m = &self.state.metrics;
        let (team, model) = (&*self.team, self.model.public_name.as_str());
        m.record_tokens(team, model, TokenType::Prompt, u.prompt_tokens);
        // Embeddings have input tokens only.
        if self.model.kind != ModelKind::Embedding {
            m.record_tokens(team, model, TokenType::Completion, u.completion_tokens);
        }
        if u.reasoning_tokens() > 0 {
            m.record_tokens(team, model, TokenType::Reasoning, u.reasoning_tokens());
        }
        let cached = u.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens);
        if cached > 0 {
            m.record_tokens(team, model, TokenType::CachedPrompt, cached);
        }
        let cost = self.model.price.map_or(0.0, |p| p.cost(u));
        if let Some(r) = self.reservation.lock().unwrap_or_else(|p| p.into_inner()).take() {
            r.settle(u.prompt_tokens + u.completion_tokens, cost);
        }
        if self.model.price.is_some() {
            m.record_cost(team, model, cost);
            if self.chat_routed {
                if let Some(rp) = self.reasoning_price {
                    m.record_savings(team, rp.cost(u) - cost);
                }
            }
        }
    }
}

/// Records usage, time to first token and time per output token when a stream ends.
struct AccountTap {
    acc: Accounting,
    usage: Arc<std::sync::OnceLock<Usage>>,
}

impl crate::stream::StreamTap for AccountTap {
    fn on_end(self: Box<Self>, s: &crate::stream::StreamSummary) {
        let model = self.acc.model.public_name.as_str();
        if let Some(first) = s.first_event_at {
            let ttft = first.saturating_duration_since(self.acc.started);
            self.acc.state.metrics.record_ttft(model, ttft);
            if let Some(u) = &s.usage {
                if u.completion_tokens > 1 && s.outcome == crate::stream::StreamOutcome::Completed {
                    let per = first.elapsed() / u32::try_from(u.completion_tokens - 1).unwrap_or(u32::MAX);
                    self.acc.state.metrics.record_tpot(model, per);
                }
            }
        }
        if let Some(u) = &s.usage {
            self.acc.record(u);
            let _ = self.usage.set(u.clone());
        }
    }
}

/// Headers every chat response carries: the route (for routed requests), the cache result and
/// whether the prompt was rewritten.
fn finish(
    state: &AppState,
    mut resp: Response,
    decision: &RouteDecision,
    model: &ModelConfig,
    cache: &'static str,
    rewritten: bool,
) -> Response {
    state.metrics.record_cache_lookup(cache);
    let h = resp.headers_mut();
    h.insert("x-gearbox-cache", HeaderValue::from_static(cache));
    h.insert(
        "x-gearbox-rewritten",
        HeaderValue::from_static(if rewritten { "true" } else { "false" }),
    );
    if decision.is_routed() {
        let served = decision.route.map_or(model.kind.as_str(), |r| r.as_str());
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
    resp
}

/// `POST /v1/embeddings`: passed through with the model name mapped, under the team's policy
/// as chat is (allowed models, limits, budget, token and cost accounting). At the budget an
/// embeddings request is refused whatever `on_exceeded` says: there is no cheaper target.
pub async fn embeddings(state: Arc<AppState>, team: Team, req: h::Request) -> Result<Response, GatewayError> {
    let mut view = None;
    let result = embed(state, team, req, &mut view).await;
    admission::with_rate_headers(view, result)
}

async fn embed(
    state: Arc<AppState>,
    team: Team,
    req: h::Request,
    view: &mut Option<RateView>,
) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, state.config.server.max_body_bytes).await?;
    let mut obj = parse_object(&bytes)?;
    let name = match obj.get("model") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid value for 'model': expected a string",
            )
            .with_param("model"))
        }
        None => {
            return Err(
                GatewayError::new(ErrorKind::InvalidRequest, "missing required parameter 'model'")
                    .with_param("model"),
            )
        }
    };
    let Some(input) = obj.get("input") else {
        return Err(
            GatewayError::new(ErrorKind::InvalidRequest, "missing required parameter 'input'")
                .with_param("input"),
        );
    };
    let policy = state.config.policy_for(&team.0);
    if !policy.allows(&name) {
        return Err(admission::not_allowed(&name));
    }
    let model = lookup(&state, &name, &[ModelKind::Embedding])?.clone();
    let upstream = state.upstreams.get(&model.upstream).cloned().ok_or_else(|| {
        GatewayError::new(
            ErrorKind::Internal,
            format!("model {:?} names a missing upstream", model.public_name),
        )
    })?;
    let (reservation, slot) = if policy.limits.is_limited() || policy.budget.is_set() {
        let est = estimate_embeddings(input);
        let cost = Cost {
            tokens: est.tokens(),
            usd: est.usd(model.price),
        };
        let adm = admission::admit(&state, &team, policy, cost, OverBudget::Refuse, view).await?;
        (adm.reservation, adm.slot)
    } else {
        (None, None)
    };
    let out = if name == model.upstream_model {
        bytes
    } else {
        obj.insert(
            "model".into(),
            serde_json::Value::String(model.upstream_model.clone()),
        );
        Bytes::from(serde_json::to_vec(&obj).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
        })?)
    };
    let sent = upstream
        .send(Endpoint::Embeddings, out, parts.headers.get("x-request-id"))
        .await?;
    let sent_at = sent.started;
    let (rparts, rbytes, usage) = match relay::read_full(sent, upstream.request_timeout).await {
        Ok(r) => r,
        Err(e) => {
            state.metrics.record_upstream_error(&upstream.name, e.kind.code());
            return Err(e);
        }
    };
    let info = RequestInfo {
        team: Some(team.0.clone()),
        model: Some(model.upstream_model.clone()),
        model_label: Some(model.public_name.clone()),
        route: "passthrough",
        upstream_wait: sent_at.elapsed(),
        hold: slot.map(|s| Arc::new(s) as Arc<dyn std::any::Any + Send + Sync>),
        ..RequestInfo::default()
    };
    state.metrics.record_upstream(&upstream.name, info.upstream_wait);
    let status = rparts.status.as_u16();
    if (400..500).contains(&status) && status != 429 {
        state.metrics.record_upstream_error(&upstream.name, "status_4xx");
    }
    // Settled with the upstream's usage; without usage (an error answer) the reservation is
    // dropped and given back.
    if let Some(u) = usage {
        let accounting = Accounting {
            reservation: std::sync::Mutex::new(reservation),
            state: state.clone(),
            team: team.0.clone(),
            model: model.clone(),
            chat_routed: false,
            reasoning_price: None,
            started,
        };
        accounting.record(&u);
        let _ = info.usage.set(u);
    }
    Ok(relay::full_response(&rparts, rbytes, info))
}

/// `GET /v1/gearbox/policy`: the caller's effective policy. Only the caller's team; no keys,
/// no other team's data.
pub fn team_policy(state: &AppState, team: &Team) -> Result<Response, GatewayError> {
    let p = state.config.policy_for(&team.0);
    let body = serde_json::json!({
        "team": &*team.0,
        "routing": {
            "mode": p.mode.as_str(),
            "routed_models": p.routed_models,
            "chat_model": p.chat_model,
            "reasoning_model": p.reasoning_model,
            "threshold": p.threshold,
            "allow_override": p.allow_override,
        },
        "reasoning": {
            "effort": p.reasoning.effort,
            "rewrite": p.reasoning.rewrite,
            "unsupported_params": match p.reasoning.unsupported { UnsupportedParams::Drop => "drop", UnsupportedParams::Reject => "reject" },
            "min_completion_tokens": p.reasoning.min_completion_tokens,
        },
        "allowed_models": p.allowed_models,
        "cache": {
            "enabled": p.cache.enabled,
            "ttl_seconds": p.cache.ttl.as_secs(),
            "namespace": p.cache_namespace(&team.0),
        },
        "limits": {
            "requests_per_minute": p.limits.rpm,
            "tokens_per_minute": p.limits.tpm,
            "concurrent_requests": p.limits.concurrency,
            "shared_across_replicas": state.redis.is_some(),
        },
        "budget": {
            "tokens_per_day": p.budget.tokens_per_day,
            "tokens_per_month": p.budget.tokens_per_month,
            "usd_per_day": p.budget.usd_per_day,
            "usd_per_month": p.budget.usd_per_month,
            "on_exceeded": match p.budget.on_exceeded { OnBudget::Refuse => "refuse", OnBudget::Downgrade => "downgrade" },
        },
    });
    Ok(h::json(StatusCode::OK, body.to_string()))
}

/// `GET /v1/models` and `GET /v1/models/{id}`: the models the caller's team may use (every
/// configured model when its policy has no allow-list); another model is "not found".
pub fn models(state: &AppState, team: &Team, id: Option<&str>) -> Result<Response, GatewayError> {
    let policy = state.config.policy_for(&team.0);
    let entry = |name: &str, m: &ModelConfig| serde_json::json!({"id": name, "object": "model", "created": 0, "owned_by": m.upstream});
    let body = match id {
        None => {
            let data: Vec<_> = state
                .config
                .models
                .iter()
                .filter(|(n, _)| policy.allows(n))
                .map(|(n, m)| entry(n, m))
                .collect();
            serde_json::json!({"object": "list", "data": data})
        }
        Some(id) => match state.config.models.get(id).filter(|_| policy.allows(id)) {
            Some(m) => entry(id, m),
            None => return Err(model_not_found(id)),
        },
    };
    Ok(h::json(StatusCode::OK, body.to_string()))
}
