//! Team limits and budgets: requests and tokens per minute (token buckets: capacity = the
//! per-minute limit, refilled continuously), concurrent requests, and token / USD spending per
//! UTC day and month.
//!
//! Admission reserves: [`Limiter::admit`] checks and takes, in one atomic step, a request, the
//! request's estimated tokens from the per-minute bucket, and its estimated tokens and USD
//! from the budget counters, and hands back an [`Admission`] whose [`Reservation`] settles to
//! the real usage after the answer or gives everything back when dropped. The budget counters
//! hold committed spending (settled use plus open reservations), so concurrent requests cannot
//! all pass a budget check that only one of them fits: a budget overshoots by at most one
//! request's estimate plus the estimate errors, whatever the concurrency.
//!
//! Invariants: with `[redis]` configured, the buckets and budget counters live in Redis and one
//! Lua script per admission reads and updates them atomically, so N replicas enforce one limit
//! and one budget; if Redis is unreachable, each replica falls back to local buckets and
//! budgets of limit / `replicas` and counts the fallback — never an outage. Concurrency is per
//! replica (it protects the replica; a shared counter would leak slots when a replica dies).

mod estimate;
mod reservation;
mod shared;

pub use estimate::{estimate_chat, estimate_embeddings, Estimate, DEFAULT_COMPLETION_ESTIMATE};
pub use reservation::Reservation;

use crate::metrics::Metrics;
use crate::policy::{Budget, Limits};
use crate::upstream::redis::SharedRedis;
use reservation::{Delta, Place};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Requests,
    Tokens,
    Concurrency,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Requests => "requests",
            LimitKind::Tokens => "tokens",
            LimitKind::Concurrency => "concurrency",
        }
    }
}

/// The `x-ratelimit-*` view after a check.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateView {
    pub limit_requests: Option<u64>,
    pub remaining_requests: u64,
    /// Until the request bucket is full again.
    pub reset_requests: Duration,
    pub limit_tokens: Option<u64>,
    pub remaining_tokens: u64,
    pub reset_tokens: Duration,
}

/// What one request is expected to cost: tokens (prompt estimate plus completion cap) and USD
/// at the serving model's price.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub tokens: u64,
    pub usd: f64,
}

/// What to do with a request when the team's budget is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    /// Refuse it ([`Refusal::Budget`]).
    Refuse,
    /// Admit it without a budget reservation; the caller serves it more cheaply
    /// ([`Admission::over_budget`] names the cap).
    Admit,
}

/// One admission request: the team's limits and budget, and the request's expected cost.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub limits: &'a Limits,
    pub budget: &'a Budget,
    pub cost: Cost,
    pub over_budget: OverBudget,
}

/// Admitted: the rate view for the response headers, the reservation to settle, and the
/// concurrency slot (released when dropped). The admission stage's output.
#[derive(Debug)]
pub struct Admission {
    pub view: RateView,
    /// The budget cap already reached (`tokens_per_day`, ...) when admitted over budget.
    pub over_budget: Option<&'static str>,
    /// `None` for a team with neither rate limits nor a budget.
    pub reservation: Option<Reservation>,
    pub slot: Option<ConcurrencySlot>,
}

/// Refused by a limit or a budget; nothing is held.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// A rate or concurrency limit: retry after the wait.
    Limit {
        kind: LimitKind,
        retry_after: Duration,
        view: RateView,
    },
    /// A budget cap (its config name, e.g. `tokens_per_day`) is used up.
    Budget { cap: &'static str, view: RateView },
}

impl Refusal {
    pub fn view(&self) -> RateView {
        match self {
            Refusal::Limit { view, .. } | Refusal::Budget { view, .. } => *view,
        }
    }
}

/// A held concurrency slot.
#[derive(Debug)]
pub struct ConcurrencySlot {
    counter: Arc<AtomicU64>,
}

impl Drop for ConcurrencySlot {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, capacity: f64, now: Instant) {
        let rate = capacity / 60.0;
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + dt * rate).min(capacity);
        self.at = now;
    }
}

#[derive(Default)]
struct TeamLocal {
    requests: Option<Bucket>,
    tokens: Option<Bucket>,
    /// Committed spending (settled plus reserved) in the current UTC day and month (numbers,
    /// not formatted keys: this is touched twice per request).
    day: PeriodSpend,
    month: PeriodSpend,
}

/// Tokens and USD committed in one period, `period` being its number (days since the epoch,
/// or year * 12 + month); a new period starts from zero.
#[derive(Default, Clone, Copy)]
struct PeriodSpend {
    period: i64,
    tokens: f64,
    usd: f64,
}

impl PeriodSpend {
    fn in_period(self, period: i64) -> PeriodSpend {
        if self.period == period {
            self
        } else {
            PeriodSpend {
                period,
                ..PeriodSpend::default()
            }
        }
    }
}

/// The current UTC day (days since 1970-01-01) and month (year * 12 + month - 1).
fn period_numbers() -> (i64, i64) {
    let day = crate::clock::utc_days(SystemTime::now());
    let (y, m, _) = crate::clock::civil_from_days(day);
    (day, y * 12 + i64::from(m) - 1)
}

/// The budget's caps in the script's units (tokens, tokens, nano-USD, nano-USD; -1 = none),
/// divided by `share`.
fn caps(budget: &Budget, share: f64) -> [i64; 4] {
    let t = |c: Option<u64>| c.map_or(-1, |c| (c as f64 / share).ceil() as i64);
    let u = |c: Option<f64>| c.map_or(-1, |c| shared::nano(c / share));
    [
        t(budget.tokens_per_day),
        t(budget.tokens_per_month),
        u(budget.usd_per_day),
        u(budget.usd_per_month),
    ]
}

/// The config name of cap number `i` (1-based, in `caps` order).
fn cap_name(i: u8) -> &'static str {
    match i {
        1 => "tokens_per_day",
        2 => "tokens_per_month",
        3 => "usd_per_day",
        _ => "usd_per_month",
    }
}

/// What a budget reserves: tokens when a token cap is set, USD when a USD cap is set.
fn budget_reserve(budget: &Budget, cost: Cost) -> Cost {
    Cost {
        tokens: if budget.tokens_per_day.is_some() || budget.tokens_per_month.is_some() {
            cost.tokens
        } else {
            0
        },
        usd: if budget.usd_per_day.is_some() || budget.usd_per_month.is_some() {
            cost.usd.max(0.0)
        } else {
            0.0
        },
    }
}

/// All teams' limit state.
pub struct Limiter {
    local: Mutex<HashMap<String, TeamLocal>>,
    concurrency: Mutex<HashMap<String, Arc<AtomicU64>>>,
    redis: Option<SharedRedis>,
    replicas: u32,
    metrics: Metrics,
}

/// The outcome of the rate and budget step (shared or local).
struct Checked {
    outcome: Result<(), Refusal>,
    view: RateView,
    over: Option<&'static str>,
    /// What was added to the budget counters.
    reserved: Cost,
    place: Place,
}

impl Limiter {
    pub fn new(redis: Option<SharedRedis>, replicas: u32, metrics: Metrics) -> Limiter {
        Limiter {
            local: Mutex::new(HashMap::new()),
            concurrency: Mutex::new(HashMap::new()),
            redis,
            replicas: replicas.max(1),
            metrics,
        }
    }

    /// Admit one request of `team`: take a concurrency slot, then (atomically, in Redis when
    /// configured) check the budget, take a request and the estimated tokens from the
    /// per-minute buckets, and reserve the estimated tokens and USD in the budget counters.
    /// Refused, nothing stays taken.
    pub async fn admit(self: &Arc<Self>, team: &Arc<str>, ask: Ask<'_>) -> Result<Admission, Refusal> {
        let limits = ask.limits;
        let mut view = RateView {
            limit_requests: limits.rpm,
            limit_tokens: limits.tpm,
            ..RateView::default()
        };
        // Concurrency first: it is local and cheap, and a refusal then takes nothing shared.
        let slot = match limits.concurrency {
            None => None,
            Some(max) => {
                let counter = {
                    let mut c = self.concurrency.lock().unwrap_or_else(|p| p.into_inner());
                    c.entry(team.to_string()).or_default().clone()
                };
                let now = counter.fetch_add(1, Ordering::AcqRel) + 1;
                let slot = ConcurrencySlot { counter };
                if now > max {
                    return Err(Refusal::Limit {
                        kind: LimitKind::Concurrency,
                        retry_after: Duration::from_secs(1),
                        view,
                    });
                }
                Some(slot)
            }
        };
        let rates = limits.rpm.is_some() || limits.tpm.is_some();
        if !(rates || ask.budget.is_set() || limits.concurrency.is_some()) {
            return Ok(Admission {
                view,
                over_budget: None,
                reservation: None,
                slot,
            });
        }
        let bucket = if limits.tpm.is_some() { ask.cost.tokens } else { 0 };
        let reserve = budget_reserve(ask.budget, ask.cost);
        let checked = if !(rates || ask.budget.is_set()) {
            // Concurrency only: nothing to check in Redis; the reservation still records the
            // team's spending when it settles.
            let (day, month) = period_numbers();
            Checked {
                outcome: Ok(()),
                view,
                over: None,
                reserved: Cost::default(),
                place: match &self.redis {
                    Some(_) => Place::Shared(Box::new(shared::keys(team))),
                    None => Place::Local { day, month },
                },
            }
        } else {
            let shared = match &self.redis {
                Some(r) => self.admit_shared(r, team, &ask, bucket, reserve).await,
                None => None,
            };
            match shared {
                Some(c) => c,
                None => self.admit_local(team, &ask, bucket, reserve, self.redis.is_some()),
            }
        };
        checked.outcome?;
        if rates {
            view = checked.view;
        }
        Ok(Admission {
            view,
            over_budget: checked.over,
            reservation: Some(Reservation {
                limiter: self.clone(),
                team: team.clone(),
                tpm: limits.tpm,
                bucket,
                tokens: checked.reserved.tokens,
                usd: checked.reserved.usd,
                place: checked.place,
                settled: false,
            }),
            slot,
        })
    }

    async fn admit_shared(
        &self,
        redis: &SharedRedis,
        team: &str,
        ask: &Ask<'_>,
        bucket: u64,
        reserve: Cost,
    ) -> Option<Checked> {
        let keys = shared::keys(team);
        let admit_over = ask.over_budget == OverBudget::Admit;
        let check = shared::Check {
            limits: ask.limits,
            bucket_cost: bucket,
            caps: caps(ask.budget, 1.0),
            reserve,
            admit_over_budget: admit_over,
        };
        let a = shared::admit(redis, &self.metrics, &keys, check).await?;
        let over = (a.over > 0).then(|| cap_name(a.over));
        let outcome = match a.outcome {
            Ok(()) => Ok(()),
            Err((Some(kind), retry_after)) => Err(Refusal::Limit {
                kind,
                retry_after,
                view: a.view,
            }),
            Err((None, _)) => Err(Refusal::Budget {
                cap: over.unwrap_or("tokens_per_day"),
                view: a.view,
            }),
        };
        Some(Checked {
            outcome,
            view: a.view,
            over,
            reserved: if over.is_some() { Cost::default() } else { reserve },
            place: Place::Shared(Box::new(keys)),
        })
    }

    /// In-process buckets and budget counters. `degraded`: Redis should have been used but is
    /// unreachable, so this replica enforces its share (limit / replicas).
    fn admit_local(&self, team: &str, ask: &Ask<'_>, bucket: u64, reserve: Cost, degraded: bool) -> Checked {
        let limits = ask.limits;
        let share = if degraded { f64::from(self.replicas) } else { 1.0 };
        if degraded {
            self.metrics.record_limit_fallback();
        }
        let now = Instant::now();
        let (day, month) = period_numbers();
        let mut all = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let t = all.entry(team.to_string()).or_default();
        t.day = t.day.in_period(day);
        t.month = t.month.in_period(month);
        let spent = [t.day.tokens, t.month.tokens, t.day.usd * 1e9, t.month.usd * 1e9];
        let over = caps(ask.budget, share)
            .iter()
            .zip(spent)
            .position(|(cap, s)| *cap >= 0 && s >= *cap as f64)
            .map(|i| cap_name(i as u8 + 1));
        let rcap = limits.rpm.map(|x| (x as f64 / share).max(1.0));
        let kcap = limits.tpm.map(|x| (x as f64 / share).max(1.0));
        let mut r = rcap.map(|cap| {
            let mut b = t.requests.unwrap_or(Bucket { level: cap, at: now });
            b.refill(cap, now);
            b
        });
        let mut k = kcap.map(|cap| {
            let mut b = t.tokens.unwrap_or(Bucket { level: cap, at: now });
            b.refill(cap, now);
            b
        });
        let view_of = |r: &Option<Bucket>, k: &Option<Bucket>| RateView {
            limit_requests: limits.rpm,
            remaining_requests: r.map_or(0, |b| b.level.max(0.0) as u64),
            reset_requests: match (r, rcap) {
                (Some(b), Some(c)) => Duration::from_secs_f64(((c - b.level) * 60.0 / c).max(0.0)),
                _ => Duration::ZERO,
            },
            limit_tokens: limits.tpm,
            remaining_tokens: k.map_or(0, |b| b.level.max(0.0) as u64),
            reset_tokens: match (k, kcap) {
                (Some(b), Some(c)) => Duration::from_secs_f64(((c - b.level) * 60.0 / c).max(0.0)),
                _ => Duration::ZERO,
            },
        };
        let refusal = match over {
            Some(cap) if ask.over_budget == OverBudget::Refuse => Some(Refusal::Budget {
                cap,
                view: view_of(&r, &k),
            }),
            _ => None,
        }
        .or_else(|| {
            let wait = |kind, secs: f64| Refusal::Limit {
                kind,
                retry_after: Duration::from_secs_f64(secs.max(0.001)),
                view: view_of(&r, &k),
            };
            if let (Some(b), Some(cap)) = (&r, rcap) {
                if b.level < 1.0 {
                    return Some(wait(LimitKind::Requests, (1.0 - b.level) * 60.0 / cap));
                }
            }
            match (&k, kcap) {
                (Some(b), Some(cap)) => {
                    let need = (bucket as f64).min(cap);
                    (b.level < need).then(|| wait(LimitKind::Tokens, (need - b.level) * 60.0 / cap))
                }
                _ => None,
            }
        });
        let reserved = if over.is_some() { Cost::default() } else { reserve };
        let outcome = match refusal {
            Some(r) => Err(r),
            None => {
                if let Some(b) = r.as_mut() {
                    b.level -= 1.0;
                }
                if let Some(b) = k.as_mut() {
                    b.level -= bucket as f64;
                }
                t.day.tokens += reserved.tokens as f64;
                t.month.tokens += reserved.tokens as f64;
                t.day.usd += reserved.usd;
                t.month.usd += reserved.usd;
                Ok(())
            }
        };
        t.requests = r;
        t.tokens = k;
        Checked {
            outcome,
            view: view_of(&r, &k),
            over,
            reserved,
            place: Place::Local { day, month },
        }
    }

    /// Apply a settlement to the in-process state: bucket refund, and the spending delta into
    /// the periods the reservation was taken in (a period that has ended is gone; the real use
    /// then counts in the current one).
    fn settle_local(&self, team: &str, tpm: Option<u64>, d: Delta, periods: (i64, i64)) {
        let (day, month) = period_numbers();
        let mut all = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let t = all.entry(team.to_string()).or_default();
        if let (Some(b), Some(tpm)) = (t.tokens.as_mut(), tpm) {
            b.level = (b.level + d.bucket_back).min(tpm as f64);
        }
        for (p, reserved_in, now) in [(&mut t.day, periods.0, day), (&mut t.month, periods.1, month)] {
            let (tokens, usd) = if p.period == reserved_in {
                (d.tokens, d.usd)
            } else {
                // The reservation's period is over: only the real use counts, in this one.
                (d.spent_tokens, d.spent_usd)
            };
            let mut cur = p.in_period(now);
            cur.tokens = (cur.tokens + tokens).max(0.0);
            cur.usd = (cur.usd + usd).max(0.0);
            *p = cur;
        }
    }
}

/// Response headers for a rate view (only for the limits that are set).
pub fn rate_headers(v: &RateView) -> http::HeaderMap {
    use http::header::{HeaderName, HeaderValue};
    // Names built once, values from integers without formatting through `fmt`: this runs on every
    // response of a team with limits.
    const LIMIT_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
    const REMAINING_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-requests");
    const RESET_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-reset-requests");
    const LIMIT_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-limit-tokens");
    const REMAINING_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-tokens");
    const RESET_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-reset-tokens");
    let mut h = http::HeaderMap::with_capacity(6);
    let reset = |d: Duration| HeaderValue::from_str(&format_reset(d)).ok();
    if let Some(l) = v.limit_requests {
        h.insert(LIMIT_REQUESTS, HeaderValue::from(l));
        h.insert(REMAINING_REQUESTS, HeaderValue::from(v.remaining_requests));
        if let Some(r) = reset(v.reset_requests) {
            h.insert(RESET_REQUESTS, r);
        }
    }
    if let Some(l) = v.limit_tokens {
        h.insert(LIMIT_TOKENS, HeaderValue::from(l));
        h.insert(REMAINING_TOKENS, HeaderValue::from(v.remaining_tokens));
        if let Some(r) = reset(v.reset_tokens) {
            h.insert(RESET_TOKENS, r);
        }
    }
    h
}

/// `x-ratelimit-reset-*` values in OpenAI's style: `1s`, `6m0s`, `250ms`.
pub fn format_reset(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        let s = format!("{secs:.1}");
        return format!("{}s", s.trim_end_matches(".0"));
    }
    let total = d.as_secs();
    format!("{}m{}s", total / 60, total % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> Arc<Limiter> {
        Arc::new(Limiter::new(None, 1, Metrics::new().unwrap()))
    }

    fn team(t: &str) -> Arc<str> {
        Arc::from(t)
    }

    fn ask<'a>(limits: &'a Limits, budget: &'a Budget, tokens: u64) -> Ask<'a> {
        Ask {
            limits,
            budget,
            cost: Cost { tokens, usd: 0.0 },
            over_budget: OverBudget::Refuse,
        }
    }

    fn kind(r: Result<Admission, Refusal>) -> Option<LimitKind> {
        match r {
            Err(Refusal::Limit { kind, .. }) => Some(kind),
            _ => None,
        }
    }

    #[tokio::test]
    async fn rpm_bucket_admits_exactly_the_limit_in_a_burst() {
        let l = limiter();
        let limits = Limits {
            rpm: Some(20),
            ..Limits::default()
        };
        let none = Budget::default();
        let mut ok = 0;
        for _ in 0..40 {
            if l.admit(&team("t"), ask(&limits, &none, 0)).await.is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 20);
        match l.admit(&team("t"), ask(&limits, &none, 0)).await {
            Err(Refusal::Limit {
                kind: LimitKind::Requests,
                retry_after,
                ..
            }) => assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(3)),
            other => panic!("{other:?}"),
        }
        // Another team is not affected.
        assert!(l.admit(&team("u"), ask(&limits, &none, 0)).await.is_ok());
    }

    #[tokio::test]
    async fn tokens_are_reserved_then_reconciled() {
        let l = limiter();
        let limits = Limits {
            tpm: Some(1000),
            ..Limits::default()
        };
        let none = Budget::default();
        let a = l.admit(&team("t"), ask(&limits, &none, 800)).await.unwrap();
        assert_eq!(a.view.remaining_tokens, 200);
        assert_eq!(
            kind(l.admit(&team("t"), ask(&limits, &none, 800)).await),
            Some(LimitKind::Tokens)
        );
        // The call used only 100: 700 come back.
        a.reservation.unwrap().settle(100, 0.0);
        assert!(l.admit(&team("t"), ask(&limits, &none, 800)).await.is_ok());
    }

    #[tokio::test]
    async fn concurrency_slots_are_released_on_drop() {
        let l = limiter();
        let limits = Limits {
            concurrency: Some(2),
            ..Limits::default()
        };
        let none = Budget::default();
        let a = l.admit(&team("t"), ask(&limits, &none, 0)).await.unwrap();
        let b = l.admit(&team("t"), ask(&limits, &none, 0)).await.unwrap();
        assert_eq!(
            kind(l.admit(&team("t"), ask(&limits, &none, 0)).await),
            Some(LimitKind::Concurrency)
        );
        drop(a);
        assert!(l.admit(&team("t"), ask(&limits, &none, 0)).await.is_ok());
        drop(b);
    }

    #[tokio::test]
    async fn a_budget_admits_while_committed_spending_is_under_the_cap() {
        let l = limiter();
        let budget = Budget {
            tokens_per_day: Some(100),
            ..Budget::default()
        };
        let none = Limits::default();
        // Two requests of 60 each: the second still fits (40 left), the third does not, however
        // many are in flight at once: reservations count.
        let a = l.admit(&team("t"), ask(&none, &budget, 60)).await.unwrap();
        let b = l.admit(&team("t"), ask(&none, &budget, 60)).await.unwrap();
        match l.admit(&team("t"), ask(&none, &budget, 60)).await {
            Err(Refusal::Budget { cap, .. }) => assert_eq!(cap, "tokens_per_day"),
            other => panic!("{other:?}"),
        }
        // One settles at 10 tokens (50 back), the other is dropped without usage (all back).
        a.reservation.unwrap().settle(10, 0.0);
        drop(b);
        let c = l.admit(&team("t"), ask(&none, &budget, 60)).await.unwrap();
        assert_eq!(c.reservation.as_ref().map(Reservation::reserved_tokens), Some(60));
        // Another team is not affected.
        assert!(l.admit(&team("u"), ask(&none, &budget, 60)).await.is_ok());
    }

    #[tokio::test]
    async fn over_budget_admits_without_a_reservation_when_asked_to() {
        let l = limiter();
        let budget = Budget {
            usd_per_day: Some(1.0),
            ..Budget::default()
        };
        let none = Limits::default();
        let expensive = Ask {
            cost: Cost {
                tokens: 10,
                usd: 0.75,
            },
            ..ask(&none, &budget, 10)
        };
        let a = l.admit(&team("t"), expensive).await.unwrap();
        assert_eq!(a.over_budget, None);
        let b = l.admit(&team("t"), expensive).await.unwrap();
        a.reservation.unwrap().settle(10, 0.5);
        b.reservation.unwrap().settle(10, 0.5);
        assert!(matches!(
            l.admit(&team("t"), expensive).await,
            Err(Refusal::Budget {
                cap: "usd_per_day",
                ..
            })
        ));
        let down = l
            .admit(
                &team("t"),
                Ask {
                    over_budget: OverBudget::Admit,
                    ..expensive
                },
            )
            .await
            .unwrap();
        assert_eq!(down.over_budget, Some("usd_per_day"));
        assert_eq!(down.reservation.as_ref().map(|r| r.usd), Some(0.0));
    }

    #[test]
    fn reset_format() {
        assert_eq!(format_reset(Duration::from_millis(250)), "250ms");
        assert_eq!(format_reset(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_reset(Duration::from_secs(2)), "2s");
        assert_eq!(format_reset(Duration::from_secs(360)), "6m0s");
    }

    #[test]
    fn keys_carry_dates() {
        let k = shared::keys("t");
        let day = k[2].rsplit(':').next().unwrap();
        let month = k[3].rsplit(':').next().unwrap();
        assert_eq!(day.len(), 8);
        assert!(day.starts_with(month));
    }
}
