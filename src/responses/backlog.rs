//! The recorded events of a streamed background response (`background: true, stream: true`):
//! the job appends each Responses event as it is produced (numbered here: `sequence_number`
//! counts from 0), and any number of followers — the client that created it, and clients
//! resuming with `GET /v1/responses/{id}?stream=true&starting_after=N` — read the events after
//! their cursor, then wait for more until the job closes the backlog.
//!
//! Invariants: sequence numbers are consecutive; the backlog holds at most `cap` bytes of
//! events (the oldest are dropped first, the newest always kept), so a follower asking for a
//! dropped event is refused (`Gone`) rather than given a gap; once closed nothing is added.

use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

struct Inner {
    /// (sequence number, the event as sent: `event: TYPE\ndata: JSON\n\n`).
    events: VecDeque<(u64, Bytes)>,
    bytes: usize,
    next: u64,
    closed: bool,
}

/// The events a follower asked for are no longer kept: the first kept has this number.
#[derive(Debug, PartialEq)]
pub struct Gone {
    pub first_kept: u64,
}

pub struct Backlog {
    cap: usize,
    inner: Mutex<Inner>,
    /// Bumped on every change (an event added, the backlog closed).
    version: watch::Sender<u64>,
}

/// What a follower reads: the events after its cursor, the new cursor, and whether the backlog
/// is closed (nothing more will come).
pub struct Read {
    pub events: Vec<Bytes>,
    pub last: Option<u64>,
    pub closed: bool,
}

impl Backlog {
    pub fn new(cap: usize) -> Self {
        Backlog {
            cap,
            inner: Mutex::new(Inner {
                events: VecDeque::new(),
                bytes: 0,
                next: 0,
                closed: false,
            }),
            version: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append an event (a JSON object with `type`), numbering it. Ignored once closed.
    pub fn push(&self, mut event: Value) {
        {
            let mut inner = self.lock();
            if inner.closed {
                return;
            }
            let seq = inner.next;
            if let Value::Object(m) = &mut event {
                m.insert("sequence_number".into(), json!(seq));
            }
            let kind = event.get("type").and_then(Value::as_str).unwrap_or("message");
            let frame = Bytes::from(format!("event: {kind}\ndata: {event}\n\n"));
            inner.bytes += frame.len();
            inner.events.push_back((seq, frame));
            inner.next += 1;
            while inner.bytes > self.cap && inner.events.len() > 1 {
                if let Some((_, f)) = inner.events.pop_front() {
                    inner.bytes -= f.len();
                }
            }
        }
        self.version.send_modify(|v| *v += 1);
    }

    /// Nothing more will be added.
    pub fn close(&self) {
        self.lock().closed = true;
        self.version.send_modify(|v| *v += 1);
    }

    /// The events after sequence number `after` (all when `None`).
    pub fn read(&self, after: Option<u64>) -> Result<Read, Gone> {
        let inner = self.lock();
        let first_kept = inner.next - inner.events.len() as u64;
        let from = after.map_or(0, |n| n.saturating_add(1));
        if from < first_kept {
            return Err(Gone { first_kept });
        }
        let events = inner
            .events
            .iter()
            .filter(|(s, _)| *s >= from)
            .map(|(_, f)| f.clone())
            .collect();
        let last = inner.next.checked_sub(1).filter(|l| *l >= from).or(after);
        Ok(Read {
            events,
            last,
            closed: inner.closed,
        })
    }

    /// Send the events after `after` to `tx`, then those that follow, until the backlog closes
    /// or the receiver goes away (the client disconnected: the job is not affected). A follower
    /// that falls behind the dropped events gets an `error` event and ends.
    pub async fn follow(
        self: Arc<Self>,
        mut after: Option<u64>,
        tx: tokio::sync::mpsc::Sender<Result<Bytes, crate::http::BoxError>>,
    ) {
        let mut rx = self.version.subscribe();
        loop {
            rx.borrow_and_update();
            match self.read(after) {
                Ok(r) => {
                    for e in r.events {
                        if tx.send(Ok(e)).await.is_err() {
                            return;
                        }
                    }
                    after = r.last;
                    if r.closed {
                        return;
                    }
                }
                Err(g) => {
                    let e = json!({"type": "error", "code": "server_error", "param": "starting_after",
                        "message": format!("this stream fell behind the events kept for it (the first kept is {}); \
                                            resume with GET /v1/responses/{{id}}?stream=true&starting_after=N", g.first_kept)});
                    let _ = tx
                        .send(Ok(Bytes::from(format!("event: error\ndata: {e}\n\n"))))
                        .await;
                    return;
                }
            }
            // A client gone while the job is quiet (queued, thinking) ends the follower now,
            // not at the job's next event.
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return },
                () = tx.closed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn seqs(r: &Read) -> Vec<u64> {
        r.events
            .iter()
            .map(|f| {
                let s = std::str::from_utf8(f).unwrap();
                let d = s.split("data: ").nth(1).unwrap().trim();
                serde_json::from_str::<Value>(d).unwrap()["sequence_number"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn numbered_read_after_a_cursor_and_bounded() {
        let b = Backlog::new(1 << 20);
        for _ in 0..5 {
            b.push(json!({"type": "response.output_text.delta", "delta": "x"}));
        }
        assert_eq!(seqs(&b.read(None).unwrap()), vec![0, 1, 2, 3, 4]);
        let r = b.read(Some(2)).unwrap();
        assert_eq!(seqs(&r), vec![3, 4]);
        assert_eq!(r.last, Some(4));
        assert!(!r.closed);
        let r = b.read(Some(4)).unwrap();
        assert!(r.events.is_empty() && r.last == Some(4));
        b.close();
        b.push(json!({"type": "late"}));
        assert!(b.read(Some(4)).unwrap().closed);
        assert_eq!(b.read(None).unwrap().events.len(), 5);

        // Over the cap the oldest go; asking for them is refused, the newest is always kept.
        let small = Backlog::new(200);
        for _ in 0..10 {
            small.push(json!({"type": "response.output_text.delta", "delta": "0123456789"}));
        }
        let first = small.read(Some(8)).unwrap();
        assert_eq!(seqs(&first), vec![9]);
        let first_kept = small.read(None).err().map_or(0, |g| g.first_kept);
        assert!(first_kept > 0 && first_kept <= 9);
        assert!(small.read(Some(first_kept - 1)).is_ok());
    }

    #[tokio::test]
    async fn a_follower_gets_the_rest_live_until_closed() {
        let b = Arc::new(Backlog::new(1 << 20));
        b.push(json!({"type": "a"}));
        b.push(json!({"type": "b"}));
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let f = tokio::spawn(b.clone().follow(Some(0), tx));
        let first = rx.recv().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&first).unwrap().starts_with("event: b\n"));
        b.push(json!({"type": "c"}));
        b.close();
        let c = rx.recv().await.unwrap().unwrap();
        assert!(std::str::from_utf8(&c).unwrap().contains("\"sequence_number\":2"));
        assert!(rx.recv().await.is_none());
        f.await.unwrap();
    }
}
