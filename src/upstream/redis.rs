//! The shared Redis connection (cache tier, shared limits and budgets, the Responses store and
//! background job state).
//!
//! Invariants: Redis is never on the critical path of availability. The connection is made
//! lazily and retried at most once per second; every operation has a deadline; a failure is
//! returned as `None`/`Err` for the caller to serve without the shared tier — never a failed
//! request, never a blocked start-up.
//!
//! Health gate: every caller (cache tier, shared limits and budgets) goes through this one
//! handle, and so through one gate. After [`TRIP_AFTER`] failures in a row, or one operation
//! past the deadline, Redis is considered down: "redis down" is logged once at warn, the gauge
//! `gearbox_redis_up` drops to 0, and for the cooldown every operation fails at once with
//! [`RedisFailure::Skipped`] (callers use their local fallback, at no cost per request). After
//! the cooldown one probe operation is let through (half-open): its success logs "redis up" and
//! closes the gate, its failure opens it for another cooldown.

use crate::metrics::Metrics;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Why a Redis operation did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisFailure {
    /// Not connected (and a reconnect was attempted recently or is in progress).
    Unavailable,
    /// The operation did not finish within the deadline.
    Timeout,
    /// Redis answered with an error, or the connection broke.
    Error,
    /// Not tried: Redis was found down and its cooldown has not passed (health gate open).
    Skipped,
}

/// Failures in a row that make Redis count as down (a timeout counts at once).
pub const TRIP_AFTER: u32 = 3;

impl RedisFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            RedisFailure::Unavailable => "unavailable",
            RedisFailure::Timeout => "timeout",
            RedisFailure::Error => "error",
            RedisFailure::Skipped => "skipped",
        }
    }
}

/// A lazily connected, self-healing Redis handle.
#[derive(Clone)]
pub struct SharedRedis {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    /// The established connection (cloned per operation; a cheap handle).
    conn: std::sync::RwLock<Option<ConnectionManager>>,
    /// Serialises connection attempts; others wait for the attempt (bounded) instead of
    /// giving up, so a burst at start-up does not fall back to local state.
    connecting: Mutex<()>,
    timeout: Duration,
    /// Milliseconds since `epoch` of the last connection attempt.
    last_attempt_ms: AtomicU64,
    epoch: Instant,
    gate: Gate,
    metrics: Metrics,
}

/// The health gate (a breaker on Redis as a whole). Lock-free: a closed gate costs one load.
struct Gate {
    cooldown: Duration,
    /// Failures in a row while up.
    failures: AtomicU32,
    /// Redis is found down (open, or half-open while a probe runs).
    down: AtomicBool,
    /// Milliseconds since `epoch` (plus one) until which nothing is tried while down.
    open_until_ms: AtomicU64,
    /// A half-open probe is in flight.
    probing: AtomicBool,
}

/// What the gate allows for one operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Up: go ahead.
    Normal,
    /// Down and cooled down: this operation is the one probe.
    Probe,
}

/// Releases an unfinished probe (a cancelled caller), so the gate can probe again.
struct ProbeGuard<'a> {
    inner: &'a Inner,
    pass: Pass,
    settled: bool,
}

impl ProbeGuard<'_> {
    fn success(mut self) {
        self.settled = true;
        self.inner.success();
    }

    fn failure(mut self, f: RedisFailure, detail: Option<String>) {
        self.settled = true;
        self.inner.failure(self.pass, f, detail);
    }
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if !self.settled && self.pass == Pass::Probe {
            self.inner.gate.probing.store(false, Ordering::Release);
        }
    }
}

impl Inner {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// May an operation go to Redis now?
    fn pass(&self) -> Result<ProbeGuard<'_>, RedisFailure> {
        let g = &self.gate;
        if !g.down.load(Ordering::Acquire) {
            return Ok(ProbeGuard {
                inner: self,
                pass: Pass::Normal,
                settled: false,
            });
        }
        if self.now_ms() < g.open_until_ms.load(Ordering::Acquire) {
            return Err(RedisFailure::Skipped);
        }
        if g.probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            Ok(ProbeGuard {
                inner: self,
                pass: Pass::Probe,
                settled: false,
            })
        } else {
            Err(RedisFailure::Skipped)
        }
    }

    fn success(&self) {
        let g = &self.gate;
        g.failures.store(0, Ordering::Relaxed);
        if g.down.swap(false, Ordering::AcqRel) {
            tracing::warn!("redis up: using the shared tier and shared limits again");
            self.metrics.set_redis_up(true);
        }
        g.probing.store(false, Ordering::Release);
    }

    fn failure(&self, pass: Pass, f: RedisFailure, detail: Option<String>) {
        let g = &self.gate;
        if pass == Pass::Probe {
            g.open_until_ms
                .store(self.now_ms() + g.cooldown.as_millis() as u64, Ordering::Release);
            g.probing.store(false, Ordering::Release);
            tracing::debug!(reason = f.as_str(), "Redis probe failed; still down");
            return;
        }
        let n = g.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n < TRIP_AFTER && f != RedisFailure::Timeout {
            return;
        }
        g.open_until_ms
            .store(self.now_ms() + g.cooldown.as_millis() as u64, Ordering::Release);
        if !g.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                reason = f.as_str(),
                failures = n,
                detail = detail.as_deref().unwrap_or(""),
                cooldown_ms = g.cooldown.as_millis() as u64,
                "redis down: serving from the local cache tier and local limits; retrying after the cooldown"
            );
            self.metrics.set_redis_up(false);
        }
    }
}

impl SharedRedis {
    /// A handle for `url`; no connection is made until first use.
    pub fn new(
        url: &str,
        timeout: Duration,
        cooldown: Duration,
        metrics: Metrics,
    ) -> Result<SharedRedis, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        metrics.set_redis_up(true);
        Ok(SharedRedis {
            inner: Arc::new(Inner {
                client,
                conn: std::sync::RwLock::new(None),
                connecting: Mutex::new(()),
                timeout,
                last_attempt_ms: AtomicU64::new(0),
                epoch: Instant::now(),
                gate: Gate {
                    cooldown,
                    failures: AtomicU32::new(0),
                    down: AtomicBool::new(false),
                    open_until_ms: AtomicU64::new(0),
                    probing: AtomicBool::new(false),
                },
                metrics,
            }),
        })
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.inner.conn.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Connect now (in the background at start-up), so first requests find a connection.
    pub async fn warm_up(&self) {
        let Ok(pass) = self.inner.pass() else { return };
        match self.connection().await {
            Ok(_) => pass.success(),
            Err((f, detail)) => pass.failure(f, detail),
        }
    }

    /// The deadline of every operation.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Redis is in use (not found down); see the module's health gate.
    pub fn is_up(&self) -> bool {
        !self.inner.gate.down.load(Ordering::Acquire)
    }

    async fn connection(&self) -> Result<ConnectionManager, (RedisFailure, Option<String>)> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let wait = self.inner.timeout.max(Duration::from_millis(200)) * 3;
        let Ok(_attempt) = tokio::time::timeout(wait, self.inner.connecting.lock()).await else {
            return Err((RedisFailure::Unavailable, None));
        };
        // The attempt we waited for may have succeeded.
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let now = self.inner.epoch.elapsed().as_millis() as u64 + 1;
        let last = self.inner.last_attempt_ms.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < 1000 {
            return Err((RedisFailure::Unavailable, None));
        }
        self.inner.last_attempt_ms.store(now, Ordering::Relaxed);
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(self.inner.timeout.max(Duration::from_millis(200)))
            .set_response_timeout(self.inner.timeout)
            .set_number_of_retries(1)
            .set_max_delay(500);
        let fut = ConnectionManager::new_with_config(self.inner.client.clone(), cfg);
        match tokio::time::timeout(self.inner.timeout.max(Duration::from_millis(200)) * 2, fut).await {
            Ok(Ok(c)) => {
                tracing::info!("connected to Redis");
                *self.inner.conn.write().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
                Ok(c)
            }
            // Logged at warn by the health gate, once per outage.
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Redis connection failed");
                Err((
                    RedisFailure::Unavailable,
                    Some(format!("connection failed: {}", e.category())),
                ))
            }
            Err(_) => {
                tracing::debug!("Redis connection timed out");
                Err((RedisFailure::Timeout, Some("connection timed out".into())))
            }
        }
    }

    /// Run one command with the deadline.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, RedisFailure> {
        self.bounded("command", |mut conn| async move {
            cmd.query_async::<T>(&mut conn).await
        })
        .await
    }

    /// Run a Lua script (EVALSHA, loading it on first use) with the deadline.
    pub async fn script<T: redis::FromRedisValue, A: redis::ToRedisArgs>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[A],
    ) -> Result<T, RedisFailure> {
        let mut inv = script.prepare_invoke();
        for k in keys {
            inv.key(*k);
        }
        for a in args {
            inv.arg(a);
        }
        self.bounded("script", |mut conn| async move {
            inv.invoke_async::<T>(&mut conn).await
        })
        .await
    }

    /// One operation through the gate, bounded as a whole by the deadline: getting the
    /// connection (waiting for another caller's attempt, or connecting) and `op` on it, so no
    /// operation costs its caller more than one deadline.
    async fn bounded<T, F, Fut>(&self, what: &'static str, op: F) -> Result<T, RedisFailure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let pass = self.inner.pass()?;
        let r = tokio::time::timeout(self.inner.timeout, async {
            let conn = self.connection().await?;
            Ok(op(conn).await)
        })
        .await;
        match r {
            Ok(Err((f, detail))) => {
                pass.failure(f, detail);
                Err(f)
            }
            Ok(Ok(r)) => self.settle(pass, Ok(r), what),
            Err(elapsed) => self.settle(pass, Err(elapsed), what),
        }
    }

    /// Record an operation's outcome at the gate.
    fn settle<T>(
        &self,
        pass: ProbeGuard<'_>,
        r: Result<redis::RedisResult<T>, tokio::time::error::Elapsed>,
        what: &'static str,
    ) -> Result<T, RedisFailure> {
        match r {
            Ok(Ok(v)) => {
                pass.success();
                Ok(v)
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Redis {what} failed");
                // The connection's own response timeout (the same deadline) may fire first.
                let f = if e.is_timeout() {
                    RedisFailure::Timeout
                } else {
                    RedisFailure::Error
                };
                if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
                {
                    pass.failure(f, Some(format!("{what} failed: {}", e.category())));
                } else {
                    // Redis answered (an error reply): it is up.
                    pass.success();
                }
                Err(f)
            }
            Err(_) => {
                let f = RedisFailure::Timeout;
                pass.failure(f, Some(format!("{what} past the deadline")));
                Err(f)
            }
        }
    }
}

/// The address of a "Redis" that takes connections and never answers (hung, or stopped), for
/// the tests of what a deadline bounds (here and in `responses::jobs`).
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) async fn hung_redis() -> std::net::SocketAddr {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    addr
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A Redis that takes connections and never answers (hung, or stopped): each operation,
    /// connecting included, costs its caller one deadline, also a caller that waits for another
    /// one's connection attempt.
    #[tokio::test]
    async fn an_operation_with_its_connection_is_bounded_by_one_deadline() {
        let addr = hung_redis().await;
        let deadline = Duration::from_millis(100);
        let r = SharedRedis::new(
            &format!("redis://{addr}"),
            deadline,
            Duration::from_secs(30),
            Metrics::new().unwrap(),
        )
        .unwrap();
        let script = redis::Script::new("return 1");
        let t = Instant::now();
        let (a, b) = tokio::join!(
            r.query::<()>(redis::cmd("PING")),
            r.script::<i64, &str>(&script, &["k"], &["v"]),
        );
        let took = t.elapsed();
        // One deadline and 150 ms of scheduling slack; before, waiting for the connection alone
        // took 2 x max(deadline, 200 ms) = 400 ms.
        assert!(
            took < deadline * 5 / 2,
            "took {took:?} for a deadline of {deadline:?}"
        );
        // The first to time out trips the gate, so the other may find Redis down or skipped.
        for r in [a.err(), b.err()] {
            assert!(
                matches!(
                    r,
                    Some(RedisFailure::Timeout | RedisFailure::Unavailable | RedisFailure::Skipped)
                ),
                "{r:?}"
            );
        }
    }

    /// Nothing listens on the port: Redis is found down after `TRIP_AFTER` failures, skipped
    /// during the cooldown, and probed (once) after it.
    #[tokio::test]
    async fn the_gate_opens_after_repeated_failures_and_probes_after_the_cooldown() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let metrics = Metrics::new().unwrap();
        let r = SharedRedis::new(
            &format!("redis://127.0.0.1:{port}"),
            Duration::from_millis(50),
            Duration::from_millis(300),
            metrics,
        )
        .unwrap();
        // Refused connections (retried by the connection manager) may also end as a timeout,
        // which trips at once.
        let mut failures = 0;
        while r.is_up() {
            let f = r.query::<()>(redis::cmd("PING")).await.unwrap_err();
            assert_ne!(f, RedisFailure::Skipped);
            failures += 1;
            assert!(failures <= TRIP_AFTER, "still up after {failures} failures");
        }
        assert!(!r.is_up());
        let t = Instant::now();
        assert_eq!(
            r.query::<()>(redis::cmd("PING")).await.unwrap_err(),
            RedisFailure::Skipped
        );
        assert!(t.elapsed() < Duration::from_millis(20));
        tokio::time::sleep(Duration::from_millis(350)).await;
        // The probe runs (and fails: still down); the next request is skipped again.
        assert_ne!(
            r.query::<()>(redis::cmd("PING")).await.unwrap_err(),
            RedisFailure::Skipped
        );
        assert_eq!(
            r.query::<()>(redis::cmd("PING")).await.unwrap_err(),
            RedisFailure::Skipped
        );
        assert!(!r.is_up());
    }
}
