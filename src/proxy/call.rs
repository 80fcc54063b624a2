//! The upstream call stage: every upstream call of a request goes through the request's one
//! [`Exchange`](crate::upstream::resilience::Exchange) (breaker permits, balanced deployments,
//! retries under the windowed budget, fallbacks, one deadline), and its time and failures are
//! recorded here, once, for every endpoint.
//!
//! Invariant: no handler sends to an upstream directly; a whole body is read by the same
//! deadline the attempts ended by.

use super::ctx::RequestCtx;
use super::relay::{read_full_by, stream_response, Answer, Framing};
use crate::config::ModelConfig;
use crate::error::{ErrorKind, GatewayError};
use crate::http::Response;
use crate::stream::Taps;
use crate::upstream::resilience::{Candidate, Sent};
use crate::upstream::{Endpoint, Upstream, UpstreamBody, UpstreamResponse};
use bytes::Bytes;
use std::time::Instant;
use tracing::Instrument;

/// The deployments of `model` as candidates (`fallback`: of another model than the chosen one).
pub fn candidates(ctx: &RequestCtx<'_>, model: &ModelConfig, fallback: bool) -> Vec<Candidate> {
    model
        .deployments
        .iter()
        .filter_map(|d| {
            ctx.state.upstreams.get(&d.upstream).map(|u| Candidate {
                upstream: u.clone(),
                model: d.upstream_model.clone(),
                fallback,
            })
        })
        .collect()
}

/// Send to `primary`, then `fallbacks`, under the request's exchange; the first call fixes the
/// deadline at the primary upstream's request timeout. The observe record learns the model
/// that answered and the wait for its headers.
pub async fn send(
    ctx: &mut RequestCtx<'_>,
    endpoint: Endpoint,
    (primary, fallbacks): (Vec<Candidate>, Vec<Candidate>),
    body_for: &(dyn Fn(&Candidate) -> Result<Bytes, GatewayError> + Send + Sync),
) -> Result<Sent, GatewayError> {
    let Some(first) = primary.first() else {
        return Err(GatewayError::new(
            ErrorKind::Internal,
            "the model names no configured upstream",
        ));
    };
    let exchange = ctx.exchange(endpoint, first.upstream.request_timeout);
    let sent = exchange.send(primary, fallbacks, body_for).await?;
    let status = sent.response.response.status().as_u16();
    if (400..500).contains(&status) && status != 429 {
        ctx.state
            .metrics
            .record_upstream_error(&sent.candidate.upstream.name, "status_4xx");
    }
    if status == 401 || status == 403 {
        return Err(upstream_auth_failed(&sent.candidate.upstream.name, status));
    }
    ctx.info.model = Some(sent.candidate.model.clone());
    ctx.info.upstream_wait = sent.response.started.elapsed();
    Ok(sent)
}

/// What a passed-through request sends: where, and what.
pub struct Forward<'b> {
    pub upstream: &'b Upstream,
    /// The model name sent (for the access log), when the request names one.
    pub model: Option<String>,
    pub method: http::Method,
    /// The path after `/v1`, with the query.
    pub path: &'b str,
    /// The content headers to send (`content-type`, `content-length`, `accept`).
    pub headers: &'b http::HeaderMap,
    pub body: UpstreamBody,
}

/// Send a passed-through request: one attempt (its body is streamed and cannot be replayed),
/// by the request's deadline (the upstream's request timeout), its wait and failures recorded
/// as for every other call.
pub async fn forward(ctx: &mut RequestCtx<'_>, f: Forward<'_>) -> Result<UpstreamResponse, GatewayError> {
    let metrics = &ctx.state.metrics;
    let name = &f.upstream.name;
    let deadline = ctx.fix_deadline(f.upstream.request_timeout);
    // The attempt's client span (HTTP client conventions: named by the method, as the path
    // may hold ids); the upstream call carries it in `traceparent`.
    let span = crate::telemetry::stage_span!(
        "gearbox.upstream",
        otel.name = f.method.as_str(),
        otel.kind = "client",
        http.request.method = f.method.as_str(),
        gen_ai.request.model = f.model.as_deref().unwrap_or(""),
        gearbox.deployment = name.as_str(),
        gearbox.retry = 0_i64,
        http.response.status_code = tracing::field::Empty,
        gearbox.ttfb_ms = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    let sending = f
        .upstream
        .forward(f.method, f.path, f.headers, f.body, ctx.request_id())
        .instrument(span.clone());
    let sent_at = Instant::now();
    let sent = tokio::time::timeout_at(deadline.into(), sending).await;
    crate::upstream::resilience::record_attempt(&span, &sent, sent_at);
    let sent = match sent {
        Ok(Ok(sent)) => sent,
        Ok(Err(e)) => {
            metrics.record_upstream_error(name, e.kind.code());
            return Err(e);
        }
        Err(_) => {
            let e = GatewayError::timed_out(
                crate::error::Timeout::Deadline,
                format!("upstream {name:?} did not respond before the request deadline"),
            );
            metrics.record_upstream_error(name, e.kind.code());
            return Err(e);
        }
    };
    let status = sent.response.status().as_u16();
    if status == 401 || status == 403 {
        metrics.record_upstream_error(name, "status_4xx");
        return Err(upstream_auth_failed(name, status));
    }
    if status >= 500 {
        metrics.record_upstream_error(name, "status_5xx");
    } else if status == 429 {
        metrics.record_upstream_error(name, "status_429");
    } else if status >= 400 {
        metrics.record_upstream_error(name, "status_4xx");
    }
    ctx.info.model = f.model;
    ctx.info.upstream_wait = sent.started.elapsed();
    metrics.record_upstream(name, ctx.info.upstream_wait);
    Ok(sent)
}

/// The gateway's own answer to an upstream 401/403: the upstream refused the *gateway's*
/// credentials, which the client can neither see nor fix, and the upstream's text can name part
/// of the upstream key (OpenAI's "Incorrect API key provided: sk-****8e7d"). Its body is
/// dropped unread; only the status is logged, with the upstream's name.
fn upstream_auth_failed(upstream: &str, status: u16) -> GatewayError {
    tracing::warn!(
        upstream = %upstream,
        status,
        "upstream refused the gateway's credentials; check its api_key"
    );
    GatewayError::new(
        ErrorKind::UpstreamAuthFailed,
        "The gateway's credentials for its upstream were refused. This is not a problem with your \
         API key; contact the gateway operator.",
    )
}

/// Relay the event stream of `response` (from `served_by`), its headers' wait recorded now;
/// `taps` account for it and store it when it ends. A success that is not an event stream (an
/// HTML page from a proxy, a JSON body) is a 502 while nothing was sent, never relayed.
pub fn stream(
    ctx: &mut RequestCtx<'_>,
    response: UpstreamResponse,
    served_by: &Candidate,
    taps: Taps,
    framing: Framing,
) -> Result<Response, GatewayError> {
    let upstream = &served_by.upstream;
    if !is_event_stream(response.response.headers()) {
        ctx.state
            .metrics
            .record_upstream_error(&upstream.name, ErrorKind::UpstreamProtocol.code());
        tracing::warn!(
            upstream = %upstream.name,
            "upstream answered a stream request with a body that is not text/event-stream"
        );
        return Err(GatewayError::new(
            ErrorKind::UpstreamProtocol,
            "the upstream answered a streaming request with something that is not an event \
             stream (content-type is not text/event-stream)",
        ));
    }
    ctx.state
        .metrics
        .record_upstream(&upstream.name, ctx.info.upstream_wait);
    Ok(stream_response(ctx, response, upstream, taps, framing))
}

/// Is the answer an event stream? A missing content type is given the benefit of the doubt
/// (the relay still checks every line); any other media type is not.
fn is_event_stream(headers: &http::HeaderMap) -> bool {
    match headers.get(http::header::CONTENT_TYPE) {
        None => true,
        Some(v) => v
            .as_bytes()
            .split(|&b| b == b';')
            .next()
            .is_some_and(|m| m.trim_ascii().eq_ignore_ascii_case(b"text/event-stream")),
    }
}

/// Read the whole answer of `response` (from `served_by`) by the request's deadline.
pub async fn read_whole(
    ctx: &mut RequestCtx<'_>,
    response: UpstreamResponse,
    served_by: &Candidate,
) -> Result<Answer, GatewayError> {
    let metrics = &ctx.state.metrics;
    let name = &served_by.upstream.name;
    let started = response.started;
    let deadline = ctx.deadline().unwrap_or_else(Instant::now);
    match read_full_by(response, deadline).await {
        Ok(answer) => {
            ctx.info.upstream_wait = started.elapsed();
            metrics.record_upstream(name, ctx.info.upstream_wait);
            Ok(answer)
        }
        Err(e) => {
            metrics.record_upstream_error(name, e.kind.code());
            Err(e)
        }
    }
}
