//! The Redis tier of the response store and of background job state, so every replica reads,
//! continues, deletes, polls and cancels every response of a team.
//!
//! Keys (the team's name is length-prefixed, so no two (team, id) pairs share a key):
//! - `gearbox:responses:v1:{len}:{team}:{id}`: the stored response as JSON
//!   `{"team", "input_items", "response"}`, expiring after the store's TTL. The team inside is
//!   checked on every read as well.
//! - `gearbox:jobs:v1:{len}:{team}:{id}`: the lease of a queued or running background job, held
//!   by the replica running it and renewed by its heartbeat. Every status change of a job is a
//!   script that writes the response only while the lease exists, and an end (completed,
//!   failed, cancelled) deletes the lease in the same script: a finishing job and a cancel from
//!   any replica never both win. The running replica's heartbeat finds the lease gone (a cancel
//!   or delete from anywhere) and stops the job. A job that is `queued`/`in_progress` without a
//!   lease lost its replica: every read reports it `failed`.
//!
//! Invariants: every operation has the shared Redis handle's deadline and health gate; a
//! failure is returned for the caller to use the in-process store (never a failed request).

use super::stored::{with_status, StoredResponse};
use crate::metrics::Metrics;
use crate::upstream::redis::SharedRedis;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// Ids longer than this are never stored (ours are 29 characters), so never looked up.
const MAX_ID_LEN: usize = 128;

static GET: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "local r = redis.call('GET', KEYS[1]) \
         if not r then return {'', 0} end \
         return {r, redis.call('EXISTS', KEYS[2])}",
    )
});

static SUBMIT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
         redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) \
         return 1",
    )
});

/// Write the job's response while its lease exists; `ARGV[3] == '1'` ends the job (the lease
/// goes). 0 when the lease was gone (ended elsewhere, deleted, or its replica died).
static WRITE_IF_ACTIVE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end \
         redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) \
         if ARGV[3] == '1' then redis.call('DEL', KEYS[2]) end \
         return 1",
    )
});

/// End a job whose answer is too large for Redis: drop its record and lease while the lease
/// exists, so other replicas answer 404 (as for any response kept in one replica's memory)
/// instead of `in_progress` and then a false "its replica stopped". 0 when the lease was gone.
static END_UNSTORED: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end \
         redis.call('DEL', KEYS[1], KEYS[2]) \
         return 1",
    )
});

static DELETE: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        "local n = redis.call('DEL', KEYS[1]) \
         redis.call('DEL', KEYS[2]) \
         return n",
    )
});

/// Why a job's state was not written to Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobWriteError {
    /// Redis failed or is skipped (down).
    Redis,
    /// The entry is over `redis_max_entry_bytes`.
    TooLarge,
}

/// The Redis tier (see the module documentation).
pub struct SharedResponses {
    redis: SharedRedis,
    ttl: Duration,
    max_entry_bytes: usize,
    lease: Duration,
    metrics: Metrics,
}

fn key(kind: &str, team: &str, id: &str) -> String {
    format!("gearbox:{kind}:v1:{}:{team}:{id}", team.len())
}

fn millis(d: Duration) -> Vec<u8> {
    d.as_millis().max(1).to_string().into_bytes()
}

impl SharedResponses {
    pub fn new(
        redis: SharedRedis,
        ttl: Duration,
        max_entry_bytes: u64,
        lease: Duration,
        metrics: Metrics,
    ) -> Self {
        SharedResponses {
            redis,
            ttl,
            max_entry_bytes: usize::try_from(max_entry_bytes).unwrap_or(usize::MAX),
            lease,
            metrics,
        }
    }

    /// The deadline of one Redis operation.
    pub fn op_timeout(&self) -> Duration {
        self.redis.timeout()
    }

    /// How often the replica running a job renews its lease (and sees a cancel).
    pub fn heartbeat_every(&self) -> Duration {
        self.lease / 4
    }

    fn blob(&self, team: &str, stored: &StoredResponse) -> Option<Vec<u8>> {
        let v = json!({
            "team": team,
            "input_items": stored.input_items.as_ref(),
            "response": stored.response.as_ref(),
        });
        serde_json::to_vec(&v)
            .ok()
            .filter(|b| b.len() <= self.max_entry_bytes)
    }

    fn keys(team: &str, id: &str) -> [String; 2] {
        [key("responses", team, id), key("jobs", team, id)]
    }

    /// Store a (non-job) response; false when it was not written (too large, or Redis failed).
    pub async fn put(&self, team: &str, id: &str, stored: &StoredResponse) -> bool {
        let Some(blob) = self.blob(team, stored) else {
            return false;
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(key("responses", team, id))
            .arg(blob)
            .arg("PX")
            .arg(self.ttl.as_millis().max(1) as u64);
        match self.redis.query::<()>(cmd).await {
            Ok(()) => true,
            Err(f) => {
                self.metrics.record_redis_error("responses_put", f.as_str());
                false
            }
        }
    }

    /// The team's response `id` from Redis. A background job still `queued`/`in_progress`
    /// whose lease is gone is answered `failed` (its replica died).
    pub async fn get(&self, team: &str, id: &str) -> Result<Option<StoredResponse>, ()> {
        if id.len() > MAX_ID_LEN {
            return Ok(None);
        }
        let [r, j] = Self::keys(team, id);
        let (blob, alive) = match self
            .redis
            .script::<(Vec<u8>, i64), &[u8]>(&GET, &[&r, &j], &[])
            .await
        {
            Ok(v) => v,
            Err(f) => {
                self.metrics.record_redis_error("responses_get", f.as_str());
                return Err(());
            }
        };
        if blob.is_empty() {
            return Ok(None);
        }
        let Ok(mut v) = serde_json::from_slice::<Value>(&blob) else {
            return Ok(None);
        };
        if v.get("team").and_then(Value::as_str) != Some(team) {
            return Ok(None);
        }
        let items = match v.get_mut("input_items").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        let mut response = v.get_mut("response").map(Value::take).unwrap_or(Value::Null);
        let pending = matches!(
            response.get("status").and_then(Value::as_str),
            Some("queued" | "in_progress")
        );
        if pending && alive == 0 && response.get("background").and_then(Value::as_bool) == Some(true) {
            response = with_status(
                &response,
                "failed",
                Some(json!({"code": "server_error", "message": format!(
                    "the gateway replica running this background response stopped before it finished \
                     (its lease of {}s ran out); submit it again",
                    self.lease.as_secs_f64()
                )})),
            );
        }
        Ok(Some(StoredResponse {
            input_items: Arc::new(items),
            response: Arc::new(response),
        }))
    }

    /// Remove the team's response `id` (and its job's lease, which stops a running job).
    pub async fn delete(&self, team: &str, id: &str) -> Result<bool, ()> {
        if id.len() > MAX_ID_LEN {
            return Ok(false);
        }
        let [r, j] = Self::keys(team, id);
        match self.redis.script::<i64, &[u8]>(&DELETE, &[&r, &j], &[]).await {
            Ok(n) => Ok(n > 0),
            Err(f) => {
                self.metrics.record_redis_error("responses_delete", f.as_str());
                Err(())
            }
        }
    }

    /// A new background job: its `queued` response and its lease. False when not written (the
    /// job then lives in this replica's memory only).
    pub async fn job_submit(&self, team: &str, id: &str, stored: &StoredResponse) -> bool {
        let Some(blob) = self.blob(team, stored) else {
            return false;
        };
        let [r, j] = Self::keys(team, id);
        let args = [blob, millis(self.ttl), millis(self.lease)];
        match self.redis.script::<i64, Vec<u8>>(&SUBMIT, &[&r, &j], &args).await {
            Ok(_) => true,
            Err(f) => {
                self.metrics.record_redis_error("jobs_submit", f.as_str());
                false
            }
        }
    }

    /// Write the job's response while its lease exists (`end`: and end the job). `Ok(false)`:
    /// the job was ended elsewhere (cancelled, deleted, or its lease ran out). Nothing is
    /// written on an error: Redis failed, or the entry is over `redis_max_entry_bytes`.
    pub async fn job_write(
        &self,
        team: &str,
        id: &str,
        stored: &StoredResponse,
        end: bool,
    ) -> Result<bool, JobWriteError> {
        let [r, j] = Self::keys(team, id);
        let Some(blob) = self.blob(team, stored) else {
            return Err(JobWriteError::TooLarge);
        };
        let args = [
            blob,
            millis(self.ttl),
            if end { b"1".to_vec() } else { b"0".to_vec() },
        ];
        match self
            .redis
            .script::<i64, Vec<u8>>(&WRITE_IF_ACTIVE, &[&r, &j], &args)
            .await
        {
            Ok(n) => Ok(n == 1),
            Err(f) => {
                self.metrics.record_redis_error("jobs_write", f.as_str());
                Err(JobWriteError::Redis)
            }
        }
    }

    /// End a job whose answer is too large for Redis (its replica keeps it in memory): its
    /// record and lease go while the lease exists. `Ok(false)`: it was ended elsewhere.
    pub async fn job_end_unstored(&self, team: &str, id: &str) -> Result<bool, ()> {
        let [r, j] = Self::keys(team, id);
        match self
            .redis
            .script::<i64, &[u8]>(&END_UNSTORED, &[&r, &j], &[])
            .await
        {
            Ok(n) => Ok(n == 1),
            Err(f) => {
                self.metrics.record_redis_error("jobs_write", f.as_str());
                Err(())
            }
        }
    }

    /// Renew the job's lease. `Ok(false)`: it is gone (cancelled or deleted from any replica, or
    /// it ran out): the job must stop.
    pub async fn job_heartbeat(&self, team: &str, id: &str) -> Result<bool, ()> {
        let mut cmd = redis::cmd("PEXPIRE");
        cmd.arg(key("jobs", team, id))
            .arg(self.lease.as_millis().max(1) as u64);
        match self.redis.query::<i64>(cmd).await {
            Ok(n) => Ok(n == 1),
            Err(f) => {
                self.metrics.record_redis_error("jobs_heartbeat", f.as_str());
                Err(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_teams_never_collide() {
        assert_ne!(key("responses", "a:b", "c"), key("responses", "a", "b:c"));
        assert_eq!(key("jobs", "t", "resp_1"), "gearbox:jobs:v1:1:t:resp_1");
    }
}
