//! Limits and budgets in Redis: one Lua script admits (buckets, budget check and reservation in
//! one atomic step, so N replicas enforce one limit and one budget), one settles.
//!
//! Invariant: a failed Redis call returns `None`/`false` and the caller falls back to local
//! state; nothing here fails a request.

use super::{Cost, LimitKind, RateView};
use crate::metrics::Metrics;
use crate::policy::Limits;
use crate::upstream::redis::SharedRedis;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

/// Budget counters expire two days (day) and 35 days (month) after their last change.
const DAY_TTL: &str = "172800";
const MONTH_TTL: &str = "3024000";

/// Buckets, budget check and reservation in one round trip.
/// KEYS: request bucket, token bucket, day tokens, month tokens, day usd, month usd.
/// ARGV: rpm (0 = none), tpm (0 = none), bucket cost, day/month token caps, day/month nano-USD
/// caps (-1 = none), tokens to reserve, nano-USD to reserve, over budget: 0 refuse, 1 admit.
/// The budget counters hold committed spending: settled usage plus open reservations. A
/// budget is reached when committed >= cap; then nothing is reserved (refused, or admitted
/// over budget when the policy downgrades).
/// Returns {admitted, kind (1 requests, 2 tokens, 3 budget), wait_ms, requests_left,
/// tokens_left, requests_reset_ms, tokens_reset_ms, budget cap reached (0 none, 1..4)}.
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
local over = 0
for i = 1, 4 do
  local cap = tonumber(ARGV[3 + i])
  if over == 0 and cap >= 0 then
    local spent = tonumber(redis.call('GET', KEYS[2 + i]) or '0') or 0
    if i > 2 then spent = spent * 1000000000 end
    if spent >= cap then over = i end
  end
end
local r = load(KEYS[1], rpm)
local k = load(KEYS[2], tpm)
local admitted = 1
local kind = 0
local wait = 0
if over > 0 and tonumber(ARGV[10]) == 0 then
  admitted = 0; kind = 3
elseif r ~= nil and r < 1 then
  admitted = 0; kind = 1; wait = math.ceil((1 - r) * 60000 / rpm)
elseif k ~= nil and k < math.min(cost, tpm) then
  admitted = 0; kind = 2; wait = math.ceil((math.min(cost, tpm) - k) * 60000 / tpm)
end
if admitted == 1 then
  if r ~= nil then r = r - 1 end
  if k ~= nil then k = k - cost end
  if over == 0 then
    local tokens = tonumber(ARGV[8])
    local nano = tonumber(ARGV[9])
    if tokens > 0 then
      redis.call('INCRBY', KEYS[3], tokens); redis.call('EXPIRE', KEYS[3], DAY_TTL)
      redis.call('INCRBY', KEYS[4], tokens); redis.call('EXPIRE', KEYS[4], MONTH_TTL)
    end
    if nano > 0 then
      redis.call('INCRBYFLOAT', KEYS[5], nano / 1000000000); redis.call('EXPIRE', KEYS[5], DAY_TTL)
      redis.call('INCRBYFLOAT', KEYS[6], nano / 1000000000); redis.call('EXPIRE', KEYS[6], MONTH_TTL)
    end
  end
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
return {admitted, kind, wait, math.floor(math.max(rl, 0)), math.floor(math.max(kl, 0)), rreset, kreset, over}
"#;

/// Settle one request. KEYS: token bucket, day tokens, month tokens, day usd, month usd.
/// ARGV: tpm (0 = none), tokens back to the bucket (negative: take more), token delta and
/// nano-USD delta for the budget counters (real use minus what was reserved; negative gives
/// back). Counters never go below zero.
const SETTLE_LUA: &str = r#"
local tpm = tonumber(ARGV[1])
if tpm > 0 then
  local v = redis.call('HMGET', KEYS[1], 'level', 'at')
  if v[1] then
    local level = math.min(tpm, tonumber(v[1]) + tonumber(ARGV[2]))
    redis.call('HSET', KEYS[1], 'level', tostring(level))
  end
end
local td = tonumber(ARGV[3])
local ud = tonumber(ARGV[4])
local ttls = {DAY_TTL, MONTH_TTL}
for i = 1, 2 do
  if td ~= 0 then
    if redis.call('INCRBY', KEYS[1 + i], td) < 0 then redis.call('SET', KEYS[1 + i], '0') end
    redis.call('EXPIRE', KEYS[1 + i], ttls[i])
  end
  if ud ~= 0 then
    if tonumber(redis.call('INCRBYFLOAT', KEYS[3 + i], ud / 1000000000)) < 0 then
      redis.call('SET', KEYS[3 + i], '0')
    end
    redis.call('EXPIRE', KEYS[3 + i], ttls[i])
  end
end
return 1
"#;

fn script(src: &str) -> redis::Script {
    redis::Script::new(&src.replace("DAY_TTL", DAY_TTL).replace("MONTH_TTL", MONTH_TTL))
}

// Hashed once per process, not per request.
static ADMIT: LazyLock<redis::Script> = LazyLock::new(|| script(ADMIT_LUA));
static SETTLE: LazyLock<redis::Script> = LazyLock::new(|| script(SETTLE_LUA));

/// A team's keys in the current UTC day and month: request bucket, token bucket, day tokens,
/// month tokens, day USD, month USD. Kept by a reservation so that it settles into the period
/// it was taken in.
pub(super) type Keys = [String; 6];

pub(super) fn keys(team: &str) -> Keys {
    let (y, m, d) = crate::clock::civil_from_days(crate::clock::utc_days(SystemTime::now()));
    let (day, month) = (format!("{y:04}{m:02}{d:02}"), format!("{y:04}{m:02}"));
    [
        format!("gearbox:rl:{{{team}}}:requests"),
        format!("gearbox:rl:{{{team}}}:tokens"),
        format!("gearbox:rl:{{{team}}}:spend:tokens:{day}"),
        format!("gearbox:rl:{{{team}}}:spend:tokens:{month}"),
        format!("gearbox:rl:{{{team}}}:spend:usd:{day}"),
        format!("gearbox:rl:{{{team}}}:spend:usd:{month}"),
    ]
}

/// USD as integer nano-dollars (script arguments are integers).
pub(super) fn nano(usd: f64) -> i64 {
    (usd * 1e9).round() as i64
}

/// What the admission script decided.
pub(super) struct Admitted {
    /// `Err`: refused by this limit (`None`: by the budget) after this wait.
    pub outcome: Result<(), (Option<LimitKind>, Duration)>,
    pub view: RateView,
    /// The budget cap reached (1 tokens/day .. 4 USD/month), if any.
    pub over: u8,
}

/// The arguments of one admission.
pub(super) struct Check<'a> {
    pub limits: &'a Limits,
    /// Tokens to take from the per-minute bucket.
    pub bucket_cost: u64,
    /// The budget caps (tokens, tokens, nano-USD, nano-USD; -1 = none).
    pub caps: [i64; 4],
    /// What to add to the budget counters when within budget.
    pub reserve: Cost,
    pub admit_over_budget: bool,
}

/// Run the admission script.
pub(super) async fn admit(
    redis: &SharedRedis,
    metrics: &Metrics,
    keys: &Keys,
    c: Check<'_>,
) -> Option<Admitted> {
    let Check {
        limits,
        bucket_cost,
        caps,
        reserve,
        admit_over_budget,
    } = c;
    let krefs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let args = [
        limits.rpm.unwrap_or(0) as i64,
        limits.tpm.unwrap_or(0) as i64,
        bucket_cost as i64,
        caps[0],
        caps[1],
        caps[2],
        caps[3],
        reserve.tokens as i64,
        nano(reserve.usd),
        i64::from(admit_over_budget),
    ];
    match redis.script::<Vec<i64>, _>(&ADMIT, &krefs, &args).await {
        Ok(v) => {
            let int = |i: usize| v.get(i).copied().unwrap_or(0);
            let view = RateView {
                limit_requests: limits.rpm,
                remaining_requests: int(3).max(0) as u64,
                reset_requests: Duration::from_millis(int(5).max(0) as u64),
                limit_tokens: limits.tpm,
                remaining_tokens: int(4).max(0) as u64,
                reset_tokens: Duration::from_millis(int(6).max(0) as u64),
            };
            let outcome = if int(0) == 1 {
                Ok(())
            } else {
                let kind = match int(1) {
                    1 => Some(LimitKind::Requests),
                    2 => Some(LimitKind::Tokens),
                    _ => None,
                };
                Err((kind, Duration::from_millis(int(2).max(1) as u64)))
            };
            Some(Admitted {
                outcome,
                view,
                over: u8::try_from(int(7).clamp(0, 4)).unwrap_or(0),
            })
        }
        Err(f) => {
            metrics.record_redis_error("limits", f.as_str());
            None
        }
    }
}

/// Run the settle script; `false` if Redis failed.
pub(super) async fn settle(
    redis: &SharedRedis,
    keys: &Keys,
    tpm: Option<u64>,
    bucket_back: i64,
    token_delta: i64,
    nano_delta: i64,
) -> bool {
    let krefs = [
        keys[1].as_str(),
        keys[2].as_str(),
        keys[3].as_str(),
        keys[4].as_str(),
        keys[5].as_str(),
    ];
    let args = [tpm.unwrap_or(0) as i64, bucket_back, token_delta, nano_delta];
    redis.script::<i64, _>(&SETTLE, &krefs, &args).await.is_ok()
}
