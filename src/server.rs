//! The accept loop: plain TCP or rustls, one hyper connection task per client speaking HTTP/1.1
//! or HTTP/2 (prior knowledge on plain TCP, ALPN under TLS), and a graceful drain on shutdown.
//!
//! Invariants: every connection has a header read timeout (slow clients cannot hold a task
//! forever; on plain TCP it also bounds the wait for the first bytes that tell HTTP/2 from
//! HTTP/1); an HTTP/2 connection carries at most [`H2_MAX_CONCURRENT_STREAMS`] requests at once,
//! is pinged when quiet and closed when the peer is gone, and is closed once it has had no open
//! stream for that header read timeout (as an idle HTTP/1.1 keep-alive connection is); on
//! shutdown the listener closes first, then in-flight requests and streams (HTTP/2: after a
//! GOAWAY) get up to `drain_timeout` to finish before the remaining connections are dropped.

use crate::http::{Body, BodyError, BoxError, Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::server::graceful::Watcher;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tower::util::BoxCloneService;

/// The service a connection runs. Returning an error aborts the connection without a response;
/// only the mock does that on purpose (to simulate resets). The gateway's error type is
/// `Infallible`.
pub type ConnService = BoxCloneService<Request, Response, BoxError>;

/// How to serve connections.
#[derive(Clone)]
pub struct ServeOptions {
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub drain_timeout: Duration,
    pub tls: Option<TlsAcceptor>,
    /// Connection slots shared by several `serve` loops (worker threads), so that
    /// `max_connections` holds for the process; `None`: this loop's own.
    pub slots: Option<Arc<tokio::sync::Semaphore>>,
}

/// A connection accepted by the acceptor and dealt to a worker thread, with its slot.
pub struct Dealt {
    stream: std::net::TcpStream,
    slot: tokio::sync::OwnedSemaphorePermit,
    load: Arc<AtomicUsize>,
}

/// The acceptor's handle on one worker thread: where to send connections, and how many that
/// worker is serving now.
#[derive(Clone)]
pub struct Worker {
    pub tx: tokio::sync::mpsc::UnboundedSender<Dealt>,
    pub load: Arc<AtomicUsize>,
}

impl Worker {
    pub fn new() -> (Worker, tokio::sync::mpsc::UnboundedReceiver<Dealt>) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (
            Worker {
                tx,
                load: Arc::new(AtomicUsize::new(0)),
            },
            rx,
        )
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(30),
            tls: None,
            slots: None,
        }
    }
}

/// Serve the connections an acceptor deals to this worker thread until it stops dealing, then
/// drain them; returns those still open after the drain period.
pub async fn serve_dealt(
    mut incoming: tokio::sync::mpsc::UnboundedReceiver<Dealt>,
    svc: ConnService,
    opts: ServeOptions,
) -> Leftover {
    let svc = HyperAdapter { svc };
    let conns = Connections::new();
    while let Some(Dealt { stream, slot, load }) = incoming.recv().await {
        match TcpStream::from_std(stream) {
            Ok(stream) => spawn_connection(stream, &svc, &conns, &opts, slot, load),
            Err(_) => {
                load.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
    conns.drain(opts.drain_timeout).await
}

/// Serve one connection on a task of its own; `load` counts it (incremented by the caller) until
/// it closes, and `slot` holds its place under the connection cap.
fn spawn_connection(
    stream: TcpStream,
    svc: &HyperAdapter,
    conns: &Connections,
    opts: &ServeOptions,
    slot: tokio::sync::OwnedSemaphorePermit,
    load: Arc<AtomicUsize>,
) {
    let conn = serve_connection(stream, svc.clone(), conns.watch(), opts.clone());
    tokio::spawn(async move {
        conn.await;
        load.fetch_sub(1, Ordering::Relaxed);
        drop(slot);
    });
}

/// One serve loop's connections: hyper-util's graceful shutdown, which waits until every
/// connection's [`Watcher`] is gone, and the drain signal an HTTP/2 connection waits for itself
/// (it is not handed to the watcher, so that it can also be closed gracefully when idle).
struct Connections {
    graceful: GracefulShutdown,
    draining: tokio::sync::watch::Sender<bool>,
}

/// What one connection holds of [`Connections`].
struct ConnWatch {
    watcher: Watcher,
    draining: tokio::sync::watch::Receiver<bool>,
}

impl Connections {
    fn new() -> Self {
        Connections {
            graceful: GracefulShutdown::new(),
            draining: tokio::sync::watch::Sender::new(false),
        }
    }

    fn watch(&self) -> ConnWatch {
        ConnWatch {
            watcher: self.graceful.watcher(),
            draining: self.draining.subscribe(),
        }
    }

    /// Let this thread's connections finish, up to `timeout`; those still open then are the
    /// [`Leftover`].
    async fn drain(self, timeout: Duration) -> Leftover {
        self.draining.send_replace(true);
        let mut all = Box::pin(self.graceful.shutdown());
        tokio::select! {
            () = &mut all => {
                tracing::info!("all connections drained");
                Leftover(None)
            }
            () = tokio::time::sleep(timeout) => {
                tracing::warn!("drain timeout reached; closing remaining connections");
                Leftover(Some(all))
            }
        }
    }
}

/// The connections of a serve loop still open when its drain period ran out. They are closed
/// when the runtime serving them stops; until then they are served. [`Leftover::grace`] lets
/// them end first, for a bounded while: an answer the background jobs' drain made meanwhile
/// (a submit refused with a 503) is then written before the runtime goes.
pub struct Leftover(Option<Pin<Box<dyn Future<Output = ()> + Send>>>);

impl Leftover {
    /// Wait until the connections left have ended, at most `limit`.
    pub async fn grace(self, limit: Duration) {
        if let Some(all) = self.0 {
            if tokio::time::timeout(limit, all).await.is_err() {
                tracing::debug!("connections still open after the answer grace; closing them");
            }
        }
    }
}

impl Worker {
    /// Hand `stream` to this worker; gives it back when the worker has stopped.
    fn deal(
        &self,
        stream: std::net::TcpStream,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Option<(std::net::TcpStream, tokio::sync::OwnedSemaphorePermit)> {
        self.load.fetch_add(1, Ordering::Relaxed);
        let dealt = Dealt {
            stream,
            slot,
            load: self.load.clone(),
        };
        match self.tx.send(dealt) {
            Ok(()) => None,
            Err(tokio::sync::mpsc::error::SendError(d)) => {
                d.load.fetch_sub(1, Ordering::Relaxed);
                Some((d.stream, d.slot))
            }
        }
    }
}

/// Build a TLS acceptor from PEM certificate chain and private key files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("server.tls.cert: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("server.tls.cert: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("server.tls.key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("server.tls: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("server.tls: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// The response body on the wire (see [`BodyError`] for why the error type is concrete).
type WireBody = http_body_util::combinators::MapErr<Body, fn(BoxError) -> BodyError>;

/// Adapts a [`ConnService`] to hyper with concrete types only (generic adaptors trip rustc's
/// higher-ranked lifetime inference inside spawned futures).
#[derive(Clone)]
struct HyperAdapter {
    svc: ConnService,
}

impl hyper::service::Service<http::Request<Incoming>> for HyperAdapter {
    type Response = http::Response<WireBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        let req: Request = req.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync());
        // Invariant: every ConnService (the gateway stack, the mock) is always ready — no layer
        // applies backpressure through poll_ready — so `call` without awaiting readiness is
        // sound. Awaiting `ready()` here would put the generic service type into this future,
        // which rustc cannot prove Send for all lifetimes. Load shedding, when added, must
        // answer with a response (429/503), not through poll_ready.
        let fut = tower::Service::call(&mut self.svc.clone(), req);
        Box::pin(async move {
            let resp: Response = fut.await?;
            Ok(resp.map(|b| b.map_err(BodyError as fn(BoxError) -> BodyError)))
        })
    }
}

/// Most streams (requests) a client may have open at once on one HTTP/2 connection.
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 256;
/// An HTTP/2 connection is pinged after this long without a frame from the client, and closed if
/// the ping is not answered within as long again (a dead peer does not hold its slot).
pub const H2_KEEPALIVE: Duration = Duration::from_secs(20);

/// The client connection preface of HTTP/2 (RFC 9113, 3.4): a plain-TCP client that begins with
/// it speaks HTTP/2 with prior knowledge (h2c); anything else is HTTP/1.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The protocol a connection speaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proto {
    Http1,
    Http2,
}

/// Which protocol a plain-TCP client speaks, from the first bytes it sent (peeked, so hyper
/// reads them again): HTTP/2 when they are the connection preface, else HTTP/1. Decided at the
/// first byte that differs from the preface, so an HTTP/1 request costs one peek. `None` when the
/// socket fails. The caller bounds the wait by `header_read_timeout`.
async fn sniff(stream: &TcpStream) -> Option<Proto> {
    let mut buf = [0u8; 24];
    let mut pause = Duration::from_millis(1);
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        let seen = buf.get(..n)?;
        if n == 0 || seen != H2_PREFACE.get(..n)? {
            // End of stream too: hyper's HTTP/1 side closes it as it does today.
            return Some(Proto::Http1);
        }
        if n == H2_PREFACE.len() {
            return Some(Proto::Http2);
        }
        // Part of the preface is in: peek returns at once until more arrives, so wait a little
        // (growing) rather than spin.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// hyper's own ceiling on an HTTP/1 request head (request line and headers), in bytes: the most
/// its read buffer may grow to. Above it hyper answers 431 itself, with an empty body, before any
/// service runs; below it the gateway's own limits (`[server] max_header_bytes`, checked in the
/// stack) answer 431 in the OpenAI error shape. hyper checks the bound between reads, so a head
/// somewhat larger (up to about twice) can still get through to the stack. The buffer starts
/// at 8 KiB and grows only as a request needs, so an idle connection holds no more than with
/// hyper's default (~400 KiB).
pub const MAX_HEAD_BYTES: usize = 1024 * 1024;
/// hyper's own ceiling on the number of request header fields (HTTP/1): its default, left
/// unset, because any explicit bound makes hyper allocate the header arrays on the heap for
/// every request it parses (a bound of 1000 was ~64 KB per request); up to 100 they stay on the
/// stack. The gateway's own `[server] max_headers` may be set lower and is checked in the
/// stack; above this ceiling hyper answers its own empty 431.
pub const MAX_HEADER_FIELDS: usize = 100;

fn http1_builder(opts: &ServeOptions) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    builder
}

fn http2_builder() -> hyper::server::conn::http2::Builder<TokioExecutor> {
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
        // The same ceiling as HTTP/1's (h2 counts 32 bytes more per field): above it h2 answers
        // a bare 431 itself; below it the gateway's own limits answer.
        .max_header_list_size(u32::try_from(MAX_HEAD_BYTES).unwrap_or(u32::MAX))
        .keep_alive_interval(H2_KEEPALIVE)
        .keep_alive_timeout(H2_KEEPALIVE);
    builder
}

/// Serve an HTTP/2 connection until it ends, or until it has had no open stream through a whole
/// `idle_after` period (an idle HTTP/1.1 keep-alive connection is closed by its header read
/// timeout; this is the same bound, so idle connections cannot hold the slots).
///
/// Either way (drain or idle) it closes gracefully: a GOAWAY tells the client to open no new
/// stream on it, and the streams already open finish (RFC 9113, 6.8). Dropping it instead would
/// reset a request the client sent just as the period ran out.
async fn serve_h2<I>(
    io: I,
    svc: HyperAdapter,
    watch: ConnWatch,
    idle_after: Duration,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let ConnWatch {
        watcher,
        mut draining,
    } = watch;
    let streams = Arc::new(StreamCount::default());
    let svc = H2Adapter {
        inner: svc,
        streams: streams.clone(),
    };
    let mut conn = std::pin::pin!(http2_builder().serve_connection(io, svc));
    let closing = async {
        tokio::select! {
            () = idle(&streams, idle_after) => "idle",
            () = async {
                if draining.wait_for(|d| *d).await.is_err() {
                    // The serve loop is gone without draining: only the idle bound is left.
                    std::future::pending::<()>().await;
                }
            } => "draining",
        }
    };
    let why = tokio::select! {
        r = conn.as_mut() => return r,
        why = closing => why,
    };
    tracing::debug!(why, "closing an HTTP/2 connection gracefully");
    conn.as_mut().graceful_shutdown();
    let r = conn.await;
    // Held until here: the drain waits for this connection's end.
    drop(watcher);
    r
}

/// Resolves when two checks `period` apart found no stream open and none begun in between.
async fn idle(streams: &StreamCount, period: Duration) {
    let mut idle_at: Option<usize> = None;
    loop {
        tokio::time::sleep(period).await;
        let begun = streams.begun.load(Ordering::Relaxed);
        if streams.open.load(Ordering::Relaxed) > 0 {
            idle_at = None;
        } else if idle_at == Some(begun) {
            return;
        } else {
            idle_at = Some(begun);
        }
    }
}

/// The streams of one HTTP/2 connection: open now, and begun so far.
#[derive(Default)]
struct StreamCount {
    open: AtomicUsize,
    begun: AtomicUsize,
}

/// Counts one stream as open until dropped (with its response body, or with the request's
/// future when there is no response).
struct StreamGuard(Arc<StreamCount>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// [`HyperAdapter`] counting the streams of an HTTP/2 connection.
#[derive(Clone)]
struct H2Adapter {
    inner: HyperAdapter,
    streams: Arc<StreamCount>,
}

pin_project_lite::pin_project! {
    /// A response body holding its stream's [`StreamGuard`].
    struct CountedBody {
        #[pin]
        inner: WireBody,
        guard: StreamGuard,
    }
}

impl http_body::Body for CountedBody {
    type Data = bytes::Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, BodyError>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl hyper::service::Service<http::Request<Incoming>> for H2Adapter {
    type Response = http::Response<CountedBody>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        self.streams.open.fetch_add(1, Ordering::Relaxed);
        self.streams.begun.fetch_add(1, Ordering::Relaxed);
        let guard = StreamGuard(self.streams.clone());
        let fut = hyper::service::Service::call(&self.inner, req);
        Box::pin(async move {
            let resp = fut.await?;
            Ok(resp.map(|inner| CountedBody { inner, guard }))
        })
    }
}

/// Serve one connection: HTTP/1.1 or HTTP/2 (prior knowledge on plain TCP, ALPN `h2` under TLS).
async fn serve_connection(stream: TcpStream, svc: HyperAdapter, watch: ConnWatch, opts: ServeOptions) {
    let timeout = opts.header_read_timeout;
    let result = match &opts.tls {
        None => match tokio::time::timeout(timeout, sniff(&stream)).await {
            Ok(Some(Proto::Http1)) => {
                watch
                    .watcher
                    .watch(http1_builder(&opts).serve_connection(TokioIo::new(stream), svc))
                    .await
            }
            // Boxed: an HTTP/2 connection's state is larger than an HTTP/1 one's, and an async
            // fn's state is as big as its largest branch.
            Ok(Some(Proto::Http2)) => Box::pin(serve_h2(TokioIo::new(stream), svc, watch, timeout)).await,
            Ok(None) | Err(_) => return,
        },
        // Boxed: a TLS session is large (as above); inline, every plain connection's task would
        // carry room for one.
        Some(acceptor) => {
            let acceptor = acceptor.clone();
            let tls = Box::pin(async move {
                let tls = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return None;
                    }
                    Err(_) => return None,
                };
                // Under TLS the protocol is the one ALPN agreed on (RFC 9113, 3.3).
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
                Some(if h2 {
                    serve_h2(TokioIo::new(tls), svc, watch, timeout).await
                } else {
                    watch
                        .watcher
                        .watch(http1_builder(&opts).serve_connection(TokioIo::new(tls), svc))
                        .await
                })
            });
            let Some(result) = tls.await else {
                return;
            };
            result
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Serve `svc` on `listener` until `shutdown` resolves, then drain; returns the connections
/// still open after the drain period.
pub async fn serve(
    listener: TcpListener,
    svc: ConnService,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Leftover {
    serve_dealing(listener, Vec::new(), svc, opts, shutdown).await
}

/// Accept on `listener` and hand each connection to the least busy of this thread and `workers`
/// (by open connections), so that a few long-lived keep-alive connections cannot pile up on one
/// thread the way `SO_REUSEPORT` hashing lets them. Stops accepting when `shutdown` resolves
/// (the workers then stop too), then drains this thread's connections.
pub async fn serve_dealing(
    listener: TcpListener,
    workers: Vec<Worker>,
    svc: ConnService,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Leftover {
    let here = Arc::new(AtomicUsize::new(0));
    let svc = HyperAdapter { svc };
    let conns = Connections::new();
    let slots = opts
        .slots
        .clone()
        .unwrap_or_else(|| Arc::new(tokio::sync::Semaphore::new(opts.max_connections.max(1))));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // At the cap, stop accepting until a connection closes (backpressure, not errors).
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(e) => {
                // Out of file descriptors and similar: back off briefly rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // The least busy thread serves it; ties stay here (no hand-off).
        let target = workers
            .iter()
            .min_by_key(|w| w.load.load(Ordering::Relaxed))
            .filter(|w| w.load.load(Ordering::Relaxed) < here.load(Ordering::Relaxed));
        let (stream, slot) = match target {
            None => (stream, slot),
            Some(w) => {
                let Ok(std_stream) = stream.into_std() else {
                    continue;
                };
                // A worker that has stopped gives the connection back: serve it here.
                let Some((std_stream, slot)) = w.deal(std_stream, slot) else {
                    continue;
                };
                let Ok(stream) = TcpStream::from_std(std_stream) else {
                    continue;
                };
                (stream, slot)
            }
        };
        here.fetch_add(1, Ordering::Relaxed);
        spawn_connection(stream, &svc, &conns, &opts, slot, here.clone());
    }
    drop(listener);
    // Dropping the senders stops the workers, which drain on their own threads.
    drop(workers);
    conns.drain(opts.drain_timeout).await
}
