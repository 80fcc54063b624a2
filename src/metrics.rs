//! Prometheus metrics: an owned registry and typed `record_*` helpers.
//!
//! Invariant: label values come only from closed enums or from names declared in config (team
//! ids, public model names, upstream names), never from request strings, so cardinality is
//! bounded whatever clients send. The prometheus crate's `with_label_values` panics on a wrong
//! label count; it is called only here, with arities fixed by the helper signatures.
//!
//! Histogram buckets follow the OpenTelemetry GenAI semantic conventions where they define the
//! metric (request duration, time to first token, time per output token, token usage); the
//! mapping is documented in `dashboards/README.md`.

use crate::error::ErrorKind;
use crate::stream::StreamOutcome;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use std::sync::Arc;
use std::time::Duration;

/// Circuit state of one upstream deployment, as its gauge shows it (the breakers live in
/// `upstream::resilience`; the closed set of states is a label of this module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    pub fn gauge(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }
}

/// Which API surface a request hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointLabel {
    ChatCompletions,
    Embeddings,
    Responses,
    /// The rest of the surface, passed through (one value per family).
    Completions,
    Moderations,
    Audio,
    Images,
    Files,
    Batches,
    Uploads,
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
            EndpointLabel::Responses => "responses",
            EndpointLabel::Completions => "completions",
            EndpointLabel::Moderations => "moderations",
            EndpointLabel::Audio => "audio",
            EndpointLabel::Images => "images",
            EndpointLabel::Files => "files",
            EndpointLabel::Batches => "batches",
            EndpointLabel::Uploads => "uploads",
            EndpointLabel::Models => "models",
            EndpointLabel::Route => "route",
            EndpointLabel::Ops => "ops",
            EndpointLabel::Other => "other",
        }
    }
}

/// Token kinds counted by `gearbox_tokens_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Prompt,
    Completion,
    Reasoning,
    CachedPrompt,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Prompt => "prompt",
            TokenType::Completion => "completion",
            TokenType::Reasoning => "reasoning",
            TokenType::CachedPrompt => "cached_prompt",
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
/// `gen_ai.server.request.duration` / `gen_ai.client.operation.duration`.
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/// `gen_ai.server.time_to_first_token`.
const TTFT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// `gen_ai.server.time_per_output_token`.
const TPOT_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
];
/// `gen_ai.client.token.usage`.
const TOKEN_BUCKETS: &[f64] = &[
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// All gateway metrics, registered in one owned registry. Cloned per request and per stream:
/// one shared pointer (one atomic increment), not one per metric family.
#[derive(Clone)]
pub struct Metrics(Arc<Families>);

impl std::ops::Deref for Metrics {
    type Target = Families;
    fn deref(&self) -> &Families {
        &self.0
    }
}

/// The metric families behind [`Metrics`].
pub struct Families {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    overhead: HistogramVec,
    upstream_duration: HistogramVec,
    upstream_errors: IntCounterVec,
    ttft: HistogramVec,
    tpot: HistogramVec,
    tokens: IntCounterVec,
    token_usage: HistogramVec,
    cost: prometheus::CounterVec,
    savings: prometheus::CounterVec,
    errors: IntCounterVec,
    in_flight: IntGauge,
    open_streams: IntGauge,
    stream_outcomes: IntCounterVec,
    routes: IntCounterVec,
    shadow: IntCounterVec,
    rewrites: IntCounterVec,
    param_changes: IntCounterVec,
    cache_lookups: IntCounterVec,
    cache_stored_bytes: IntCounter,
    cache_evictions: IntCounter,
    redis_errors: IntCounterVec,
    redis_up: IntGauge,
    reloads: IntCounterVec,
    limit_refusals: IntCounterVec,
    budget_actions: IntCounterVec,
    limit_fallbacks: IntCounter,
    schema_validations: IntCounterVec,
    schema_repairs: IntCounterVec,
    retries: IntCounterVec,
    fallbacks: IntCounterVec,
    circuit: IntGaugeVec,
    background_jobs: IntGaugeVec,
    background_finished: IntCounterVec,
    background_rejected: IntCounterVec,
    background_limits: IntGaugeVec,
}

fn counter(name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    IntCounterVec::new(Opts::new(name, help), labels)
}

fn histogram(
    name: &str,
    help: &str,
    buckets: &[f64],
    labels: &[&str],
) -> Result<HistogramVec, prometheus::Error> {
    HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels)
}

impl Metrics {
    pub fn new() -> Result<Metrics, prometheus::Error> {
        let registry = Registry::new();
        let build = IntGaugeVec::new(
            Opts::new("gearbox_build_info", "Build information; always 1."),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        let m = Families {
            requests: counter(
                "gearbox_requests_total",
                "Requests answered, by endpoint, team, served model, route and status class.",
                &["endpoint", "team", "model", "route", "status_class"],
            )?,
            duration: histogram(
                "gearbox_request_duration_seconds",
                "End-to-end request duration until the response body ended (gen_ai.server.request.duration).",
                DURATION_BUCKETS,
                &["endpoint", "route"],
            )?,
            overhead: histogram(
                "gearbox_overhead_seconds",
                "Gateway overhead: time until the response headers were ready minus time waiting on upstreams.",
                OVERHEAD_BUCKETS,
                &["endpoint"],
            )?,
            upstream_duration: histogram(
                "gearbox_upstream_duration_seconds",
                "Time waiting on an upstream: until the whole answer for plain calls, until headers for streams.",
                DURATION_BUCKETS,
                &["upstream"],
            )?,
            upstream_errors: counter(
                "gearbox_upstream_errors_total",
                "Upstream failures by kind: transport (unreachable, timeout, protocol) or relayed error status.",
                &["upstream", "kind"],
            )?,
            ttft: histogram(
                "gearbox_time_to_first_token_seconds",
                "Streams: time from request to the first event (gen_ai.server.time_to_first_token).",
                TTFT_BUCKETS,
                &["model"],
            )?,
            tpot: histogram(
                "gearbox_time_per_output_token_seconds",
                "Streams: time per output token after the first (gen_ai.server.time_per_output_token).",
                TPOT_BUCKETS,
                &["model"],
            )?,
            tokens: counter(
                "gearbox_tokens_total",
                "Tokens reported by upstreams (cache hits excluded), by team, model and type.",
                &["team", "model", "type"],
            )?,
            token_usage: histogram(
                "gearbox_token_usage",
                "Tokens per request by type: input or output (gen_ai.client.token.usage).",
                TOKEN_BUCKETS,
                &["type"],
            )?,
            cost: prometheus::CounterVec::new(
                Opts::new("gearbox_cost_usd_total", "Estimated cost in USD from the configured price table."),
                &["team", "model"],
            )?,
            savings: prometheus::CounterVec::new(
                Opts::new(
                    "gearbox_routing_savings_usd_total",
                    "Estimated saving of routing: what chat-routed requests would have cost on the reasoning target.",
                ),
                &["team"],
            )?,
            errors: counter("gearbox_errors_total", "Errors answered by the gateway itself, by code.", &["code"])?,
            in_flight: IntGauge::new("gearbox_in_flight_requests", "Requests being handled now.")?,
            open_streams: IntGauge::new("gearbox_open_streams", "Streaming responses open now.")?,
            stream_outcomes: counter("gearbox_stream_outcomes_total", "Relayed streams by how they ended.", &["outcome"])?,
            routes: counter(
                "gearbox_routing_decisions_total",
                "Routed requests by the route served, what decided it, and the main reason's feature group.",
                &["route", "source", "reason"],
            )?,
            shadow: counter(
                "gearbox_shadow_decisions_total",
                "Shadow mode: the route the classifier would have chosen versus the kind of model that served.",
                &["would_route", "served"],
            )?,
            rewrites: counter(
                "gearbox_rewrites_total",
                "Reasoning-bound requests by rewrite result: rewritten, unchanged, disabled.",
                &["result"],
            )?,
            param_changes: counter(
                "gearbox_param_translations_total",
                "Parameters translated for reasoning models, by action.",
                &["action"],
            )?,
            cache_lookups: counter(
                "gearbox_cache_lookups_total",
                "Cache outcomes per request: hit, miss, bypass, coalesced.",
                &["result"],
            )?,
            cache_stored_bytes: IntCounter::new(
                "gearbox_cache_stored_bytes_total",
                "Bytes of responses stored in the cache.",
            )?,
            cache_evictions: IntCounter::new(
                "gearbox_cache_evictions_total",
                "Entries evicted from the in-process cache to stay within its byte budget.",
            )?,
            redis_errors: counter(
                "gearbox_redis_errors_total",
                "Redis operations that failed; the request was served without Redis.",
                &["op", "kind"],
            )?,
            redis_up: IntGauge::new(
                "gearbox_redis_up",
                "1 while the configured Redis is in use; 0 while it is found down (requests skip it \
                 and use the local fallbacks) or when no Redis is configured.",
            )?,
            reloads: counter("gearbox_config_reloads_total", "Config reloads by result: applied, rejected.", &["result"])?,
            limit_refusals: counter(
                "gearbox_limit_refusals_total",
                "Requests refused by a team limit, by team and limit: requests, tokens, concurrency.",
                &["team", "limit"],
            )?,
            budget_actions: counter(
                "gearbox_budget_actions_total",
                "Requests at a team budget, by team and action: refused, downgraded.",
                &["team", "action"],
            )?,
            limit_fallbacks: IntCounter::new(
                "gearbox_limit_fallbacks_total",
                "Limit checks made locally (limit / replicas) because Redis was unreachable.",
            )?,
            schema_validations: counter(
                "gearbox_schema_validations_total",
                "Structured answers by result: valid, repaired, invalid (refusals are not counted).",
                &["result"],
            )?,
            schema_repairs: counter(
                "gearbox_schema_repairs_total",
                "Repair calls for invalid structured output, by outcome: success, failure.",
                &["outcome"],
            )?,
            retries: counter(
                "gearbox_upstream_retries_total",
                "Extra upstream attempts, by upstream and reason: retry, fallback, budget_exhausted (not retried).",
                &["upstream", "reason"],
            )?,
            fallbacks: counter(
                "gearbox_fallbacks_total",
                "Requests served by a fallback model, by the route that failed and the route that served.",
                &["from", "to"],
            )?,
            circuit: IntGaugeVec::new(
                Opts::new(
                    "gearbox_circuit_state",
                    "Circuit state per deployment (upstream and model): 0 closed, 1 half-open, 2 open.",
                ),
                &["upstream", "model"],
            )?,
            background_jobs: IntGaugeVec::new(
                Opts::new(
                    "gearbox_background_jobs",
                    "Background Responses jobs (background: true) per team and state: queued, running.",
                ),
                &["team", "state"],
            )?,
            background_finished: counter(
                "gearbox_background_jobs_finished_total",
                "Background Responses jobs that ended, per team and status: completed, failed, cancelled.",
                &["team", "status"],
            )?,
            background_rejected: counter(
                "gearbox_background_rejected_total",
                "Background Responses requests refused with a 429 because the team's queue was full.",
                &["team"],
            )?,
            background_limits: IntGaugeVec::new(
                Opts::new(
                    "gearbox_background_limit",
                    "Per-team bounds of background Responses jobs: queued (queue depth), running (concurrency).",
                ),
                &["kind"],
            )?,
            registry,
        };
        m.registry.register(Box::new(build))?;
        if let Some(spans) = trace_spans() {
            m.registry.register(Box::new(spans.clone()))?;
        }
        m.registry.register(Box::new(m.background_jobs.clone()))?;
        m.registry.register(Box::new(m.background_finished.clone()))?;
        m.registry.register(Box::new(m.background_rejected.clone()))?;
        m.registry.register(Box::new(m.background_limits.clone()))?;
        m.registry.register(Box::new(m.requests.clone()))?;
        m.registry.register(Box::new(m.duration.clone()))?;
        m.registry.register(Box::new(m.overhead.clone()))?;
        m.registry.register(Box::new(m.upstream_duration.clone()))?;
        m.registry.register(Box::new(m.upstream_errors.clone()))?;
        m.registry.register(Box::new(m.ttft.clone()))?;
        m.registry.register(Box::new(m.tpot.clone()))?;
        m.registry.register(Box::new(m.tokens.clone()))?;
        m.registry.register(Box::new(m.token_usage.clone()))?;
        m.registry.register(Box::new(m.cost.clone()))?;
        m.registry.register(Box::new(m.savings.clone()))?;
        m.registry.register(Box::new(m.errors.clone()))?;
        m.registry.register(Box::new(m.in_flight.clone()))?;
        m.registry.register(Box::new(m.open_streams.clone()))?;
        m.registry.register(Box::new(m.stream_outcomes.clone()))?;
        m.registry.register(Box::new(m.routes.clone()))?;
        m.registry.register(Box::new(m.shadow.clone()))?;
        m.registry.register(Box::new(m.rewrites.clone()))?;
        m.registry.register(Box::new(m.param_changes.clone()))?;
        m.registry.register(Box::new(m.cache_lookups.clone()))?;
        m.registry.register(Box::new(m.cache_stored_bytes.clone()))?;
        m.registry.register(Box::new(m.cache_evictions.clone()))?;
        m.registry.register(Box::new(m.redis_errors.clone()))?;
        m.registry.register(Box::new(m.redis_up.clone()))?;
        m.registry.register(Box::new(m.reloads.clone()))?;
        m.registry.register(Box::new(m.limit_refusals.clone()))?;
        m.registry.register(Box::new(m.budget_actions.clone()))?;
        m.registry.register(Box::new(m.limit_fallbacks.clone()))?;
        m.registry.register(Box::new(m.schema_validations.clone()))?;
        m.registry.register(Box::new(m.schema_repairs.clone()))?;
        m.registry.register(Box::new(m.retries.clone()))?;
        m.registry.register(Box::new(m.fallbacks.clone()))?;
        m.registry.register(Box::new(m.circuit.clone()))?;
        // Closed label sets start at zero so dashboards and alerts see the series before the
        // first event (an absent series and a zero rate look different in PromQL).
        for r in ["hit", "miss", "bypass", "coalesced"] {
            m.cache_lookups.with_label_values(&[r]).inc_by(0);
        }
        for o in [
            StreamOutcome::Completed,
            StreamOutcome::UpstreamError,
            StreamOutcome::ClientGone,
        ] {
            m.stream_outcomes.with_label_values(&[outcome_label(o)]).inc_by(0);
        }
        for r in ["valid", "repaired", "invalid"] {
            m.schema_validations.with_label_values(&[r]).inc_by(0);
        }
        for r in ["success", "failure"] {
            m.schema_repairs.with_label_values(&[r]).inc_by(0);
        }
        for r in ["applied", "rejected"] {
            m.reloads.with_label_values(&[r]).inc_by(0);
        }
        for r in ["rewritten", "unchanged", "disabled"] {
            m.rewrites.with_label_values(&[r]).inc_by(0);
        }
        Ok(Metrics(Arc::new(m)))
    }

    /// At the end of every response body.
    pub fn record_request(&self, r: &RequestLabels<'_>, status: u16, elapsed: Duration) {
        self.requests
            .with_label_values(&[
                r.endpoint.as_str(),
                r.team,
                r.model,
                r.route,
                status_class(status),
            ])
            .inc();
        self.duration
            .with_label_values(&[r.endpoint.as_str(), r.route])
            .observe(elapsed.as_secs_f64());
    }

    pub fn record_overhead(&self, endpoint: EndpointLabel, overhead: Duration) {
        self.overhead
            .with_label_values(&[endpoint.as_str()])
            .observe(overhead.as_secs_f64());
    }

    pub fn record_upstream(&self, upstream: &str, waited: Duration) {
        self.upstream_duration
            .with_label_values(&[upstream])
            .observe(waited.as_secs_f64());
    }

    /// `kind`: an upstream error code (`upstream_unreachable`, ...) or `status_429`, `status_4xx`,
    /// `status_5xx` for relayed upstream answers.
    pub fn record_upstream_error(&self, upstream: &str, kind: &'static str) {
        self.upstream_errors.with_label_values(&[upstream, kind]).inc();
    }

    pub fn record_ttft(&self, model: &str, ttft: Duration) {
        self.ttft.with_label_values(&[model]).observe(ttft.as_secs_f64());
    }

    pub fn record_tpot(&self, model: &str, per_token: Duration) {
        self.tpot
            .with_label_values(&[model])
            .observe(per_token.as_secs_f64());
    }

    pub fn record_tokens(&self, team: &str, model: &str, kind: TokenType, n: u64) {
        self.tokens
            .with_label_values(&[team, model, kind.as_str()])
            .inc_by(n);
        match kind {
            TokenType::Prompt => self.token_usage.with_label_values(&["input"]).observe(n as f64),
            TokenType::Completion => self.token_usage.with_label_values(&["output"]).observe(n as f64),
            TokenType::Reasoning | TokenType::CachedPrompt => {}
        }
    }

    pub fn record_cost(&self, team: &str, model: &str, usd: f64) {
        if usd.is_finite() && usd > 0.0 {
            self.cost.with_label_values(&[team, model]).inc_by(usd);
        }
    }

    pub fn record_savings(&self, team: &str, usd: f64) {
        if usd.is_finite() && usd > 0.0 {
            self.savings.with_label_values(&[team]).inc_by(usd);
        }
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

    /// `route`: chat | reasoning | passthrough; `source`: classifier | override | mode | passthrough;
    /// `reason`: the main reason's feature group (see `classify::reason_group`).
    pub fn record_route(&self, route: &'static str, source: &'static str, reason: &'static str) {
        self.routes.with_label_values(&[route, source, reason]).inc();
    }

    /// `would`: chat | reasoning; `served`: chat | reasoning | embedding | other.
    pub fn record_shadow(&self, would: &'static str, served: &'static str) {
        self.shadow.with_label_values(&[would, served]).inc();
    }

    /// `result`: rewritten | unchanged | disabled.
    pub fn record_rewrite(&self, result: &'static str) {
        self.rewrites.with_label_values(&[result]).inc();
    }

    /// `action`: e.g. renamed | raised | dropped | role_changed | defaulted.
    pub fn record_param_change(&self, action: &'static str) {
        self.param_changes.with_label_values(&[action]).inc();
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

    /// Redis in use (true) or found down (false); see `upstream::redis`.
    pub fn set_redis_up(&self, up: bool) {
        self.redis_up.set(i64::from(up));
    }

    /// `op`: cache_get | cache_set | ...; `kind`: unavailable | timeout | error | skipped.
    pub fn record_redis_error(&self, op: &'static str, kind: &'static str) {
        self.redis_errors.with_label_values(&[op, kind]).inc();
    }

    /// `reason`: retry | fallback | budget_exhausted.
    pub fn record_retry(&self, upstream: &str, reason: &'static str) {
        self.retries.with_label_values(&[upstream, reason]).inc();
    }

    pub fn record_fallback(&self, from: &'static str, to: &'static str) {
        self.fallbacks.with_label_values(&[from, to]).inc();
    }

    /// `upstream` and `model` are a configured deployment.
    pub fn record_circuit(&self, upstream: &str, model: &str, state: CircuitState) {
        self.circuit
            .with_label_values(&[upstream, model])
            .set(state.gauge());
    }

    /// A team's background jobs now: `queued` waiting, `running` running. `team` is a
    /// configured team name.
    pub fn record_background_jobs(&self, team: &str, queued: usize, running: usize) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        self.background_jobs
            .with_label_values(&[team, "queued"])
            .set(n(queued));
        self.background_jobs
            .with_label_values(&[team, "running"])
            .set(n(running));
    }

    /// A team's background job ended with the response `status` it was stored with
    /// (`completed`, `cancelled`; anything else counts as `failed`).
    pub fn record_background_finished(&self, team: &str, status: &str) {
        let status = match status {
            "completed" => "completed",
            "cancelled" => "cancelled",
            _ => "failed",
        };
        self.background_finished.with_label_values(&[team, status]).inc();
    }

    /// A team's background request was refused: its queue was full.
    pub fn record_background_rejected(&self, team: &str) {
        self.background_rejected.with_label_values(&[team]).inc();
    }

    /// The configured per-team bounds of background jobs.
    pub fn set_background_limits(&self, max_queued: usize, max_running: usize) {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        self.background_limits
            .with_label_values(&["queued"])
            .set(n(max_queued));
        self.background_limits
            .with_label_values(&["running"])
            .set(n(max_running));
    }

    /// Start a configured deployment's circuit gauge at closed.
    pub fn init_deployment(&self, upstream: &str, model: &str) {
        self.circuit.with_label_values(&[upstream, model]).set(0);
    }

    /// Start a configured upstream's retry counters at zero.
    pub fn init_upstream(&self, upstream: &str) {
        for r in ["retry", "fallback"] {
            self.retries.with_label_values(&[upstream, r]).inc_by(0);
        }
    }

    /// `result`: valid | repaired | invalid.
    pub fn record_schema(&self, result: &'static str) {
        self.schema_validations.with_label_values(&[result]).inc();
    }

    /// `outcome`: success | failure.
    pub fn record_schema_repair(&self, outcome: &'static str) {
        self.schema_repairs.with_label_values(&[outcome]).inc();
    }

    /// `limit`: requests | tokens | concurrency.
    pub fn record_limit_refusal(&self, team: &str, limit: &'static str) {
        self.limit_refusals.with_label_values(&[team, limit]).inc();
    }

    /// `action`: refused | downgraded.
    pub fn record_budget_action(&self, team: &str, action: &'static str) {
        self.budget_actions.with_label_values(&[team, action]).inc();
    }

    pub fn record_limit_fallback(&self) {
        self.limit_fallbacks.inc();
    }

    /// `result`: applied | rejected.
    pub fn record_reload(&self, result: &'static str) {
        self.reloads.with_label_values(&[result]).inc();
    }

    /// The registry in Prometheus text format.
    pub fn render(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(16384);
        // Encoding into a Vec cannot fail on IO; a failure would only mean a malformed metric
        // family, which the constructors above rule out.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        buf
    }
}

/// `gearbox_trace_spans_total`: one per process (the trace exporter is installed once, before
/// any [`Metrics`]), shared by every registry. `None` only if the constructor failed, which its
/// fixed name and label rule out.
fn trace_spans() -> Option<&'static IntCounterVec> {
    static SPANS: std::sync::OnceLock<Option<IntCounterVec>> = std::sync::OnceLock::new();
    SPANS
        .get_or_init(|| {
            let c = counter(
                "gearbox_trace_spans_total",
                "Finished trace spans by outcome: exported, failed (the export failed), dropped (the \
                 export queue was full). Zero while [tracing] is off.",
                &["outcome"],
            )
            .ok()?;
            for o in ["exported", "failed", "dropped"] {
                c.with_label_values(&[o]).inc_by(0);
            }
            Some(c)
        })
        .as_ref()
}

/// Count `n` finished spans with `outcome` (`exported`, `failed` or `dropped`).
pub fn record_trace_spans(outcome: &'static str, n: u64) {
    if let Some(c) = trace_spans() {
        c.with_label_values(&[outcome]).inc_by(n);
    }
}

/// Labels of `gearbox_requests_total`; every `&str` is a config-declared name or a fixed word.
#[derive(Debug, Clone, Copy)]
pub struct RequestLabels<'a> {
    pub endpoint: EndpointLabel,
    pub team: &'a str,
    pub model: &'a str,
    pub route: &'a str,
}
