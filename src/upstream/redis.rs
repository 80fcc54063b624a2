//! The shared Redis connection (cache tier; later shared limits).
//!
//! Invariants: Redis is never on the critical path of availability. The connection is made
//! lazily and retried at most once per second; every operation has a deadline; a failure is
//! returned as `None`/`Err` for the caller to serve without the shared tier — never a failed
//! request, never a blocked start-up.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU64, Ordering};
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
}

impl RedisFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            RedisFailure::Unavailable => "unavailable",
            RedisFailure::Timeout => "timeout",
            RedisFailure::Error => "error",
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
}

impl SharedRedis {
    /// A handle for `url`; no connection is made until first use.
    pub fn new(url: &str, timeout: Duration) -> Result<SharedRedis, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        Ok(SharedRedis {
            inner: Arc::new(Inner {
                client,
                conn: std::sync::RwLock::new(None),
                connecting: Mutex::new(()),
                timeout,
                last_attempt_ms: AtomicU64::new(0),
                epoch: Instant::now(),
            }),
        })
    }

    fn current(&self) -> Option<ConnectionManager> {
        self.inner.conn.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Connect now (in the background at start-up), so first requests find a connection.
    pub async fn warm_up(&self) {
        let _ = self.connection().await;
    }

    async fn connection(&self) -> Result<ConnectionManager, RedisFailure> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let wait = self.inner.timeout.max(Duration::from_millis(200)) * 3;
        let Ok(_attempt) = tokio::time::timeout(wait, self.inner.connecting.lock()).await else {
            return Err(RedisFailure::Unavailable);
        };
        // The attempt we waited for may have succeeded.
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let now = self.inner.epoch.elapsed().as_millis() as u64 + 1;
        let last = self.inner.last_attempt_ms.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < 1000 {
            return Err(RedisFailure::Unavailable);
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
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "Redis connection failed; serving without the shared tier");
                Err(RedisFailure::Unavailable)
            }
            Err(_) => {
                tracing::warn!("Redis connection timed out; serving without the shared tier");
                Err(RedisFailure::Unavailable)
            }
        }
    }

    /// Run one command with the deadline.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, RedisFailure> {
        let mut conn = self.connection().await?;
        match tokio::time::timeout(self.inner.timeout, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Redis command failed");
                Err(RedisFailure::Error)
            }
            Err(_) => Err(RedisFailure::Timeout),
        }
    }

    /// Run a Lua script (EVALSHA, loading it on first use) with the deadline.
    pub async fn script<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[i64],
    ) -> Result<T, RedisFailure> {
        let mut conn = self.connection().await?;
        let mut inv = script.prepare_invoke();
        for k in keys {
            inv.key(*k);
        }
        for a in args {
            inv.arg(*a);
        }
        match tokio::time::timeout(self.inner.timeout, inv.invoke_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Redis script failed");
                Err(RedisFailure::Error)
            }
            Err(_) => Err(RedisFailure::Timeout),
        }
    }
}
