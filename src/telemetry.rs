//! OpenTelemetry traces (`[tracing]`): the exporter pipeline the process installs at start-up,
//! W3C trace-context propagation, and the helpers the pipeline stages use for their spans.
//!
//! The stages create ordinary `tracing` spans under the target [`TARGET`]; the
//! `tracing-opentelemetry` layer that [`Telemetry::layer`] returns turns them into OTel spans,
//! which a batch processor exports over OTLP/HTTP (protobuf) through the gateway's own client
//! (`upstream::otlp`). Which attributes a span carries follows the OTel HTTP and GenAI semantic
//! conventions (see ARCHITECTURE.md, "Tracing").
//!
//! Invariants: off (no `[tracing]`, or `enabled = false`) nothing is installed and the spans'
//! callsites are disabled once, at registration, so a span costs one relaxed load on the hot
//! path; work that only feeds a span (formatting a name, injecting a header) is guarded by
//! [`on`]. Finished spans wait in a bounded queue and are dropped (and counted) when it is
//! full: export never blocks a request. Span attributes carry counts, names from config and
//! closed sets of words, never prompt text.

use crate::config::TracingConfig;
use crate::upstream::otlp::OtlpClient;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{FilterExt as _, Targets};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::registry::{LookupSpan, SpanRef};
use tracing_subscriber::{Layer, Registry};

/// The `tracing` target of every span meant for export. The log formatter never sees it (its
/// filter turns this target off), and the OTel layer sees nothing else.
pub const TARGET: &str = "gearbox::otel";

/// A span of the request pipeline: `tracing::info_span!` under [`TARGET`]. Disabled (a no-op
/// handle, fields not evaluated) unless the OTel layer is installed. It takes its parent from
/// the current span, never an explicit `parent:`: [`SampledParent`] decides from the current
/// span whether it belongs to an unsampled trace.
macro_rules! stage_span {
    ($name:expr $(, $($fields:tt)*)?) => {
        tracing::info_span!(target: "gearbox::otel", $name $(, $($fields)*)?)
    };
}
pub(crate) use stage_span;

static ON: AtomicBool = AtomicBool::new(false);

/// Whether trace export is installed in this process. Guards work done only for spans.
#[inline]
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The installed trace pipeline: keep it for the life of the process and [`shutdown`] it at
/// the end, which exports what is still queued.
///
/// [`shutdown`]: Telemetry::shutdown
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Build the exporter, the bounded batch processor and the sampler of `cfg`. Nothing is
    /// installed until the caller adds [`Telemetry::layer`] to its subscriber.
    pub fn start(cfg: &TracingConfig) -> Result<Telemetry, String> {
        let client = OtlpClient::new(cfg.export_timeout)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(cfg.traces_url.clone())
            .with_timeout(cfg.export_timeout)
            .build()
            .map_err(|e| format!("tracing: cannot build the OTLP exporter: {e}"))?;
        let pending = Arc::new(AtomicUsize::new(0));
        let batch = BatchConfigBuilder::default()
            .with_max_queue_size(cfg.max_queue_size)
            .with_max_export_batch_size(cfg.max_export_batch_size)
            .with_scheduled_delay(cfg.export_interval)
            .build();
        let processor = BatchSpanProcessor::builder(Counted {
            inner: exporter,
            pending: pending.clone(),
        })
        .with_batch_config(batch)
        .build();
        let root = Sampler::TraceIdRatioBased(cfg.sample_ratio);
        let sampler = if cfg.parent_based {
            Sampler::ParentBased(Box::new(root))
        } else {
            root
        };
        let provider = SdkTracerProvider::builder()
            .with_span_processor(Bounded {
                inner: processor,
                pending,
                capacity: cfg.max_queue_size,
            })
            .with_sampler(sampler)
            .with_resource(
                Resource::builder_empty()
                    .with_attributes([
                        KeyValue::new("service.name", cfg.service_name.clone()),
                        KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
                    ])
                    .build(),
            )
            .build();
        Ok(Telemetry { provider })
    }

    /// The `tracing` layer that turns the pipeline's spans (target [`TARGET`], and only those)
    /// into OTel spans. Adding it to the subscriber switches [`on`] on.
    pub fn layer(&self) -> Box<dyn Layer<Registry> + Send + Sync> {
        ON.store(true, Ordering::Relaxed);
        otel_layer(&self.provider)
    }

    /// Export what is queued now (tests; `shutdown` does it too).
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            tracing::warn!(error = %e, "tracing: flushing spans failed");
        }
    }

    /// Export what is still queued (bounded by the export timeout) and stop the exporter.
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "tracing: shutting the exporter down failed");
        }
    }
}

/// The `tracing-opentelemetry` layer over `provider`'s tracer: it sees only [`TARGET`]'s spans
/// and, of those, only the ones in sampled traces ([`SampledParent`]).
fn otel_layer(provider: &SdkTracerProvider) -> BoxedLayer {
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("gearbox"))
        .with_location(false)
        .with_threads(false)
        .with_target(false)
        .with_level(false)
        .with_filter(
            Targets::new()
                .with_target(TARGET, tracing::Level::INFO)
                .and(SampledParent),
        );
    Box::new(layer)
}

/// A count as a span attribute: OTel integers are signed (`tracing-opentelemetry` records an
/// unsigned value as its text).
pub fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A length as a span attribute (see [`int`]).
pub fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The log formatter's filter directive that keeps the export-only spans out of log lines.
pub const LOG_FILTER_DIRECTIVE: &str = "gearbox::otel=off";

/// The log formatter's filter with the pipeline's spans turned off ([`LOG_FILTER_DIRECTIVE`]).
pub fn log_filter(filter: tracing_subscriber::EnvFilter) -> tracing_subscriber::EnvFilter {
    match LOG_FILTER_DIRECTIVE.parse() {
        Ok(d) => filter.add_directive(d),
        Err(_) => filter,
    }
}

/// A layer of the process's subscriber.
pub type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// The process's subscriber: the log formatter `fmt` (filtered by [`log_filter`]) and, when
/// traces are exported, the OTel layer. Never an `Option` layer: a `None` layer answers
/// "always" for every callsite, which would make the pipeline's spans live with tracing off.
pub fn subscriber(fmt: BoxedLayer, telemetry: Option<&Telemetry>) -> impl tracing::Subscriber + Send + Sync {
    use tracing_subscriber::layer::SubscriberExt as _;
    let mut layers = vec![fmt];
    layers.extend(telemetry.map(Telemetry::layer));
    tracing_subscriber::registry().with(layers)
}

/// Admits a finished span to the batch processor only while fewer than `capacity` spans wait
/// for export; otherwise drops it and counts it (`gearbox_trace_spans_total{outcome="dropped"}`).
/// The SDK's processor keeps its own drop count private; gating in front of it with the same
/// capacity means its queue never overflows, so every drop is counted here.
#[derive(Debug)]
struct Bounded {
    inner: BatchSpanProcessor,
    /// Spans handed to `inner` and not yet through an export (shared with [`Counted`]).
    pending: Arc<AtomicUsize>,
    capacity: usize,
}

impl SpanProcessor for Bounded {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.inner.on_start(span, cx);
    }

    fn on_end(&self, span: SpanData) {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            crate::metrics::record_trace_spans("dropped", 1);
            return;
        }
        self.inner.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

/// The OTLP exporter, counting what each export did and releasing its spans from the queue
/// bound of [`Bounded`].
#[derive(Debug)]
struct Counted<E> {
    inner: E,
    pending: Arc<AtomicUsize>,
}

impl<E: SpanExporter> SpanExporter for Counted<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len();
        let result = self.inner.export(batch).await;
        self.pending.fetch_sub(n, Ordering::AcqRel);
        let outcome = if result.is_ok() { "exported" } else { "failed" };
        crate::metrics::record_trace_spans(outcome, n as u64);
        if let Err(e) = &result {
            tracing::warn!(spans = n, error = %e, "tracing: exporting spans failed; they are dropped");
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(k, v);
        }
    }
}

/// Start the trace of a request's server span `span`: make it a child of the client's
/// `traceparent` (and `tracestate`) when it sent one, then take the sampling decision. An
/// unsampled server span is marked so that [`SampledParent`] disables every stage span under it:
/// the trace id still reaches the access log and the upstream's `traceparent` (flags `00`), but
/// no span data is built for a trace nobody exports. Call before the span is first entered.
pub fn start_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    if headers.contains_key("traceparent") {
        let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    // Starting the OTel span here runs the sampler once; the span records its fields later as
    // a started span, as it would after its first child.
    let cx = span.context();
    if !cx.span().span_context().is_sampled() {
        span.with_subscriber(|(id, dispatch)| {
            if let Some(span) = dispatch.downcast_ref::<Registry>().and_then(|r| r.span(id)) {
                span.extensions_mut().replace(Unsampled(cx));
            }
        });
    }
}

/// The mark [`start_trace`] leaves on an unsampled server span: its trace context, which the
/// spans under it (unseen by the OTel layer, so without a context of their own) propagate.
struct Unsampled(opentelemetry::Context);

/// The context of the unsampled server span `span` is in (or is), if it is in one.
fn unsampled_context(span: &tracing::Span) -> Option<opentelemetry::Context> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let current = registry.span(id)?;
        let found = current
            .scope()
            .find_map(|s| s.extensions().get::<Unsampled>().map(|u| u.0.clone()));
        found
    })
    .flatten()
}

/// The OTel layer's filter on spans: a span is created only when no span it would nest in is
/// marked [`Unsampled`]. Without it, `tracing-opentelemetry` builds every span's name and
/// attributes whether or not the trace is sampled, so 1 % sampling saved only the export
/// (BENCHMARKS.md, "Tracing overhead").
struct SampledParent;

impl<S> Filter<S> for SampledParent
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, meta: &tracing::Metadata<'_>, cx: &tracing_subscriber::layer::Context<'_, S>) -> bool {
        if !meta.is_span() {
            return true;
        }
        let unmarked = |s: SpanRef<'_, S>| s.scope().all(|s| s.extensions().get::<Unsampled>().is_none());
        let current = cx.current_span();
        let Some(id) = current.id() else {
            return true;
        };
        match cx.span(id) {
            Some(span) => unmarked(span),
            // The current span is one this layer skipped. Stage spans are all admitted by the
            // target filter, so a skipped one was under an unsampled server span (a background
            // job's span, entered in its own task without the server span on the stack): so
            // is this one.
            None if current.metadata().is_some_and(|m| m.target() == TARGET) => false,
            // A span of the log formatter only: the nearest span this layer sees decides.
            None => cx.lookup_current().is_none_or(unmarked),
        }
    }
}

/// Put the current span's `traceparent` (and `tracestate`) on an upstream request, so the
/// upstream's own spans join the trace.
pub fn inject_current(headers: &mut http::HeaderMap) {
    if !on() {
        return;
    }
    inject_span(&tracing::Span::current(), headers);
}

/// [`inject_current`] for `current`.
fn inject_span(current: &tracing::Span, headers: &mut http::HeaderMap) {
    let mut cx = current.context();
    if !cx.span().span_context().is_valid() {
        // A stage span of an unsampled trace has no OTel span: its server span's context.
        cx = unsampled_context(current).unwrap_or(cx);
    }
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&cx, &mut HeaderInjector(headers));
    }
}

/// The trace id of `span` (32 hex digits), when it belongs to an exported trace pipeline.
pub fn trace_id(span: &tracing::Span) -> Option<String> {
    if !on() || span.is_disabled() {
        return None;
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// The `traceparent` of `span` (`00-<trace id>-<span id>-<flags>`), for a response header.
pub fn traceparent(span: &tracing::Span) -> Option<String> {
    if !on() || span.is_disabled() {
        return None;
    }
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Span as _, Tracer as _};
    use std::sync::mpsc;
    use std::sync::Mutex;

    /// An exporter that holds its first batch until released, so the queue stays full.
    #[derive(Debug)]
    struct Stuck(Mutex<mpsc::Receiver<()>>);

    impl SpanExporter for Stuck {
        async fn export(&self, _batch: Vec<SpanData>) -> OTelSdkResult {
            if let Ok(rx) = self.0.lock() {
                let _ = rx.recv_timeout(Duration::from_secs(10));
            }
            Ok(())
        }
    }

    /// The tests that install a subscriber run one at a time: a callsite's interest is cached
    /// across every live dispatcher, so one test's OTel layer can make another's callsite
    /// "interested" while both run.
    fn one_subscriber_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        static LOCK: Mutex<()> = Mutex::new(());
        LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[test]
    fn with_tracing_off_the_pipeline_spans_are_disabled_under_the_log_subscriber() {
        let _one = one_subscriber_at_a_time();
        let filter = log_filter(tracing_subscriber::EnvFilter::new("trace"));
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(std::io::sink)
            .with_filter(filter);
        tracing::subscriber::with_default(subscriber(Box::new(fmt), None), || {
            assert!(stage_span!("gearbox.test").is_disabled());
            // The formatter still gets every other span it asks for.
            assert!(!tracing::info_span!("other").is_disabled());
        });
    }

    /// A server span started by [`start_trace`] and one stage span under it, with the OTel layer
    /// sampling at `ratio` (no exporter): whether the stage span exists, and whether the server
    /// span still has a valid trace context (for the log line and the upstream's `traceparent`).
    fn stage_under_server(ratio: f64, headers: &http::HeaderMap) -> (bool, bool, bool) {
        let _one = one_subscriber_at_a_time();
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio))))
            .build();
        let fmt = tracing_subscriber::fmt::layer()
            .with_writer(std::io::sink)
            .with_filter(log_filter(tracing_subscriber::EnvFilter::new("info")));
        let layers: Vec<BoxedLayer> = vec![Box::new(fmt), otel_layer(&provider)];
        let subscriber = {
            use tracing_subscriber::layer::SubscriberExt as _;
            tracing_subscriber::registry().with(layers)
        };
        tracing::subscriber::with_default(subscriber, || {
            let server = stage_span!("request");
            start_trace(&server, headers);
            let stage = server.in_scope(|| stage_span!("gearbox.classify"));
            // A stage span of a stage span: the mark is found up the scope.
            let nested = server.in_scope(|| stage.in_scope(|| stage_span!("gearbox.inner")));
            // A background job: its span is made under the server span, then entered in its own
            // task, where the server span is not on the stack.
            let job = server.in_scope(|| stage_span!("gearbox.background_job"));
            let in_job = job.in_scope(|| stage_span!("gearbox.upstream"));
            // A span the OTel layer built data for has a context of its own.
            let built = |s: &tracing::Span| s.context().span().span_context().is_valid();
            let server_cx = server.context();
            let trace = server_cx.span().span_context().trace_id().to_string();
            // Whether an upstream call under `s` is sent the request's trace.
            let propagated = |s: &tracing::Span| {
                let mut upstream = http::HeaderMap::new();
                inject_span(s, &mut upstream);
                upstream
                    .get("traceparent")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|t| t.starts_with(&format!("00-{trace}-")))
            };
            assert_eq!(
                built(&in_job),
                built(&stage),
                "a job's spans are built as its request's are"
            );
            assert!(
                propagated(&in_job),
                "a job's upstream call joins its request's trace"
            );
            (built(&stage), built(&nested), propagated(&nested))
        })
    }

    #[test]
    fn an_unsampled_trace_builds_no_stage_spans_but_keeps_its_context() {
        let none = http::HeaderMap::new();
        assert_eq!(stage_under_server(1.0, &none), (true, true, true));
        assert_eq!(stage_under_server(0.0, &none), (false, false, true));
        // Parent-based: a sampled client parent is followed even at ratio 0, an unsampled one
        // even at ratio 1.
        let mut sampled = http::HeaderMap::new();
        sampled.insert(
            "traceparent",
            http::HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(stage_under_server(0.0, &sampled), (true, true, true));
        let mut unsampled = http::HeaderMap::new();
        unsampled.insert(
            "traceparent",
            http::HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"),
        );
        assert_eq!(stage_under_server(1.0, &unsampled), (false, false, true));
    }

    fn spans_total(outcome: &str) -> u64 {
        let text = String::from_utf8(crate::metrics::Metrics::new().unwrap().render()).unwrap();
        let prefix = format!("gearbox_trace_spans_total{{outcome=\"{outcome}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn a_full_export_queue_drops_spans_and_counts_them_without_blocking() {
        let (release, held) = mpsc::channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let batch = BatchConfigBuilder::default()
            .with_max_queue_size(2)
            .with_max_export_batch_size(2)
            .with_scheduled_delay(Duration::from_secs(3600))
            .build();
        let bsp = BatchSpanProcessor::builder(Counted {
            inner: Stuck(Mutex::new(held)),
            pending: pending.clone(),
        })
        .with_batch_config(batch)
        .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(Bounded {
                inner: bsp,
                pending,
                capacity: 2,
            })
            .build();
        let tracer = provider.tracer("test");
        let (dropped, exported) = (spans_total("dropped"), spans_total("exported"));
        let started = std::time::Instant::now();
        for _ in 0..5 {
            tracer.start("s").end();
        }
        // Two fill the queue (their export is held); three are dropped at once, not waited for.
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(spans_total("dropped") - dropped, 3);
        release.send(()).unwrap();
        provider.shutdown().unwrap();
        assert_eq!(spans_total("exported") - exported, 2);
    }
}
