//! Background Responses jobs (`background: true`), in this process: which jobs of which team are
//! queued or running, the per-team bounds (queue depth, concurrency), cancellation and the drain.
//! The job's visible state is its `response` object in the [`ResponseStore`]; every status
//! change is written there under this registry's lock, so a finished job and a cancel never
//! both win.
//!
//! Invariants: a job is counted as queued or running from its submission until exactly one of
//! finish, cancel or the drain ends it; a team never has more than `max_queued` jobs waiting nor
//! more than `max_running` running; jobs are keyed by (team, id) like the store, so no team can
//! see or cancel another's.

use super::store::{ResponseStore, StoredResponse};
use crate::metrics::Metrics;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, Semaphore};
use tokio::task::AbortHandle;

type Key = (Arc<str>, String);

struct Job {
    running: bool,
    abort: Option<AbortHandle>,
}

#[derive(Default)]
struct TeamJobs {
    queued: usize,
    running: usize,
    slots: Option<Arc<Semaphore>>,
}

#[derive(Default)]
struct Inner {
    jobs: HashMap<Key, Job>,
    teams: HashMap<Arc<str>, TeamJobs>,
}

/// The team's queue is full (a 429).
#[derive(Debug)]
pub struct QueueFull;

/// The registry of background jobs, shared across reloads (sized at start-up).
pub struct Jobs {
    max_queued: usize,
    max_running: usize,
    store: Arc<ResponseStore>,
    metrics: Metrics,
    inner: Mutex<Inner>,
    /// Signalled whenever a job ends.
    ended: Notify,
    /// When the drain began (set once on shutdown).
    drain_started: Mutex<Option<Instant>>,
}

/// `response` with `status` (and `error`) replaced.
pub fn with_status(response: &Value, status: &str, error: Option<Value>) -> Value {
    let mut r = response.clone();
    if let Value::Object(m) = &mut r {
        m.insert("status".into(), json!(status));
        if let Some(e) = error {
            m.insert("error".into(), e);
        }
    }
    r
}

impl Jobs {
    pub fn new(max_queued: usize, max_running: usize, store: Arc<ResponseStore>, metrics: Metrics) -> Self {
        Jobs {
            max_queued,
            max_running: max_running.max(1),
            store,
            metrics,
            inner: Mutex::new(Inner::default()),
            ended: Notify::new(),
            drain_started: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn gauge(&self, inner: &Inner, team: &Arc<str>) {
        let t = inner.teams.get(team);
        self.metrics
            .record_background_jobs(team, t.map_or(0, |t| t.queued), t.map_or(0, |t| t.running));
    }

    /// Queue a job for `team` whose `queued` response object is stored now (with `items`, its
    /// conversation); returns the team's concurrency slots, or `QueueFull`.
    pub fn submit(
        &self,
        team: &Arc<str>,
        id: &str,
        queued: Value,
        items: Arc<Vec<Value>>,
    ) -> Result<Arc<Semaphore>, QueueFull> {
        let mut inner = self.lock();
        let t = inner.teams.entry(team.clone()).or_default();
        if t.queued >= self.max_queued {
            return Err(QueueFull);
        }
        t.queued += 1;
        let slots = t
            .slots
            .get_or_insert_with(|| Arc::new(Semaphore::new(self.max_running)))
            .clone();
        inner.jobs.insert(
            (team.clone(), id.to_string()),
            Job {
                running: false,
                abort: None,
            },
        );
        self.store.put(
            team,
            id,
            StoredResponse {
                input_items: items,
                response: Arc::new(queued),
            },
        );
        self.gauge(&inner, team);
        Ok(slots)
    }

    /// The spawned task of a job, so cancel and the drain can abort it.
    pub fn set_abort(&self, team: &Arc<str>, id: &str, abort: AbortHandle) {
        match self.lock().jobs.get_mut(&(team.clone(), id.to_string())) {
            Some(j) => j.abort = Some(abort),
            // Already ended (cancelled before the handle arrived): make sure it stops.
            None => abort.abort(),
        }
    }

    /// The job holds a concurrency slot: `in_progress`. False when it ended meanwhile.
    pub fn start(&self, team: &Arc<str>, id: &str) -> bool {
        let mut inner = self.lock();
        let Some(j) = inner.jobs.get_mut(&(team.clone(), id.to_string())) else {
            return false;
        };
        j.running = true;
        if let Some(t) = inner.teams.get_mut(team) {
            t.queued = t.queued.saturating_sub(1);
            t.running += 1;
        }
        self.update(team, id, |r| with_status(r, "in_progress", None));
        self.gauge(&inner, team);
        true
    }

    /// Rewrite the stored response object of (team, id), keeping its input items.
    fn update(&self, team: &Arc<str>, id: &str, f: impl FnOnce(&Value) -> Value) {
        if let Some(s) = self.store.get(team, id) {
            let response = Arc::new(f(&s.response));
            self.store.put(
                team,
                id,
                StoredResponse {
                    input_items: s.input_items,
                    response,
                },
            );
        }
    }

    /// End the job if it is still queued or running: uncount it and store what `f` makes of
    /// its current response object. Returns whether it was still active.
    fn end(&self, team: &Arc<str>, id: &str, f: impl FnOnce(&Value) -> Value) -> Option<Job> {
        let mut inner = self.lock();
        let job = inner.jobs.remove(&(team.clone(), id.to_string()))?;
        if let Some(t) = inner.teams.get_mut(team) {
            if job.running {
                t.running = t.running.saturating_sub(1);
            } else {
                t.queued = t.queued.saturating_sub(1);
            }
        }
        self.update(team, id, f);
        self.gauge(&inner, team);
        drop(inner);
        self.ended.notify_waiters();
        Some(job)
    }

    /// The job's answer: store `response` (completed, or failed with its error) unless the job
    /// was cancelled or failed by the drain meanwhile.
    pub fn finish(&self, team: &Arc<str>, id: &str, response: Value) -> bool {
        self.end(team, id, |_| response).is_some()
    }

    /// Mark the job failed with `message` if it is still active (its task went away).
    pub fn fail(&self, team: &Arc<str>, id: &str, code: &str, message: &str) -> bool {
        let error = json!({"code": code, "message": message});
        self.end(team, id, |r| with_status(r, "failed", Some(error)))
            .is_some()
    }

    /// `POST /v1/responses/{id}/cancel`: a queued or running job is aborted and stored as
    /// `cancelled`; a finished one is left as it is. `None` when the team has no such response.
    pub fn cancel(&self, team: &Arc<str>, id: &str) -> Option<Value> {
        if let Some(job) = self.end(team, id, |r| with_status(r, "cancelled", None)) {
            if let Some(a) = job.abort {
                a.abort();
            }
        }
        self.store.get(team, id).map(|s| s.response.as_ref().clone())
    }

    /// Jobs queued or running now, all teams.
    pub fn active(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Shutdown began: the drain period counts from the first call.
    pub fn begin_drain(&self) -> Instant {
        *self
            .drain_started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Instant::now)
    }

    /// Wait for the unfinished jobs until `period` after the drain began, then abort those
    /// left and mark them failed.
    pub async fn drain(&self, period: std::time::Duration) {
        let until = self.begin_drain() + period;
        loop {
            let ended = self.ended.notified();
            if self.active() == 0 {
                return;
            }
            if tokio::time::timeout_at(until.into(), ended).await.is_err() {
                break;
            }
        }
        let left: Vec<Key> = self.lock().jobs.keys().cloned().collect();
        for (team, id) in left {
            if let Some(job) = self.end(&team, &id, |r| {
                with_status(
                    r,
                    "failed",
                    Some(json!({"code": "server_error", "message":
                        "the gateway shut down before this background response finished (its drain period ran out); submit it again"})),
                )
            }) {
                if let Some(a) = job.abort {
                    a.abort();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::time::Duration;

    fn jobs(q: usize, r: usize) -> Jobs {
        let store = Arc::new(ResponseStore::new(Duration::from_secs(60), 1 << 20));
        Jobs::new(q, r, store, Metrics::new().unwrap())
    }

    fn queued(id: &str) -> Value {
        json!({"id": id, "object": "response", "status": "queued", "output": []})
    }

    #[test]
    fn bounded_queue_lifecycle_and_team_scope() {
        let j = jobs(1, 1);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let items = Arc::new(Vec::new());
        j.submit(&a, "r1", queued("r1"), items.clone()).unwrap();
        assert!(j.submit(&a, "r2", queued("r2"), items.clone()).is_err());
        j.submit(&b, "r3", queued("r3"), items.clone()).unwrap();
        assert!(j.start(&a, "r1"));
        assert_eq!(j.store.get(&a, "r1").unwrap().response["status"], "in_progress");
        // Running jobs do not count against the queue.
        j.submit(&a, "r2", queued("r2"), items.clone()).unwrap();
        assert!(j.cancel(&b, "r1").is_none());
        let done = with_status(&queued("r1"), "completed", None);
        assert!(j.finish(&a, "r1", done));
        assert_eq!(j.cancel(&a, "r1").unwrap()["status"], "completed");
        assert_eq!(j.cancel(&a, "r2").unwrap()["status"], "cancelled");
        assert!(!j.finish(&a, "r2", queued("r2")));
        assert!(!j.start(&a, "r2"));
        assert_eq!(j.active(), 1);
    }

    #[tokio::test]
    async fn the_drain_fails_what_is_left() {
        let j = jobs(5, 1);
        let a: Arc<str> = Arc::from("a");
        j.submit(&a, "r1", queued("r1"), Arc::new(Vec::new())).unwrap();
        j.drain(Duration::from_millis(20)).await;
        let r = j.store.get(&a, "r1").unwrap().response;
        assert_eq!(r["status"], "failed");
        assert!(r["error"]["message"].as_str().unwrap().contains("shut down"));
        assert_eq!(j.active(), 0);
    }
}
