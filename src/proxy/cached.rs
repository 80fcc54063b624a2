//! The cache stage: a cacheable request is a hit (served as JSON or replayed SSE), follows an
//! identical request in flight (live fan-out of the leader's stream, or its final answer), or
//! leads: it makes the call and its [`Store`] keeps the answer — whole, or through the tap that
//! assembles a stream — and hands it to its followers.
//!
//! Invariant: only complete, successful answers are stored; a leader that fails tells its
//! followers (its guard drops), and they make their own calls.

use super::ctx::RequestCtx;
use super::routing::ChatCall;
use crate::cache::{
    cache_key, is_deterministic, replay_sse, Assembler, CacheControl, CacheKey, CachedResponse, Determinism,
    Flight, FlightGuard, Join, ResponseCache,
};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, ChannelBody, Response};
use crate::state::RequestInfo;
use crate::stream::{StreamOutcome, StreamSummary, StreamTap, DONE_EVENT};
use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The outcome of the cache stage.
pub enum Lookup {
    /// Served from the cache.
    Hit(Response),
    /// Served by the identical request in flight.
    Follow(Response),
    /// Make the call, and store its answer (feeding followers, when this request leads them).
    Lead(Store),
    /// Make the call; its answer is not stored (not cacheable, or `no-store`).
    Bypass,
}

/// Look `call` up in the cache, or join an identical request in flight. Sets the observe
/// record's cache result (`hit`, `coalesced`, `miss` or `bypass`).
pub async fn lookup(ctx: &mut RequestCtx<'_>, call: &ChatCall<'_>) -> Lookup {
    let span = crate::telemetry::stage_span!(
        "gearbox.cache",
        gearbox.cache.result = tracing::field::Empty,
        gearbox.cache.tier = tracing::field::Empty,
    );
    let found = lookup_in(ctx, call, &span).instrument(span.clone()).await;
    if !span.is_disabled() {
        // hit | coalesced (followed a leader) | miss (leads: its answer is stored) | bypass
        let result = match &found {
            Lookup::Hit(_) => "hit",
            Lookup::Follow(_) => "coalesced",
            Lookup::Lead(_) => "miss",
            Lookup::Bypass => ctx.info.cache,
        };
        span.record("gearbox.cache.result", result);
    }
    found
}

async fn lookup_in(ctx: &mut RequestCtx<'_>, call: &ChatCall<'_>, span: &tracing::Span) -> Lookup {
    let (state, policy) = (ctx.state, ctx.policy);
    let cc = CacheControl::parse(ctx.headers);
    let ttl = policy.cache.ttl;
    // A key only for a cacheable request: hashing the canonical request is a pass over every
    // message.
    let rules = Determinism {
        trust_seed: policy.cache.trust_seed,
    };
    let key = (policy.cache.enabled && is_deterministic(&call.chat, rules)).then(|| {
        cache_key(
            policy.cache_namespace(&ctx.team.0),
            &call.model.upstream,
            &call.chat,
        )
    });
    let mut leader = None;
    ctx.info.cache = if key.is_some() && !cc.no_cache {
        "miss"
    } else {
        "bypass"
    };
    if let (Some(key), false) = (key, cc.no_cache) {
        if let Some((entry, tier)) = state.cache.get(key, ttl).await {
            let tier = match tier {
                crate::cache::Tier::Local => "local",
                crate::cache::Tier::Redis => "redis",
            };
            span.record("gearbox.cache.tier", tier);
            ctx.info.cache = "hit";
            if let Some(u) = &entry.usage {
                let _ = ctx.info.usage.set(u.clone());
            }
            return Lookup::Hit(serve_entry(
                &entry,
                call.stream,
                call.include_usage,
                ctx.take_info(),
            ));
        }
        if !cc.no_store {
            match state.cache.join(key, call.upstream_stream) {
                Join::Leader(g) => leader = Some(g),
                Join::Follower(f) => {
                    let wait = state.config.cache.coalesce_timeout;
                    let mut info = ctx.info.clone();
                    info.cache = "coalesced";
                    if let Some(resp) = follow(f, wait, call.stream, call.include_usage, info).await {
                        return Lookup::Follow(resp);
                    }
                    // The leader failed before answering: make our own call.
                }
            }
        }
    }
    match key.filter(|_| !cc.no_store) {
        Some(key) => Lookup::Lead(Store {
            cache: state.cache.clone(),
            key,
            ttl,
            leader,
        }),
        None => Lookup::Bypass,
    }
}

/// Where a leading request's answer is stored, and its followers waiting for it.
pub struct Store {
    cache: Arc<ResponseCache>,
    key: CacheKey,
    ttl: Duration,
    leader: Option<FlightGuard>,
}

impl Store {
    /// Store a whole, successful answer (unless truncated) and hand it to the followers.
    pub fn put(self, body: &Bytes) {
        if let Some(entry) = CachedResponse::answer(body.clone()) {
            let entry = Arc::new(entry);
            self.cache.put(self.key, entry.clone(), self.ttl);
            if let Some(l) = self.leader {
                l.done(entry);
            }
        }
    }

    /// Store a stream once it completed, fanning its frames out to the followers as they pass.
    pub fn tap(self) -> Box<dyn StreamTap> {
        Box::new(CacheTap {
            assembler: Assembler::default(),
            leader: self.leader,
            cache: self.cache,
            key: self.key,
            ttl: self.ttl,
        })
    }
}

/// A response built from a cache entry (a hit, or a coalesced follower's result).
pub(super) fn serve_entry(
    entry: &CachedResponse,
    stream: bool,
    include_usage: bool,
    info: RequestInfo,
) -> Response {
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
async fn follow(
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
struct CacheTap {
    assembler: Assembler,
    leader: Option<FlightGuard>,
    cache: Arc<ResponseCache>,
    key: CacheKey,
    ttl: Duration,
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
