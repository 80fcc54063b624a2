//! Relaying upstream answers: a whole body (bounded, checked to be JSON on success) or an SSE
//! stream event by event through [`SseRelay`] with its taps.

use super::ctx::RequestCtx;
use crate::api::Usage;
use crate::error::{ErrorKind, GatewayError, Timeout};
use crate::http::{self as h, read_limited, ReadError, Response};
use crate::responses::StreamTranslator;
use crate::state::RequestInfo;
use crate::stream::responses::{OnDone, ResponsesSse};
use crate::stream::{OnEnd, SseRelay, StreamEnd, Taps};
use crate::upstream::{Upstream, UpstreamResponse};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use std::time::Instant;

/// Largest upstream response body buffered for a non-streaming call.
const MAX_UPSTREAM_BODY: usize = 64 * 1024 * 1024;
/// Largest single SSE event relayed.
const MAX_SSE_EVENT: usize = 4 * 1024 * 1024;
/// Upstream response headers passed through to the client.
const RELAYED_HEADERS: &[&str] = &[
    "openai-processing-ms",
    "retry-after",
    "x-ratelimit-reset-requests",
];

pub fn copy_relayed_headers(from: &http::HeaderMap, to: &mut http::HeaderMap) {
    for name in RELAYED_HEADERS {
        if let Some(v) = from.get(*name) {
            to.insert(HeaderName::from_static(name), v.clone());
        }
    }
}

pub fn set_model_header(resp: &mut Response, model: &Option<String>) {
    if let Some(m) = model {
        if let Ok(v) = HeaderValue::from_str(m) {
            resp.headers_mut().insert("x-gearbox-model", v);
        }
    }
}

/// A whole upstream answer: its status and headers, its body, and the usage it reported (read
/// on success only).
pub struct Answer {
    pub parts: http::response::Parts,
    pub body: Bytes,
    pub usage: Option<Usage>,
}

/// Read the whole upstream body, bounded in size and by the client request's one deadline (the
/// same instant its attempts, retries and repair calls end by). A success status with a body
/// that is not JSON is a 502.
pub async fn read_full_by(sent: UpstreamResponse, deadline: Instant) -> Result<Answer, GatewayError> {
    // The request counts against its upstream until its body is read.
    let _outstanding = sent.outstanding;
    let (parts, body) = sent.response.into_parts();
    let remaining = deadline.saturating_duration_since(Instant::now());
    let bytes = match tokio::time::timeout(remaining, read_limited(body, MAX_UPSTREAM_BODY)).await {
        Ok(Ok(b)) => b,
        Ok(Err(ReadError::TooLarge { limit })) => {
            return Err(GatewayError::new(
                ErrorKind::UpstreamProtocol,
                format!("upstream response is larger than {limit} bytes"),
            ))
        }
        Ok(Err(ReadError::Body(e))) => {
            return Err(GatewayError::new(
                ErrorKind::UpstreamUnreachable,
                format!("upstream connection failed while sending the response: {e}"),
            ))
        }
        Err(_) => {
            return Err(GatewayError::timed_out(
                Timeout::Deadline,
                "upstream did not finish its response before the request deadline",
            ))
        }
    };
    let usage = if parts.status.is_success() {
        match check_json(&bytes) {
            Some(usage) => usage,
            None => {
                return Err(GatewayError::new(
                    ErrorKind::UpstreamProtocol,
                    "upstream returned a success status with a body that is not valid JSON",
                ))
            }
        }
    } else {
        None
    };
    Ok(Answer {
        parts,
        body: bytes,
        usage,
    })
}

/// One pass over a whole body: `None` if it is not JSON, else its `usage` object if it has one
/// that reads as usage (the rest of the body is skipped over, not built).
pub fn check_json(bytes: &[u8]) -> Option<Option<Usage>> {
    #[derive(serde::Deserialize)]
    struct WithUsage {
        #[serde(default)]
        usage: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<WithUsage>(bytes) {
        Ok(b) => Some(b.usage.and_then(|u| serde_json::from_value(u).ok())),
        // JSON, but not an object with a readable `usage`: relayed all the same.
        Err(_) => serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
            .ok()
            .map(|_| None),
    }
}

/// The client response for a whole upstream answer, with the upstream's status.
pub fn full_response(answer: Answer, info: RequestInfo) -> Response {
    let Answer { parts, body, .. } = answer;
    let mut resp = h::full(parts.status, body);
    let ct = parts
        .headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(CONTENT_TYPE, ct);
    copy_relayed_headers(&parts.headers, resp.headers_mut());
    set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    resp
}

/// How an upstream stream is framed, and what the client receives of it.
pub enum Framing {
    /// Chat Completions chunks ending with `[DONE]`; the usage-only chunk hidden when the
    /// gateway asked for it on its own.
    Chat { hide_usage_chunk: bool },
    /// Responses API events, ending with a terminal event (`response.completed`, ...).
    Responses,
    /// Chat Completions chunks (the usage chunk kept, the translator reads it) that the client
    /// receives as the Responses events the translator writes ([`ResponsesSse`], which hands
    /// the completed response to `on_done`).
    ChatAsResponses(Box<StreamTranslator>, Option<OnDone>),
}

/// Relay an upstream event stream as it arrives (idle and total timeouts of `upstream`); `taps`
/// observe it (the open-streams gauge and outcome metric are always added).
pub fn stream_response(
    ctx: &mut RequestCtx<'_>,
    sent: UpstreamResponse,
    upstream: &Upstream,
    mut taps: Taps,
    framing: Framing,
) -> Response {
    let (parts, body) = sent.response.into_parts();
    // The stream span counts the events the client receives: the relay's, or, for a translated
    // stream, the translator's (the span stays open until that body is done).
    let mut events_span = None;
    if crate::telemetry::on() {
        let mut span = StreamSpan::open(ctx.started);
        if matches!(framing, Framing::ChatAsResponses(..)) {
            span.counts_events = false;
            events_span = Some(span.span.clone());
        }
        taps.push(Box::new(span));
    }
    let metrics = ctx.state.metrics.clone();
    metrics.open_streams().inc();
    // The stream counts against its upstream until it ends or is dropped (the tap with it).
    let outstanding = sent.outstanding;
    taps.push(Box::new(OnEnd(move |summary: &crate::stream::StreamSummary| {
        drop(outstanding);
        metrics.open_streams().dec();
        metrics.record_stream_end(summary.outcome);
    })));
    let relay = SseRelay::new(body, upstream.stream_idle_timeout, MAX_SSE_EVENT, taps)
        .total_timeout(upstream.stream_total_timeout)
        .hide_usage_chunk(matches!(
            framing,
            Framing::Chat {
                hide_usage_chunk: true
            }
        ))
        .ends_with(match framing {
            Framing::Chat { .. } | Framing::ChatAsResponses(..) => StreamEnd::Done,
            Framing::Responses => StreamEnd::ResponsesTerminal,
        });
    let body = match framing {
        Framing::ChatAsResponses(translator, on_done) => {
            h::boxed(ResponsesSse::new(relay, *translator, on_done).reporting_to(events_span))
        }
        Framing::Chat { .. } | Framing::Responses => h::boxed(relay),
    };
    let mut resp = http::Response::new(body);
    *resp.status_mut() = parts.status;
    let hm = resp.headers_mut();
    hm.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    hm.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    copy_relayed_headers(&parts.headers, hm);
    let info = ctx.take_info();
    set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    resp
}

/// The stream's span, from the upstream's headers to the relay's end (a translated stream's:
/// to its body's end): the events the client received, the time to the first event (from the
/// request's start), the usage the stream reported, its outcome.
struct StreamSpan {
    span: tracing::Span,
    request_started: Instant,
    // The relay's count is what the client receives (not so for a translated stream, whose
    // body records its own).
    counts_events: bool,
}

impl StreamSpan {
    fn open(request_started: Instant) -> StreamSpan {
        use tracing::field::Empty;
        StreamSpan {
            span: crate::telemetry::stage_span!(
                "gearbox.stream",
                gearbox.stream.events = Empty,
                gearbox.stream.time_to_first_event_ms = Empty,
                gearbox.stream.outcome = Empty,
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
                gen_ai.usage.reasoning_tokens = Empty,
                error.type = Empty,
            ),
            request_started,
            counts_events: true,
        }
    }
}

impl crate::stream::StreamTap for StreamSpan {
    fn on_end(self: Box<Self>, s: &crate::stream::StreamSummary) {
        let span = &self.span;
        if self.counts_events {
            span.record("gearbox.stream.events", crate::telemetry::int(s.events));
        }
        if let Some(at) = s.first_event_at {
            let ms = at.saturating_duration_since(self.request_started).as_secs_f64() * 1000.0;
            span.record("gearbox.stream.time_to_first_event_ms", ms);
        }
        let outcome = match s.outcome {
            crate::stream::StreamOutcome::Completed => "completed",
            crate::stream::StreamOutcome::UpstreamError => "upstream_error",
            crate::stream::StreamOutcome::ClientGone => "client_gone",
        };
        span.record("gearbox.stream.outcome", outcome);
        if s.outcome != crate::stream::StreamOutcome::Completed {
            span.record("error.type", outcome);
        }
        if let Some(u) = &s.usage {
            span.record(
                "gen_ai.usage.input_tokens",
                crate::telemetry::int(u.prompt_tokens),
            );
            span.record(
                "gen_ai.usage.output_tokens",
                crate::telemetry::int(u.completion_tokens),
            );
            if let Some(d) = &u.completion_tokens_details {
                span.record(
                    "gen_ai.usage.reasoning_tokens",
                    crate::telemetry::int(d.reasoning_tokens),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_json;

    #[test]
    fn one_pass_checks_json_and_reads_usage() {
        let body = br#"{"id":"x","choices":[{"message":{"content":"{\"usage\":1}"}}],
            "usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}"#;
        let u = check_json(body).unwrap().unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens), (7, 3));
        assert!(check_json(br#"{"id":"x"}"#).unwrap().is_none());
        assert!(check_json(br#"{"usage":null}"#).unwrap().is_none());
        assert!(check_json(br#"{"usage":"lots"}"#).unwrap().is_none());
        // Valid JSON that is not an object is still JSON.
        assert!(check_json(b"[1,2]").unwrap().is_none());
        assert!(check_json(br#"{"id":"x""#).is_none());
        assert!(check_json(b"{} trailing").is_none());
        assert!(check_json(b"").is_none());
    }
}
