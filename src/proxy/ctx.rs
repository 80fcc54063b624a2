//! The request context: the one value a handler creates and passes by `&mut` through its
//! stages, in order (see ARCHITECTURE.md, "The request pipeline"). It holds what every stage may
//! read — the caller, its policy, the request id — and what stages hand to the end of the
//! request: the admission's reservation, the one deadline, and the [`RequestInfo`] the observe
//! layer logs. What one stage hands the next (a route decision, an adapted request, a cache
//! store) is a typed value passed on, so no stage can read a result before its stage has run.
//!
//! Invariants: the reservation is a guard (settled by accounting, refunded when the context is
//! dropped unsettled: an early return, `?`, a cancelled request); the deadline is fixed by the
//! first upstream call and never extended by a later one.

use crate::limits::{RateView, Reservation};
use crate::policy::Policy;
use crate::state::{AppState, RequestInfo, Team};
use crate::upstream::resilience::Exchange;
use crate::upstream::Endpoint;
use http::HeaderValue;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One request on its way through the pipeline. Lives on the handler's stack and borrows the
/// snapshot, the team and the request headers: nothing here is cloned per request.
pub struct RequestCtx<'a> {
    /// The config snapshot the request keeps to the end, reloads notwithstanding.
    pub state: &'a Arc<AppState>,
    pub team: &'a Team,
    /// The team's effective policy.
    pub policy: &'a Policy,
    /// The client's request headers: overrides, cache control, the request id.
    pub headers: &'a http::HeaderMap,
    /// When the handler took the request (time to first token counts from here).
    pub started: Instant,
    /// A rate-limited team's view of its buckets, for the `x-ratelimit-*` headers of every
    /// answer, refusals included.
    pub rate: Option<RateView>,
    /// What admission reserved. Accounting settles it to the real usage; dropped unsettled with
    /// the context, it gives everything back.
    pub reservation: Option<Reservation>,
    /// The request's one deadline, fixed by its first upstream call.
    deadline: Option<Instant>,
    /// What the observe layer logs and counts, filled in by the stages and handed over with
    /// the response.
    pub info: RequestInfo,
}

impl<'a> RequestCtx<'a> {
    pub fn new(state: &'a Arc<AppState>, team: &'a Team, headers: &'a http::HeaderMap) -> Self {
        RequestCtx {
            state,
            team,
            policy: state.config.policy_for(&team.0),
            headers,
            started: Instant::now(),
            rate: None,
            reservation: None,
            deadline: None,
            info: RequestInfo {
                team: Some(team.0.clone()),
                ..RequestInfo::default()
            },
        }
    }

    /// The client's `x-request-id` (set by the request-id layer), sent on every upstream call.
    pub fn request_id(&self) -> Option<&'a HeaderValue> {
        self.headers.get("x-request-id")
    }

    /// The exchange every upstream call of this request goes through: the first call fixes the
    /// deadline (`timeout` from now); retries, fallbacks and repair calls share it.
    pub fn exchange(&mut self, endpoint: Endpoint, timeout: Duration) -> Exchange<'a> {
        let deadline = self.fix_deadline(timeout);
        let state: &'a AppState = self.state;
        Exchange {
            cfg: &state.config.resilience,
            budget: &state.retry_budget,
            metrics: &state.metrics,
            endpoint,
            deadline,
            request_id: self.request_id(),
        }
    }

    /// The request's deadline: `timeout` from now if no upstream call fixed it yet.
    pub fn fix_deadline(&mut self, timeout: Duration) -> Instant {
        *self.deadline.get_or_insert_with(|| Instant::now() + timeout)
    }

    /// The one deadline, once the first upstream call fixed it.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The response's observe record, handed over once (the stages have filled it in).
    pub fn take_info(&mut self) -> RequestInfo {
        std::mem::take(&mut self.info)
    }
}
