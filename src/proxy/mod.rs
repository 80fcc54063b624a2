//! Endpoint handlers: chat completions (plain and streamed), embeddings, model listing.
//!
//! Each handler returns `Result<Response, GatewayError>`; the error becomes an OpenAI-shaped
//! response in exactly one place (`app::Handler`). Upstream non-2xx answers are relayed with
//! their status and body; upstream transport failures become 502/504.

pub mod cached;
pub mod relay;

use crate::api::{parse::parse_object, parse_chat_request, ChatRequest};
use crate::app::{AppState, RequestInfo, Team};
use crate::cache::{cache_key, is_deterministic, Assembler, CacheControl, CachedResponse, Join};
use crate::config::{ModelConfig, ModelKind};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, read_limited, Body, ReadError, Response};
use crate::route::{decide_route, parse_route, RouteDecision, RouteRefusal};
use crate::upstream::Endpoint;
use bytes::Bytes;
use http::header::HeaderValue;
use http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

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
        state.metrics.record_route(label, decision.source.as_str());
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

/// `POST /v1/chat/completions`.
pub async fn chat_completions(
    state: Arc<AppState>,
    team: Team,
    req: h::Request,
) -> Result<Response, GatewayError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, state.config.server.max_body_bytes).await?;
    let mut chat = parse_chat_request(&bytes)?;
    let decision = route_request(&state, &team, &parts.headers, &chat)?;
    let model = lookup(&state, &decision.target, &[ModelKind::Chat, ModelKind::Reasoning])?;
    let upstream = state.upstreams.get(&model.upstream).ok_or_else(|| {
        GatewayError::new(
            ErrorKind::Internal,
            format!("model {:?} names a missing upstream", model.public_name),
        )
    })?;
    let policy = state.config.policy_for(&team.0);
    let stream = chat.is_stream();
    let include_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    // Forward the client's exact bytes when nothing needs to change (fidelity and speed).
    let out = if chat.model == model.upstream_model {
        bytes
    } else {
        chat.model = model.upstream_model.clone();
        Bytes::from(serde_json::to_vec(&chat).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
        })?)
    };
    let info = RequestInfo {
        model: Some(model.upstream_model.clone()),
        upstream_wait: Duration::ZERO,
    };

    // Cache: look up, or join an identical request in flight, or bypass.
    let cc = CacheControl::parse(&parts.headers);
    let cacheable = policy.cache.enabled && is_deterministic(&chat);
    let ttl = policy.cache.ttl;
    let key = cache_key(policy.cache_namespace(&team.0), &model.upstream, &chat);
    let mut leader = None;
    let mut cache_status = if cacheable && !cc.no_cache {
        "miss"
    } else {
        "bypass"
    };
    if cacheable && !cc.no_cache {
        if let Some((entry, _tier)) = state.cache.get(key, ttl).await {
            let resp = cached::serve_entry(&entry, stream, include_usage, info);
            return Ok(finish(&state, resp, &decision, model, "hit"));
        }
        if !cc.no_store {
            match state.cache.join(key, stream) {
                Join::Leader(g) => leader = Some(g),
                Join::Follower(f) => {
                    let wait = state.config.cache.coalesce_timeout;
                    if let Some(resp) = cached::follow(f, wait, stream, include_usage, info.clone()).await {
                        return Ok(finish(&state, resp, &decision, model, "coalesced"));
                    }
                    // The leader failed before answering: make our own call.
                    cache_status = "miss";
                }
            }
        }
    }
    let store = cacheable && !cc.no_store;

    let request_id = parts.headers.get("x-request-id");
    let sent = upstream.send(Endpoint::ChatCompletions, out, request_id).await?;
    let info = RequestInfo {
        upstream_wait: sent.started.elapsed(),
        ..info
    };
    let resp = if stream && sent.response.status().is_success() {
        let mut taps: crate::stream::Taps = Vec::new();
        if store {
            taps.push(Box::new(cached::CacheTap {
                assembler: Assembler::default(),
                leader,
                cache: state.cache.clone(),
                key,
                ttl,
            }));
        }
        relay::stream_response(&state.metrics, sent, upstream.stream_idle_timeout, info, taps)
    } else {
        let started = sent.started;
        let (parts, bytes) = relay::read_full(sent, upstream.request_timeout).await?;
        let info = RequestInfo {
            upstream_wait: started.elapsed(),
            ..info
        };
        if store && parts.status.is_success() {
            if let Some(entry) = CachedResponse::from_body(bytes.clone()) {
                let entry = Arc::new(entry);
                state.cache.put(key, entry.clone(), ttl);
                if let Some(l) = leader {
                    l.done(entry);
                }
            }
        }
        relay::full_response(&parts, bytes, info)
    };
    Ok(finish(&state, resp, &decision, model, cache_status))
}

/// Headers every chat response carries: the route (for routed requests) and the cache result.
fn finish(
    state: &AppState,
    mut resp: Response,
    decision: &RouteDecision,
    model: &ModelConfig,
    cache: &'static str,
) -> Response {
    state.metrics.record_cache_lookup(cache);
    let h = resp.headers_mut();
    h.insert("x-gearbox-cache", HeaderValue::from_static(cache));
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

/// `POST /v1/embeddings`: passed through with the model name mapped.
pub async fn embeddings(
    state: Arc<AppState>,
    _team: Team,
    req: h::Request,
) -> Result<Response, GatewayError> {
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
    if !obj.contains_key("input") {
        return Err(
            GatewayError::new(ErrorKind::InvalidRequest, "missing required parameter 'input'")
                .with_param("input"),
        );
    }
    let model = lookup(&state, &name, &[ModelKind::Embedding])?;
    let upstream = state.upstreams.get(&model.upstream).ok_or_else(|| {
        GatewayError::new(
            ErrorKind::Internal,
            format!("model {:?} names a missing upstream", model.public_name),
        )
    })?;
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
    let info = RequestInfo {
        model: Some(model.upstream_model.clone()),
        upstream_wait: sent.started.elapsed(),
    };
    relay::relay_full(sent, upstream.request_timeout, info).await
}

/// `GET /v1/models` and `GET /v1/models/{id}`.
pub fn models(state: &AppState, id: Option<&str>) -> Result<Response, GatewayError> {
    let entry = |name: &str, m: &ModelConfig| serde_json::json!({"id": name, "object": "model", "created": 0, "owned_by": m.upstream});
    let body = match id {
        None => {
            let data: Vec<_> = state.config.models.iter().map(|(n, m)| entry(n, m)).collect();
            serde_json::json!({"object": "list", "data": data})
        }
        Some(id) => match state.config.models.get(id) {
            Some(m) => entry(id, m),
            None => return Err(model_not_found(id)),
        },
    };
    Ok(h::json(StatusCode::OK, body.to_string()))
}
