//! Retries, load balancing, circuit breaking and fallbacks over upstream deployments.
//!
//! Invariants: an attempt is retried only before any byte reached the client (the caller only
//! hands a response on once its headers arrived, and streams are never retried after that);
//! every retry waits a jittered, capped backoff (or the upstream's `Retry-After`, capped) and
//! spends from a retry budget over a sliding window, so retries cannot amplify an outage and a
//! calm hour banks nothing for the next one; the whole exchange is bounded by one deadline; an
//! open circuit is skipped without spending an attempt, and lets one probe through after its
//! cooldown.

use super::{Endpoint, Upstream, UpstreamResponse};
use crate::config::ResilienceConfig;
use crate::error::{ErrorKind, GatewayError, Timeout};
use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::HeaderValue;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::retry::budget::{Budget, TpsBudget};

/// Circuit state of one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn gauge(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }
}

#[derive(Debug)]
enum Breaker {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight.
    HalfOpen,
}

/// A circuit breaker: opens after `failures` consecutive failures, half-opens after the
/// cooldown to let one probe through.
#[derive(Debug)]
pub struct CircuitBreaker {
    state: Mutex<Breaker>,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            state: Mutex::new(Breaker::Closed { failures: 0 }),
        }
    }
}

impl CircuitBreaker {
    /// May a request go through now? (Moves an expired open circuit to half-open and lets this
    /// caller be the probe.)
    pub fn allow(&self, now: Instant) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match *s {
            Breaker::Closed { .. } => true,
            Breaker::Open { until } if now >= until => {
                *s = Breaker::HalfOpen;
                true
            }
            Breaker::Open { .. } | Breaker::HalfOpen => false,
        }
    }

    pub fn success(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Breaker::Closed { failures: 0 };
    }

    pub fn failure(&self, threshold: u32, cooldown: Duration) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *s = match *s {
            Breaker::Closed { failures } if failures + 1 < threshold => Breaker::Closed {
                failures: failures + 1,
            },
            _ => Breaker::Open {
                until: Instant::now() + cooldown,
            },
        };
    }

    pub fn state(&self) -> CircuitState {
        match *self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            Breaker::Closed { .. } => CircuitState::Closed,
            Breaker::Open { until } if Instant::now() >= until => CircuitState::HalfOpen,
            Breaker::Open { .. } => CircuitState::Open,
            Breaker::HalfOpen => CircuitState::HalfOpen,
        }
    }
}

/// How long a request's deposit counts towards retries (tower's `ttl`).
const RETRY_BUDGET_WINDOW: Duration = Duration::from_secs(10);
/// Retries allowed per second whatever the traffic (tower's `min_per_sec`): over the window,
/// the same floor of 10 the budget had before it had a window.
const RETRY_BUDGET_MIN_PER_SEC: u32 = 1;

/// Retries as a fraction of recent requests: tower's [`TpsBudget`] (each request deposits, each
/// retry withdraws; deposits expire after [`RETRY_BUDGET_WINDOW`]; a floor of
/// [`RETRY_BUDGET_MIN_PER_SEC`] per second), so a calm hour banks nothing for the next outage.
/// The fraction is `resilience.retry_budget`, taken as tower takes it (one retry per
/// `1 / fraction` requests, rounded down). It is read per request, and a reload that changes
/// it starts a fresh window.
pub struct RetryBudget {
    current: ArcSwap<(f64, TpsBudget)>,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget::with_fraction(0.2)
    }
}

impl RetryBudget {
    fn with_fraction(fraction: f64) -> Self {
        RetryBudget {
            current: ArcSwap::from_pointee((fraction, tps_budget(fraction))),
        }
    }

    /// A request was made: it allows `fraction` of a retry for the next window.
    pub fn deposit(&self, fraction: f64) {
        let current = self.current.load();
        if current.0 == fraction {
            current.1.deposit();
        } else {
            let fresh = Arc::new((fraction, tps_budget(fraction)));
            fresh.1.deposit();
            self.current.store(fresh);
        }
    }

    /// Take one retry, if the window's deposits and the floor allow it.
    pub fn try_withdraw(&self) -> bool {
        self.current.load().1.withdraw()
    }
}

/// tower asserts its bounds (0..=1000, finite): config validation keeps the fraction finite and
/// non-negative, the clamp keeps an absurd one from panicking.
fn tps_budget(fraction: f64) -> TpsBudget {
    let percent = if fraction.is_finite() {
        fraction.clamp(0.0, 1000.0) as f32
    } else {
        0.0
    };
    TpsBudget::new(RETRY_BUDGET_WINDOW, RETRY_BUDGET_MIN_PER_SEC, percent)
}

/// Full-jitter exponential backoff: uniform in [0, min(max, base * 2^retry)].
pub fn backoff(retry: u32, base: Duration, max: Duration) -> Duration {
    let cap = base.saturating_mul(1u32 << retry.min(16)).min(max);
    cap.mul_f64(fastrand::f64())
}

/// Statuses worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` in seconds (the HTTP-date form is not honoured).
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// One place to send the request.
#[derive(Clone)]
pub struct Candidate {
    pub upstream: Arc<Upstream>,
    /// The model name on that upstream.
    pub model: String,
    /// A fallback (another model than the one chosen), reported to the client.
    pub fallback: bool,
}

/// Order deployments for one attempt sequence: closed circuits first, then by fewest
/// outstanding requests, ties broken at random (so equal deployments share the load).
pub fn order(mut cands: Vec<Candidate>) -> Vec<Candidate> {
    let key = |c: &Candidate| {
        let open = c.upstream.breaker(&c.model).state() == CircuitState::Open;
        (open, c.upstream.outstanding.load(Ordering::Relaxed))
    };
    fastrand::shuffle(&mut cands);
    cands.sort_by_key(key);
    cands
}

/// What a successful exchange used.
pub struct Sent {
    pub response: UpstreamResponse,
    pub candidate: Candidate,
    pub attempts: u32,
}

/// Decrements an upstream's outstanding count when the exchange is over.
struct Outstanding(Arc<Upstream>);

impl Drop for Outstanding {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Send to the primary candidates (balanced), then the fallbacks, retrying retryable failures
/// within `cfg.max_attempts`, the retry budget and `deadline`. A last retryable upstream answer
/// (e.g. a 503 with its body) is returned as is when attempts run out, so its status and body
/// reach the client.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    primary: Vec<Candidate>,
    fallbacks: Vec<Candidate>,
    body_for: &(dyn Fn(&Candidate) -> Result<Bytes, GatewayError> + Send + Sync),
    request_id: Option<&HeaderValue>,
    cfg: &ResilienceConfig,
    budget: &RetryBudget,
    deadline: Instant,
    metrics: &Metrics,
) -> Result<Sent, GatewayError> {
    budget.deposit(cfg.retry_budget);
    let primary = order(primary);
    let fallbacks = order(fallbacks);
    // Primaries round-robin up to the attempt limit, then each fallback once.
    let mut plan: Vec<Candidate> = Vec::new();
    if !primary.is_empty() {
        for i in 0..cfg.max_attempts as usize {
            if let Some(c) = primary.get(i % primary.len()) {
                plan.push(c.clone());
            }
        }
    }
    plan.extend(fallbacks);
    let mut attempts = 0u32;
    let mut last_err: Option<GatewayError> = None;
    let mut last_resp: Option<(UpstreamResponse, Candidate)> = None;
    let mut wait_hint: Option<Duration> = None;
    for (i, cand) in plan.iter().enumerate() {
        let is_fallback = cand.fallback;
        if attempts >= cfg.max_attempts && !is_fallback {
            continue;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let breaker = cand.upstream.breaker(&cand.model);
        if !breaker.allow(now) {
            metrics.record_circuit(&cand.upstream.name, &cand.model, breaker.state());
            if last_err.is_none() {
                last_err = Some(GatewayError::new(
                    ErrorKind::UpstreamUnreachable,
                    format!("upstream {:?} is failing (circuit open)", cand.upstream.name),
                ));
            }
            continue;
        }
        if attempts > 0 {
            if !budget.try_withdraw() {
                metrics.record_retry(&cand.upstream.name, "budget_exhausted");
                break;
            }
            let pause = wait_hint
                .take()
                .map(|d| d.min(cfg.backoff_max))
                .unwrap_or_else(|| backoff(attempts - 1, cfg.backoff_base, cfg.backoff_max));
            let pause = pause.min(deadline.saturating_duration_since(Instant::now()));
            tokio::time::sleep(pause).await;
            metrics.record_retry(
                &cand.upstream.name,
                if is_fallback { "fallback" } else { "retry" },
            );
        }
        attempts += 1;
        let body = body_for(cand)?;
        cand.upstream.outstanding.fetch_add(1, Ordering::Relaxed);
        let _out = Outstanding(cand.upstream.clone());
        let remaining = deadline.saturating_duration_since(Instant::now());
        let sent = tokio::time::timeout(
            remaining,
            cand.upstream.send(Endpoint::ChatCompletions, body, request_id),
        )
        .await;
        let more = plan.get(i + 1..).is_some_and(|rest| !rest.is_empty());
        match sent {
            Ok(Ok(resp)) => {
                let status = resp.response.status().as_u16();
                if retryable_status(status) {
                    breaker.failure(cfg.circuit_failures, cfg.circuit_cooldown);
                    metrics.record_circuit(&cand.upstream.name, &cand.model, breaker.state());
                    metrics.record_upstream_error(
                        &cand.upstream.name,
                        if status == 429 { "status_429" } else { "status_5xx" },
                    );
                    if more {
                        wait_hint = retry_after(resp.response.headers());
                        last_resp = Some((resp, cand.clone()));
                        continue;
                    }
                    return Ok(Sent {
                        response: resp,
                        candidate: cand.clone(),
                        attempts,
                    });
                }
                breaker.success();
                metrics.record_circuit(&cand.upstream.name, &cand.model, CircuitState::Closed);
                return Ok(Sent {
                    response: resp,
                    candidate: cand.clone(),
                    attempts,
                });
            }
            Ok(Err(e))
                if matches!(
                    e.kind,
                    ErrorKind::UpstreamUnreachable | ErrorKind::UpstreamTimeout
                ) =>
            {
                breaker.failure(cfg.circuit_failures, cfg.circuit_cooldown);
                metrics.record_circuit(&cand.upstream.name, &cand.model, breaker.state());
                metrics.record_upstream_error(&cand.upstream.name, e.kind.code());
                last_err = Some(e);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                metrics.record_upstream_error(&cand.upstream.name, "upstream_timeout");
                last_err = Some(GatewayError::timed_out(
                    Timeout::Deadline,
                    format!(
                        "upstream {:?} did not respond before the request deadline",
                        cand.upstream.name
                    ),
                ));
                break;
            }
        }
    }
    if let Some((response, candidate)) = last_resp {
        return Ok(Sent {
            response,
            candidate,
            attempts,
        });
    }
    Err(last_err.unwrap_or_else(|| {
        GatewayError::new(
            ErrorKind::UpstreamUnreachable,
            "no upstream is available for this model",
        )
    }))
}

/// Counts of outstanding requests, for tests and balancing.
pub fn outstanding(u: &Upstream) -> u64 {
    u.outstanding.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let b = CircuitBreaker::default();
        let now = Instant::now();
        for _ in 0..2 {
            b.failure(3, Duration::from_millis(30));
            assert!(b.allow(now));
        }
        b.failure(3, Duration::from_millis(30));
        assert_eq!(b.state(), CircuitState::Open);
        assert!(!b.allow(Instant::now()));
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.allow(Instant::now()), "one probe after the cooldown");
        assert!(!b.allow(Instant::now()), "only one");
        b.failure(3, Duration::from_millis(30));
        assert_eq!(b.state(), CircuitState::Open, "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(40));
        assert!(b.allow(Instant::now()));
        b.success();
        assert_eq!(b.state(), CircuitState::Closed);
    }

    #[test]
    fn retry_budget_is_a_fraction_of_traffic() {
        let b = RetryBudget::default();
        let mut retries = 0;
        for _ in 0..1000 {
            b.deposit(0.1);
            if b.try_withdraw() {
                retries += 1;
            }
        }
        // A floor of 10 + 0.1 per request.
        assert!((105..=111).contains(&retries), "{retries}");
    }

    /// The bug: the budget had no time window, so a calm period banked retries (up to 100)
    /// for the next outage. Deposits now expire after the window: after a quiet spell only the
    /// floor is left.
    #[tokio::test(start_paused = true)]
    async fn a_calm_hour_banks_no_retries_for_the_next_outage() {
        let b = RetryBudget::default();
        for _ in 0..10_000 {
            b.deposit(0.2);
        }
        tokio::time::advance(Duration::from_secs(3600)).await;
        let mut retries = 0;
        while retries < 1000 && b.try_withdraw() {
            retries += 1;
        }
        assert_eq!(retries, 10, "only the floor (1 per second over a 10 s window)");
        // Within the window, recent requests do allow retries.
        for _ in 0..100 {
            b.deposit(0.2);
        }
        let mut more = 0;
        while more < 1000 && b.try_withdraw() {
            more += 1;
        }
        assert_eq!(more, 20, "20% of the last window's requests");
    }

    #[test]
    fn a_new_fraction_takes_effect() {
        let b = RetryBudget::default();
        b.deposit(0.0);
        let mut retries = 0;
        while retries < 1000 && b.try_withdraw() {
            retries += 1;
        }
        assert_eq!(retries, 10, "no deposits count at 0, only the floor");
        for _ in 0..10 {
            b.deposit(1.0);
        }
        let mut more = 0;
        while more < 1000 && b.try_withdraw() {
            more += 1;
        }
        assert_eq!(more, 20, "floor again (a fresh window) + one per request");
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        for retry in 0..20 {
            let d = backoff(retry, Duration::from_millis(50), Duration::from_secs(2));
            assert!(d <= Duration::from_secs(2));
        }
        assert!(backoff(0, Duration::from_millis(50), Duration::from_secs(2)) <= Duration::from_millis(50));
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
