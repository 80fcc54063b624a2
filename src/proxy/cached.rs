//! Serving from the cache: hits (as JSON or replayed SSE), coalesced followers (live fan-out of
//! the leader's stream, or its final answer), and the tap that stores a streamed answer.

use crate::cache::{replay_sse, Assembler, CacheKey, CachedResponse, Flight, FlightGuard, ResponseCache};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, ChannelBody, Response};
use crate::state::RequestInfo;
use crate::stream::{StreamOutcome, StreamSummary, StreamTap, DONE_EVENT};
use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A response built from a cache entry (a hit, or a coalesced follower's result).
pub fn serve_entry(entry: &CachedResponse, stream: bool, include_usage: bool, info: RequestInfo) -> Response {
    let mut resp = if stream {
        let mut r = h::full(StatusCode::OK, replay_sse(entry, include_usage));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        r
    } else {
        h::json(StatusCode::OK, entry.body.clone())
    };
    super::relay::set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    resp
}

/// Follow an identical request in flight. `None` means the leader failed or took too long before
/// this follower sent anything: the caller makes its own upstream call.
pub async fn follow(
    flight: Arc<Flight>,
    wait: Duration,
    stream: bool,
    include_usage: bool,
    info: RequestInfo,
) -> Option<Response> {
    let deadline = Instant::now() + wait;
    if !stream {
        let entry = flight.result(deadline).await?;
        return Some(serve_entry(&entry, false, include_usage, info));
    }
    let (first, end) = flight.next(0, deadline).await;
    if first.is_empty() {
        // Ended before any frame: a result means the stream finished; `None` means it failed.
        let entry = end.flatten()?;
        return Some(serve_entry(&entry, true, include_usage, info));
    }
    let (tx, body) = ChannelBody::new(32);
    tokio::spawn(async move {
        let mut sent = 0usize;
        let mut frames = first;
        let mut end = end;
        loop {
            for f in frames.drain(..) {
                sent += 1;
                if tx.send(Ok(f)).await.is_err() {
                    return; // the follower's client went away
                }
            }
            match end {
                Some(Some(_)) => return,
                Some(None) => {
                    let err = GatewayError::new(
                        ErrorKind::UpstreamUnreachable,
                        "the identical request this one was coalesced with failed mid-stream",
                    );
                    let mut tail = BytesMut::new();
                    tail.extend_from_slice(&err.sse_event());
                    tail.extend_from_slice(DONE_EVENT);
                    let _ = tx.send(Ok(tail.freeze())).await;
                    return;
                }
                None => {}
            }
            let (f, e) = flight.next(sent, Instant::now() + wait).await;
            frames = f;
            end = e;
        }
    });
    let mut resp = http::Response::new(h::boxed(body));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    super::relay::set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    Some(resp)
}

/// Stores a streamed answer once it completed, and fans its frames out to followers.
pub struct CacheTap {
    pub assembler: Assembler,
    pub leader: Option<FlightGuard>,
    pub cache: Arc<ResponseCache>,
    pub key: CacheKey,
    pub ttl: Duration,
}

impl StreamTap for CacheTap {
    fn on_frame(&mut self, frame: &Bytes) {
        self.assembler.push(frame);
        if let Some(l) = &self.leader {
            l.push(frame);
        }
    }

    fn on_end(self: Box<Self>, summary: &StreamSummary) {
        let this = *self;
        if summary.outcome != StreamOutcome::Completed {
            return; // dropping the leader guard tells followers it failed
        }
        if let Some(entry) = this.assembler.finish() {
            let entry = Arc::new(entry);
            this.cache.put(this.key, entry.clone(), this.ttl);
            if let Some(l) = this.leader {
                l.done(entry);
            }
        }
    }
}
