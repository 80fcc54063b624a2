//! Background Responses jobs (`background: true`): which jobs of which team are queued or
//! running in this process, the per-team bounds (queue depth, concurrency, per replica),
//! cancellation, the Redis lease and the drain. The job's visible state is its `response`
//! object in the [`ResponseStore`]: in this replica's memory, or with `[redis]` in Redis, where
//! every replica polls it and cancels it (see `shared`: each status change is a script that
//! writes only while the job's lease exists, and the running replica's heartbeat stops the job
//! once the lease is gone).
//!
//! Invariants: a job is counted as queued or running from its submission until exactly one of
//! finish, cancel, the lease going away or the drain ends it here (or its submit, refused once
//! the drain closed or dropped mid-write); once the drain has begun no job is taken, and none is
//! left `queued` in Redis behind a lease nobody renews (unless its `queued` write timed out here
//! and still landed: it then reads as failed once its lease runs out); a memory job's status
//! changes are written under this registry's lock, a Redis job's by the lease-checking script,
//! so a finished job and a cancel never both win; a team never has more than `max_queued` jobs
//! waiting nor more than `max_running` running in one replica; jobs are keyed by (team, id) like
//! the store, so no team can see or cancel another's.
//!
//! A streamed background job (`stream: true`) also has a [`Backlog`] of its events here, in
//! this replica only: it is closed when the job ends (however it ends), and the backlogs of
//! ended jobs are kept for resumption, the [`KEPT_BACKLOGS`] most recent per replica.

use super::backlog::Backlog;
use super::shared::JobWriteError;
use super::store::ResponseStore;
use super::stored::{with_status, StoredResponse};
use crate::metrics::Metrics;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, Semaphore};
use tokio::task::AbortHandle;

type Key = (Arc<str>, String);

struct Job {
    running: bool,
    /// Its submit is still writing the `queued` record (to Redis): the drain leaves the job to
    /// its submit, which ends it itself once the drain has closed ([`Inner::closed`]).
    submitting: bool,
    abort: Option<AbortHandle>,
    /// Its state is in Redis (every replica sees it), not only in this replica's memory.
    shared: bool,
    /// The response object as last written (`queued`, then `in_progress`).
    current: Value,
    items: Arc<Vec<Value>>,
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
    /// The event backlogs of streamed jobs, running or ended, oldest first in `opened`.
    backlogs: HashMap<Key, Arc<Backlog>>,
    opened: VecDeque<Key>,
    /// Shutdown began: no job is taken any more ([`Refused::Draining`]).
    draining: bool,
    /// The drain period ran out and the drain is ending what is left: a submit that finds its
    /// job still here after writing the `queued` record stores it failed and is refused.
    closed: bool,
}

/// Backlogs of ended streamed jobs kept per replica for resumption (the oldest go first).
pub const KEPT_BACKLOGS: usize = 64;

/// Why a submit was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The team's queue is full (a 429).
    QueueFull,
    /// The gateway is shutting down (a 503): the drain began before the job was taken, or
    /// ended it (stored `failed`) before its submit was answered.
    Draining,
}

/// The error a job ended by the drain is stored with.
const DRAINED: &str =
    "the gateway shut down before this background response finished (its drain period ran out); submit it again";

/// The registry of background jobs, shared across reloads (sized at start-up).
pub struct Jobs {
    max_queued: usize,
    max_running: usize,
    /// Bytes of events a streamed job's backlog keeps (`[responses] background_stream_buffer`).
    stream_buffer: usize,
    store: Arc<ResponseStore>,
    metrics: Metrics,
    inner: Mutex<Inner>,
    /// Signalled whenever a job ends.
    ended: Notify,
    /// When the drain began (set once on shutdown).
    drain_started: Mutex<Option<Instant>>,
}

fn key(team: &Arc<str>, id: &str) -> Key {
    (team.clone(), id.to_string())
}

impl Jobs {
    pub fn new(max_queued: usize, max_running: usize, store: Arc<ResponseStore>, metrics: Metrics) -> Self {
        Jobs {
            max_queued,
            max_running: max_running.max(1),
            stream_buffer: 1 << 20,
            store,
            metrics,
            inner: Mutex::new(Inner::default()),
            ended: Notify::new(),
            drain_started: Mutex::new(None),
        }
    }

    /// The byte cap of each streamed job's event backlog.
    pub fn with_stream_buffer(mut self, bytes: usize) -> Self {
        self.stream_buffer = bytes.max(1);
        self
    }

    /// A backlog for the events of the submitted job (team, id), which closes when the job
    /// ends; the oldest ended backlogs beyond [`KEPT_BACKLOGS`] are dropped.
    pub fn open_backlog(&self, team: &Arc<str>, id: &str) -> Arc<Backlog> {
        let b = Arc::new(Backlog::new(self.stream_buffer));
        let mut inner = self.lock();
        let k = key(team, id);
        if !inner.jobs.contains_key(&k) {
            // Ended already (cancelled at once): nothing will be added.
            b.close();
        }
        inner.backlogs.insert(k.clone(), b.clone());
        inner.opened.push_back(k);
        let active = inner.jobs.len();
        let mut i = 0;
        while inner.backlogs.len() > KEPT_BACKLOGS + active && i < inner.opened.len() {
            let Some(k) = inner.opened.get(i).cloned() else {
                break;
            };
            if inner.jobs.contains_key(&k) {
                i += 1;
                continue;
            }
            inner.opened.remove(i);
            inner.backlogs.remove(&k);
        }
        b
    }

    /// The event backlog of the team's streamed job `id`, if this replica has it.
    pub fn backlog(&self, team: &Arc<str>, id: &str) -> Option<Arc<Backlog>> {
        self.lock().backlogs.get(&key(team, id)).cloned()
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
    /// conversation): in Redis with a lease when configured and reachable, else in memory.
    /// Returns the team's concurrency slots. Refused when the team's queue is full, once the
    /// drain has begun, and when the drain closed while the `queued` record was being written
    /// (the job is then stored `failed`, as the drain stores what it ends, before the refusal).
    pub async fn submit(
        &self,
        team: &Arc<str>,
        id: &str,
        queued: Value,
        items: Arc<Vec<Value>>,
    ) -> Result<Arc<Semaphore>, Refused> {
        let slots = {
            let mut inner = self.lock();
            if inner.draining {
                return Err(Refused::Draining);
            }
            let t = inner.teams.entry(team.clone()).or_default();
            if t.queued >= self.max_queued {
                return Err(Refused::QueueFull);
            }
            t.queued += 1;
            let slots = t
                .slots
                .get_or_insert_with(|| Arc::new(Semaphore::new(self.max_running)))
                .clone();
            inner.jobs.insert(
                key(team, id),
                Job {
                    running: false,
                    submitting: true,
                    abort: None,
                    shared: false,
                    current: queued.clone(),
                    items: items.clone(),
                },
            );
            self.gauge(&inner, team);
            slots
        };
        let stored = StoredResponse {
            input_items: items.clone(),
            response: Arc::new(queued.clone()),
        };
        // Dropped before the job is settled below (the request went away mid-write): the job
        // is uncounted and its record, if the write landed, ended.
        let mut unsettled = Unsettled {
            jobs: self,
            team,
            id,
            armed: true,
        };
        let shared = match self.store.shared() {
            Some(s) => s.job_submit(team, id, &stored).await,
            None => false,
        };
        let ending = {
            let mut inner = self.lock();
            let closed = inner.closed;
            let job = inner.jobs.get_mut(&key(team, id));
            if !closed {
                if let Some(j) = job {
                    j.submitting = false;
                    j.shared = shared;
                    if !shared {
                        self.store.memory().put(team, id, stored);
                    }
                }
                // Gone while the drain has not closed: ended for another reason (a cancel),
                // whose status change is its own. The job's task finds it gone.
                unsettled.armed = false;
                return Ok(slots);
            }
            match job {
                // Still counted (and `submitting`) while its end is written: the drain waits.
                Some(j) => {
                    j.shared = shared;
                    Job {
                        running: false,
                        submitting: true,
                        abort: None,
                        shared,
                        current: j.current.clone(),
                        items: j.items.clone(),
                    }
                }
                // Taken by the drain past its grace: its end may not have reached Redis.
                None => Job {
                    running: false,
                    submitting: false,
                    abort: None,
                    shared,
                    current: queued,
                    items,
                },
            }
        };
        // The drain closed while the record was being written: end the job as the drain does,
        // then let the drain see it gone.
        let failed = with_status(
            &ending.current,
            "failed",
            Some(json!({"code": "server_error", "message": DRAINED})),
        );
        self.write_end(team, id, &ending, failed).await;
        self.take(team, id);
        Err(Refused::Draining)
    }

    /// The spawned task of a job, so cancel and the drain can abort it.
    pub fn set_abort(&self, team: &Arc<str>, id: &str, abort: AbortHandle) {
        match self.lock().jobs.get_mut(&key(team, id)) {
            Some(j) => j.abort = Some(abort),
            // Already ended (cancelled before the handle arrived): make sure it stops.
            None => abort.abort(),
        }
    }

    /// Rewrite the in-memory response of (team, id) unless it is gone (deleted, evicted).
    fn memory_update(&self, team: &Arc<str>, id: &str, response: Value, items: Arc<Vec<Value>>) {
        if self.store.memory().get(team, id).is_some() {
            self.store.memory().put(
                team,
                id,
                StoredResponse {
                    input_items: items,
                    response: Arc::new(response),
                },
            );
        }
    }

    /// The job holds a concurrency slot: `in_progress`. False when it ended meanwhile (here,
    /// or in Redis by a cancel from another replica).
    pub async fn start(&self, team: &Arc<str>, id: &str) -> bool {
        let shared = {
            let mut inner = self.lock();
            let Some(j) = inner.jobs.get_mut(&key(team, id)) else {
                return false;
            };
            j.running = true;
            j.current = with_status(&j.current, "in_progress", None);
            let stored = StoredResponse {
                input_items: j.items.clone(),
                response: Arc::new(j.current.clone()),
            };
            let shared = j.shared;
            if let Some(t) = inner.teams.get_mut(team) {
                t.queued = t.queued.saturating_sub(1);
                t.running += 1;
            }
            if !shared {
                self.memory_update(
                    team,
                    id,
                    stored.response.as_ref().clone(),
                    stored.input_items.clone(),
                );
            }
            self.gauge(&inner, team);
            shared.then_some(stored)
        };
        if let (Some(stored), Some(s)) = (shared, self.store.shared()) {
            // Redis unreachable: the job runs; its result goes wherever the store can put it.
            if s.job_write(team, id, &stored, false).await == Ok(false) {
                self.take(team, id);
                return false;
            }
        }
        true
    }

    /// Uncount the job if it is still queued or running here; the caller writes its end.
    fn take(&self, team: &Arc<str>, id: &str) -> Option<Job> {
        let mut inner = self.lock();
        let k = key(team, id);
        let job = inner.jobs.remove(&k)?;
        if let Some(b) = inner.backlogs.get(&k) {
            b.close();
        }
        if let Some(t) = inner.teams.get_mut(team) {
            if job.running {
                t.running = t.running.saturating_sub(1);
            } else {
                t.queued = t.queued.saturating_sub(1);
            }
        }
        self.gauge(&inner, team);
        drop(inner);
        self.ended.notify_waiters();
        Some(job)
    }

    /// Store the end of a taken job: in Redis while its lease exists (else it was ended
    /// elsewhere and stays as it is), in memory when Redis cannot be reached.
    async fn write_end(&self, team: &Arc<str>, id: &str, job: &Job, response: Value) {
        let stored = StoredResponse {
            input_items: job.items.clone(),
            response: Arc::new(response),
        };
        if job.shared {
            if let Some(s) = self.store.shared() {
                match s.job_write(team, id, &stored, true).await {
                    Ok(_) => return,
                    // Kept here: the Redis record goes, so other replicas answer 404 rather
                    // than `in_progress` until the lease runs out (unless it ended elsewhere).
                    // The running record goes into memory first: a read here between the
                    // two steps would otherwise find neither and answer 404 for the replica's
                    // own job, and the answer itself would claim `completed` for a job a
                    // cancel elsewhere may have ended first (and could evict other answers).
                    Err(JobWriteError::TooLarge) => {
                        let running = StoredResponse {
                            input_items: job.items.clone(),
                            response: Arc::new(job.current.clone()),
                        };
                        self.store.memory().put(team, id, running);
                        if s.job_end_unstored(team, id).await == Ok(false) {
                            self.store.memory().delete(team, id);
                            return;
                        }
                    }
                    Err(JobWriteError::Redis) => {}
                }
            }
            self.store.memory().put(team, id, stored);
        } else {
            let _guard = self.lock();
            self.memory_update(team, id, stored.response.as_ref().clone(), stored.input_items);
        }
    }

    /// The job's answer: store `response` (completed, or failed with its error) unless the job
    /// was cancelled or failed by the drain meanwhile.
    pub async fn finish(&self, team: &Arc<str>, id: &str, response: Value) -> bool {
        let Some(job) = self.take(team, id) else {
            return false;
        };
        self.write_end(team, id, &job, response).await;
        true
    }

    /// The job failed with `error` (an OpenAI error object) if it is still active.
    pub async fn fail_with(&self, team: &Arc<str>, id: &str, error: Value) -> bool {
        let Some(job) = self.take(team, id) else {
            return false;
        };
        let r = with_status(&job.current, "failed", Some(error));
        self.write_end(team, id, &job, r).await;
        true
    }

    /// Mark the job failed with `message` if it is still active (its task went away): from a
    /// destructor, so the write happens in a task of its own (a runtime shutting down may not
    /// run it; a Redis job is then reported failed once its lease runs out).
    /// Returns whether the job was still active.
    pub fn fail_detached(self: &Arc<Self>, team: &Arc<str>, id: &str, code: &str, message: &str) -> bool {
        let Some(job) = self.take(team, id) else {
            return false;
        };
        let r = with_status(
            &job.current,
            "failed",
            Some(json!({"code": code, "message": message})),
        );
        if !job.shared {
            let _guard = self.lock();
            self.memory_update(team, id, r, job.items.clone());
            return true;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (me, team, id) = (self.clone(), team.clone(), id.to_string());
            rt.spawn(async move { me.write_end(&team, &id, &job, r).await });
        }
        true
    }

    /// `POST /v1/responses/{id}/cancel`: a queued or running job — here, or in Redis on any
    /// replica — is stored as `cancelled` (and aborted: here at once, elsewhere at its
    /// replica's next heartbeat); a finished one is left as it is. `None` when the team has no
    /// such response. The flag says whether this call is the one that cancelled it (two cancels
    /// at once: one of them), so the cancel is counted once.
    pub async fn cancel(&self, team: &Arc<str>, id: &str) -> Option<(Value, bool)> {
        if let Some(job) = self.take(team, id) {
            if let Some(a) = &job.abort {
                a.abort();
            }
            let r = with_status(&job.current, "cancelled", None);
            self.write_end(team, id, &job, r.clone()).await;
            return Some((r, true));
        }
        let stored = self.store.get(team, id).await?;
        let pending = matches!(
            stored.response.get("status").and_then(Value::as_str),
            Some("queued" | "in_progress")
        );
        if let (true, Some(s)) = (pending, self.store.shared()) {
            // Another replica's job.
            let r = with_status(&stored.response, "cancelled", None);
            let cancelled = StoredResponse {
                input_items: stored.input_items.clone(),
                response: Arc::new(r.clone()),
            };
            match s.job_write(team, id, &cancelled, true).await {
                Ok(true) => return Some((r, true)),
                // It ended meanwhile: show how.
                Ok(false) => {
                    return self
                        .store
                        .get(team, id)
                        .await
                        .map(|s| (s.response.as_ref().clone(), false))
                }
                Err(_) => {}
            }
        }
        Some((stored.response.as_ref().clone(), false))
    }

    /// With Redis: renew the lease of the job (team, id) while it is queued or running here,
    /// and return once the lease is gone (cancelled or deleted from any replica, or run out),
    /// the job taken: the caller then drops the job's work. Never returns for a memory job.
    pub async fn watch(&self, team: &Arc<str>, id: &str) {
        let Some(s) = self.store.shared() else {
            return std::future::pending().await;
        };
        loop {
            tokio::time::sleep(s.heartbeat_every()).await;
            let shared = self.lock().jobs.get(&key(team, id)).map(|j| j.shared);
            if shared != Some(true) {
                // Ended here (its end is being written) or in memory only.
                return std::future::pending().await;
            }
            // Redis unreachable: keep running (the lease may run out meanwhile; then the end
            // is not written to Redis and other replicas report the job failed).
            if s.job_heartbeat(team, id).await == Ok(false) && self.take(team, id).is_some() {
                return;
            }
        }
    }

    /// Shutdown began: a submit now would be refused ([`Refused::Draining`]), so a handler can
    /// refuse it before admission takes anything of the team's allowance.
    pub fn draining(&self) -> bool {
        self.lock().draining
    }

    /// Jobs queued or running now, all teams.
    pub fn active(&self) -> usize {
        self.lock().jobs.len()
    }

    /// Shutdown began: the drain period counts from the first call, and from then on no job
    /// is taken ([`Refused::Draining`]).
    pub fn begin_drain(&self) -> Instant {
        let started = *self
            .drain_started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(Instant::now);
        self.lock().draining = true;
        started
    }

    /// Wait for the unfinished jobs until `period` after the drain began, then abort those
    /// left and mark them failed. A job whose submit is still writing its `queued` record is
    /// left to the submit, which stores it failed once it sees the drain closed; the drain
    /// waits for those ([`SUBMIT_GRACE`] Redis deadlines at most: `SharedRedis` bounds each
    /// operation, its connection included, by one), then fails whatever is still there. A
    /// submit whose `queued` write timed out but still reached Redis leaves that record
    /// `queued` until its lease runs out (then it reads as failed).
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
        let first = {
            let mut inner = self.lock();
            let first = !inner.closed;
            inner.closed = true;
            first.then(|| inner.jobs.len())
        };
        if let Some(left) = first {
            tracing::info!(
                left,
                "background jobs: the drain period ran out; ending the jobs left"
            );
        }
        let grace = self
            .store
            .shared()
            .map_or(std::time::Duration::ZERO, |s| s.op_timeout() * SUBMIT_GRACE);
        let give_up = tokio::time::Instant::now() + grace;
        loop {
            let ended = self.ended.notified();
            let (left, submitting) = {
                let inner = self.lock();
                let submitting = inner.jobs.values().filter(|j| j.submitting).count();
                let past = tokio::time::Instant::now() >= give_up;
                let left: Vec<Key> = inner
                    .jobs
                    .iter()
                    .filter(|(_, j)| past || !j.submitting)
                    .map(|(k, _)| k.clone())
                    .collect();
                (left, if past { 0 } else { submitting })
            };
            for (team, id) in left {
                if let Some(job) = self.take(&team, &id) {
                    if let Some(a) = &job.abort {
                        a.abort();
                    }
                    let r = with_status(
                        &job.current,
                        "failed",
                        Some(json!({"code": "server_error", "message": DRAINED})),
                    );
                    self.write_end(&team, &id, &job, r).await;
                }
            }
            if submitting == 0 {
                return;
            }
            let _ = tokio::time::timeout_at(give_up, ended).await;
        }
    }
}

/// How many Redis deadlines the drain waits, at most, for submits still writing their
/// `queued` record: that write, then the `failed` one.
const SUBMIT_GRACE: u32 = 2;

/// A submit's job until the submit settles it (answered `queued`, or ended and refused):
/// dropped before (the request future went away mid-write), the job is uncounted and, with Redis, ended `failed` in a task of its
/// own (the write is lease-checked, so it ends the record only if the `queued` write landed;
/// sent after it on the same connection, it runs after it).
struct Unsettled<'a> {
    jobs: &'a Jobs,
    team: &'a Arc<str>,
    id: &'a str,
    armed: bool,
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Some(job) = self.jobs.take(self.team, self.id) else {
            return;
        };
        if self.jobs.store.shared().is_none() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let failed = with_status(
            &job.current,
            "failed",
            Some(
                json!({"code": "server_error", "message": "the request went away before this background response was queued; submit it again"}),
            ),
        );
        let stored = StoredResponse {
            input_items: job.items,
            response: Arc::new(failed),
        };
        let (store, team, id) = (self.jobs.store.clone(), self.team.clone(), self.id.to_string());
        rt.spawn(async move {
            if let Some(s) = store.shared() {
                let _ = s.job_write(&team, &id, &stored, true).await;
            }
        });
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

    #[tokio::test]
    async fn bounded_queue_lifecycle_and_team_scope() {
        let j = jobs(1, 1);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let items = Arc::new(Vec::new());
        j.submit(&a, "r1", queued("r1"), items.clone()).await.unwrap();
        assert_eq!(
            j.submit(&a, "r2", queued("r2"), items.clone()).await.err(),
            Some(Refused::QueueFull)
        );
        j.submit(&b, "r3", queued("r3"), items.clone()).await.unwrap();
        assert!(j.start(&a, "r1").await);
        assert_eq!(
            j.store.memory().get(&a, "r1").unwrap().response["status"],
            "in_progress"
        );
        // Running jobs do not count against the queue.
        j.submit(&a, "r2", queued("r2"), items.clone()).await.unwrap();
        assert!(j.cancel(&b, "r1").await.is_none());
        let done = with_status(&queued("r1"), "completed", None);
        assert!(j.finish(&a, "r1", done).await);
        // A finished job is left as it is, and this cancel cancelled nothing.
        let (r1, mine) = j.cancel(&a, "r1").await.unwrap();
        assert_eq!((r1["status"].as_str(), mine), (Some("completed"), false));
        let (r2, mine) = j.cancel(&a, "r2").await.unwrap();
        assert_eq!((r2["status"].as_str(), mine), (Some("cancelled"), true));
        // A second cancel finds it cancelled already: only the first one counts.
        let (r2, mine) = j.cancel(&a, "r2").await.unwrap();
        assert_eq!((r2["status"].as_str(), mine), (Some("cancelled"), false));
        assert!(!j.finish(&a, "r2", queued("r2")).await);
        assert!(!j.start(&a, "r2").await);
        assert_eq!(j.active(), 1);
    }

    #[tokio::test]
    async fn backlogs_close_with_their_job_and_ended_ones_are_bounded() {
        let j = jobs(KEPT_BACKLOGS + 10, 1);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let items = Arc::new(Vec::new());
        j.submit(&a, "r0", queued("r0"), items.clone()).await.unwrap();
        let log = j.open_backlog(&a, "r0");
        log.push(json!({"type": "response.created"}));
        assert!(!log.read(None).unwrap().closed);
        assert!(j.backlog(&b, "r0").is_none());
        j.cancel(&a, "r0").await.unwrap();
        assert!(log.read(None).unwrap().closed);
        assert!(j.backlog(&a, "r0").is_some());
        // A running job's backlog is never dropped; ended ones beyond the bound are, oldest first.
        j.submit(&a, "live", queued("live"), items.clone()).await.unwrap();
        j.open_backlog(&a, "live");
        for i in 1..KEPT_BACKLOGS + 5 {
            let id = format!("r{i}");
            j.submit(&a, &id, queued(&id), items.clone()).await.unwrap();
            j.open_backlog(&a, &id);
            j.cancel(&a, &id).await.unwrap();
        }
        assert!(j.backlog(&a, "r0").is_none());
        assert!(j.backlog(&a, "live").is_some());
        // The bound applies when a backlog opens: the ended ones, and those of the jobs active
        // then (`live` and the last one).
        assert_eq!(j.lock().backlogs.len(), KEPT_BACKLOGS + 2);
    }

    /// Jobs whose store's Redis tier takes connections and never answers (hung), with the
    /// Redis deadline `deadline`.
    async fn jobs_on_a_hung_redis(deadline: Duration) -> Jobs {
        let addr = crate::upstream::redis::hung_redis().await;
        let metrics = Metrics::new().unwrap();
        let redis = crate::upstream::redis::SharedRedis::new(
            &format!("redis://{addr}"),
            deadline,
            Duration::from_secs(30),
            metrics.clone(),
        )
        .unwrap();
        let ttl = Duration::from_secs(60);
        let shared = super::super::SharedResponses::new(redis, ttl, 1 << 20, ttl, metrics.clone());
        let store = Arc::new(ResponseStore::new(ttl, 1 << 20).with_shared(shared));
        Jobs::new(5, 1, store, metrics)
    }

    /// A submit whose future is dropped while it writes its `queued` record (the request went
    /// away) leaves no job counted.
    #[tokio::test]
    async fn a_submit_dropped_mid_write_leaves_no_job_counted() {
        let j = jobs_on_a_hung_redis(Duration::from_secs(10)).await;
        let a: Arc<str> = Arc::from("a");
        {
            let mut submit = std::pin::pin!(j.submit(&a, "r1", queued("r1"), Arc::new(Vec::new())));
            let writing = tokio::time::timeout(Duration::from_millis(200), &mut submit).await;
            assert!(writing.is_err(), "the submit did not wait for Redis");
            assert_eq!(j.active(), 1);
        }
        assert_eq!(j.active(), 0);
        assert_eq!(j.lock().teams.get(&a).map(|t| t.queued), Some(0));
    }

    /// A job cancelled while its submit writes the `queued` record (the drain not closed):
    /// the submit is answered as taken (the job's task finds it gone), not refused with a 503
    /// `server_shutting_down` nor stored failed.
    #[tokio::test]
    async fn a_job_cancelled_while_its_submit_writes_is_not_refused_as_shutting_down() {
        let j = jobs_on_a_hung_redis(Duration::from_millis(300)).await;
        let a: Arc<str> = Arc::from("a");
        let (submitted, cancelled) = tokio::join!(
            j.submit(&a, "r1", queued("r1"), Arc::new(Vec::new())),
            j.cancel(&a, "r1"),
        );
        assert_eq!(cancelled.map(|(_, mine)| mine), Some(true));
        assert!(submitted.is_ok(), "{:?}", submitted.err());
        let stored = j.store.memory().get(&a, "r1");
        assert!(stored.is_none_or(|s| s.response["status"] != "failed"));
        assert_eq!(j.active(), 0);
    }

    #[tokio::test]
    async fn once_the_drain_began_no_job_is_taken_and_nothing_is_stored() {
        let j = jobs(5, 1);
        let a: Arc<str> = Arc::from("a");
        j.submit(&a, "r1", queued("r1"), Arc::new(Vec::new()))
            .await
            .unwrap();
        j.begin_drain();
        let refused = j.submit(&a, "r2", queued("r2"), Arc::new(Vec::new())).await;
        assert_eq!(refused.err(), Some(Refused::Draining));
        assert!(j.store.memory().get(&a, "r2").is_none());
        // The job taken before the drain began is still there for the drain to run or fail.
        assert_eq!(j.active(), 1);
    }

    #[tokio::test]
    async fn the_drain_fails_what_is_left() {
        let j = jobs(5, 1);
        let a: Arc<str> = Arc::from("a");
        j.submit(&a, "r1", queued("r1"), Arc::new(Vec::new()))
            .await
            .unwrap();
        j.drain(Duration::from_millis(20)).await;
        let r = j.store.memory().get(&a, "r1").unwrap().response;
        assert_eq!(r["status"], "failed");
        assert!(r["error"]["message"].as_str().unwrap().contains("shut down"));
        assert_eq!(j.active(), 0);
    }
}
