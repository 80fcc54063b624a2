//! Response cache: an in-process moka tier bounded by bytes, an optional shared Redis tier, and
//! request coalescing.
//!
//! Invariants: a cache problem never fails a request (Redis down or slow means serving without
//! the shared tier, with a log line and a metric); entries are keyed per namespace (one team
//! never reads another's entries unless their policies share a namespace); only complete,
//! successful answers are stored (see [`entry`]); a coalesced waiter whose leader fails makes
//! its own call.

pub mod entry;
pub mod key;

pub use entry::{replay_sse, Assembler, CachedResponse};
pub use key::{cache_key, is_deterministic, CacheKey, Determinism};

use crate::metrics::Metrics;
use crate::upstream::redis::SharedRedis;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Where a hit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Local,
    Redis,
}

struct Stored {
    entry: Arc<CachedResponse>,
    ttl: Duration,
}

struct PerEntryTtl;

impl moka::Expiry<CacheKey, Arc<Stored>> for PerEntryTtl {
    fn expire_after_create(&self, _: &CacheKey, v: &Arc<Stored>, _: Instant) -> Option<Duration> {
        Some(v.ttl)
    }
}

/// The two-tier cache and the table of in-flight requests.
pub struct ResponseCache {
    local: moka::sync::Cache<CacheKey, Arc<Stored>>,
    redis: Option<SharedRedis>,
    flights: Mutex<HashMap<(CacheKey, bool), Arc<Flight>>>,
    metrics: Metrics,
    /// How long a coalesced waiter waits for its leader before making its own call.
    pub coalesce_wait: Duration,
}

const REDIS_PREFIX: &str = "gearbox:cache:v1:";

impl ResponseCache {
    pub fn new(
        max_bytes: u64,
        redis: Option<SharedRedis>,
        coalesce_wait: Duration,
        metrics: Metrics,
    ) -> ResponseCache {
        let m = metrics.clone();
        let local = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_: &CacheKey, v: &Arc<Stored>| v.entry.weight())
            .expire_after(PerEntryTtl)
            .eviction_listener(move |_, _, cause| {
                if cause == moka::notification::RemovalCause::Size {
                    m.record_cache_eviction();
                }
            })
            .build();
        ResponseCache {
            local,
            redis,
            flights: Mutex::new(HashMap::new()),
            metrics,
            coalesce_wait,
        }
    }

    /// Look `key` up in memory, then in Redis (a Redis hit is copied into memory).
    pub async fn get(&self, key: CacheKey, ttl: Duration) -> Option<(Arc<CachedResponse>, Tier)> {
        if let Some(s) = self.local.get(&key) {
            return Some((s.entry.clone(), Tier::Local));
        }
        let redis = self.redis.as_ref()?;
        let mut cmd = redis::cmd("GET");
        cmd.arg(format!("{REDIS_PREFIX}{}", key.hex()));
        match redis.query::<Option<Vec<u8>>>(cmd).await {
            Ok(Some(bytes)) => {
                let entry = Arc::new(CachedResponse::from_body(Bytes::from(bytes))?);
                self.local.insert(
                    key,
                    Arc::new(Stored {
                        entry: entry.clone(),
                        ttl,
                    }),
                );
                Some((entry, Tier::Redis))
            }
            Ok(None) => None,
            Err(f) => {
                self.metrics.record_redis_error("cache_get", f.as_str());
                None
            }
        }
    }

    /// Store an entry in memory now and in Redis in the background.
    pub fn put(&self, key: CacheKey, entry: Arc<CachedResponse>, ttl: Duration) {
        // The one place entries are stored: a truncated answer never is.
        if entry.truncated {
            return;
        }
        self.metrics.record_cache_store(entry.body.len());
        self.local.insert(
            key,
            Arc::new(Stored {
                entry: entry.clone(),
                ttl,
            }),
        );
        if let Some(redis) = self.redis.clone() {
            let metrics = self.metrics.clone();
            tokio::spawn(async move {
                let mut cmd = redis::cmd("SET");
                cmd.arg(format!("{REDIS_PREFIX}{}", key.hex()))
                    .arg(entry.body.as_ref())
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64);
                if let Err(f) = redis.query::<()>(cmd).await {
                    metrics.record_redis_error("cache_set", f.as_str());
                }
            });
        }
    }

    /// Join the in-flight request for `(key, stream)`: become its leader, or follow it.
    pub fn join(self: &Arc<Self>, key: CacheKey, stream: bool) -> Join {
        let mut flights = match self.flights.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        if let Some(f) = flights.get(&(key, stream)) {
            return Join::Follower(f.clone());
        }
        let flight = Arc::new(Flight::default());
        flights.insert((key, stream), flight.clone());
        Join::Leader(FlightGuard {
            cache: self.clone(),
            key: (key, stream),
            flight,
            finished: false,
        })
    }

    fn end_flight(&self, key: &(CacheKey, bool)) {
        let mut flights = match self.flights.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        flights.remove(key);
    }

    /// Number of in-flight leaders (tests check it returns to zero).
    pub fn flights_in_progress(&self) -> usize {
        self.flights.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// The outcome of [`ResponseCache::join`].
pub enum Join {
    Leader(FlightGuard),
    Follower(Arc<Flight>),
}

/// The state of one in-flight upstream call that others may wait on.
#[derive(Default)]
pub struct Flight {
    state: Mutex<FlightState>,
    notify: Notify,
}

#[derive(Default)]
struct FlightState {
    /// For streamed flights: every frame relayed so far, for live fan-out.
    events: Vec<Bytes>,
    status: FlightStatus,
}

#[derive(Default, Clone)]
enum FlightStatus {
    #[default]
    Running,
    Done(Arc<CachedResponse>),
    Failed,
}

impl Flight {
    fn push(&self, frame: Bytes) {
        if let Ok(mut s) = self.state.lock() {
            s.events.push(frame);
        }
        self.notify.notify_waiters();
    }

    fn end(&self, status: FlightStatus) {
        if let Ok(mut s) = self.state.lock() {
            if matches!(s.status, FlightStatus::Running) {
                s.status = status;
            }
        }
        self.notify.notify_waiters();
    }

    /// Frames from index `from`, and `Some(result)` once the flight ended (`None` inside means
    /// it failed).
    fn view(&self, from: usize) -> (Vec<Bytes>, Option<Option<Arc<CachedResponse>>>) {
        let Ok(s) = self.state.lock() else {
            return (Vec::new(), Some(None));
        };
        let frames = s.events.get(from..).map(<[Bytes]>::to_vec).unwrap_or_default();
        let end = match &s.status {
            FlightStatus::Running => None,
            FlightStatus::Done(e) => Some(Some(e.clone())),
            FlightStatus::Failed => Some(None),
        };
        (frames, end)
    }

    /// Wait (bounded) until frames from `from` exist or the flight ends.
    pub async fn next(
        &self,
        from: usize,
        deadline: Instant,
    ) -> (Vec<Bytes>, Option<Option<Arc<CachedResponse>>>) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (frames, end) = self.view(from);
            if !frames.is_empty() || end.is_some() {
                return (frames, end);
            }
            let now = Instant::now();
            if now >= deadline || tokio::time::timeout(deadline - now, notified).await.is_err() {
                return (Vec::new(), Some(None));
            }
        }
    }

    /// Wait (bounded) for the final result: the entry, or `None` if the leader failed or took
    /// too long.
    pub async fn result(&self, deadline: Instant) -> Option<Arc<CachedResponse>> {
        loop {
            let (_, end) = self.next(usize::MAX, deadline).await;
            if let Some(r) = end {
                return r;
            }
        }
    }
}

/// Held by the leader of a flight; if dropped before `done`, followers are told it failed.
pub struct FlightGuard {
    cache: Arc<ResponseCache>,
    key: (CacheKey, bool),
    flight: Arc<Flight>,
    finished: bool,
}

impl FlightGuard {
    /// Relay a streamed frame to followers.
    pub fn push(&self, frame: &Bytes) {
        self.flight.push(frame.clone());
    }

    /// The leader's answer is complete: followers get it.
    pub fn done(mut self, entry: Arc<CachedResponse>) {
        self.finished = true;
        self.cache.end_flight(&self.key);
        self.flight.end(FlightStatus::Done(entry));
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.cache.end_flight(&self.key);
            self.flight.end(FlightStatus::Failed);
        }
    }
}

/// `Cache-Control` request directives the cache honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheControl {
    /// Skip the lookup (and coalescing); the fresh answer may still be stored.
    pub no_cache: bool,
    /// Do not store the answer.
    pub no_store: bool,
}

impl CacheControl {
    pub fn parse(headers: &http::HeaderMap) -> CacheControl {
        let mut cc = CacheControl::default();
        for v in headers.get_all(http::header::CACHE_CONTROL) {
            for d in v.to_str().unwrap_or("").split(',') {
                match d.trim().to_ascii_lowercase().as_str() {
                    "no-cache" => cc.no_cache = true,
                    "no-store" => cc.no_store = true,
                    _ => {}
                }
            }
        }
        cc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(text: &str) -> Arc<CachedResponse> {
        let body = format!(
            r#"{{"object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assistant","content":"{text}"}},"finish_reason":"stop"}}]}}"#
        );
        Arc::new(CachedResponse::from_body(Bytes::from(body)).unwrap())
    }

    fn cache(max: u64) -> Arc<ResponseCache> {
        Arc::new(ResponseCache::new(
            max,
            None,
            Duration::from_secs(1),
            Metrics::new().unwrap(),
        ))
    }

    #[tokio::test]
    async fn put_get_and_ttl() {
        let c = cache(1 << 20);
        let k = CacheKey(1);
        assert!(c.get(k, Duration::from_secs(1)).await.is_none());
        c.put(k, entry("a"), Duration::from_millis(50));
        assert_eq!(c.get(k, Duration::from_secs(1)).await.unwrap().1, Tier::Local);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(c.get(k, Duration::from_secs(1)).await.is_none(), "expired");
    }

    #[tokio::test]
    async fn bounded_by_bytes() {
        let c = cache(4_000);
        for i in 0..100u128 {
            c.put(CacheKey(i), entry(&"x".repeat(500)), Duration::from_secs(60));
        }
        c.local.run_pending_tasks();
        assert!(c.local.weighted_size() <= 4_000, "{}", c.local.weighted_size());
    }

    #[tokio::test]
    async fn followers_get_the_leaders_result_or_learn_it_failed() {
        let c = cache(1 << 20);
        let Join::Leader(guard) = c.join(CacheKey(7), false) else {
            panic!("first is leader")
        };
        let Join::Follower(f) = c.join(CacheKey(7), false) else {
            panic!("second follows")
        };
        let Join::Leader(_other) = c.join(CacheKey(7), true) else {
            panic!("stream flag separates flights")
        };
        let waiter = tokio::spawn(async move { f.result(Instant::now() + Duration::from_secs(5)).await });
        guard.done(entry("ok"));
        assert!(waiter.await.unwrap().is_some());

        let Join::Leader(guard) = c.join(CacheKey(8), false) else {
            panic!()
        };
        let Join::Follower(f) = c.join(CacheKey(8), false) else {
            panic!()
        };
        drop(guard);
        assert!(f.result(Instant::now() + Duration::from_secs(5)).await.is_none());
        drop(_other);
        assert_eq!(c.flights_in_progress(), 0);
    }

    #[test]
    fn cache_control_directives() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("No-Cache, max-age=0"),
        );
        assert_eq!(
            CacheControl::parse(&h),
            CacheControl {
                no_cache: true,
                no_store: false
            }
        );
        h.append(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        assert_eq!(
            CacheControl::parse(&h),
            CacheControl {
                no_cache: true,
                no_store: true
            }
        );
    }
}
