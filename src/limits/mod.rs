//! Team limits and budgets: requests and tokens per minute (token buckets: capacity = the
//! per-minute limit, refilled continuously), concurrent requests, and token / USD spending per
//! UTC day and month.
//!
//! Invariants: with `[redis]` configured, the buckets and budget counters live in Redis and one
//! Lua script per check reads and updates them atomically, so N replicas enforce one limit; if
//! Redis is unreachable, each replica falls back to local buckets of limit / `replicas` and
//! counts the fallback — never an outage. Concurrency is per replica (it protects the replica;
//! a shared counter would leak slots when a replica dies). Token use is estimated before the
//! call and reconciled with the real usage after.

use crate::metrics::Metrics;
use crate::policy::{Budget, Limits, Spend};
use crate::upstream::redis::SharedRedis;
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

/// Admitted: the reservation to reconcile, the rate view, and the concurrency slot (released
/// when dropped).
pub struct Admission {
    pub reserved_tokens: u64,
    pub view: RateView,
    pub slot: Option<ConcurrencySlot>,
    /// The team's spending so far, for the budget check.
    pub spend: Spend,
}

/// Refused by a limit.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub kind: LimitKind,
    pub retry_after: Duration,
    pub view: RateView,
}

/// A held concurrency slot.
pub struct ConcurrencySlot {
    counter: Arc<AtomicU64>,
}

impl Drop for ConcurrencySlot {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A token bucket in milli-units.
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
    /// Spending in the current UTC day and month (numbers, not formatted keys: this is touched
    /// twice per request).
    day: PeriodSpend,
    month: PeriodSpend,
}

/// Tokens and USD spent in one period, `period` being its number (days since the epoch, or
/// year * 12 + month); a new period starts from zero.
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

/// All teams' limit state.
pub struct Limiter {
    local: Mutex<HashMap<String, TeamLocal>>,
    concurrency: Mutex<HashMap<String, Arc<AtomicU64>>>,
    redis: Option<SharedRedis>,
    replicas: u32,
    metrics: Metrics,
}

/// Buckets and budget counters in one round trip. KEYS: request bucket, token bucket, day
/// tokens, month tokens, day usd, month usd. ARGV: rpm (0 = none), tpm (0 = none), token cost.
/// Returns {admitted, kind (1 requests, 2 tokens), wait_ms, requests_left, tokens_left,
/// requests_reset_ms, tokens_reset_ms, day_tokens, month_tokens, day_usd, month_usd}.
const ADMIT_LUA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function load(key, cap)
  if cap <= 0 then return nil end
  local v = redis.call('HMGET', key, 'level', 'at')
  local level = tonumber(v[1]) or cap
  local at = tonumber(v[2]) or now
  level = math.min(cap, level + (now - at) * cap / 60000)
  return level
end
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local r = load(KEYS[1], rpm)
local k = load(KEYS[2], tpm)
local admitted = 1
local kind = 0
local wait = 0
if r ~= nil and r < 1 then
  admitted = 0; kind = 1; wait = math.ceil((1 - r) * 60000 / rpm)
elseif k ~= nil and k < math.min(cost, tpm) then
  admitted = 0; kind = 2; wait = math.ceil((math.min(cost, tpm) - k) * 60000 / tpm)
end
if admitted == 1 then
  if r ~= nil then r = r - 1 end
  if k ~= nil then k = k - cost end
end
if r ~= nil then
  redis.call('HSET', KEYS[1], 'level', tostring(r), 'at', now)
  redis.call('PEXPIRE', KEYS[1], 120000)
end
if k ~= nil then
  redis.call('HSET', KEYS[2], 'level', tostring(k), 'at', now)
  redis.call('PEXPIRE', KEYS[2], 120000)
end
local rl = r or 0
local kl = k or 0
local rreset = 0
local kreset = 0
if r ~= nil then rreset = math.ceil((rpm - r) * 60000 / rpm) end
if k ~= nil then kreset = math.ceil((tpm - k) * 60000 / tpm) end
local dt = redis.call('GET', KEYS[3]) or '0'
local mt = redis.call('GET', KEYS[4]) or '0'
local du = redis.call('GET', KEYS[5]) or '0'
local mu = redis.call('GET', KEYS[6]) or '0'
return {admitted, kind, wait, math.floor(math.max(rl, 0)), math.floor(math.max(kl, 0)), rreset, kreset, dt, mt, du, mu}
"#;

/// Add `ARGV[1]` tokens back to a bucket (negative: take more), capped at `ARGV[2]`.
const ADJUST_LUA: &str = r#"
local v = redis.call('HMGET', KEYS[1], 'level', 'at')
if not v[1] then return 0 end
local level = math.min(tonumber(ARGV[2]), tonumber(v[1]) + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'level', tostring(level))
return 1
"#;

/// Add spending: KEYS day tokens, month tokens, day usd, month usd; ARGV tokens, micro-USD.
const SPEND_LUA: &str = r#"
redis.call('INCRBY', KEYS[1], ARGV[1]); redis.call('EXPIRE', KEYS[1], 172800)
redis.call('INCRBY', KEYS[2], ARGV[1]); redis.call('EXPIRE', KEYS[2], 3024000)
redis.call('INCRBYFLOAT', KEYS[3], tonumber(ARGV[2]) / 1000000); redis.call('EXPIRE', KEYS[3], 172800)
redis.call('INCRBYFLOAT', KEYS[4], tonumber(ARGV[2]) / 1000000); redis.call('EXPIRE', KEYS[4], 3024000)
return 1
"#;

/// UTC day and month stamps, e.g. ("20261128", "202611").
fn periods() -> (String, String) {
    let (y, m, d) = crate::clock::civil_from_days(crate::clock::utc_days(SystemTime::now()));
    (format!("{y:04}{m:02}{d:02}"), format!("{y:04}{m:02}"))
}

fn keys(team: &str) -> [String; 6] {
    let (day, month) = periods();
    [
        format!("gearbox:rl:{{{team}}}:requests"),
        format!("gearbox:rl:{{{team}}}:tokens"),
        format!("gearbox:rl:{{{team}}}:spend:tokens:{day}"),
        format!("gearbox:rl:{{{team}}}:spend:tokens:{month}"),
        format!("gearbox:rl:{{{team}}}:spend:usd:{day}"),
        format!("gearbox:rl:{{{team}}}:spend:usd:{month}"),
    ]
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

    /// Check and take one request and `est_tokens` tokens for `team`; also read its spending
    /// when a budget is set. Concurrency is checked last and holds a slot until dropped.
    pub async fn admit(
        &self,
        team: &str,
        limits: &Limits,
        budget: &Budget,
        est_tokens: u64,
    ) -> Result<Admission, Refusal> {
        let rates = limits.rpm.is_some() || limits.tpm.is_some();
        let mut view = RateView {
            limit_requests: limits.rpm,
            limit_tokens: limits.tpm,
            ..RateView::default()
        };
        let mut spend = Spend::default();
        if rates || budget.is_set() {
            let shared = match &self.redis {
                Some(r) => self.admit_redis(r, team, limits, est_tokens).await,
                None => None,
            };
            let (outcome, s) = match shared {
                Some(x) => x,
                None => self.admit_local(team, limits, est_tokens, self.redis.is_some()),
            };
            spend = s;
            match outcome {
                Ok(v) => view = v,
                Err(r) => return Err(r),
            }
        }
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
                    drop(slot);
                    return Err(Refusal {
                        kind: LimitKind::Concurrency,
                        retry_after: Duration::from_secs(1),
                        view,
                    });
                }
                Some(slot)
            }
        };
        Ok(Admission {
            reserved_tokens: if limits.tpm.is_some() { est_tokens } else { 0 },
            view,
            slot,
            spend,
        })
    }

    async fn admit_redis(
        &self,
        redis: &SharedRedis,
        team: &str,
        limits: &Limits,
        est_tokens: u64,
    ) -> Option<(Result<RateView, Refusal>, Spend)> {
        let script = redis::Script::new(ADMIT_LUA);
        let k = keys(team);
        let krefs: Vec<&str> = k.iter().map(String::as_str).collect();
        let args = [
            limits.rpm.unwrap_or(0) as i64,
            limits.tpm.unwrap_or(0) as i64,
            est_tokens as i64,
        ];
        match redis.script::<Vec<redis::Value>>(&script, &krefs, &args).await {
            Ok(v) => {
                let int = |i: usize| match v.get(i) {
                    Some(redis::Value::Int(n)) => *n,
                    _ => 0,
                };
                let num = |i: usize| -> f64 {
                    match v.get(i) {
                        Some(redis::Value::BulkString(b)) => std::str::from_utf8(b)
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0.0),
                        Some(redis::Value::Int(n)) => *n as f64,
                        _ => 0.0,
                    }
                };
                let view = RateView {
                    limit_requests: limits.rpm,
                    remaining_requests: int(3).max(0) as u64,
                    reset_requests: Duration::from_millis(int(5).max(0) as u64),
                    limit_tokens: limits.tpm,
                    remaining_tokens: int(4).max(0) as u64,
                    reset_tokens: Duration::from_millis(int(6).max(0) as u64),
                };
                let spend = Spend {
                    day_tokens: num(7) as u64,
                    month_tokens: num(8) as u64,
                    day_usd: num(9),
                    month_usd: num(10),
                };
                let outcome = if int(0) == 1 {
                    Ok(view)
                } else {
                    let kind = if int(1) == 2 {
                        LimitKind::Tokens
                    } else {
                        LimitKind::Requests
                    };
                    Err(Refusal {
                        kind,
                        retry_after: Duration::from_millis(int(2).max(1) as u64),
                        view,
                    })
                };
                Some((outcome, spend))
            }
            Err(f) => {
                self.metrics.record_redis_error("limits", f.as_str());
                None
            }
        }
    }

    /// In-process buckets. `degraded`: Redis should have been used but is unreachable, so this
    /// replica enforces its share (limit / replicas).
    fn admit_local(
        &self,
        team: &str,
        limits: &Limits,
        est_tokens: u64,
        degraded: bool,
    ) -> (Result<RateView, Refusal>, Spend) {
        let share = if degraded { f64::from(self.replicas) } else { 1.0 };
        if degraded {
            self.metrics.record_limit_fallback();
        }
        let now = Instant::now();
        let (day, month) = period_numbers();
        let mut all = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let t = all.entry(team.to_string()).or_default();
        let (d, m) = (t.day.in_period(day), t.month.in_period(month));
        let spend = Spend {
            day_tokens: d.tokens as u64,
            month_tokens: m.tokens as u64,
            day_usd: d.usd,
            month_usd: m.usd,
        };
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
        let refusal = if let (Some(b), Some(cap)) = (&r, rcap) {
            (b.level < 1.0).then(|| (LimitKind::Requests, (1.0 - b.level) * 60.0 / cap))
        } else {
            None
        }
        .or_else(|| match (&k, kcap) {
            (Some(b), Some(cap)) => {
                let need = (est_tokens as f64).min(cap);
                (b.level < need).then(|| (LimitKind::Tokens, (need - b.level) * 60.0 / cap))
            }
            _ => None,
        });
        let outcome = match refusal {
            Some((kind, secs)) => Err(Refusal {
                kind,
                retry_after: Duration::from_secs_f64(secs.max(0.001)),
                view: view_of(&r, &k),
            }),
            None => {
                if let Some(b) = r.as_mut() {
                    b.level -= 1.0;
                }
                if let Some(b) = k.as_mut() {
                    b.level -= est_tokens as f64;
                }
                Ok(view_of(&r, &k))
            }
        };
        t.requests = r;
        t.tokens = k;
        (outcome, spend)
    }

    /// After the answer: give back (or take more of) the token estimate, and add the spending.
    pub async fn settle(&self, team: &str, limits: &Limits, reserved: u64, actual_tokens: u64, usd: f64) {
        let delta = reserved as f64 - actual_tokens as f64;
        let micro_usd = (usd.max(0.0) * 1_000_000.0).round() as i64;
        if let Some(redis) = &self.redis {
            let k = keys(team);
            let mut ok = true;
            if let Some(tpm) = limits.tpm {
                let script = redis::Script::new(ADJUST_LUA);
                let r = redis
                    .script::<i64>(&script, &[k[1].as_str()], &[delta.round() as i64, tpm as i64])
                    .await;
                ok &= r.is_ok();
            }
            let spend = redis::Script::new(SPEND_LUA);
            let keys4 = [k[2].as_str(), k[3].as_str(), k[4].as_str(), k[5].as_str()];
            ok &= redis
                .script::<i64>(&spend, &keys4, &[actual_tokens as i64, micro_usd])
                .await
                .is_ok();
            if ok {
                return;
            }
            self.metrics.record_redis_error("limits", "error");
        }
        self.settle_local(team, limits, reserved, actual_tokens, usd);
    }

    /// The in-process half of [`Limiter::settle`]: token bucket refund and spending.
    fn settle_local(&self, team: &str, limits: &Limits, reserved: u64, actual_tokens: u64, usd: f64) {
        let delta = reserved as f64 - actual_tokens as f64;
        let (day, month) = period_numbers();
        let mut all = self.local.lock().unwrap_or_else(|p| p.into_inner());
        let t = all.entry(team.to_string()).or_default();
        if let (Some(b), Some(tpm)) = (t.tokens.as_mut(), limits.tpm) {
            b.level = (b.level + delta).min(tpm as f64);
        }
        // Only the current periods are kept: an earlier one starts again from zero.
        for (p, now) in [(&mut t.day, day), (&mut t.month, month)] {
            let mut cur = p.in_period(now);
            cur.tokens += actual_tokens as f64;
            cur.usd += usd.max(0.0);
            *p = cur;
        }
    }
}

/// Tokens reserved for one request: settled with the real usage, or given back whole if the
/// request ends without an answer (dropped unsettled).
pub struct Reservation {
    limiter: Arc<Limiter>,
    team: Arc<str>,
    limits: Limits,
    reserved: u64,
    settled: bool,
}

impl Reservation {
    pub fn new(limiter: Arc<Limiter>, team: Arc<str>, limits: Limits, reserved: u64) -> Reservation {
        Reservation {
            limiter,
            team,
            limits,
            reserved,
            settled: false,
        }
    }

    /// Reconcile with the real token use and record the spending (in the background).
    pub fn settle(mut self, actual_tokens: u64, usd: f64) {
        self.settled = true;
        self.spawn_settle(actual_tokens, usd);
    }

    fn spawn_settle(&self, actual_tokens: u64, usd: f64) {
        let (l, team, limits, reserved) = (
            self.limiter.clone(),
            self.team.clone(),
            self.limits,
            self.reserved,
        );
        // In-process limits settle in place (a lock and a few map updates); only the Redis
        // round trips go to a task of their own.
        if l.redis.is_none() {
            l.settle_local(&team, &limits, reserved, actual_tokens, usd);
        } else if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { l.settle(&team, &limits, reserved, actual_tokens, usd).await });
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.settled {
            self.spawn_settle(0, 0.0);
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

/// A rough token estimate for a request before the call: prompt text / 4 plus 4 per message,
/// plus the completion cap if one is set.
pub fn estimate_tokens(req: &crate::api::ChatRequest) -> u64 {
    let prompt: u64 = req
        .messages
        .iter()
        .map(|m| 4 + (m.text().len() as u64).div_ceil(4))
        .sum();
    prompt + req.max_completion_tokens.or(req.max_tokens).unwrap_or(0)
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

    fn limiter() -> Limiter {
        Limiter::new(None, 1, Metrics::new().unwrap())
    }

    #[tokio::test]
    async fn rpm_bucket_admits_exactly_the_limit_in_a_burst() {
        let l = limiter();
        let limits = Limits {
            rpm: Some(20),
            ..Limits::default()
        };
        let mut ok = 0;
        for _ in 0..40 {
            if l.admit("t", &limits, &Budget::default(), 0).await.is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 20);
        let r = l.admit("t", &limits, &Budget::default(), 0).await.err().unwrap();
        assert_eq!(r.kind, LimitKind::Requests);
        assert!(r.retry_after > Duration::ZERO && r.retry_after <= Duration::from_secs(3));
        // Another team is not affected.
        assert!(l.admit("u", &limits, &Budget::default(), 0).await.is_ok());
    }

    #[tokio::test]
    async fn tokens_are_reserved_then_reconciled() {
        let l = limiter();
        let limits = Limits {
            tpm: Some(1000),
            ..Limits::default()
        };
        let a = l.admit("t", &limits, &Budget::default(), 800).await.unwrap();
        assert_eq!(a.view.remaining_tokens, 200);
        assert_eq!(
            l.admit("t", &limits, &Budget::default(), 800)
                .await
                .err()
                .unwrap()
                .kind,
            LimitKind::Tokens
        );
        // The call used only 100: 700 come back.
        l.settle("t", &limits, 800, 100, 0.0).await;
        assert!(l.admit("t", &limits, &Budget::default(), 800).await.is_ok());
    }

    #[tokio::test]
    async fn concurrency_slots_are_released_on_drop() {
        let l = limiter();
        let limits = Limits {
            concurrency: Some(2),
            ..Limits::default()
        };
        let a = l.admit("t", &limits, &Budget::default(), 0).await.unwrap();
        let b = l.admit("t", &limits, &Budget::default(), 0).await.unwrap();
        assert_eq!(
            l.admit("t", &limits, &Budget::default(), 0)
                .await
                .err()
                .unwrap()
                .kind,
            LimitKind::Concurrency
        );
        drop(a);
        assert!(l.admit("t", &limits, &Budget::default(), 0).await.is_ok());
        drop(b);
    }

    #[tokio::test]
    async fn spending_accumulates_per_team() {
        let l = limiter();
        let budget = Budget {
            tokens_per_day: Some(100),
            ..Budget::default()
        };
        l.settle("t", &Limits::default(), 0, 60, 0.5).await;
        l.settle("t", &Limits::default(), 0, 60, 0.25).await;
        let a = l.admit("t", &Limits::default(), &budget, 0).await.unwrap();
        assert_eq!(a.spend.day_tokens, 120);
        assert!((a.spend.month_usd - 0.75).abs() < 1e-9);
        assert_eq!(budget.exceeded(&a.spend), Some("tokens_per_day"));
        assert_eq!(
            l.admit("u", &Limits::default(), &budget, 0)
                .await
                .unwrap()
                .spend
                .day_tokens,
            0
        );
    }

    #[test]
    fn reset_format() {
        assert_eq!(format_reset(Duration::from_millis(250)), "250ms");
        assert_eq!(format_reset(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_reset(Duration::from_secs(2)), "2s");
        assert_eq!(format_reset(Duration::from_secs(360)), "6m0s");
    }

    #[test]
    fn periods_are_dates() {
        let (d, m) = periods();
        assert_eq!(d.len(), 8);
        assert!(d.starts_with(&m));
    }
}
