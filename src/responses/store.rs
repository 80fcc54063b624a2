//! The store of Responses answers, keyed by (team, response id): what
//! `previous_response_id`, `GET /v1/responses/{id}` and `.../input_items` read. The
//! [`MemoryStore`] of this process, and with `[redis]` the [`SharedResponses`] tier that every
//! replica reads: a response is written to Redis, or, when that fails (Redis down, or the entry
//! over `redis_max_entry_bytes`), kept in memory; a read looks in memory first (what this
//! replica could not write to Redis), then in Redis.
//!
//! Invariants: a lookup always names the team, so no team can read, continue or delete another
//! team's response; the memory store holds at most `max_bytes` (JSON bytes of input and
//! output), evicting the oldest first, and an entry past its TTL is never returned.

use super::shared::SharedResponses;
use super::stored::StoredResponse;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Entry {
    stored: StoredResponse,
    at: Instant,
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<(Arc<str>, String), Entry>,
    /// Insertion order, oldest first; keys of removed entries are skipped when met.
    order: VecDeque<((Arc<str>, String), Instant)>,
    bytes: usize,
}

/// The store: memory, and Redis when configured.
pub struct ResponseStore {
    memory: MemoryStore,
    shared: Option<SharedResponses>,
}

impl ResponseStore {
    /// In process only.
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        ResponseStore {
            memory: MemoryStore::new(ttl, max_bytes),
            shared: None,
        }
    }

    /// With the Redis tier.
    pub fn with_shared(mut self, shared: SharedResponses) -> Self {
        self.shared = Some(shared);
        self
    }

    pub fn memory(&self) -> &MemoryStore {
        &self.memory
    }

    pub fn shared(&self) -> Option<&SharedResponses> {
        self.shared.as_ref()
    }

    /// The team's response `id`: what this replica keeps in memory, else what Redis holds.
    pub async fn get(&self, team: &Arc<str>, id: &str) -> Option<StoredResponse> {
        if let Some(s) = self.memory.get(team, id) {
            return Some(s);
        }
        self.shared.as_ref()?.get(team, id).await.ok().flatten()
    }

    /// Keep `stored`: in Redis when configured and reachable (a copy left in memory goes), else
    /// in memory.
    pub async fn put(&self, team: &Arc<str>, id: &str, stored: StoredResponse) {
        if let Some(s) = &self.shared {
            if s.put(team, id, &stored).await {
                self.memory.delete(team, id);
                return;
            }
        }
        self.memory.put(team, id, stored);
    }

    /// Remove the team's response `id` everywhere; false when it had none.
    pub async fn delete(&self, team: &Arc<str>, id: &str) -> bool {
        let here = self.memory.delete(team, id);
        let there = match &self.shared {
            Some(s) => s.delete(team, id).await.unwrap_or(false),
            None => false,
        };
        here || there
    }

    /// Bytes held in memory now.
    pub fn bytes(&self) -> usize {
        self.memory.bytes()
    }
}

/// The bounded, team-scoped in-process store.
pub struct MemoryStore {
    ttl: Duration,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        MemoryStore {
            ttl,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keep `stored` under `team` and its response's `id`. An answer larger than the whole
    /// budget is not kept.
    pub fn put(&self, team: &Arc<str>, id: &str, stored: StoredResponse) {
        let bytes = stored.bytes();
        if bytes > self.max_bytes {
            return;
        }
        let now = Instant::now();
        let key = (team.clone(), id.to_string());
        let mut inner = self.lock();
        if let Some(old) = inner.map.remove(&key) {
            inner.bytes -= old.bytes;
        }
        inner.bytes += bytes;
        inner.map.insert(
            key.clone(),
            Entry {
                stored,
                at: now,
                bytes,
            },
        );
        inner.order.push_back((key, now));
        // Oldest first, expired or not, until the budget holds.
        while inner.bytes > self.max_bytes {
            let Some((k, at)) = inner.order.pop_front() else {
                break;
            };
            if inner.map.get(&k).is_some_and(|e| e.at == at) {
                if let Some(e) = inner.map.remove(&k) {
                    inner.bytes -= e.bytes;
                }
            }
        }
        // Drop expired entries from the front while cheap.
        while let Some((k, at)) = inner.order.front().cloned() {
            if now.duration_since(at) <= self.ttl {
                break;
            }
            inner.order.pop_front();
            if inner.map.get(&k).is_some_and(|e| e.at == at) {
                if let Some(e) = inner.map.remove(&k) {
                    inner.bytes -= e.bytes;
                }
            }
        }
    }

    /// The team's response `id`, unless absent, expired or another team's.
    pub fn get(&self, team: &Arc<str>, id: &str) -> Option<StoredResponse> {
        let inner = self.lock();
        let e = inner.map.get(&(team.clone(), id.to_string()))?;
        (e.at.elapsed() <= self.ttl).then(|| e.stored.clone())
    }

    /// Remove the team's response `id`; false when it had none.
    pub fn delete(&self, team: &Arc<str>, id: &str) -> bool {
        let mut inner = self.lock();
        match inner.map.remove(&(team.clone(), id.to_string())) {
            Some(e) => {
                inner.bytes -= e.bytes;
                e.at.elapsed() <= self.ttl
            }
            None => false,
        }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn stored(text: &str) -> StoredResponse {
        StoredResponse {
            input_items: Arc::new(vec![json!({"type":"message","role":"user","content":text})]),
            response: Arc::new(json!({"id":"r","output":[{"type":"message","content":[]}]})),
        }
    }

    #[test]
    fn teams_are_isolated_and_delete_is_scoped() {
        let s = MemoryStore::new(Duration::from_secs(60), 1 << 20);
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        s.put(&a, "resp_1", stored("hi"));
        assert!(s.get(&a, "resp_1").is_some());
        assert!(s.get(&b, "resp_1").is_none());
        assert!(!s.delete(&b, "resp_1"));
        assert_eq!(s.get(&a, "resp_1").unwrap().conversation().len(), 2);
        assert!(s.delete(&a, "resp_1"));
        assert!(s.get(&a, "resp_1").is_none());
        assert_eq!(s.bytes(), 0);
    }

    #[test]
    fn oldest_are_evicted_at_the_byte_budget_and_expired_are_not_returned() {
        let one = stored("x").bytes();
        let s = MemoryStore::new(Duration::from_secs(60), (one * 2) as u64);
        let a: Arc<str> = Arc::from("a");
        for i in 0..3 {
            s.put(&a, &format!("resp_{i}"), stored("x"));
        }
        assert!(s.get(&a, "resp_0").is_none());
        assert!(s.get(&a, "resp_1").is_some() && s.get(&a, "resp_2").is_some());
        assert!(s.bytes() <= one * 2);
        let expired = MemoryStore::new(Duration::ZERO, 1 << 20);
        expired.put(&a, "resp_x", stored("x"));
        std::thread::sleep(Duration::from_millis(2));
        assert!(expired.get(&a, "resp_x").is_none());
    }
}
