//! Gearbox: an OpenAI-compatible routing gateway.
//!
//! An app changes its base URL to Gearbox and every chat request passes through it: Gearbox
//! authenticates the caller's team, classifies requests for a routed name (`auto`) and sends
//! interactive work to a fast chat model and heavy analytic work to a reasoning model (adapting
//! the request for it: parameters, roles, goal-form prompt), serves repeated requests from a
//! cache, enforces declared JSON schemas on answers and tool calls, applies the team's limits and
//! budgets, and relays the answer — streaming event by event — over retried, balanced,
//! circuit-broken upstream deployments. Errors of its own are OpenAI-shaped JSON bodies (or an
//! SSE error event once a stream has started).
//!
//! Modules in reading order: [`config`] (the only reader of files and environment), [`api`]
//! (wire types and parsing), [`error`], [`state`] (the live state and what the layers hand each
//! other), [`app`] (the one tower stack), [`proxy`] (handlers and the request pipeline), the
//! pure decision modules [`classify`], [`route`], [`policy`], [`rewrite`] and [`schema`], then
//! [`cache`], [`limits`], [`upstream`] (the only module that opens connections: HTTP upstreams,
//! Redis, retries and circuit breakers), [`responses`] (the Responses API's translation and store), [`stream`] (SSE relay), [`metrics`], [`access`] (the
//! access log line), [`clock`] (UTC dates), [`reload`],
//! [`server`] (accept loop, TLS, drain) and [`mock`] (the upstream simulator).

// The release build's layout query of the server's nested async blocks (`app.rs`) is deeper
// than the default limit of 128.
#![recursion_limit = "256"]

pub mod access;
pub mod api;
pub mod app;
pub mod cache;
pub mod classify;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod mock;
pub mod policy;
pub mod proxy;
pub mod reload;
pub mod responses;
pub mod rewrite;
pub mod route;
pub mod schema;
pub mod script;
pub mod server;
pub mod state;
pub mod stream;
pub mod telemetry;
pub mod upstream;

use config::Config;
use error::StartupError;
use std::future::Future;
use tokio::net::TcpListener;

/// Serve the gateway on `listener` with `config` until `shutdown` resolves, then drain. One
/// serving loop on the caller's runtime (tests, embedding); the binary uses [`run_workers`].
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    let (svc, opts, _watch, jobs, metrics) = prepare(config)?;
    let _metrics = serve_metrics(metrics).await?;
    let period = opts.drain_timeout;
    let shutdown = drain_starts(shutdown, jobs.clone());
    let leftover = server::serve(listener, svc, opts, shutdown).await;
    jobs.drain(period).await;
    leftover.grace(ANSWER_GRACE).await;
    Ok(())
}

/// How long the connections still open after the drain period get, once the background jobs'
/// drain has returned, to write what it answered (a submit it refused with a 503) before their
/// runtime stops.
const ANSWER_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Serve with `config.server.workers` worker threads, each running its own single-threaded
/// runtime (see ARCHITECTURE.md, "Threads"). The caller's runtime accepts on `listener` and deals
/// each connection to the thread serving the fewest, itself included; it also runs the shared
/// background tasks (reload, Redis). When `shutdown` resolves every thread stops taking
/// connections and drains.
pub async fn run_workers(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartupError> {
    let workers = config.server.workers.max(1);
    let cpus = worker_cpus(config.server.pin_workers, workers);
    let (svc, opts, _watch, jobs, metrics) = prepare(config)?;
    let _metrics = serve_metrics(metrics).await?;
    let period = opts.drain_timeout;
    let shutdown = drain_starts(shutdown, jobs.clone());
    let mut dealers = Vec::new();
    let mut threads = Vec::new();
    for i in 1..workers {
        let (worker, incoming) = server::Worker::new();
        let (svc, opts, jobs) = (svc.clone(), opts.clone(), jobs.clone());
        let cpu = cpu_for(&cpus, i);
        let spawned = std::thread::Builder::new()
            .name(format!("gearbox-worker-{i}"))
            .spawn(move || {
                pin_to(cpu);
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        tracing::error!(worker = i, error = %e, "worker runtime failed to start");
                        return;
                    }
                };
                rt.block_on(async move {
                    upstream::set_worker_index(i);
                    let leftover = server::serve_dealt(incoming, svc, opts).await;
                    // Background jobs running on this thread need its runtime until they end,
                    // and its connections until they have written what the drain answered.
                    jobs.drain(period).await;
                    leftover.grace(ANSWER_GRACE).await;
                });
            });
        match spawned {
            Ok(t) => {
                threads.push(t);
                dealers.push(worker);
            }
            Err(e) => tracing::error!(worker = i, error = %e, "worker thread failed to start"),
        }
    }
    pin_to(cpu_for(&cpus, 0));
    upstream::set_worker_index(0);
    let leftover = server::serve_dealing(listener, dealers, svc, opts, shutdown).await;
    jobs.drain(period).await;
    leftover.grace(ANSWER_GRACE).await;
    for t in threads {
        let _ = tokio::task::spawn_blocking(move || t.join()).await;
    }
    // The worker threads wrote their access lines as they exited; now this thread's.
    access::flush();
    Ok(())
}

/// `shutdown`, which also starts the background jobs' drain period: unfinished jobs get the
/// same `drain_timeout` as connections, counted from the same instant, then are marked failed.
async fn drain_starts(shutdown: impl Future<Output = ()>, jobs: std::sync::Arc<responses::Jobs>) {
    shutdown.await;
    jobs.begin_drain();
}

/// The CPUs to pin workers to: those of the process's affinity mask, or none when pinning is off
/// or the mask cannot be read (then the workers float, with a warning).
fn worker_cpus(pin: bool, workers: usize) -> Vec<core_affinity::CoreId> {
    if !pin {
        return Vec::new();
    }
    match core_affinity::get_core_ids() {
        Some(ids) if !ids.is_empty() => {
            let assigned: Vec<usize> = (0..workers)
                .filter_map(|i| cpu_for(&ids, i).map(|c| c.id))
                .collect();
            tracing::info!(cpus = ?assigned, "pinning worker threads (worker i to the i-th CPU)");
            ids
        }
        _ => {
            tracing::warn!("pin_workers: cannot read this process's CPU set; workers are not pinned");
            Vec::new()
        }
    }
}

fn cpu_for(cpus: &[core_affinity::CoreId], worker: usize) -> Option<core_affinity::CoreId> {
    cpus.get(worker.checked_rem(cpus.len())?).copied()
}

/// Pin the calling thread (a failure is logged, never fatal: the worker then floats).
fn pin_to(cpu: Option<core_affinity::CoreId>) {
    if let Some(c) = cpu {
        if !core_affinity::set_for_current(c) {
            tracing::warn!(
                cpu = c.id,
                "pin_workers: could not pin a worker thread; it is not pinned"
            );
        }
    }
}

/// Print the bound address of a listener on stdout: `{what} listening on http://{addr}`
/// (scripts and tests read these lines).
pub fn announce(what: &str, addr: std::net::SocketAddr) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{what} listening on http://{addr}");
    let _ = out.flush();
}

/// The `[metrics] listen` listener's serving task; stops when dropped (with the gateway).
struct MetricsTask(tokio::task::JoinHandle<()>);

impl Drop for MetricsTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Bind `[metrics] listen` (when set), announce it (`metrics listening on http://ADDR`) and serve
/// `/metrics` there on the caller's runtime until the returned task is dropped.
async fn serve_metrics(
    metrics: Option<(std::net::SocketAddr, server::ConnService)>,
) -> Result<Option<MetricsTask>, StartupError> {
    let Some((addr, svc)) = metrics else {
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StartupError::Config(format!("  - metrics.listen: cannot listen on {addr}: {e}\n")))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "metrics listening");
    announce("metrics", bound);
    let opts = server::ServeOptions {
        max_connections: 64,
        header_read_timeout: std::time::Duration::from_secs(10),
        drain_timeout: std::time::Duration::ZERO,
        ..server::ServeOptions::default()
    };
    let task = tokio::spawn(async move {
        server::serve(listener, svc, opts, std::future::pending()).await;
    });
    Ok(Some(MetricsTask(task)))
}

/// Say at start-up what is open to whom: a gateway without client auth (allowed on a
/// non-loopback address only by `server.allow_unauthenticated`), and `/metrics` open on a
/// non-loopback address.
fn warn_exposure(config: &Config) {
    let listen = config.server.listen;
    if config.auth.mode == config::AuthMode::None {
        if config::is_loopback(&listen) {
            tracing::info!(%listen, "client auth is off (auth.mode = \"none\"): every local client is served");
        } else {
            tracing::warn!(
                %listen,
                "client auth is off on a non-loopback address (server.allow_unauthenticated = true): anyone who can reach it is served on the upstream keys"
            );
        }
    }
    let metrics_at = config.metrics.listen.unwrap_or(listen);
    if config.metrics.bearer_token.is_none() && !config::is_loopback(&metrics_at) {
        tracing::warn!(
            listen = %metrics_at,
            "/metrics (team names, spend) is served without a token on a non-loopback address; set [metrics] bearer_token_env, or [metrics] listen on a private address"
        );
    }
}

/// The service of a `[metrics] listen` listener and its address, when one is configured.
type MetricsListener = Option<(std::net::SocketAddr, server::ConnService)>;

/// What every serving loop shares: the service over the live state, the serve options (with one
/// connection cap for the process), the reload watcher's guard, the background jobs and the
/// metrics listener's service.
type Prepared = (
    server::ConnService,
    server::ServeOptions,
    Option<reload::WatchGuard>,
    std::sync::Arc<responses::Jobs>,
    MetricsListener,
);

/// Build what the serving loops share ([`Prepared`]).
fn prepare(config: Config) -> Result<Prepared, StartupError> {
    warn_exposure(&config);
    let metrics_listen = config.metrics.listen;
    let tls = match &config.server.tls {
        Some(t) => Some(server::tls_acceptor(&t.cert, &t.key).map_err(StartupError::Config)?),
        None => None,
    };
    let opts = server::ServeOptions {
        max_connections: config.server.max_connections,
        header_read_timeout: config.server.header_read_timeout,
        drain_timeout: config.server.drain_timeout,
        tls,
        slots: Some(std::sync::Arc::new(tokio::sync::Semaphore::new(
            config.server.max_connections.max(1),
        ))),
    };
    let reload_path = match &config.source {
        config::ConfigSource::File(p) if p.is_file() => Some(p.clone()),
        _ => None,
    };
    let state = state::AppState::new(config).map_err(StartupError::Config)?;
    let jobs = state.jobs.clone();
    let live: state::LiveState = std::sync::Arc::new(arc_swap::ArcSwap::new(state));
    // Hot reload of a config file (file changes and SIGHUP); the embedded default never changes.
    let watch = match reload_path {
        Some(p) => match reload::Reloader::new(live.clone(), p).watch() {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::warn!(error = %e, "hot reload unavailable");
                None
            }
        },
        None => None,
    };
    let infallible = |e: std::convert::Infallible| -> http::BoxError { match e {} };
    let metrics = metrics_listen.map(|addr| {
        let svc = app::build_metrics(live.clone());
        let svc: server::ConnService =
            tower::util::BoxCloneService::new(tower::ServiceExt::map_err(svc, infallible));
        (addr, svc)
    });
    let svc =
        tower::util::BoxCloneService::new(tower::ServiceExt::map_err(app::build_live(live), infallible));
    Ok((svc, opts, watch, jobs, metrics))
}

/// Serve the upstream simulator on `listener` until `shutdown` resolves.
pub async fn run_mock(listener: TcpListener, opts: mock::MockOptions, shutdown: impl Future<Output = ()>) {
    let svc = tower::util::BoxCloneService::new(mock::MockService::new(mock::MockState::new(opts)));
    let serve_opts = server::ServeOptions {
        drain_timeout: std::time::Duration::from_secs(5),
        ..server::ServeOptions::default()
    };
    let _ = server::serve(listener, svc, serve_opts, shutdown).await;
}
