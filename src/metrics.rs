//! Prometheus metrics: an owned registry and typed `record_*` helpers.
//!
//! Invariant: label values come only from the closed enums below (or names declared in config),
//! never from request strings, so cardinality is bounded whatever clients send. The prometheus
//! crate's `with_label_values` panics on a wrong label count; it is called only here, with
//! arities fixed by the helper signatures.

use crate::error::ErrorKind;
use crate::stream::StreamOutcome;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::time::Duration;

/// Which API surface a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointLabel {
    ChatCompletions,
    Embeddings,
    Models,
    Route,
    Ops,
    Other,
}

impl EndpointLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointLabel::ChatCompletions => "chat_completions",
            EndpointLabel::Embeddings => "embeddings",
            EndpointLabel::Models => "models",
            EndpointLabel::Route => "route",
            EndpointLabel::Ops => "ops",
            EndpointLabel::Other => "other",
        }
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn outcome_label(o: StreamOutcome) -> &'static str {
    match o {
        StreamOutcome::Completed => "completed",
        StreamOutcome::UpstreamError => "upstream_error",
        StreamOutcome::ClientGone => "client_gone",
    }
}

/// Gateway overhead buckets: fine from 25 us to 10 ms, then coarse.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1,
];
/// Request duration buckets (OpenTelemetry GenAI `gen_ai.server.request.duration`).
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// All gateway metrics, registered in one owned registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    overhead: Histogram,
    errors: IntCounterVec,
    in_flight: IntGauge,
    open_streams: IntGauge,
    stream_outcomes: IntCounterVec,
    routes: IntCounterVec,
    shadow: IntCounterVec,
    cache_lookups: IntCounterVec,
    cache_stored_bytes: prometheus::IntCounter,
    cache_evictions: prometheus::IntCounter,
    redis_errors: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let build = IntGaugeVec::new(
            Opts::new("gearbox_build_info", "Build information; always 1."),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let requests = IntCounterVec::new(
            Opts::new(
                "gearbox_requests_total",
                "Requests answered, by endpoint and status class.",
            ),
            &["endpoint", "status_class"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "gearbox_request_duration_seconds",
                "End-to-end request duration until the response body ended.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["endpoint"],
        )?;
        let overhead = Histogram::with_opts(
            HistogramOpts::new(
                "gearbox_overhead_seconds",
                "Gateway overhead: time until the response headers were ready minus time waiting on upstreams.",
            )
            .buckets(OVERHEAD_BUCKETS.to_vec()),
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "gearbox_errors_total",
                "Errors answered by the gateway itself, by code.",
            ),
            &["code"],
        )?;
        let in_flight = IntGauge::new("gearbox_in_flight_requests", "Requests being handled now.")?;
        let open_streams = IntGauge::new("gearbox_open_streams", "Streaming responses open now.")?;
        let stream_outcomes = IntCounterVec::new(
            Opts::new(
                "gearbox_stream_outcomes_total",
                "Relayed streams by how they ended.",
            ),
            &["outcome"],
        )?;
        let routes = IntCounterVec::new(
            Opts::new(
                "gearbox_routing_decisions_total",
                "Routed requests by the route served and what decided it.",
            ),
            &["route", "source"],
        )?;
        let shadow = IntCounterVec::new(
            Opts::new(
                "gearbox_shadow_decisions_total",
                "Shadow mode: the route the classifier would have chosen versus the kind of model that served.",
            ),
            &["would_route", "served"],
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new(
                "gearbox_cache_lookups_total",
                "Cache outcomes per request: hit, miss, bypass, coalesced.",
            ),
            &["result"],
        )?;
        let cache_stored_bytes = prometheus::IntCounter::new(
            "gearbox_cache_stored_bytes_total",
            "Bytes of responses stored in the cache.",
        )?;
        let cache_evictions = prometheus::IntCounter::new(
            "gearbox_cache_evictions_total",
            "Entries evicted from the in-process cache to stay within its byte budget.",
        )?;
        let redis_errors = IntCounterVec::new(
            Opts::new(
                "gearbox_redis_errors_total",
                "Redis operations that failed; the request was served without Redis.",
            ),
            &["op", "kind"],
        )?;
        registry.register(Box::new(cache_lookups.clone()))?;
        registry.register(Box::new(cache_stored_bytes.clone()))?;
        registry.register(Box::new(cache_evictions.clone()))?;
        registry.register(Box::new(redis_errors.clone()))?;
        registry.register(Box::new(routes.clone()))?;
        registry.register(Box::new(shadow.clone()))?;
        registry.register(Box::new(build))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(overhead.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        registry.register(Box::new(open_streams.clone()))?;
        registry.register(Box::new(stream_outcomes.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
            overhead,
            errors,
            in_flight,
            open_streams,
            stream_outcomes,
            routes,
            shadow,
            cache_lookups,
            cache_stored_bytes,
            cache_evictions,
            redis_errors,
        })
    }

    pub fn record_request(&self, endpoint: EndpointLabel, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[endpoint.as_str(), status_class(status)])
            .inc();
        self.duration
            .with_label_values(&[endpoint.as_str()])
            .observe(elapsed.as_secs_f64());
    }

    pub fn record_overhead(&self, overhead: Duration) {
        self.overhead.observe(overhead.as_secs_f64());
    }

    pub fn record_error(&self, kind: ErrorKind) {
        self.errors.with_label_values(&[kind.code()]).inc();
    }

    pub fn in_flight(&self) -> &IntGauge {
        &self.in_flight
    }

    pub fn open_streams(&self) -> &IntGauge {
        &self.open_streams
    }

    pub fn record_stream_end(&self, outcome: StreamOutcome) {
        self.stream_outcomes
            .with_label_values(&[outcome_label(outcome)])
            .inc();
    }

    /// `route`: chat | reasoning | passthrough; `source`: classifier | override | mode | passthrough.
    pub fn record_route(&self, route: &'static str, source: &'static str) {
        self.routes.with_label_values(&[route, source]).inc();
    }

    /// `would`: chat | reasoning; `served`: chat | reasoning | embedding | other.
    pub fn record_shadow(&self, would: &'static str, served: &'static str) {
        self.shadow.with_label_values(&[would, served]).inc();
    }

    /// `result`: hit | miss | bypass | coalesced.
    pub fn record_cache_lookup(&self, result: &'static str) {
        self.cache_lookups.with_label_values(&[result]).inc();
    }

    pub fn record_cache_store(&self, bytes: usize) {
        self.cache_stored_bytes.inc_by(bytes as u64);
    }

    pub fn record_cache_eviction(&self) {
        self.cache_evictions.inc();
    }

    /// `op`: cache_get | cache_set | ...; `kind`: unavailable | timeout | error.
    pub fn record_redis_error(&self, op: &'static str, kind: &'static str) {
        self.redis_errors.with_label_values(&[op, kind]).inc();
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(8192);
        // Encoding into a Vec cannot fail on IO; a failure would only mean a malformed metric
        // family, which the constructors above rule out.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        buf
    }
}
