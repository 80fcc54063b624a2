//! Endpoint handlers, and the stages of the request pipeline they compose.
//!
//! A handler that calls an upstream creates one [`ctx::RequestCtx`] and passes it through the
//! stages it needs, in order: routing ([`routing::decide`]), admission ([`admission`]),
//! schema preparation and adaptation ([`structured::prepare`], [`routing::adapt`]), the cache
//! ([`cached::lookup`]), the upstream call under resilience ([`call`]), schema enforcement
//! ([`structured::enforce`]) and accounting ([`account`]). [`chat`] runs them all,
//! [`embeddings`] admission, the call and accounting, [`passthrough`] (the rest of the surface:
//! completions, moderations, audio, images, files, batches, uploads) admission and the call. Each handler returns
//! `Result<Response, GatewayError>`; the error becomes an OpenAI-shaped response in exactly one
//! place (`app::Handler`). Upstream non-2xx answers are relayed with their status and body;
//! upstream transport failures become 502/504, and an upstream 401/403 (a refusal of the
//! gateway's own credentials) becomes the gateway's `upstream_auth_failed` 502.

pub mod account;
pub mod admission;
pub mod cached;
pub mod call;
pub mod chat;
pub mod ctx;
pub mod embeddings;
pub mod passthrough;
pub mod relay;
pub mod responses;
pub mod routing;
pub mod structured;

use crate::config::{ModelConfig, ModelKind, ServerConfig};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, read_limited, Body, ReadError, Response};
use crate::policy::{OnBudget, UnsupportedParams};
use crate::state::{AppState, Team};
use bytes::Bytes;
use http::StatusCode;
use std::sync::Arc;

/// Read the request body, enforcing the configured size limit and `body_read_timeout`. A body
/// that is not complete in time is a 408 that closes the connection (the rest of the body is
/// never read, so the connection cannot serve another request).
pub async fn read_body(body: Body, server: &ServerConfig) -> Result<Bytes, GatewayError> {
    let read = read_limited(body, server.max_body_bytes);
    let Ok(result) = tokio::time::timeout(server.body_read_timeout, read).await else {
        let mut close = http::HeaderMap::new();
        close.insert(http::header::CONNECTION, http::HeaderValue::from_static("close"));
        return Err(GatewayError::new(
            ErrorKind::BodyReadTimeout,
            format!(
                "the request body was not received within {:?}; send the whole body promptly",
                server.body_read_timeout
            ),
        )
        .with_headers(close));
    };
    result.map_err(|e| match e {
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

/// `POST /v1/route`: the routing decision for a Chat Completions body, calling no upstream.
pub async fn route(state: Arc<AppState>, team: Team, req: h::Request) -> Result<Response, GatewayError> {
    let (_, body) = req.into_parts();
    let bytes = read_body(body, &state.config.server).await?;
    let chat = crate::route::parse_route_input(&bytes)?;
    let policy = state.config.policy_for(&team.0);
    let c = crate::classify::classify_with_threshold(&chat, &state.config.router_model, policy.threshold);
    Ok(h::json(
        StatusCode::OK,
        crate::route::decision_json(None, &c).to_string(),
    ))
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
