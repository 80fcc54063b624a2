//! Upstream clients: the only place that opens network connections.
//!
//! One pooled keep-alive client per upstream (HTTP/1.1, rustls for https). Every network await
//! has a deadline; every failure becomes a [`GatewayError`] with an upstream fault, so callers
//! never see a transport error type.

pub mod redis;
pub mod resilience;

use crate::config::UpstreamConfig;
use crate::error::{ErrorKind, GatewayError};
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The OpenAI endpoints the gateway forwards to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    ChatCompletions,
    Embeddings,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Embeddings => "/embeddings",
        }
    }
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

thread_local! {
    /// Index of the worker thread running on this thread (0 outside workers).
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Mark the current thread as worker `i`: its requests use pool `i` of every upstream, whose
/// connections are driven by this thread's runtime (no cross-thread wake-ups per request).
pub fn set_worker_index(i: usize) {
    WORKER.with(|w| w.set(i));
}

/// One configured upstream with its connection pool.
pub struct Upstream {
    pub name: String,
    /// The configuration this client was built from (a reload reuses the client, and its pool,
    /// when the configuration is unchanged).
    config: UpstreamConfig,
    chat_uri: Uri,
    embeddings_uri: Uri,
    auth: Option<HeaderValue>,
    /// One client (and connection pool) per worker thread, so that a pooled connection is always
    /// driven by the runtime of the request using it (see [`set_worker_index`]).
    clients: Box<[HttpClient]>,
    pub request_timeout: Duration,
    pub stream_idle_timeout: Duration,
    pub stream_total_timeout: Duration,
    /// Circuit breakers per deployment (model on this upstream), kept across reloads with the
    /// client.
    breakers: std::sync::Mutex<std::collections::HashMap<String, Arc<resilience::CircuitBreaker>>>,
    /// Requests waiting on this upstream now (least-outstanding balancing).
    pub outstanding: std::sync::atomic::AtomicU64,
}

/// A response whose headers have arrived; the body is still on the wire.
pub struct UpstreamResponse {
    pub response: http::Response<Incoming>,
    /// When the request was sent, so callers can bound the rest of the exchange.
    pub started: Instant,
}

impl Upstream {
    /// A client for `cfg` with `pools` connection pools, one per worker thread.
    pub fn new(cfg: &UpstreamConfig, pools: usize) -> Result<Upstream, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(cfg.connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("upstreams.{}: TLS setup failed: {e}", cfg.name))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let clients = (0..pools.max(1))
            .map(|_| {
                Client::builder(TokioExecutor::new())
                    .pool_idle_timeout(cfg.pool_idle_timeout)
                    .pool_max_idle_per_host(cfg.pool_max_idle_per_host)
                    .pool_timer(TokioTimer::new())
                    .timer(TokioTimer::new())
                    .build(https.clone())
            })
            .collect();
        let uri = |path: &str| -> Result<Uri, String> {
            format!("{}{}", cfg.base_url, path)
                .parse::<Uri>()
                .map_err(|e| format!("upstreams.{}.base_url: {e}", cfg.name))
        };
        let auth = match &cfg.api_key {
            Some(k) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", k.expose()))
                    .map_err(|_| format!("upstreams.{}: API key contains invalid characters", cfg.name))?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        Ok(Upstream {
            config: cfg.clone(),
            name: cfg.name.clone(),
            chat_uri: uri(Endpoint::ChatCompletions.path())?,
            embeddings_uri: uri(Endpoint::Embeddings.path())?,
            auth,
            clients,
            request_timeout: cfg.request_timeout,
            stream_idle_timeout: cfg.stream_idle_timeout,
            stream_total_timeout: cfg.stream_total_timeout,
            breakers: std::sync::Mutex::new(std::collections::HashMap::new()),
            outstanding: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The circuit breaker of the deployment of `model` on this upstream.
    pub fn breaker(&self, model: &str) -> Arc<resilience::CircuitBreaker> {
        let mut b = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        b.entry(model.to_string()).or_default().clone()
    }

    /// Send a JSON body and wait (bounded by `request_timeout`) for the response headers.
    pub async fn send(
        &self,
        endpoint: Endpoint,
        body: Bytes,
        request_id: Option<&HeaderValue>,
    ) -> Result<UpstreamResponse, GatewayError> {
        let uri = match endpoint {
            Endpoint::ChatCompletions => self.chat_uri.clone(),
            Endpoint::Embeddings => self.embeddings_uri.clone(),
        };
        let mut req = http::Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(a) = &self.auth {
            h.insert(AUTHORIZATION, a.clone());
        }
        if let Some(id) = request_id {
            h.insert("x-request-id", id.clone());
        }
        let started = Instant::now();
        // Never empty (`pools.max(1)`); a thread outside the workers uses pool 0.
        let pool = WORKER.with(std::cell::Cell::get) % self.clients.len().max(1);
        let Some(client) = self.clients.get(pool) else {
            return Err(GatewayError::new(ErrorKind::Internal, "upstream has no client"));
        };
        match tokio::time::timeout(self.request_timeout, client.request(req)).await {
            Ok(Ok(response)) => Ok(UpstreamResponse { response, started }),
            Ok(Err(e)) => Err(classify_client_error(&self.name, e)),
            Err(_) => Err(GatewayError::new(
                ErrorKind::UpstreamTimeout,
                format!(
                    "upstream {:?} did not respond within {:?}",
                    self.name, self.request_timeout
                ),
            )),
        }
    }
}

fn classify_client_error(name: &str, e: hyper_util::client::legacy::Error) -> GatewayError {
    let timed_out = {
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        let mut found = false;
        while let Some(s) = src {
            if s.to_string().contains("timed out") {
                found = true;
                break;
            }
            src = s.source();
        }
        found
    };
    if e.is_connect() && timed_out {
        GatewayError::new(
            ErrorKind::UpstreamTimeout,
            format!("connecting to upstream {name:?} timed out"),
        )
        .with_source(e)
    } else if e.is_connect() {
        GatewayError::new(
            ErrorKind::UpstreamUnreachable,
            format!("upstream {name:?} is unreachable (connection failed)"),
        )
        .with_source(e)
    } else {
        GatewayError::new(
            ErrorKind::UpstreamUnreachable,
            format!("upstream {name:?} closed the connection before responding"),
        )
        .with_source(e)
    }
}

/// All configured upstreams by name.
#[derive(Clone, Default)]
pub struct Upstreams {
    by_name: Arc<BTreeMap<String, Arc<Upstream>>>,
}

impl Upstreams {
    /// Clients for `cfgs`, `pools` connection pools each (one per worker thread).
    pub fn new(cfgs: &BTreeMap<String, UpstreamConfig>, pools: usize) -> Result<Upstreams, String> {
        Upstreams::default().rebuild(cfgs, pools)
    }

    /// Clients for `cfgs`, reusing those of `self` whose configuration did not change.
    pub fn rebuild(
        &self,
        cfgs: &BTreeMap<String, UpstreamConfig>,
        pools: usize,
    ) -> Result<Upstreams, String> {
        let mut by_name = BTreeMap::new();
        for (name, cfg) in cfgs {
            let client = match self.by_name.get(name) {
                Some(old) if old.config == *cfg && old.clients.len() == pools.max(1) => old.clone(),
                _ => Arc::new(Upstream::new(cfg, pools)?),
            };
            by_name.insert(name.clone(), client);
        }
        Ok(Upstreams {
            by_name: Arc::new(by_name),
        })
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Upstream>> {
        self.by_name.get(name)
    }
}
