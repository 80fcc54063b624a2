//! Upstream clients: the only place that opens network connections.
//!
//! One pooled keep-alive client per upstream and worker thread (rustls for https; HTTP/2 where
//! the upstream offers it in ALPN, or with prior knowledge when configured, else HTTP/1.1; over
//! HTTP/2 a pool multiplexes its requests on one connection per upstream). Every network await
//! has a deadline; every failure becomes a [`GatewayError`] with an upstream fault, so callers
//! never see a transport error type.

pub mod otlp;
pub mod redis;
pub mod resilience;

use crate::config::{UpstreamConfig, UpstreamHttp2};
use crate::error::{ErrorKind, GatewayError, Timeout};
use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Uri};
use http_body_util::{Either, Full};
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
    /// `POST /responses`, for upstreams that speak the Responses API.
    Responses,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Embeddings => "/embeddings",
            Endpoint::Responses => "/responses",
        }
    }
}

/// What the clients send: a whole JSON body (chat, embeddings, responses, and passthrough JSON
/// whose model was mapped), or a client's body streamed through (multipart uploads, binary).
pub type UpstreamBody = Either<Full<Bytes>, crate::http::Body>;

type TlsClient = Client<HttpsConnector<HttpConnector>, UpstreamBody>;
type PlainClient = Client<HttpConnector, UpstreamBody>;

/// One client (and connection pool) per worker thread. An `http://` upstream gets clients
/// without the TLS layer: the connection's type would otherwise have room for a TLS session, and
/// every pooled connection's task would be ~2.4 KB larger (measured with 5,000 open streams).
enum Clients {
    Plain(Box<[PlainClient]>),
    Tls(Box<[TlsClient]>),
}

impl Clients {
    fn len(&self) -> usize {
        match self {
            Clients::Plain(c) => c.len(),
            Clients::Tls(c) => c.len(),
        }
    }

    /// Send on pool `i` (taken modulo the pool count; `None` only if there are no pools).
    fn request(
        &self,
        i: usize,
        req: http::Request<UpstreamBody>,
    ) -> Option<hyper_util::client::legacy::ResponseFuture> {
        let i = i % self.len().max(1);
        match self {
            Clients::Plain(c) => c.get(i).map(|c| c.request(req)),
            Clients::Tls(c) => c.get(i).map(|c| c.request(req)),
        }
    }
}

thread_local! {
    /// Index of the worker thread running on this thread (0 outside workers).
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Mark the current thread as worker `i`: its requests use pool `i` of every upstream, whose
/// connections are driven by this thread's runtime (no cross-thread wake-ups per request).
pub fn set_worker_index(i: usize) {
    WORKER.with(|w| w.set(i));
}

/// An HTTP/2 connection to an upstream is pinged after this long without a frame while it has
/// streams open, and closed when the ping is not answered within as long again.
const H2_KEEPALIVE: Duration = Duration::from_secs(20);

/// The TLS client settings for `cfg`: the public (webpki) roots plus the certificates of its
/// `ca_file`.
fn tls_config(cfg: &UpstreamConfig) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for der in &cfg.extra_roots {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|e| format!("upstreams.{}.ca_file: {e}", cfg.name))?;
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("upstreams.{}: TLS setup failed: {e}", cfg.name))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// One configured upstream with its connection pool.
pub struct Upstream {
    pub name: String,
    /// The configuration this client was built from (a reload reuses the client, and its pool,
    /// when the configuration is unchanged).
    config: UpstreamConfig,
    chat_uri: Uri,
    embeddings_uri: Uri,
    responses_uri: Uri,
    /// `base_url` without a trailing slash, the prefix of passthrough paths.
    base_url: String,
    auth: Option<HeaderValue>,
    /// One client (and connection pool) per worker thread, so that a pooled connection is always
    /// driven by the runtime of the request using it (see [`set_worker_index`]).
    clients: Clients,
    pub request_timeout: Duration,
    pub stream_idle_timeout: Duration,
    pub stream_total_timeout: Duration,
    /// Circuit breakers per deployment (model on this upstream), kept across reloads with the
    /// client.
    breakers: std::sync::Mutex<std::collections::HashMap<String, Arc<resilience::CircuitBreaker>>>,
    /// Requests on this upstream now, from the attempt until the answer's body (or stream) ends
    /// (least-outstanding balancing).
    pub outstanding: std::sync::atomic::AtomicU64,
}

/// A response whose headers have arrived; the body is still on the wire.
pub struct UpstreamResponse {
    pub response: http::Response<Incoming>,
    /// When the request was sent, so callers can bound the rest of the exchange.
    pub started: Instant,
    /// Counts the request against its upstream until this answer is over (set by the
    /// [`resilience::Exchange`]; a reader keeps it until the body ends).
    pub outstanding: Option<resilience::Outstanding>,
}

impl Upstream {
    /// A client for `cfg` with `pools` connection pools, one per worker thread.
    pub fn new(cfg: &UpstreamConfig, pools: usize) -> Result<Upstream, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(cfg.connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let pools = pools.max(1);
        let plain = cfg.base_url.parse::<Uri>().ok().and_then(|u| u.scheme().cloned())
            == Some(http::uri::Scheme::HTTP);
        // HTTP/2 without negotiation: h2c on `http`, `h2` as the only ALPN offer on `https`.
        let h2_only = cfg.http2 == UpstreamHttp2::PriorKnowledge;
        let builder = || {
            let mut b = Client::builder(TokioExecutor::new());
            b.pool_idle_timeout(cfg.pool_idle_timeout)
                .pool_max_idle_per_host(cfg.pool_max_idle_per_host)
                .pool_timer(TokioTimer::new())
                .timer(TokioTimer::new())
                .http2_only(h2_only)
                // A pooled HTTP/2 connection with streams open is pinged when quiet, so a dead
                // upstream fails its streams instead of leaving them to the idle timeouts.
                .http2_keep_alive_interval(H2_KEEPALIVE)
                .http2_keep_alive_timeout(H2_KEEPALIVE);
            b
        };
        let clients = if plain {
            Clients::Plain((0..pools).map(|_| builder().build(http.clone())).collect())
        } else {
            let tls = tls_config(cfg)?;
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http();
            // The ALPN offer: `h2` and `http/1.1` (the upstream picks), `h2` alone, or none
            // (HTTP/1.1).
            let https = match cfg.http2 {
                UpstreamHttp2::Auto => https.enable_all_versions().wrap_connector(http),
                UpstreamHttp2::PriorKnowledge => https.enable_http2().wrap_connector(http),
                UpstreamHttp2::Off => https.enable_http1().wrap_connector(http),
            };
            Clients::Tls((0..pools).map(|_| builder().build(https.clone())).collect())
        };
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
            responses_uri: uri(Endpoint::Responses.path())?,
            base_url: cfg.base_url.trim_end_matches('/').to_string(),
            auth,
            clients,
            request_timeout: cfg.request_timeout,
            stream_idle_timeout: cfg.stream_idle_timeout,
            stream_total_timeout: cfg.stream_total_timeout,
            breakers: std::sync::Mutex::new(std::collections::HashMap::new()),
            outstanding: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The API dialect this upstream speaks for Responses requests.
    pub fn api(&self) -> crate::config::UpstreamApi {
        self.config.api
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
            Endpoint::Responses => self.responses_uri.clone(),
        };
        let mut req = http::Request::new(Either::Left(Full::new(body)));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.dispatch(req, request_id).await
    }

    /// Relay a request of the rest of the surface: `method` on `path` (after `/v1`, with its
    /// query) under `base_url`, with the client's content headers (`content-type`,
    /// `content-length`, `accept`) and `body`, streamed as it arrives. The client's
    /// `Authorization` is never forwarded: the upstream's key is set here. Bounded by
    /// `request_timeout` until the response headers, as [`Upstream::send`].
    pub async fn forward(
        &self,
        method: Method,
        path: &str,
        headers: &http::HeaderMap,
        body: UpstreamBody,
        request_id: Option<&HeaderValue>,
    ) -> Result<UpstreamResponse, GatewayError> {
        let uri = format!("{}{}", self.base_url, path).parse::<Uri>().map_err(|e| {
            GatewayError::new(
                ErrorKind::InvalidRequest,
                "the request path is not a valid URI path",
            )
            .with_source(e)
        })?;
        let mut req = http::Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        for name in [CONTENT_TYPE, http::header::CONTENT_LENGTH, http::header::ACCEPT] {
            if let Some(v) = headers.get(&name) {
                h.insert(name, v.clone());
            }
        }
        self.dispatch(req, request_id).await
    }

    /// Send `req` with the upstream's key and the request id; wait (bounded by
    /// `request_timeout`) for the response headers.
    async fn dispatch(
        &self,
        mut req: http::Request<UpstreamBody>,
        request_id: Option<&HeaderValue>,
    ) -> Result<UpstreamResponse, GatewayError> {
        let h = req.headers_mut();
        if let Some(a) = &self.auth {
            h.insert(AUTHORIZATION, a.clone());
        }
        if let Some(id) = request_id {
            h.insert("x-request-id", id.clone());
        }
        // The attempt's span (current here) as the upstream's parent: `traceparent`.
        crate::telemetry::inject_current(h);
        let started = Instant::now();
        // Never empty (`pools.max(1)`); a thread outside the workers uses pool 0.
        let Some(sending) = self.clients.request(WORKER.with(std::cell::Cell::get), req) else {
            return Err(GatewayError::new(ErrorKind::Internal, "upstream has no client"));
        };
        match tokio::time::timeout(self.request_timeout, sending).await {
            Ok(Ok(response)) => Ok(UpstreamResponse {
                response,
                started,
                outstanding: None,
            }),
            Ok(Err(e)) => Err(classify_client_error(&self.name, e)),
            Err(_) => Err(GatewayError::timed_out(
                Timeout::Response,
                format!(
                    "upstream {:?} did not respond within {:?}",
                    self.name, self.request_timeout
                ),
            )),
        }
    }
}

fn classify_client_error(name: &str, e: hyper_util::client::legacy::Error) -> GatewayError {
    if e.is_connect() && caused_by_timeout(&e) {
        GatewayError::timed_out(
            Timeout::Connect,
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

/// Whether a timeout is somewhere in `e`'s cause chain, decided by type: an `io::Error` of kind
/// `TimedOut` (the connector's `connect_timeout` and the OS's `ETIMEDOUT` both are one) or
/// tokio's `Elapsed`. Never by text: the connector's timeout displays as "deadline has elapsed",
/// and a message may say "timed out" about anything.
fn caused_by_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        let timed_out = c
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || c.is::<tokio::time::error::Elapsed>();
        if timed_out {
            return true;
        }
        cause = c.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(base_url: &str) -> UpstreamConfig {
        UpstreamConfig {
            name: "u".into(),
            base_url: base_url.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
            stream_idle_timeout: Duration::from_secs(1),
            stream_total_timeout: Duration::from_secs(1),
            pool_idle_timeout: Duration::from_secs(1),
            pool_max_idle_per_host: 1,
            api: crate::config::UpstreamApi::Chat,
            http2: crate::config::UpstreamHttp2::Auto,
            extra_roots: Vec::new(),
        }
    }

    /// Timeouts are recognised by type anywhere in the cause chain, not by words: the
    /// connector's own timeout reads "deadline has elapsed", and a refusal that merely says
    /// "timed out" is not one.
    #[test]
    fn timeouts_are_recognised_by_type_not_text() {
        #[derive(Debug, thiserror::Error)]
        #[error("tcp connect error")]
        struct Wrapper(#[source] std::io::Error);
        let elapsed_io = std::io::Error::new(std::io::ErrorKind::TimedOut, "deadline has elapsed");
        assert!(caused_by_timeout(&Wrapper(elapsed_io)));
        let liar = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "peer timed out earlier");
        assert!(!caused_by_timeout(&Wrapper(liar)));
    }

    #[tokio::test]
    async fn plain_upstreams_get_clients_without_tls_and_https_ones_with_it() {
        let plain = Upstream::new(&cfg("http://127.0.0.1:9/v1"), 3).unwrap();
        assert!(matches!(plain.clients, Clients::Plain(ref c) if c.len() == 3));
        let upper = Upstream::new(&cfg("HTTP://127.0.0.1:9/v1"), 1).unwrap();
        assert!(matches!(upper.clients, Clients::Plain(_)));
        let tls = Upstream::new(&cfg("https://api.example.com/v1"), 2).unwrap();
        assert!(matches!(tls.clients, Clients::Tls(ref c) if c.len() == 2));
        // No pools asked for still means one.
        assert_eq!(
            Upstream::new(&cfg("http://127.0.0.1:9"), 0)
                .unwrap()
                .clients
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn a_plain_client_reaches_a_plain_upstream() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                .await
                .unwrap();
        });
        let up = Upstream::new(&cfg(&format!("http://{addr}/v1")), 1).unwrap();
        let resp = up
            .send(Endpoint::ChatCompletions, Bytes::from_static(b"{}"), None)
            .await
            .unwrap();
        assert_eq!(resp.response.status(), 200);
    }

    /// An `https://` upstream is spoken to in TLS (the first byte on the wire is a TLS handshake
    /// record), and one that cannot complete the handshake is a clear upstream failure, not a
    /// hang or a plaintext request.
    #[tokio::test]
    async fn an_https_upstream_gets_a_tls_handshake_and_a_failed_one_is_an_upstream_error() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let first_byte = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            b[0]
            // The socket closes here, mid-handshake.
        });
        let up = Upstream::new(&cfg(&format!("https://{addr}/v1")), 1).unwrap();
        let err = match up
            .send(Endpoint::ChatCompletions, Bytes::from_static(b"{}"), None)
            .await
        {
            Ok(r) => panic!("a failed handshake answered {}", r.response.status()),
            Err(e) => e,
        };
        assert_eq!(first_byte.await.unwrap(), 0x16, "not a TLS handshake record");
        assert_eq!(err.kind, ErrorKind::UpstreamUnreachable, "{err:?}");
    }
}
