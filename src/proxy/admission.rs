//! The admission stage every endpoint that calls an upstream runs: the team's limits and
//! budget, through [`crate::limits::Limiter::admit`], with refusals turned into OpenAI-shaped
//! 429s and counted; the `x-ratelimit-*` headers on every answer of a rate-limited team.
//!
//! Invariant: an admitted request holds an [`Admission`] (its reservation and concurrency slot)
//! until it settles or is dropped, so no early return can leak budget or slots.

use crate::error::{ErrorKind, GatewayError};
use crate::http::Response;
use crate::limits::{rate_headers, Admission, Ask, Cost, LimitKind, OverBudget, RateView, Refusal};
use crate::policy::Policy;
use crate::state::{AppState, Team};
use http::header::HeaderValue;

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

/// Admit one request of `team` expected to cost `cost`. `view` receives the rate view (refused
/// or not) when the team has rate limits, for the response headers.
pub async fn admit(
    state: &AppState,
    team: &Team,
    policy: &Policy,
    cost: Cost,
    over_budget: OverBudget,
    view: &mut Option<RateView>,
) -> Result<Admission, GatewayError> {
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
                *view = Some(adm.view);
            }
            Ok(adm)
        }
        Err(refusal) => {
            if rated {
                *view = Some(refusal.view());
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
