//! The admission stage every endpoint that calls an upstream runs: the allowed models, then
//! the team's limits and budget through [`crate::limits::Limiter::admit`], with refusals turned
//! into OpenAI-shaped 403/429s and counted; the `x-ratelimit-*` headers on every answer of a
//! rate-limited team.
//!
//! Invariant: an admitted request's reservation lives in its [`RequestCtx`] and its concurrency
//! slot in the observe record, until accounting settles one and the body's end drops the other;
//! dropped early (an error, a cancelled request) they give everything back, so no early return
//! can leak budget or slots.

use super::ctx::RequestCtx;
use super::routing::{Routing, Target};
use crate::api::ChatRequest;
use crate::classify::Route;
use crate::config::{ModelConfig, ModelKind};
use crate::error::{ErrorKind, GatewayError};
use crate::http::Response;
use crate::limits::{
    estimate_chat, estimate_embeddings, rate_headers, Ask, Cost, LimitKind, OverBudget, RateView, Refusal,
};
use crate::policy::{OnBudget, Policy};
use crate::state::{AppState, Team};
use http::header::HeaderValue;
use std::sync::Arc;
use tracing::Instrument;

/// 403 for a model the team's policy does not allow.
pub fn not_allowed(name: &str) -> GatewayError {
    GatewayError::new(
        ErrorKind::ModelNotAllowed,
        format!(
            "your team's policy does not allow the model `{}`",
            super::truncate(name, 200)
        ),
    )
    .with_param("model")
}

/// Admission of a chat request: the routed target must be allowed, and the request must fit
/// the team's limits and budget on it. At the budget a `downgrade` policy sends it to the
/// policy's chat model instead; the returned [`Target`] says so.
pub async fn admit_chat<'a>(
    ctx: &mut RequestCtx<'a>,
    chat: &ChatRequest,
    routing: Routing,
) -> Result<Target<'a>, GatewayError> {
    let span = admission_span(ctx);
    let admitted = admit_chat_in(ctx, chat, routing).instrument(span.clone()).await;
    if !span.is_disabled() {
        match &admitted {
            Ok(t) => {
                span.record("gearbox.admission.target", t.model.public_name.as_str());
                span.record("gearbox.admission.downgraded", t.downgraded);
            }
            Err(e) => {
                span.record("error.type", e.kind.code());
            }
        }
    }
    admitted
}

/// The admission span: whether the team is limited, and the outcome (`error.type` for a
/// refusal).
fn admission_span(ctx: &RequestCtx<'_>) -> tracing::Span {
    let policy = ctx.policy;
    crate::telemetry::stage_span!(
        "gearbox.admission",
        gearbox.team = &*ctx.team.0,
        gearbox.admission.limited = policy.limits.is_limited() || policy.budget.is_set(),
        gearbox.admission.target = tracing::field::Empty,
        gearbox.admission.downgraded = tracing::field::Empty,
        error.type = tracing::field::Empty,
    )
}

async fn admit_chat_in<'a>(
    ctx: &mut RequestCtx<'a>,
    chat: &ChatRequest,
    routing: Routing,
) -> Result<Target<'a>, GatewayError> {
    let (state, policy) = (ctx.state, ctx.policy);
    let Routing {
        mut decision,
        rewrite,
    } = routing;
    if !decision.is_routed() && !policy.allows(&chat.model) {
        return Err(not_allowed(&chat.model));
    }
    let mut downgraded = false;
    if policy.limits.is_limited() || policy.budget.is_set() {
        // Reserve what the request may cost on its target: the prompt estimate plus the
        // completion cap (a reasoning target raises it to the policy's minimum, as the adapter
        // will).
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
        if admit(ctx, cost, over_budget).await?.is_some() {
            state.metrics.record_budget_action(&ctx.team.0, "downgraded");
            if decision.target != policy.chat_model {
                decision.target.clone_from(&policy.chat_model);
                decision.route = Some(Route::Chat);
                downgraded = true;
            }
        }
    }
    if !policy.allows(&decision.target) {
        return Err(not_allowed(&decision.target));
    }
    let model = super::lookup(state, &decision.target, &[ModelKind::Chat, ModelKind::Reasoning])?;
    Ok(Target {
        routing: Routing { decision, rewrite },
        model,
        downgraded,
    })
}

/// Admission of an embeddings request for `name`: allowed, and within the team's limits and
/// budget. At the budget it is refused whatever `on_exceeded` says: there is no cheaper target.
pub async fn admit_embeddings<'a>(
    ctx: &mut RequestCtx<'a>,
    name: &str,
    input: &serde_json::Value,
) -> Result<&'a ModelConfig, GatewayError> {
    let (state, policy) = (ctx.state, ctx.policy);
    if !policy.allows(name) {
        return Err(not_allowed(name));
    }
    let model = super::lookup(state, name, &[ModelKind::Embedding])?;
    if policy.limits.is_limited() || policy.budget.is_set() {
        let est = estimate_embeddings(input);
        let cost = Cost {
            tokens: est.tokens(),
            usd: est.usd(model.price),
        };
        admit(ctx, cost, OverBudget::Refuse).await?;
    }
    Ok(model)
}

/// Admission of a passed-through request (completions, moderations, audio, images, files,
/// batches, uploads): the model it names, if any, must be allowed; the request counts against
/// the team's requests per minute and concurrency (its tokens are not estimated: it reserves
/// none), and a used-up budget refuses it.
pub async fn admit_passthrough(ctx: &mut RequestCtx<'_>, model: Option<&str>) -> Result<(), GatewayError> {
    let span = admission_span(ctx);
    let admitted = admit_passthrough_in(ctx, model).instrument(span.clone()).await;
    if let Err(e) = &admitted {
        span.record("error.type", e.kind.code());
    }
    admitted
}

async fn admit_passthrough_in(ctx: &mut RequestCtx<'_>, model: Option<&str>) -> Result<(), GatewayError> {
    let policy = ctx.policy;
    if let Some(name) = model.filter(|n| !policy.allows(n)) {
        return Err(not_allowed(name));
    }
    if policy.limits.is_limited() || policy.budget.is_set() {
        let cost = Cost { tokens: 0, usd: 0.0 };
        admit(ctx, cost, OverBudget::Refuse).await?;
    }
    Ok(())
}

/// Admit one request of the context's team expected to cost `cost`: its reservation and
/// concurrency slot go into the context (the slot is held until the response body ends). Returns
/// the budget cap already reached when admitted over budget.
async fn admit(
    ctx: &mut RequestCtx<'_>,
    cost: Cost,
    over_budget: OverBudget,
) -> Result<Option<&'static str>, GatewayError> {
    let (state, team, policy) = (ctx.state, ctx.team, ctx.policy);
    let limits = policy.limits;
    let rated = limits.rpm.is_some() || limits.tpm.is_some();
    let ask = Ask {
        limits: &limits,
        budget: &policy.budget,
        cost,
        over_budget,
    };
    match state.limiter.admit(&team.0, ask).await {
        Ok(adm) => {
            if rated {
                ctx.rate = Some(adm.view);
            }
            ctx.reservation = adm.reservation;
            ctx.info.hold = adm
                .slot
                .map(|s| Arc::new(s) as Arc<dyn std::any::Any + Send + Sync>);
            Ok(adm.over_budget)
        }
        Err(refusal) => {
            if rated {
                ctx.rate = Some(refusal.view());
            }
            Err(refused(state, team, policy, refusal))
        }
    }
}

fn refused(state: &AppState, team: &Team, policy: &Policy, refusal: Refusal) -> GatewayError {
    let limits = policy.limits;
    match refusal {
        Refusal::Budget { cap, .. } => {
            state.metrics.record_budget_action(&team.0, "refused");
            GatewayError::new(
                ErrorKind::BudgetExceeded,
                format!(
                    "your team's budget ({cap}) is used up; it resets at the start of the next UTC period"
                ),
            )
        }
        Refusal::Limit {
            kind, retry_after, ..
        } => {
            state.metrics.record_limit_refusal(&team.0, kind.as_str());
            let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut h = http::HeaderMap::new();
            h.insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
            let what = match kind {
                LimitKind::Requests => format!("requests per minute (limit {})", limits.rpm.unwrap_or(0)),
                LimitKind::Tokens => format!("tokens per minute (limit {})", limits.tpm.unwrap_or(0)),
                LimitKind::Concurrency => {
                    format!("concurrent requests (limit {})", limits.concurrency.unwrap_or(0))
                }
            };
            GatewayError::new(
                ErrorKind::RateLimited,
                format!("Rate limit reached for your team on {what}. Please try again in {secs}s."),
            )
            .with_headers(h)
        }
    }
}

/// Add the `x-ratelimit-*` headers of `view` (when the team has rate limits) to an answer,
/// refusals included.
pub fn with_rate_headers(
    view: Option<RateView>,
    result: Result<Response, GatewayError>,
) -> Result<Response, GatewayError> {
    let Some(v) = view else {
        return result;
    };
    let headers = rate_headers(&v);
    match result {
        Ok(mut r) => {
            r.headers_mut().extend(headers);
            Ok(r)
        }
        Err(e) => Err(e.with_headers(headers)),
    }
}
