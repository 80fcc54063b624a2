//! `[cache]` (the response cache's in-process tier) and `[redis]` (the shared server behind the
//! cache's second tier and the limits and budgets across replicas).

use super::{ConfigErrors, HumanDuration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCache {
    /// Byte budget of the in-process tier.
    pub max_bytes: u64,
    /// Use the `[redis]` server as a shared tier (when one is configured).
    pub shared: bool,
    /// How long a coalesced request waits for the identical request in flight.
    pub coalesce_timeout: HumanDuration,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            max_bytes: 256 * 1024 * 1024,
            shared: true,
            coalesce_timeout: HumanDuration::secs(120),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub max_bytes: u64,
    /// Use the shared Redis (when configured) as a second tier.
    pub shared: bool,
    pub coalesce_timeout: Duration,
}

/// The shared Redis server (cache tier, limits and budgets across replicas).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRedis {
    /// e.g. `redis://127.0.0.1:6379`. Unset: everything is in-process.
    pub url: Option<String>,
    /// Deadline of each Redis operation.
    pub timeout: HumanDuration,
    /// How long Redis is left alone after it is found down (3 failures in a row, or one
    /// timeout); then one probe is let through, and its success brings Redis back.
    pub cooldown: HumanDuration,
}

impl Default for RawRedis {
    fn default() -> Self {
        RawRedis {
            url: None,
            timeout: HumanDuration::millis(50),
            cooldown: HumanDuration::secs(5),
        }
    }
}

/// The shared Redis server, when configured.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisConfig {
    pub url: String,
    pub timeout: Duration,
    /// See [`RawRedis::cooldown`].
    pub cooldown: Duration,
}

pub(super) fn validate_cache(raw: RawCache) -> CacheConfig {
    CacheConfig {
        max_bytes: raw.max_bytes,
        shared: raw.shared,
        coalesce_timeout: raw.coalesce_timeout.into(),
    }
}

pub(super) fn validate_redis(errs: &mut ConfigErrors, raw: RawRedis) -> Option<RedisConfig> {
    let url = raw.url?;
    if redis::Client::open(url.as_str()).is_err() {
        errs.push(
            "redis.url",
            format!("invalid Redis URL {url:?}; expected redis://host:port[/db]"),
        );
    }
    Some(RedisConfig {
        url,
        timeout: raw.timeout.into(),
        cooldown: raw.cooldown.into(),
    })
}

/// `[responses]`: the store of Responses API answers (`previous_response_id`,
/// `GET /v1/responses/{id}`), scoped by team: in process, and in Redis when `[redis]` is
/// configured (with the state of background jobs).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawResponses {
    /// How long a stored response can be read or continued.
    pub store_ttl: HumanDuration,
    /// Byte budget of the store; the oldest responses are evicted first.
    pub store_max_bytes: u64,
    /// Background jobs (`background: true`) a team may have waiting to run; one more is a 429.
    pub background_max_queued: usize,
    /// Background jobs of a team that run at once; the others wait in its queue.
    pub background_max_running: usize,
    /// Keep responses and background job state in `[redis]` when it is configured.
    pub shared: bool,
    /// Largest stored response (input and output items, JSON) written to Redis; a larger one is
    /// kept only in this replica's memory.
    pub redis_max_entry_bytes: u64,
    /// How long a background job in Redis stays `queued`/`in_progress` without its replica's
    /// heartbeat before every replica reports it `failed`.
    pub background_lease: HumanDuration,
    /// Bytes of events kept per streamed background job (`background` and `stream`) for
    /// resumption; over it the oldest events are dropped.
    pub background_stream_buffer: u64,
}

impl Default for RawResponses {
    fn default() -> Self {
        RawResponses {
            store_ttl: HumanDuration::secs(3600),
            store_max_bytes: 64 * 1024 * 1024,
            background_max_queued: 100,
            background_max_running: 4,
            shared: true,
            redis_max_entry_bytes: 4 * 1024 * 1024,
            background_lease: HumanDuration::secs(10),
            background_stream_buffer: 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResponsesConfig {
    pub store_ttl: Duration,
    pub store_max_bytes: u64,
    pub background_max_queued: usize,
    /// At least 1.
    pub background_max_running: usize,
    pub shared: bool,
    pub redis_max_entry_bytes: u64,
    /// At least 200 ms; the heartbeat runs four times per lease.
    pub background_lease: Duration,
    /// At least 1 KiB.
    pub background_stream_buffer: u64,
}

pub fn validate_responses(raw: RawResponses) -> ResponsesConfig {
    ResponsesConfig {
        store_ttl: raw.store_ttl.into(),
        store_max_bytes: raw.store_max_bytes,
        background_max_queued: raw.background_max_queued,
        background_max_running: raw.background_max_running.max(1),
        shared: raw.shared,
        redis_max_entry_bytes: raw.redis_max_entry_bytes,
        background_lease: Duration::from(raw.background_lease).max(Duration::from_millis(200)),
        background_stream_buffer: raw.background_stream_buffer.max(1024),
    }
}
