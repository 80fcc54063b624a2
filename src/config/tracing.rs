//! `[tracing]`: OpenTelemetry traces exported over OTLP/HTTP (protobuf). Off unless `enabled`;
//! read at start-up only (a reload keeps the exporter the process started with).

use super::{ConfigErrors, HumanDuration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTracing {
    /// Export traces. Off by default: no exporter, no span work on the request path.
    pub enabled: bool,
    /// The collector's OTLP/HTTP base URL; spans are posted to `<endpoint>/v1/traces`.
    pub endpoint: String,
    /// `service.name` of the exported resource.
    pub service_name: String,
    /// Fraction of new traces sampled (0..=1), by trace id.
    pub sample_ratio: f64,
    /// Follow the caller's sampling decision (its `traceparent` sampled flag) when it sends one.
    pub parent_based: bool,
    /// Spans waiting for export at most; past it a finished span is dropped (and counted in
    /// `gearbox_trace_spans_total{outcome="dropped"}`), never waited for.
    pub max_queue_size: usize,
    /// Spans per export request at most.
    pub max_export_batch_size: usize,
    /// How long a span waits for its batch at most.
    pub export_interval: HumanDuration,
    /// Bound of one export request.
    pub export_timeout: HumanDuration,
}

impl Default for RawTracing {
    fn default() -> Self {
        RawTracing {
            enabled: false,
            endpoint: "http://127.0.0.1:4318".into(),
            service_name: "gearbox".into(),
            sample_ratio: 1.0,
            parent_based: true,
            max_queue_size: 2048,
            max_export_batch_size: 512,
            export_interval: HumanDuration::secs(5),
            export_timeout: HumanDuration::secs(10),
        }
    }
}

/// The validated `[tracing]` section; `None` in [`super::Config`] when tracing is off.
#[derive(Debug, Clone, PartialEq)]
pub struct TracingConfig {
    /// `<endpoint>/v1/traces`.
    pub traces_url: String,
    pub service_name: String,
    pub sample_ratio: f64,
    pub parent_based: bool,
    pub max_queue_size: usize,
    pub max_export_batch_size: usize,
    pub export_interval: Duration,
    pub export_timeout: Duration,
}

pub(super) fn validate(errs: &mut ConfigErrors, r: RawTracing) -> Option<TracingConfig> {
    let endpoint = r.endpoint.trim_end_matches('/');
    let url_ok = endpoint
        .parse::<http::Uri>()
        .ok()
        .is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some());
    if !url_ok {
        errs.push(
            "tracing.endpoint",
            format!(
                "{:?} is not an http(s) URL; give the collector's OTLP/HTTP base URL, such as \
                 \"http://127.0.0.1:4318\"",
                r.endpoint
            ),
        );
    }
    if !(r.sample_ratio.is_finite() && (0.0..=1.0).contains(&r.sample_ratio)) {
        errs.push(
            "tracing.sample_ratio",
            "must be a fraction from 0 to 1 (1 = every trace, 0.01 = one in a hundred)",
        );
    }
    if r.service_name.trim().is_empty() {
        errs.push("tracing.service_name", "must not be empty");
    }
    if r.max_queue_size == 0 {
        errs.push("tracing.max_queue_size", "must be at least 1");
    }
    if r.max_export_batch_size == 0 || r.max_export_batch_size > r.max_queue_size.max(1) {
        errs.push(
            "tracing.max_export_batch_size",
            "must be at least 1 and at most tracing.max_queue_size",
        );
    }
    r.enabled.then(|| TracingConfig {
        traces_url: format!("{endpoint}/v1/traces"),
        service_name: r.service_name,
        sample_ratio: r.sample_ratio,
        parent_based: r.parent_based,
        max_queue_size: r.max_queue_size,
        max_export_batch_size: r.max_export_batch_size,
        export_interval: r.export_interval.into(),
        export_timeout: r.export_timeout.into(),
    })
}
