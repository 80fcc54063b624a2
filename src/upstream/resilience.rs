//! Retries, load balancing, circuit breaking and fallbacks over upstream deployments.
//!
//! Invariants: an attempt is retried only before any byte reached the client (the caller only
//! hands a response on once its headers arrived, and streams are never retried after that);
//! every retry waits a jittered, capped backoff (or the upstream's `Retry-After`, capped) and
//! spends from a retry budget over a sliding window, so retries cannot amplify an outage and a
//! calm hour banks nothing for the next one; the whole exchange, schema repair calls included,
//! is bounded by the client request's one deadline ([`Exchange`]); an open circuit is skipped
//! without spending an attempt, and lets one probe through after its cooldown. Every attempt
//! holds a breaker [`Permit`] that counts as a failure unless settled, so a deadline, an early
//! return or a cancelled request cannot leave a circuit half-open for ever.

use super::{Endpoint, Upstream, UpstreamResponse};
use crate::config::ResilienceConfig;
use crate::error::{ErrorKind, GatewayError, Timeout};
pub use crate::metrics::CircuitState;
use crate::metrics::Metrics;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::HeaderValue;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::retry::budget::{Budget, TpsBudget};
use tracing::Instrument;

#[derive(Debug)]
enum Breaker {
    Closed {
        /// Failures in a row.
        failures: u32,
        /// Outcomes over the recent window, for the error-ratio trip.
        window: ErrorWindow,
    },
    Open {
        until: Instant,
    },
    /// One probe is in flight; its [`Permit`] moves the breaker on when settled or dropped.
    HalfOpen,
}

impl Breaker {
    fn closed() -> Breaker {
        Breaker::Closed {
            failures: 0,
            window: ErrorWindow::default(),
        }
    }
}

/// Slices of an [`ErrorWindow`]: outcomes older than the window leave it a slice at a time.
const WINDOW_SLICES: usize = 10;

/// Attempts and failures over a sliding window (`Trip::window`), in [`WINDOW_SLICES`] slices:
/// a slice is reused, and its counts dropped, once it is a whole window old. Memory and work
/// per outcome are constant whatever the traffic.
#[derive(Debug)]
struct ErrorWindow {
    /// The instant slice numbers count from.
    origin: Instant,
    /// The slice length the counts were taken with (a reload that changes the window starts
    /// afresh).
    slice: Duration,
    /// Per slot: (slice number, attempts, failures).
    slots: [(u64, u32, u32); WINDOW_SLICES],
}

impl Default for ErrorWindow {
    fn default() -> Self {
        ErrorWindow {
            origin: Instant::now(),
            slice: Duration::ZERO,
            slots: [(0, 0, 0); WINDOW_SLICES],
        }
    }
}

impl ErrorWindow {
    fn slice_of(&self, now: Instant) -> u64 {
        let nanos = self.slice.as_nanos().max(1);
        u64::try_from(now.saturating_duration_since(self.origin).as_nanos() / nanos).unwrap_or(u64::MAX)
    }

    /// Count one outcome at `now`.
    fn record(&mut self, now: Instant, failed: bool, window: Duration) {
        let slice = (window / WINDOW_SLICES as u32).max(Duration::from_millis(1));
        if slice != self.slice {
            *self = ErrorWindow {
                origin: now,
                slice,
                slots: [(0, 0, 0); WINDOW_SLICES],
            };
        }
        let n = self.slice_of(now);
        let i = (n % WINDOW_SLICES as u64) as usize;
        if let Some(slot) = self.slots.get_mut(i) {
            if slot.0 != n {
                *slot = (n, 0, 0);
            }
            slot.1 = slot.1.saturating_add(1);
            slot.2 = slot.2.saturating_add(u32::from(failed));
        }
    }

    /// (attempts, failures) within the window ending at `now`.
    fn totals(&self, now: Instant) -> (u32, u32) {
        let n = self.slice_of(now);
        self.slots
            .iter()
            .filter(|s| s.0 + WINDOW_SLICES as u64 > n && s.0 <= n)
            .fold((0u32, 0u32), |(a, f), s| {
                (a.saturating_add(s.1), f.saturating_add(s.2))
            })
    }

    /// Has the error ratio reached `trip.error_ratio` over at least `trip.min_requests`
    /// attempts? A ratio of 0 turns this trip off.
    fn trips(&self, now: Instant, trip: &Trip) -> bool {
        if trip.error_ratio <= 0.0 {
            return false;
        }
        let (attempts, failures) = self.totals(now);
        attempts >= trip.min_requests.max(1) && f64::from(failures) >= trip.error_ratio * f64::from(attempts)
    }
}

/// A circuit breaker: opens after `failures` consecutive failures, or when the failures reach
/// `error_ratio` of at least `min_requests` attempts within the sliding `window`; half-opens
/// after the cooldown to let one probe through. Only a [`Permit`] reports outcomes, so every
/// attempt let through is settled exactly once; an attempt that started before the circuit
/// opened changes nothing when it ends (only the probe decides an open circuit's fate).
#[derive(Debug)]
pub struct CircuitBreaker {
    state: Mutex<Breaker>,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        CircuitBreaker {
            state: Mutex::new(Breaker::closed()),
        }
    }
}

/// When a breaker trips and for how long (from `[resilience]`).
#[derive(Debug, Clone, Copy)]
pub struct Trip {
    /// Consecutive failures that open the circuit.
    pub failures: u32,
    /// Failures as a fraction of the attempts in `window` that open the circuit (0: off).
    pub error_ratio: f64,
    /// The sliding window the ratio is taken over.
    pub window: Duration,
    /// Fewest attempts in the window before the ratio can trip.
    pub min_requests: u32,
    /// How long it stays open before one probe.
    pub cooldown: Duration,
}

impl CircuitBreaker {
    /// Would a request be let through now? (Closed, or open with its cooldown over: the next
    /// attempt becomes the probe.) Changes nothing.
    pub fn admits(&self, now: Instant) -> bool {
        match *self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            Breaker::Closed { .. } => true,
            Breaker::Open { until } => now >= until,
            Breaker::HalfOpen => false,
        }
    }

    /// Let one attempt through, or `None` while open (or while another probe is in flight). An
    /// expired open circuit moves to half-open and this caller's permit is its probe.
    pub fn try_acquire(self: &Arc<Self>, now: Instant, trip: Trip) -> Option<Permit> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let probe = match *s {
            Breaker::Closed { .. } => false,
            Breaker::Open { until } if now >= until => {
                *s = Breaker::HalfOpen;
                true
            }
            Breaker::Open { .. } | Breaker::HalfOpen => return None,
        };
        Some(Permit {
            breaker: self.clone(),
            trip,
            probe,
            settled: false,
        })
    }

    fn settle(&self, probe: bool, failed: bool, trip: &Trip) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if probe {
            // The probe decides: closed afresh, or open for another cooldown.
            *s = if failed {
                Breaker::Open {
                    until: now + trip.cooldown,
                }
            } else {
                Breaker::closed()
            };
            return;
        }
        let Breaker::Closed { failures, window } = &mut *s else {
            // Sent before the circuit opened: the circuit has decided already.
            return;
        };
        window.record(now, failed, trip.window);
        if !failed {
            *failures = 0;
            return;
        }
        *failures = failures.saturating_add(1);
        if *failures >= trip.failures || window.trips(now, trip) {
            *s = Breaker::Open {
                until: now + trip.cooldown,
            };
        }
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

/// The right to send one attempt through a breaker, like tower's `ConcurrencyLimit` permit:
/// settle it with [`Permit::succeeded`] or [`Permit::failed`]. Dropped unsettled (the request
/// deadline, an early return, a cancelled request) it counts as a failure, so a half-open
/// circuit's probe always resolves: closed on success, open for another cooldown otherwise.
#[must_use = "an unsettled permit counts as a failure when dropped"]
pub struct Permit {
    breaker: Arc<CircuitBreaker>,
    trip: Trip,
    /// This attempt is the half-open circuit's one probe.
    probe: bool,
    settled: bool,
}

impl Permit {
    /// The deployment answered (any status that is not worth a retry).
    pub fn succeeded(mut self) {
        self.settled = true;
        self.breaker.settle(self.probe, false, &self.trip);
    }

    /// The deployment failed (transport error, timeout, retryable status).
    pub fn failed(mut self) {
        self.settled = true;
        self.breaker.settle(self.probe, true, &self.trip);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.settled {
            self.breaker.settle(self.probe, true, &self.trip);
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

/// Records a deployment's circuit state when an attempt ends, however it ends: declared before
/// the attempt's permit, it drops after it, so a cancelled attempt's state is shown too.
struct CircuitGauge<'a> {
    metrics: &'a Metrics,
    cand: &'a Candidate,
    breaker: &'a CircuitBreaker,
}

impl Drop for CircuitGauge<'_> {
    fn drop(&mut self) {
        let (up, model) = (&self.cand.upstream.name, &self.cand.model);
        self.metrics.record_circuit(up, model, self.breaker.state());
    }
}

/// One request outstanding on an upstream (least-outstanding balancing), from its attempt until
/// its answer is over: the exchange hands it to the [`UpstreamResponse`] it returns, and the
/// response's reader keeps it until the whole body is read or the relayed stream ends (or is
/// dropped), so a long stream keeps counting against its deployment.
pub struct Outstanding(Arc<Upstream>);

impl Outstanding {
    /// Count one request on `upstream` until this is dropped.
    pub fn new(upstream: &Arc<Upstream>) -> Outstanding {
        upstream.outstanding.fetch_add(1, Ordering::Relaxed);
        Outstanding(upstream.clone())
    }
}

impl Drop for Outstanding {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One client request's upstream exchange: everything its first call, retries, fallbacks and
/// schema repair calls share, so they all run under the same resilience (breakers, retry
/// budget) and end by the same deadline, carrying the client's request id.
pub struct Exchange<'a> {
    pub cfg: &'a ResilienceConfig,
    pub budget: &'a RetryBudget,
    pub metrics: &'a Metrics,
    /// The endpoint every call of the exchange goes to.
    pub endpoint: Endpoint,
    /// The request's one deadline: fixed once, never extended by a later call.
    pub deadline: Instant,
    /// The client's `x-request-id`, sent on every upstream call.
    pub request_id: Option<&'a HeaderValue>,
}

/// The attempt span's outcome: the status and the time to the response headers, or the error.
pub(crate) fn record_attempt(
    span: &tracing::Span,
    sent: &Result<Result<UpstreamResponse, GatewayError>, tokio::time::error::Elapsed>,
    sent_at: Instant,
) {
    match sent {
        Ok(Ok(resp)) => {
            let status = resp.response.status().as_u16();
            span.record("http.response.status_code", i64::from(status));
            span.record("gearbox.ttfb_ms", sent_at.elapsed().as_secs_f64() * 1000.0);
            if status >= 400 {
                span.record("error.type", status.to_string().as_str());
            }
        }
        Ok(Err(e)) => {
            span.record("error.type", e.kind.code());
        }
        Err(_) => {
            span.record("error.type", "upstream_timeout");
        }
    }
}

impl Exchange<'_> {
    /// One attempt's client span (OTel GenAI conventions: `{operation} {model}`): the
    /// deployment, the retry number (0 for the first attempt), whether it is a fallback, and
    /// the deployment's circuit state as the attempt was let through (`half_open`: a probe).
    fn attempt_span(&self, cand: &Candidate, retry: u32, breaker: &CircuitBreaker) -> tracing::Span {
        let op = match self.endpoint {
            Endpoint::ChatCompletions | Endpoint::Responses => "chat",
            Endpoint::Embeddings => "embeddings",
        };
        crate::telemetry::stage_span!(
            "gearbox.upstream",
            otel.name = %format_args!("{op} {}", cand.model),
            otel.kind = "client",
            gen_ai.operation.name = op,
            gen_ai.request.model = cand.model.as_str(),
            gearbox.deployment = cand.upstream.name.as_str(),
            gearbox.retry = i64::from(retry),
            gearbox.fallback = cand.fallback,
            // Evaluated only when the span is enabled (it takes the breaker's lock).
            gearbox.circuit.state = match breaker.state() {
                CircuitState::Closed => "closed",
                CircuitState::HalfOpen => "half_open",
                CircuitState::Open => "open",
            },
            http.response.status_code = tracing::field::Empty,
            gearbox.ttfb_ms = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    }

    fn trip(&self) -> Trip {
        Trip {
            failures: self.cfg.circuit_failures,
            error_ratio: self.cfg.circuit_error_ratio,
            window: self.cfg.circuit_window,
            min_requests: self.cfg.circuit_min_requests,
            cooldown: self.cfg.circuit_cooldown,
        }
    }

    /// Send to the primary candidates (balanced), then the fallbacks, retrying retryable
    /// failures within `cfg.max_attempts`, the retry budget and the deadline. A last retryable
    /// upstream answer (e.g. a 503 with its body) is returned as is when attempts run out, so
    /// its status and body reach the client.
    pub async fn send(
        &self,
        primary: Vec<Candidate>,
        fallbacks: Vec<Candidate>,
        body_for: &(dyn Fn(&Candidate) -> Result<Bytes, GatewayError> + Send + Sync),
    ) -> Result<Sent, GatewayError> {
        let (cfg, metrics, deadline) = (self.cfg, self.metrics, self.deadline);
        self.budget.deposit(cfg.retry_budget);
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
        let circuit_open = |cand: &Candidate, state: CircuitState, last_err: &mut Option<GatewayError>| {
            metrics.record_circuit(&cand.upstream.name, &cand.model, state);
            last_err.get_or_insert_with(|| {
                GatewayError::new(
                    ErrorKind::UpstreamUnreachable,
                    format!("upstream {:?} is failing (circuit open)", cand.upstream.name),
                )
            });
        };
        for (i, cand) in plan.iter().enumerate() {
            let is_fallback = cand.fallback;
            if attempts >= cfg.max_attempts && !is_fallback {
                continue;
            }
            if Instant::now() >= deadline {
                break;
            }
            let breaker = cand.upstream.breaker(&cand.model);
            // Skip an open circuit before spending budget or waiting on it.
            if !breaker.admits(Instant::now()) {
                circuit_open(cand, breaker.state(), &mut last_err);
                continue;
            }
            if attempts > 0 {
                if !self.budget.try_withdraw() {
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
            let body = body_for(cand)?;
            let _gauge = CircuitGauge {
                metrics,
                cand,
                breaker: &breaker,
            };
            // Taken right before sending and settled (or dropped, which counts as a failure)
            // before the next attempt, so a probe resolves however this attempt ends.
            let Some(permit) = breaker.try_acquire(Instant::now(), self.trip()) else {
                circuit_open(cand, breaker.state(), &mut last_err);
                continue;
            };
            attempts += 1;
            let outstanding = Outstanding::new(&cand.upstream);
            let span = self.attempt_span(cand, attempts - 1, &breaker);
            let remaining = deadline.saturating_duration_since(Instant::now());
            let sent_at = Instant::now();
            let sent = tokio::time::timeout(
                remaining,
                cand.upstream.send(self.endpoint, body, self.request_id),
            )
            .instrument(span.clone())
            .await;
            if !span.is_disabled() {
                record_attempt(&span, &sent, sent_at);
            }
            drop(span);
            let more = plan.get(i + 1..).is_some_and(|rest| !rest.is_empty());
            match sent {
                Ok(Ok(mut resp)) => {
                    resp.outstanding = Some(outstanding);
                    let status = resp.response.status().as_u16();
                    if retryable_status(status) {
                        permit.failed();
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
                    permit.succeeded();
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
                    permit.failed();
                    metrics.record_upstream_error(&cand.upstream.name, e.kind.code());
                    last_err = Some(e);
                }
                Ok(Err(e)) => {
                    permit.failed();
                    return Err(e);
                }
                Err(_) => {
                    // The deadline is a failure of this deployment too: it did not answer.
                    permit.failed();
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
}

/// Counts of outstanding requests, for tests and balancing.
pub fn outstanding(u: &Upstream) -> u64 {
    u.outstanding.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIP: Trip = Trip {
        failures: 3,
        error_ratio: 0.0,
        window: Duration::from_secs(10),
        min_requests: 20,
        cooldown: Duration::from_millis(30),
    };

    /// Consecutive failures rarely line up, and a ratio trip needs no run.
    const RATIO: Trip = Trip {
        failures: 5,
        error_ratio: 0.5,
        window: Duration::from_secs(10),
        min_requests: 10,
        cooldown: Duration::from_secs(60),
    };

    #[test]
    fn window_counts_what_is_recent_and_forgets_the_rest() {
        let t0 = Instant::now();
        let mut w = ErrorWindow::default();
        let window = Duration::from_secs(10);
        for i in 0..10u64 {
            w.record(t0 + Duration::from_millis(i * 100), i % 2 == 0, window);
        }
        assert_eq!(w.totals(t0 + Duration::from_secs(1)), (10, 5));
        // Nine seconds on, all still within the window.
        w.record(t0 + Duration::from_secs(9), true, window);
        assert_eq!(w.totals(t0 + Duration::from_secs(9)), (11, 6));
        // Past the window, the first second's slice has left it; the ninth's has not.
        assert_eq!(w.totals(t0 + Duration::from_millis(10_500)), (1, 1));
        assert_eq!(w.totals(t0 + Duration::from_secs(20)), (0, 0));
        // A reused slot starts from zero.
        w.record(t0 + Duration::from_secs(30), false, window);
        assert_eq!(w.totals(t0 + Duration::from_secs(30)), (1, 0));
        // A changed window starts afresh.
        w.record(t0 + Duration::from_secs(30), true, Duration::from_secs(5));
        assert_eq!(w.totals(t0 + Duration::from_secs(30)), (1, 1));
    }

    #[test]
    fn window_trips_at_the_ratio_only_above_the_floor() {
        let t0 = Instant::now();
        let window = Duration::from_secs(10);
        let mut w = ErrorWindow::default();
        for i in 0..9u64 {
            w.record(t0, true, window);
            assert!(!w.trips(t0, &RATIO), "{i}: below min_requests");
        }
        w.record(t0, false, window);
        assert!(w.trips(t0, &RATIO), "9 of 10 failed");
        let mut w = ErrorWindow::default();
        for i in 0..20 {
            w.record(t0, i % 3 == 0, window);
        }
        assert!(!w.trips(t0, &RATIO), "7 of 20 is under half");
        let off = Trip {
            error_ratio: 0.0,
            ..RATIO
        };
        let mut w = ErrorWindow::default();
        for _ in 0..50 {
            w.record(t0, true, window);
        }
        assert!(!w.trips(t0, &off), "a ratio of 0 is off");
    }

    /// The bug: only consecutive failures opened a circuit, so a deployment failing 60 % of
    /// its attempts, never five in a row, kept its traffic.
    #[test]
    fn breaker_opens_on_an_error_ratio_without_a_run_of_failures() {
        let b = Arc::new(CircuitBreaker::default());
        // Fail, succeed, fail, fail, succeed, ...: 60 %, never more than two in a row.
        let pattern = [true, false, true, true, false];
        let mut opened_after = None;
        for i in 0..20 {
            let p = b.try_acquire(Instant::now(), RATIO).expect("closed");
            if pattern[i % pattern.len()] {
                p.failed();
            } else {
                p.succeeded();
            }
            if b.state() == CircuitState::Open {
                opened_after = Some(i + 1);
                break;
            }
        }
        assert_eq!(
            opened_after,
            Some(11),
            "at the first failure with 10 attempts in the window"
        );
        assert!(b.try_acquire(Instant::now(), RATIO).is_none());
    }

    #[test]
    fn a_late_success_does_not_close_an_open_circuit() {
        let b = Arc::new(CircuitBreaker::default());
        let late = acquire(&b).unwrap();
        for _ in 0..3 {
            acquire(&b).unwrap().failed();
        }
        assert_eq!(b.state(), CircuitState::Open);
        late.succeeded();
        assert_eq!(b.state(), CircuitState::Open, "only the probe decides");
    }

    fn acquire(b: &Arc<CircuitBreaker>) -> Option<Permit> {
        b.try_acquire(Instant::now(), TRIP)
    }

    #[test]
    fn breaker_opens_half_opens_and_closes() {
        let b = Arc::new(CircuitBreaker::default());
        for _ in 0..2 {
            acquire(&b).unwrap().failed();
            assert!(b.admits(Instant::now()));
        }
        acquire(&b).unwrap().failed();
        assert_eq!(b.state(), CircuitState::Open);
        assert!(acquire(&b).is_none());
        std::thread::sleep(Duration::from_millis(40));
        let probe = acquire(&b).expect("one probe after the cooldown");
        assert!(acquire(&b).is_none(), "only one");
        assert!(!b.admits(Instant::now()), "not while the probe is out");
        probe.failed();
        assert_eq!(b.state(), CircuitState::Open, "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(40));
        acquire(&b).unwrap().succeeded();
        assert_eq!(b.state(), CircuitState::Closed);
    }

    /// The bug: a probe whose attempt ended without an outcome (the request deadline, an early
    /// return, a cancelled request) left the breaker half-open for ever, refusing every request.
    /// Dropped unsettled, a permit is a failure: the circuit reopens and probes again later.
    #[test]
    fn a_probe_dropped_unsettled_reopens_the_circuit_instead_of_sticking_half_open() {
        let b = Arc::new(CircuitBreaker::default());
        for _ in 0..3 {
            acquire(&b).unwrap().failed();
        }
        std::thread::sleep(Duration::from_millis(40));
        drop(acquire(&b).expect("the probe"));
        assert_eq!(b.state(), CircuitState::Open, "an abandoned probe is a failure");
        assert!(acquire(&b).is_none(), "open for a fresh cooldown");
        std::thread::sleep(Duration::from_millis(40));
        acquire(&b).expect("a new probe").succeeded();
        assert_eq!(b.state(), CircuitState::Closed);
        // A closed circuit counts a dropped attempt too.
        for _ in 0..3 {
            drop(acquire(&b).unwrap());
        }
        assert_eq!(b.state(), CircuitState::Open);
    }

    /// A probe that is cancelled while awaiting its answer (the client went away) resolves
    /// the circuit as well: the future's drop drops the permit.
    #[tokio::test]
    async fn a_cancelled_probe_resolves_the_circuit() {
        let b = Arc::new(CircuitBreaker::default());
        for _ in 0..3 {
            acquire(&b).unwrap().failed();
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
        let probe = acquire(&b).expect("the probe");
        let attempt = async move {
            std::future::pending::<()>().await;
            probe.succeeded();
        };
        assert!(tokio::time::timeout(Duration::from_millis(5), attempt)
            .await
            .is_err());
        assert_eq!(b.state(), CircuitState::Open, "not half-open for ever");
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
