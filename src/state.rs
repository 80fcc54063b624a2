//! What the layers of the request path share, and nothing else: the gateway's state snapshot
//! ([`AppState`], swapped whole on reload through [`LiveState`]) and the request-scoped values
//! handed between layers in extensions: the authenticated [`Team`] (auth layer -> handler) and
//! the [`RequestInfo`] (handler -> observe layer).
//!
//! Invariant: this module imports no layer and no handler, so `app` and `proxy` both depend on
//! it and never on each other's internals.

use crate::cache::ResponseCache;
use crate::config::Config;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::upstream::redis::SharedRedis;
use crate::upstream::Upstreams;
use std::sync::Arc;
use std::time::Duration;

/// Shared, immutable state of a running gateway.
pub struct AppState {
    pub config: Arc<Config>,
    pub upstreams: Upstreams,
    pub metrics: Metrics,
    pub cache: Arc<ResponseCache>,
    /// The shared Redis connection, when `[redis]` is configured.
    pub redis: Option<SharedRedis>,
    /// Team limits and budgets (state survives reloads).
    pub limiter: Arc<Limiter>,
    /// Compiled JSON schemas, by schema hash (survives reloads).
    pub schemas: Arc<crate::schema::SchemaCache>,
    /// Retries allowed as a fraction of traffic (survives reloads).
    pub retry_budget: Arc<crate::upstream::resilience::RetryBudget>,
    /// Stored Responses answers, by team (survives reloads; sized at start-up).
    pub responses: Arc<crate::responses::ResponseStore>,
    /// Background Responses jobs, by team (survives reloads; bounds sized at start-up).
    pub jobs: Arc<crate::responses::Jobs>,
}

/// The live state: one `AppState` snapshot, swapped whole on reload. Each request loads the
/// snapshot once and keeps it to the end, so a reload never disturbs in-flight requests or open
/// streams.
pub type LiveState = Arc<arc_swap::ArcSwap<AppState>>;

impl AppState {
    /// A snapshot for a reloaded `config`: metrics, cache, Redis and limiter state carry over;
    /// upstream clients (and their pools) are reused where their configuration is unchanged.
    /// Settings bound at start-up (listen addresses, TLS, cache size, Redis URL) keep their
    /// start-up values; a warning names any that changed.
    pub fn reloaded(&self, mut config: Config) -> Result<Arc<AppState>, String> {
        let old = &self.config;
        let mut restart = Vec::new();
        if old.metrics.listen != config.metrics.listen {
            restart.push("metrics.listen");
            // Where /metrics is served stays as bound (the main listener or its own).
            config.metrics.listen = old.metrics.listen;
        }
        if old.server.listen != config.server.listen {
            restart.push("server.listen");
            // The address stays as bound, and the open-relay check is of that address: a
            // reload naming loopback cannot turn client auth off on a public listener.
            config.server.listen = old.server.listen;
            if let Some(why) = crate::config::exposure_problem(&config.server, config.auth.mode) {
                return Err(format!("auth.mode: {why}"));
            }
        }
        if old.server.tls.as_ref().map(|t| (&t.cert, &t.key))
            != config.server.tls.as_ref().map(|t| (&t.cert, &t.key))
        {
            restart.push("server.tls");
        }
        if old.cache.max_bytes != config.cache.max_bytes {
            restart.push("cache.max_bytes");
        }
        if old.redis != config.redis {
            restart.push("redis");
        }
        if old.cache.shared != config.cache.shared {
            restart.push("cache.shared");
        }
        if old.responses != config.responses {
            restart.push("responses");
        }
        if !restart.is_empty() {
            tracing::warn!(settings = ?restart, "these settings changed but only take effect after a restart");
        }
        let upstreams = self.upstreams.rebuild(&config.upstreams, config.server.workers)?;
        Ok(Arc::new(AppState {
            config: Arc::new(config),
            upstreams,
            metrics: self.metrics.clone(),
            cache: self.cache.clone(),
            redis: self.redis.clone(),
            limiter: self.limiter.clone(),
            schemas: self.schemas.clone(),
            retry_budget: self.retry_budget.clone(),
            responses: self.responses.clone(),
            jobs: self.jobs.clone(),
        }))
    }

    pub fn new(config: Config) -> Result<Arc<AppState>, String> {
        let upstreams = Upstreams::new(&config.upstreams, config.server.workers)?;
        let metrics = Metrics::new().map_err(|e| format!("metrics registry: {e}"))?;
        let redis = match &config.redis {
            Some(r) => Some(SharedRedis::new(&r.url, r.timeout, r.cooldown, metrics.clone())?),
            None => None,
        };
        let cache = Arc::new(ResponseCache::new(
            config.cache.max_bytes,
            redis.clone().filter(|_| config.cache.shared),
            config.cache.coalesce_timeout,
            metrics.clone(),
        ));
        let limiter = Arc::new(Limiter::new(redis.clone(), config.replicas, metrics.clone()));
        for name in config.upstreams.keys() {
            metrics.init_upstream(name);
        }
        metrics.set_background_limits(
            config.responses.background_max_queued,
            config.responses.background_max_running,
        );
        for m in config.models.values() {
            for d in &m.deployments {
                metrics.init_deployment(&d.upstream, &d.upstream_model);
            }
        }
        if let (Some(r), Ok(rt)) = (redis.clone(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move { r.warm_up().await });
        }
        let mut store = crate::responses::ResponseStore::new(
            config.responses.store_ttl,
            config.responses.store_max_bytes,
        );
        if let Some(r) = redis.clone().filter(|_| config.responses.shared) {
            store = store.with_shared(crate::responses::SharedResponses::new(
                r,
                config.responses.store_ttl,
                config.responses.redis_max_entry_bytes,
                config.responses.background_lease,
                metrics.clone(),
            ));
        }
        let responses = Arc::new(store);
        let jobs = Arc::new(
            crate::responses::Jobs::new(
                config.responses.background_max_queued,
                config.responses.background_max_running,
                responses.clone(),
                metrics.clone(),
            )
            .with_stream_buffer(
                usize::try_from(config.responses.background_stream_buffer).unwrap_or(usize::MAX),
            ),
        );
        Ok(Arc::new(AppState {
            config: Arc::new(config),
            upstreams,
            metrics,
            cache,
            redis,
            limiter,
            schemas: Arc::new(crate::schema::SchemaCache::default()),
            retry_budget: Arc::new(crate::upstream::resilience::RetryBudget::default()),
            responses,
            jobs,
        }))
    }
}

/// The team a request belongs to (from its key, or `default` when auth is off).
#[derive(Debug, Clone)]
pub struct Team(pub Arc<str>);

/// What a handler learned, carried to the observe layer in response extensions.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub team: Option<Arc<str>>,
    /// The upstream model that served the request (`x-gearbox-model`, the access log).
    pub model: Option<String>,
    /// The public (config-declared) model name: the metric label.
    pub model_label: Option<String>,
    /// chat | reasoning | passthrough (not routed) | "-" (no model involved).
    pub route: &'static str,
    /// hit | miss | bypass | coalesced, for chat completions.
    pub cache: &'static str,
    /// Whether the reasoning adapter rewrote the prompt.
    pub rewritten: bool,
    /// Time spent waiting on upstreams before the response headers were ready.
    pub upstream_wait: Duration,
    /// Token usage, set when known (at once for whole answers, at stream end for streams).
    pub usage: Arc<std::sync::OnceLock<crate::api::Usage>>,
    /// Held until the response body ends (a concurrency slot).
    pub hold: Option<Arc<dyn std::any::Any + Send + Sync>>,
}
