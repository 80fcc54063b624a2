//! The one tower stack, outermost layer first:
//!
//! 1. catch-panic: a bug in a handler becomes an OpenAI-shaped 500, never a dropped connection;
//! 2. header size, as the client sent it (before an id is added), for stage 4; request id: taken from `x-request-id` when it is short and of safe characters
//!    ([`client_request_id_ok`]), otherwise generated, and echoed on the response;
//! 3. observe: in-flight gauge, request count and duration (at body end), overhead, access log;
//! 4. header limits, then auth: a header block over `[server] max_header_bytes` or with more
//!    than `max_headers` fields is a 431 ([`check_header_limits`]), on every path; then bearer
//!    key -> team (401 otherwise) for `/v1/*`;
//! 5. handler: dispatch by method and path; the only place a [`GatewayError`] becomes a response.
//!
//! Invariant: the service handed to hyper has `Error = Infallible`.

use crate::config::{hash_key, AuthMode, Config};
use crate::error::{ErrorKind, ErrorMark, GatewayError};
use crate::http::{self as h, Request, Response};
use crate::metrics::{CircuitState, EndpointLabel, Metrics, RequestLabels};
use crate::proxy;
use crate::state::{AppState, LiveState, RequestInfo, Team};
use crate::telemetry;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::util::BoxCloneService;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tracing::Instrument;

/// A boxed service of the stack (concrete types at layer boundaries keep errors readable).
pub type AppService = BoxCloneService<Request, Response, Infallible>;

/// Build the gateway's service stack.
pub fn build(state: Arc<AppState>) -> AppService {
    build_live(Arc::new(arc_swap::ArcSwap::new(state)))
}

/// Build the stack over a live (reloadable) state.
pub fn build_live(live: LiveState) -> AppService {
    let metrics = live.load().metrics.clone();
    let svc = ServiceBuilder::new()
        // tower-http's boxed body is its own type; re-box into ours (one allocation).
        .map_response(|r: http::Response<_>| r.map(h::boxed))
        .layer(CatchPanicLayer::custom(panic_response))
        .map_request(drop_unsafe_request_id)
        .layer(SetRequestIdLayer::x_request_id(MakeId::default()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(ObserveLayer { metrics })
        .layer(AuthLayer { live: live.clone() })
        .service(BoxCloneService::new(Handler { live }));
    BoxCloneService::new(svc)
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> http::Response<http_body_util::Full<Bytes>> {
    tracing::error!("handler panicked; answered 500");
    let e = GatewayError::new(
        ErrorKind::Internal,
        "internal error in the gateway (panic caught); this is a bug",
    );
    let mut resp = http::Response::new(http_body_util::Full::new(e.body()));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Request ids: a per-process random prefix and a counter; cheap and unique enough for logs.
#[derive(Clone)]
struct MakeId {
    prefix: Arc<str>,
    next: Arc<AtomicU64>,
}

impl Default for MakeId {
    fn default() -> Self {
        MakeId {
            prefix: Arc::from(format!("gbx-{:08x}", fastrand::u32(..)).as_str()),
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n:x}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// Longest client `x-request-id` kept; a longer one is replaced by a generated id.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// A client's request id is kept only if it is at most [`MAX_REQUEST_ID_BYTES`] long and made of
/// `[A-Za-z0-9._:-]`: it is echoed, sent upstream and written into the access log, so an
/// unbounded or arbitrary value would be an amplification and log-injection vector.
pub fn client_request_id_ok(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= MAX_REQUEST_ID_BYTES
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Remove a client `x-request-id` that is not [`client_request_id_ok`] (or is sent more than
/// once), so the request-id layer generates one instead; the bad value is never echoed,
/// forwarded or logged.
fn drop_unsafe_request_id(mut req: Request) -> Request {
    let headers = req.headers_mut();
    let mut values = headers.get_all("x-request-id").iter();
    let keep = match (values.next(), values.next()) {
        (None, _) => true,
        (Some(v), None) => client_request_id_ok(v.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        headers.remove("x-request-id");
    }
    req
}

/// Health, readiness and metrics: served without client auth, at the root only (`/metrics`
/// asks for its own token when `[metrics] bearer_token_env` is set).
fn is_ops_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

fn endpoint_of(path: &str) -> EndpointLabel {
    if is_ops_path(path) {
        return EndpointLabel::Ops;
    }
    match strip_v1(path) {
        "/chat/completions" => EndpointLabel::ChatCompletions,
        "/embeddings" => EndpointLabel::Embeddings,
        p if p == "/responses" || p.starts_with("/responses/") => EndpointLabel::Responses,
        "/route" => EndpointLabel::Route,
        p if p == "/models" || p.starts_with("/models/") => EndpointLabel::Models,
        p => proxy::passthrough::family(p).unwrap_or(EndpointLabel::Other),
    }
}

/// Clients configure either `http://gw/v1` or `http://gw` as base URL; accept both.
fn strip_v1(path: &str) -> &str {
    path.strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

// ---------------------------------------------------------------------------------------------
// Observe layer

#[derive(Clone)]
struct ObserveLayer {
    metrics: Metrics,
}

impl Layer<AppService> for ObserveLayer {
    type Service = Observe;
    fn layer(&self, inner: AppService) -> Observe {
        Observe {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Clone)]
struct Observe {
    inner: AppService,
    metrics: Metrics,
}

impl Service<Request> for Observe {
    type Response = http::Response<ObservedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let start = Instant::now();
        let endpoint = endpoint_of(req.uri().path());
        let request_id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        // The guard exists from here on: a client that leaves before the headers drops this
        // future, and the record still ends the in-flight count and writes its line (499).
        let mut record = Record {
            metrics: self.metrics.clone(),
            start,
            endpoint,
            status: CLIENT_CLOSED_REQUEST,
            method: req.method().clone(),
            path_label: endpoint.as_str(),
            request_id,
            info: RequestInfo::default(),
            error: None,
            overhead: Duration::ZERO,
            done: false,
            span: tracing::Span::none(),
        };
        record.metrics.in_flight().inc();
        // The server span: a no-op handle unless traces are exported. The stages' spans are its
        // children (the handler runs in it); it ends with the record.
        let span = server_span(&req, endpoint);
        let show_trace = telemetry::on() && req.headers().get("x-gearbox-trace").is_some_and(|v| v == "1");
        let fut = span.in_scope(|| self.inner.call(req));
        record.span = span.clone();
        Box::pin(
            async move {
                let mut resp = match fut.await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                if show_trace {
                    if let Some(v) =
                        telemetry::traceparent(&record.span).and_then(|t| HeaderValue::from_str(&t).ok())
                    {
                        resp.headers_mut().insert("traceparent", v);
                    }
                }
                let mut info = resp
                    .extensions()
                    .get::<RequestInfo>()
                    .cloned()
                    .unwrap_or_default();
                // Answers without a handler's `RequestInfo` (refusals, errors, listings) still name
                // the authenticated team.
                if info.team.is_none() {
                    info.team = resp.extensions().get::<Team>().map(|t| t.0.clone());
                }
                let error = resp.extensions().get::<ErrorMark>().map(|m| m.0);
                if let Some(kind) = error {
                    record.metrics.record_error(kind);
                }
                let overhead = start.elapsed().saturating_sub(info.upstream_wait);
                // Overhead is known when the handler accounted for upstream time (RequestInfo), or
                // when the gateway refused on its own (a client fault: no upstream involved). An
                // upstream failure's wait is not attributed to the gateway.
                let known = resp.extensions().get::<RequestInfo>().is_some()
                    || error.is_some_and(|k| k.fault() == crate::error::Fault::Client);
                if known && endpoint != EndpointLabel::Ops && endpoint != EndpointLabel::Other {
                    record.metrics.record_overhead(endpoint, overhead);
                }
                record.status = resp.status().as_u16();
                record.info = info;
                record.error = error;
                record.overhead = overhead;
                Ok(resp.map(|b| ObservedBody { inner: b, record }))
            }
            .instrument(span),
        )
    }
}

/// The request's server span (OTel HTTP semantic conventions), continuing the client's
/// `traceparent` when it sent one. Disabled, at the cost of a load, when traces are off.
fn server_span(req: &Request, endpoint: EndpointLabel) -> tracing::Span {
    use tracing::field::Empty;
    // Health checks and scrapes are not traced.
    if endpoint == EndpointLabel::Ops {
        return tracing::Span::none();
    }
    let route = http_route(endpoint);
    let span = telemetry::stage_span!(
        "request",
        otel.name = %format_args!("{} {}", req.method(), route.unwrap_or("")),
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %req.method(),
        url.path = req.uri().path(),
        http.route = route,
        http.response.status_code = Empty,
        error.type = Empty,
        gearbox.request_id = Empty,
        gearbox.team = Empty,
        gearbox.route = Empty,
        gearbox.cache = Empty,
        gearbox.rewritten = Empty,
        gen_ai.operation.name = Empty,
        gen_ai.request.model = Empty,
        gen_ai.request.reasoning_effort = Empty,
        gen_ai.response.model = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        gen_ai.usage.reasoning_tokens = Empty,
    );
    if telemetry::on() {
        telemetry::start_trace(&span, req.headers());
    }
    span
}

/// The route template of an endpoint (`http.route`), for the server span's name.
fn http_route(endpoint: EndpointLabel) -> Option<&'static str> {
    Some(match endpoint {
        EndpointLabel::ChatCompletions => "/v1/chat/completions",
        EndpointLabel::Embeddings => "/v1/embeddings",
        EndpointLabel::Responses => "/v1/responses",
        EndpointLabel::Completions => "/v1/completions",
        EndpointLabel::Moderations => "/v1/moderations",
        EndpointLabel::Audio => "/v1/audio",
        EndpointLabel::Images => "/v1/images",
        EndpointLabel::Files => "/v1/files",
        EndpointLabel::Batches => "/v1/batches",
        EndpointLabel::Uploads => "/v1/uploads",
        EndpointLabel::Models => "/v1/models",
        EndpointLabel::Route => "/v1/route",
        EndpointLabel::Ops | EndpointLabel::Other => return None,
    })
}

/// The status logged for a client that closed its connection before the response headers
/// (nginx's convention: no response was sent).
const CLIENT_CLOSED_REQUEST: u16 = 499;

/// Everything recorded when a response body ends, or when it or the handler's future is
/// dropped by a departing client: a guard, finished exactly once.
struct Record {
    metrics: Metrics,
    start: Instant,
    endpoint: EndpointLabel,
    status: u16,
    method: Method,
    path_label: &'static str,
    request_id: String,
    info: RequestInfo,
    error: Option<ErrorKind>,
    overhead: Duration,
    done: bool,
    /// The server span, ended (dropped) when the record finishes.
    span: tracing::Span,
}

impl Record {
    fn finish(&mut self, complete: bool) {
        if self.done {
            return;
        }
        self.done = true;
        let elapsed = self.start.elapsed();
        self.metrics.in_flight().dec();
        let trace_id = telemetry::trace_id(&self.span);
        if !self.span.is_disabled() {
            self.end_span(complete);
        }
        let info = &self.info;
        let labels = RequestLabels {
            endpoint: self.endpoint,
            team: info.team.as_deref().unwrap_or("-"),
            model: info.model_label.as_deref().unwrap_or("-"),
            route: if info.route.is_empty() { "-" } else { info.route },
        };
        self.metrics.record_request(&labels, self.status, elapsed);
        if self.endpoint == EndpointLabel::Ops {
            return;
        }
        let usage = info.usage.get();
        crate::access::emit(&crate::access::Line {
            request_id: &self.request_id,
            method: self.method.as_str(),
            endpoint: self.path_label,
            status: self.status,
            team: labels.team,
            route: labels.route,
            model: info.model.as_deref().unwrap_or("-"),
            cache: if info.cache.is_empty() { "-" } else { info.cache },
            rewritten: info.rewritten,
            error: self.error.map(|k| k.code()).unwrap_or("-"),
            latency_ms: elapsed.as_secs_f64() * 1000.0,
            upstream_ms: info.upstream_wait.as_secs_f64() * 1000.0,
            overhead_ms: self.overhead.as_secs_f64() * 1000.0,
            prompt_tokens: usage.map_or(0, |u| u.prompt_tokens),
            completion_tokens: usage.map_or(0, |u| u.completion_tokens),
            complete,
            trace_id: trace_id.as_deref(),
        });
    }

    /// Fill in the server span's answer (status, team, route, models, usage) and end it.
    fn end_span(&mut self, complete: bool) {
        let span = std::mem::replace(&mut self.span, tracing::Span::none());
        let info = &self.info;
        span.record("http.response.status_code", i64::from(self.status));
        span.record("gearbox.request_id", self.request_id.as_str());
        if let Some(t) = &info.team {
            span.record("gearbox.team", &**t);
        }
        if !info.route.is_empty() {
            span.record("gearbox.route", info.route);
        }
        if !info.cache.is_empty() {
            span.record("gearbox.cache", info.cache);
        }
        span.record("gearbox.rewritten", info.rewritten);
        if let Some(m) = &info.model {
            span.record("gen_ai.response.model", m.as_str());
        }
        if let Some(u) = info.usage.get() {
            span.record("gen_ai.usage.input_tokens", telemetry::int(u.prompt_tokens));
            span.record("gen_ai.usage.output_tokens", telemetry::int(u.completion_tokens));
            if let Some(d) = &u.completion_tokens_details {
                span.record(
                    "gen_ai.usage.reasoning_tokens",
                    telemetry::int(d.reasoning_tokens),
                );
            }
        }
        if let Some(kind) = self.error {
            span.record("error.type", kind.code());
        }
        if self.status >= 500
            || self
                .error
                .is_some_and(|k| k.fault() != crate::error::Fault::Client)
        {
            span.record("otel.status_code", "ERROR");
        } else if !complete {
            // The client left before the end (or the body was cut short).
            span.record("error.type", "client_gone");
        }
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.done {
            // Unwinding from the handler: the catch-panic layer above answers 500.
            self.status = 500;
            self.error = Some(ErrorKind::Internal);
        }
        self.finish(false);
    }
}

pin_project! {
    /// A response body that records metrics and the access log line when it ends (its
    /// [`Record`] does, when dropped before the end).
    pub struct ObservedBody {
        #[pin]
        inner: h::Body,
        record: Record,
    }
}

impl http_body::Body for ObservedBody {
    type Data = Bytes;
    type Error = h::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h::BoxError>>> {
        let mut this = self.project();
        let r = this.inner.as_mut().poll_frame(cx);
        // hyper stops polling a sized body after its last frame, so end-of-stream is checked
        // after each frame too.
        match &r {
            Poll::Ready(None) => this.record.finish(true),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.record.finish(true),
            _ => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

// ---------------------------------------------------------------------------------------------
// Auth layer

#[derive(Clone)]
struct AuthLayer {
    live: LiveState,
}

impl Layer<AppService> for AuthLayer {
    type Service = AppService;
    fn layer(&self, inner: AppService) -> AppService {
        BoxCloneService::new(Auth {
            inner,
            live: self.live.clone(),
        })
    }
}

#[derive(Clone)]
struct Auth {
    inner: AppService,
    live: LiveState,
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is case-insensitive
/// (RFC 9110, 11.1), so `BEARER` and `bearer` are accepted as well.
fn bearer_token(v: &str) -> Option<&str> {
    let (scheme, token) = v.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The gateway's own bounds on a request's header block (hyper's ceilings, far above, only stop
/// what could not be parsed): at most `max_headers` fields and `max_header_bytes` of names and
/// values together, as the client sent them: the `x-request-id` the stack may have added is not
/// counted (a client's own is at most 128 bytes, so leaving it out changes nothing that
/// matters). Over either it is a 431 in the OpenAI error shape that names the sizes only, never
/// a header's value. Over HTTP/2 the same bounds hold (h2 hands the same header map to the same
/// stack).
fn check_header_limits(server: &crate::config::ServerConfig, req: &Request) -> Result<(), GatewayError> {
    let (mut fields, mut bytes) = (0usize, 0usize);
    for (name, value) in req.headers() {
        if name != "x-request-id" {
            fields += 1;
            bytes += name.as_str().len() + value.len();
        }
    }
    if fields > server.max_headers {
        return Err(GatewayError::new(
            ErrorKind::HeadersTooLarge,
            format!(
                "the request has {fields} header fields; at most {} are accepted ([server] max_headers)",
                server.max_headers
            ),
        ));
    }
    if bytes > server.max_header_bytes {
        return Err(GatewayError::new(
            ErrorKind::HeadersTooLarge,
            format!(
                "the request headers are {bytes} bytes (names and values); at most {} are accepted ([server] max_header_bytes)",
                server.max_header_bytes
            ),
        ));
    }
    Ok(())
}

/// Resolve the caller's team from `Authorization: Bearer <key>`.
fn authenticate(config: &Config, headers: &http::HeaderMap) -> Result<Team, GatewayError> {
    match config.auth.mode {
        AuthMode::None => Ok(Team(Arc::from(crate::config::DEFAULT_TEAM))),
        AuthMode::Keys => {
            let key = headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer_token)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    GatewayError::new(
                        ErrorKind::Unauthorized,
                        "You didn't provide an API key. Send your gateway key as `Authorization: Bearer <key>`.",
                    )
                })?;
            match config.auth.keys.get(&hash_key(key)) {
                Some(entry) => Ok(Team(entry.team.clone())),
                None => Err(GatewayError::new(
                    ErrorKind::Unauthorized,
                    "Incorrect API key provided. Ask your gateway operator for a key.",
                )),
            }
        }
    }
}

impl Service<Request> for Auth {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The snapshot this request will use to the end, reloads notwithstanding.
        let snapshot = self.live.load_full();
        if let Err(e) = check_header_limits(&snapshot.config.server, &req) {
            return Box::pin(async move { Ok(e.into_response()) });
        }
        if !is_ops_path(req.uri().path()) {
            let span = telemetry::stage_span!(
                "gearbox.auth",
                gearbox.auth.mode = ?snapshot.config.auth.mode,
                gearbox.team = tracing::field::Empty,
                error.type = tracing::field::Empty,
            );
            let auth = span.in_scope(|| authenticate(&snapshot.config, req.headers()));
            if !span.is_disabled() {
                match &auth {
                    Ok(team) => span.record("gearbox.team", &*team.0),
                    Err(e) => span.record("error.type", e.kind.code()),
                };
            }
            drop(span);
            match auth {
                Ok(team) => {
                    req.extensions_mut().insert(team);
                }
                Err(e) => return Box::pin(async move { Ok(e.into_response()) }),
            }
        }
        req.extensions_mut().insert(snapshot);
        self.inner.call(req)
    }
}

// ---------------------------------------------------------------------------------------------
// Handler

#[derive(Clone)]
struct Handler {
    live: LiveState,
}

impl Service<Request> for Handler {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let state = req
            .extensions()
            .get::<Arc<AppState>>()
            .cloned()
            .unwrap_or_else(|| self.live.load_full());
        // Known from authentication on: every answer carries it, refusals included, for the
        // access log and the request metrics.
        let team = req.extensions().get::<Team>().cloned();
        Box::pin(async move {
            let mut resp = match dispatch(state, req).await {
                Ok(r) => r,
                Err(e) => {
                    if e.kind.fault() != crate::error::Fault::Client {
                        let team = team.as_ref().map_or("-", |t| &*t.0);
                        tracing::warn!(code = e.kind.code(), team, error = %e, source = ?e.source, "request failed");
                    }
                    e.into_response()
                }
            };
            if let Some(t) = team {
                resp.extensions_mut().insert(t);
            }
            Ok(resp)
        })
    }
}

async fn dispatch(state: Arc<AppState>, req: Request) -> Result<Response, GatewayError> {
    let path = req.uri().path().to_string();
    let team = req.extensions().get::<Team>().cloned();
    let method = req.method().clone();
    let p = if is_ops_path(&path) {
        path.as_str()
    } else {
        strip_v1(&path)
    };
    match (&method, p) {
        (&Method::GET, "/healthz") => Ok(h::json(StatusCode::OK, r#"{"status":"ok"}"#)),
        (&Method::GET, "/readyz") => Ok(readiness(&state)),
        // With a listener of its own (`[metrics] listen`), the main listener does not serve it.
        (_, "/metrics") if state.config.metrics.listen.is_some() => Err(GatewayError::new(
            ErrorKind::NotFound,
            "no route for /metrics on this listener",
        )),
        (&Method::GET, "/metrics") => metrics_response(&state, req.headers()),
        (&Method::POST, "/chat/completions") => {
            let team = team.ok_or_else(no_team)?;
            proxy::chat::chat_completions(state, team, req).await
        }
        (&Method::POST, "/embeddings") => {
            let team = team.ok_or_else(no_team)?;
            proxy::embeddings::embeddings(state, team, req).await
        }
        (&Method::POST, "/responses") => {
            let team = team.ok_or_else(no_team)?;
            proxy::responses::create(state, team, req).await
        }
        (m, r) if r.starts_with("/responses/") => {
            let team = team.ok_or_else(no_team)?;
            let rest = r.strip_prefix("/responses/").unwrap_or_default();
            proxy::responses::stored(&state, &team, m, rest, req.uri().query()).await
        }
        (&Method::GET, "/gearbox/policy") => {
            let team = team.ok_or_else(no_team)?;
            proxy::team_policy(&state, &team)
        }
        (&Method::POST, "/route") => {
            let team = team.ok_or_else(no_team)?;
            proxy::route(state, team, req).await
        }
        (&Method::GET, "/models") => {
            let team = team.ok_or_else(no_team)?;
            proxy::models(&state, &team, None)
        }
        (&Method::GET, m) if m.starts_with("/models/") => {
            let team = team.ok_or_else(no_team)?;
            proxy::models(&state, &team, m.strip_prefix("/models/"))
        }
        (_, p) if proxy::passthrough::family(p).is_some() => {
            let team = team.ok_or_else(no_team)?;
            let family = proxy::passthrough::family(p).unwrap_or(EndpointLabel::Other);
            proxy::passthrough::relay(state, team, family, req).await
        }
        (
            _,
            "/chat/completions" | "/embeddings" | "/responses" | "/route" | "/models" | "/healthz" | "/readyz" | "/metrics",
        ) => Err(GatewayError::new(
            ErrorKind::MethodNotAllowed,
            format!("method {method} is not allowed on {}", truncate_path(&path)),
        )),
        _ => Err(GatewayError::new(
            ErrorKind::NotFound,
            format!(
                "no route for {method} {}; see GET /v1/models, POST /v1/chat/completions and POST /v1/responses",
                truncate_path(&path)
            ),
        )),
    }
}

/// The Prometheus text, to a scrape that brings `[metrics]`'s bearer token when one is set (401
/// otherwise: the metrics name teams and their spend).
fn metrics_response(state: &AppState, headers: &http::HeaderMap) -> Result<Response, GatewayError> {
    if let Some(want) = &state.config.metrics.bearer_token {
        let given = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        // Compared as digests, so the comparison's time says nothing about the token.
        if given.map(hash_key) != Some(hash_key(want.expose())) {
            return Err(GatewayError::new(
                ErrorKind::Unauthorized,
                "/metrics needs the metrics token: send `Authorization: Bearer <token>` ([metrics] bearer_token_env).",
            ));
        }
    }
    let mut resp = h::full(StatusCode::OK, state.metrics.render());
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(resp)
}

/// The service of `[metrics] listen`, a listener of its own: `GET /metrics` (with the token
/// when one is set) and nothing else, so the main port need not expose it.
pub fn build_metrics(live: LiveState) -> AppService {
    BoxCloneService::new(tower::service_fn(move |req: Request| {
        let state = live.load_full();
        let resp = match (req.method(), req.uri().path()) {
            (&Method::GET, "/metrics") => metrics_response(&state, req.headers()),
            _ => Err(GatewayError::new(
                ErrorKind::NotFound,
                "this listener serves GET /metrics only",
            )),
        };
        std::future::ready(Ok::<_, Infallible>(
            resp.unwrap_or_else(GatewayError::into_response),
        ))
    }))
}

/// Ready unless every deployment of a model that some policy routes to has an open circuit.
fn readiness(state: &AppState) -> Response {
    let cfg = &state.config;
    let mut required: Vec<&str> = Vec::new();
    for p in std::iter::once(&cfg.default_policy).chain(cfg.teams.values().map(|t| &t.policy)) {
        for m in [p.chat_model.as_str(), p.reasoning_model.as_str()] {
            if !required.contains(&m) {
                required.push(m);
            }
        }
    }
    let down: Vec<&str> = required
        .into_iter()
        .filter(|name| {
            cfg.models.get(*name).is_some_and(|m| {
                !m.deployments.is_empty()
                    && m.deployments.iter().all(|d| {
                        state
                            .upstreams
                            .get(&d.upstream)
                            .is_none_or(|u| u.breaker(&d.upstream_model).state() == CircuitState::Open)
                    })
            })
        })
        .collect();
    if down.is_empty() {
        h::json(StatusCode::OK, r#"{"status":"ready"}"#)
    } else {
        let body = serde_json::json!({"status": "unavailable", "models_down": down});
        h::json(StatusCode::SERVICE_UNAVAILABLE, body.to_string())
    }
}

fn truncate_path(p: &str) -> &str {
    match p.char_indices().nth(200) {
        Some((i, _)) => p.get(..i).unwrap_or(p),
        None => p,
    }
}

fn no_team() -> GatewayError {
    GatewayError::new(ErrorKind::Internal, "request reached a handler without a team")
}
