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
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{Layer, Registry};

/// The `tracing` target of every span meant for export. The log formatter never sees it (its
/// filter turns this target off), and the OTel layer sees nothing else.
pub const TARGET: &str = "gearbox::otel";

/// A span of the request pipeline: `tracing::info_span!` under [`TARGET`]. Disabled (a no-op
/// handle, fields not evaluated) unless the OTel layer is installed.
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
        let layer = tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("gearbox"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_level(false)
            .with_filter(Targets::new().with_target(TARGET, tracing::Level::INFO));
        Box::new(layer)
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

/// Make `span` a child of the client's `traceparent` (and `tracestate`), when it sent one.
/// Call before the span is first entered.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Put the current span's `traceparent` (and `tracestate`) on an upstream request, so the
/// upstream's own spans join the trace.
pub fn inject_current(headers: &mut http::HeaderMap) {
    if !on() {
        return;
    }
    let cx = tracing::Span::current().context();
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

    #[test]
    fn with_tracing_off_the_pipeline_spans_are_disabled_under_the_log_subscriber() {
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
