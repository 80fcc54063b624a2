//! Endpoint handlers: chat completions (plain and streamed), embeddings, model listing.
//!
//! Each handler returns `Result<Response, GatewayError>`; the error becomes an OpenAI-shaped
//! response in exactly one place (`app::Handler`). Upstream non-2xx answers are relayed with
//! their status and body; upstream transport failures become 502/504.

use crate::api::{parse::parse_object, parse_chat_request, ChatRequest};
use crate::app::{AppState, RequestInfo, Team};
use crate::config::{ModelConfig, ModelKind};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, read_limited, Body, ReadError, Response};
use crate::route::{decide_route, parse_route, RouteDecision, RouteRefusal};
use crate::stream::SseRelay;
use crate::upstream::{Endpoint, UpstreamResponse};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

/// Largest upstream response body buffered for a non-streaming call.
const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;
/// Largest single SSE event relayed.
const MAX_SSE_EVENT: usize = 4 * 1024 * 1024;
/// Upstream response headers passed through to the client.
const RELAYED_HEADERS: &[&str] = &[
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
    let stream = chat.is_stream();
    // Forward the client's exact bytes when nothing needs to change (fidelity and speed).
    let out = if chat.model == model.upstream_model {
        bytes
    } else {
        chat.model = model.upstream_model.clone();
        Bytes::from(serde_json::to_vec(&chat).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
        })?)
    };
    let request_id = parts.headers.get("x-request-id");
    let sent = upstream.send(Endpoint::ChatCompletions, out, request_id).await?;
    let info = RequestInfo {
        model: Some(model.upstream_model.clone()),
        upstream_wait: sent.started.elapsed(),
    };
    let mut resp = if stream && sent.response.status().is_success() {
        stream_response(&state, sent, upstream.stream_idle_timeout, info)
    } else {
        relay_full(sent, upstream.request_timeout, info).await?
    };
    if decision.is_routed() {
        let served = decision.route.map_or(model.kind.as_str(), |r| r.as_str());
        let h = resp.headers_mut();
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
    Ok(resp)
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
    relay_full(sent, upstream.request_timeout, info).await
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

fn copy_relayed_headers(from: &http::HeaderMap, to: &mut http::HeaderMap) {
    for name in RELAYED_HEADERS {
        if let Some(v) = from.get(*name) {
            to.insert(HeaderName::from_static(name), v.clone());
        }
    }
}

fn set_model_header(resp: &mut Response, model: &Option<String>) {
    if let Some(m) = model {
        if let Ok(v) = HeaderValue::from_str(m) {
            resp.headers_mut().insert("x-gearbox-model", v);
        }
    }
}

/// Read the whole upstream body (bounded in size and by the request deadline) and relay it with
/// the upstream's status.
async fn relay_full(
    sent: UpstreamResponse,
    deadline: Duration,
    mut info: RequestInfo,
) -> Result<Response, GatewayError> {
    let (parts, body) = sent.response.into_parts();
    let remaining = deadline.saturating_sub(sent.started.elapsed());
    let bytes = match tokio::time::timeout(remaining, read_limited(body, MAX_UPSTREAM_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(ReadError::TooLarge { limit })) => {
            return Err(GatewayError::new(
                ErrorKind::UpstreamProtocol,
                format!("upstream response is larger than {limit} bytes"),
            ))
        }
        Ok(Err(ReadError::Body(e))) => {
            return Err(GatewayError::new(
                ErrorKind::UpstreamUnreachable,
                format!("upstream connection failed while sending the response: {e}"),
            ))
        }
        Err(_) => {
            return Err(GatewayError::new(
                ErrorKind::UpstreamTimeout,
                format!("upstream did not finish its response within {deadline:?}"),
            ))
        }
    };
    info.upstream_wait = sent.started.elapsed();
    if parts.status.is_success() && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
        return Err(GatewayError::new(
            ErrorKind::UpstreamProtocol,
            "upstream returned a success status with a body that is not valid JSON",
        ));
    }
    let mut resp = h::full(parts.status, bytes);
    let ct = parts
        .headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(CONTENT_TYPE, ct);
    copy_relayed_headers(&parts.headers, resp.headers_mut());
    set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    Ok(resp)
}

/// Relay an upstream event stream as it arrives.
fn stream_response(state: &AppState, sent: UpstreamResponse, idle: Duration, info: RequestInfo) -> Response {
    let (parts, body) = sent.response.into_parts();
    let metrics = state.metrics.clone();
    metrics.open_streams().inc();
    let on_end: crate::stream::OnEnd = Box::new(move |summary| {
        metrics.open_streams().dec();
        metrics.record_stream_end(summary.outcome);
    });
    let relay = SseRelay::new(body, idle, MAX_SSE_EVENT, Some(on_end));
    let mut resp = http::Response::new(h::boxed(relay));
    *resp.status_mut() = parts.status;
    let hm = resp.headers_mut();
    hm.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    hm.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    copy_relayed_headers(&parts.headers, hm);
    set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    resp
}
