//! Server-sent-event relay: forwards an upstream event stream to the client event by event, as
//! each event completes, and observes it on the way (usage, `[DONE]`, first-event time).
//!
//! Invariants: no whole-response buffering (only the current partial event is held, bounded by
//! `max_event_bytes`); once headers are sent the status cannot change, so every failure after
//! that (reset, truncation before `[DONE]`, idle timeout, oversized event, input that is not
//! SSE) becomes one SSE error event followed by `data: [DONE]`, and the body then ends cleanly.
//! A stream carries at most one error event: after the upstream's own, the gateway only ends
//! the stream. Lines that are neither SSE fields nor comments are never relayed.

use crate::api::Usage;
use crate::error::{ErrorKind, GatewayError, Timeout};
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::time::Sleep;

/// Scheduler rounds without a new upstream chunk before held events are sent (two: hyper's
/// client connection task needs two rounds to decode and hand over the next chunk).
const COALESCE_ROUNDS: u8 = 2;

/// Most bytes of complete events held back while more are arriving in the same instant.
const COALESCE_MAX_BYTES: usize = 64 * 1024;

/// The `[DONE]` sentinel event.
pub mod responses;

pub const DONE_EVENT: &[u8] = b"data: [DONE]\n\n";

/// Find the end of the first complete event in `buf`: the index just past the blank line that
/// terminates it. Accepts `\n\n`, `\r\n\r\n` and mixed `\n\r\n` separators.
pub fn find_event_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = buf.get(i..).and_then(memchr_nl) {
        let nl = i + off;
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => i = nl + 1,
        }
    }
    None
}

fn memchr_nl(s: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', s)
}

/// The `data:` payload lines of one event, joined with `\n` as the SSE spec says.
pub fn event_data(event: &[u8]) -> Option<Vec<u8>> {
    event_data_ref(event).map(std::borrow::Cow::into_owned)
}

/// [`event_data`] without copying in the common case of one `data:` line (every chunk OpenAI
/// and OpenAI-compatible servers send): the hot path of the relay.
pub fn event_data_ref(event: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    let mut lines = event
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && *l != b"\r");
    if let (Some(line), None) = (lines.next(), lines.next()) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        return line
            .strip_prefix(b"data:")
            .map(|rest| std::borrow::Cow::Borrowed(rest.strip_prefix(b" ").unwrap_or(rest)));
    }
    let mut out: Option<Vec<u8>> = None;
    for line in event.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            let o = out.get_or_insert_with(Vec::new);
            if !o.is_empty() {
                o.push(b'\n');
            }
            o.extend_from_slice(rest);
        }
    }
    out.map(std::borrow::Cow::Owned)
}

/// What the relay saw, reported once when the stream ends or is dropped.
#[derive(Debug, Clone, Default)]
pub struct StreamSummary {
    /// Events relayed to the client (a hidden usage chunk is not).
    pub events: u64,
    pub first_event_at: Option<Instant>,
    pub usage: Option<Usage>,
    pub outcome: StreamOutcome,
    /// The upstream sent an error event (`{"error": ...}`) of its own.
    pub upstream_error_event: bool,
}

/// How a relayed stream ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StreamOutcome {
    /// `[DONE]` seen and the upstream body ended.
    Completed,
    /// The upstream failed mid-stream; an error event was sent.
    UpstreamError,
    /// The client went away before the end (body dropped).
    #[default]
    ClientGone,
}

/// An observer of a relayed stream: sees every frame forwarded from upstream (not the gateway's
/// own error tail) and, once, the summary when the relay ends or is dropped.
pub trait StreamTap: Send {
    fn on_frame(&mut self, _frame: &Bytes) {}
    fn on_end(self: Box<Self>, summary: &StreamSummary);
}

/// A tap from a closure called once at the end.
pub struct OnEnd<F>(pub F);

impl<F: FnOnce(&StreamSummary) + Send> StreamTap for OnEnd<F> {
    fn on_end(self: Box<Self>, summary: &StreamSummary) {
        (self.0)(summary)
    }
}

/// The taps of one relay.
pub type Taps = Vec<Box<dyn StreamTap>>;

fn end_taps(taps: &mut Taps, summary: &StreamSummary) {
    for t in taps.drain(..) {
        t.on_end(summary);
    }
}

enum State {
    Streaming,
    /// Final bytes to emit, then end.
    Tail(Option<Bytes>),
    Done,
}

pin_project! {
    /// A response body relaying an upstream SSE body.
    pub struct SseRelay<B> {
        #[pin]
        inner: B,
        buf: BytesMut,
        #[pin]
        idle: Sleep,
        idle_timeout: Duration,
        // Whole-stream deadline (a slow drip that never idles long enough still ends).
        #[pin]
        total: Sleep,
        total_timeout: Duration,
        max_event_bytes: usize,
        state: State,
        summary: StreamSummary,
        saw_done: bool,
        taps: Taps,
        // The gateway asked upstream for usage the client did not ask for: do not forward the
        // usage-only chunk.
        hide_usage_chunk: bool,
        // What ends the stream: `[DONE]`, or a Responses API terminal event.
        end: StreamEnd,
        // Complete events not yet handed to the server, and the scheduler rounds since the last
        // one arrived (see "Coalescing" in `poll_frame`).
        ready: BytesMut,
        idle_rounds: u8,
        // A frame has been handed to the server: the first one goes out at once (time to first
        // event), later ones are coalesced.
        handed: bool,
    }

    impl<B> PinnedDrop for SseRelay<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            end_taps(this.taps, this.summary);
        }
    }
}

impl<B> SseRelay<B> {
    pub fn new(inner: B, idle_timeout: Duration, max_event_bytes: usize, taps: Taps) -> Self {
        SseRelay {
            inner,
            buf: BytesMut::new(),
            idle: tokio::time::sleep(idle_timeout),
            idle_timeout,
            total: tokio::time::sleep(Duration::from_secs(30 * 60)),
            total_timeout: Duration::from_secs(30 * 60),
            max_event_bytes,
            state: State::Streaming,
            summary: StreamSummary::default(),
            saw_done: false,
            taps,
            hide_usage_chunk: false,
            end: StreamEnd::Done,
            ready: BytesMut::new(),
            idle_rounds: 0,
            handed: false,
        }
    }

    /// Bound the whole stream (default 30 minutes).
    pub fn total_timeout(mut self, total: Duration) -> Self {
        self.total = tokio::time::sleep(total);
        self.total_timeout = total;
        self
    }

    /// Hide the final usage-only chunk from the client (the gateway requested it for its own
    /// accounting).
    pub fn hide_usage_chunk(mut self, hide: bool) -> Self {
        self.hide_usage_chunk = hide;
        self
    }

    /// What ends the stream (default `[DONE]`); a body that ends before it was truncated.
    pub fn ends_with(mut self, end: StreamEnd) -> Self {
        self.end = end;
        self
    }
}

/// The end of a failed stream: the gateway's error event and `[DONE]`, or only `[DONE]` when
/// the upstream already sent an error event (a stream carries at most one); counted among the
/// events the client receives.
fn error_tail(summary: &mut StreamSummary, err: GatewayError) -> Bytes {
    let mut out = BytesMut::new();
    if !summary.upstream_error_event {
        out.extend_from_slice(&err.sse_event());
        summary.events += 1;
    }
    out.extend_from_slice(DONE_EVENT);
    summary.events += 1;
    out.freeze()
}

/// The event that ends a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// Chat Completions: `data: [DONE]`.
    Done,
    /// The Responses API: `response.completed`, `response.incomplete`, `response.failed` or
    /// `error`.
    ResponsesTerminal,
}

/// Inspect one complete event: its end, usage.
fn observe(event: &[u8], summary: &mut StreamSummary, saw_done: &mut bool, end: StreamEnd) {
    observe_data(event_data_ref(event).as_deref(), summary, saw_done, end);
}

fn observe_data(data: Option<&[u8]>, summary: &mut StreamSummary, saw_done: &mut bool, end: StreamEnd) {
    // An event without data (a `: keep-alive` comment, a lone `event:` or `id:` line) is not
    // dispatched by SSE clients, so it is neither counted nor the first event.
    let Some(data) = data else {
        return;
    };
    summary.events += 1;
    if summary.first_event_at.is_none() {
        summary.first_event_at = Some(Instant::now());
    }
    if data == b"[DONE]" {
        *saw_done = true;
        return;
    }
    if end == StreamEnd::ResponsesTerminal {
        if let Some(terminal) = responses_terminal(data) {
            *saw_done = true;
            // The usage the upstream bills, whichever way the response ended.
            if terminal != ResponsesTerminal::Error {
                summary.usage = terminal_usage(data);
            }
        }
        return;
    }
    // Cheap pre-checks: only chunks that name an error or carry a usage object are parsed.
    if contains(data, b"\"error\"") {
        #[derive(serde::Deserialize)]
        struct WithError {
            error: Option<serde::de::IgnoredAny>,
        }
        if let Ok(WithError { error: Some(_) }) = serde_json::from_slice::<WithError>(data) {
            summary.upstream_error_event = true;
        }
    }
    if contains(data, b"\"usage\"") && !contains(data, b"\"usage\":null") {
        #[derive(serde::Deserialize)]
        struct WithUsage {
            usage: Option<Usage>,
        }
        if let Ok(WithUsage { usage: Some(u) }) = serde_json::from_slice::<WithUsage>(data) {
            summary.usage = Some(u);
        }
    }
}

/// The terminal events of a Responses stream that carry the whole response (its status and
/// usage); an `error` event ends a stream without one.
pub(crate) const RESPONSES_TERMINAL: [&str; 3] =
    ["response.completed", "response.incomplete", "response.failed"];

/// How a Responses stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponsesTerminal {
    Completed,
    Incomplete,
    Failed,
    Error,
}

/// The terminal event this event's data is, if it is one: its top-level `type` (JSON spacing
/// tolerated). Only events that name a terminal type anywhere are parsed, one or two per stream.
fn responses_terminal(data: &[u8]) -> Option<ResponsesTerminal> {
    // `"error"` is also a key (`"error":null` in every response object), so for it only a
    // `type` whose value it is counts.
    let named =
        RESPONSES_TERMINAL.iter().any(|t| contains(data, t.as_bytes())) || type_value_is(data, b"\"error\"");
    if !named {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(rename = "type", borrow)]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    let t: Typed = serde_json::from_slice(data).ok()?;
    match t.kind.as_deref()? {
        "response.completed" => Some(ResponsesTerminal::Completed),
        "response.incomplete" => Some(ResponsesTerminal::Incomplete),
        "response.failed" => Some(ResponsesTerminal::Failed),
        "error" => Some(ResponsesTerminal::Error),
        _ => None,
    }
}

/// `data` has `"type"`, optional whitespace, a colon, optional whitespace and `value`.
fn type_value_is(data: &[u8], value: &[u8]) -> bool {
    const KEY: &[u8] = b"\"type\"";
    let mut rest = data;
    while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
        rest = &rest[at + KEY.len()..];
        let after = rest.trim_ascii_start();
        if let Some(v) = after.strip_prefix(b":") {
            if v.trim_ascii_start().starts_with(value) {
                return true;
            }
        }
    }
    false
}

/// The usage of a Responses stream's terminal event (`response.completed`, `.incomplete` or
/// `.failed`: its response's `usage`, in the chat shape), the one event of that stream that
/// reports it.
fn terminal_usage(data: &[u8]) -> Option<Usage> {
    #[derive(serde::Deserialize)]
    struct Terminal {
        response: Response,
    }
    #[derive(serde::Deserialize)]
    struct Response {
        usage: Option<serde_json::Value>,
    }
    let t: Terminal = serde_json::from_slice(data).ok()?;
    crate::responses::usage_from_responses(&t.response.usage?)
}

/// Every line of the event is an SSE field (`data`, `event`, `id`, `retry`) or a comment, and
/// every `data:` payload is JSON or `[DONE]`. Anything else (NUL or 0xFF bytes, an HTML page, a
/// PNG header) is not an event stream and is never relayed.
fn is_well_formed(event: &[u8], data: Option<&[u8]>) -> bool {
    let lines_ok = event.split(|&b| b == b'\n').all(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line.first() == Some(&b':') {
            return true;
        }
        let name = line.split(|&b| b == b':').next().unwrap_or(line);
        matches!(name, b"data" | b"event" | b"id" | b"retry")
            && !line.contains(&0)
            && std::str::from_utf8(line).is_ok()
    });
    lines_ok
        && match data {
            None => true,
            Some(d) => d == b"[DONE]" || serde_json::from_slice::<serde::de::IgnoredAny>(d).is_ok(),
        }
}

/// The error for input that is not a well-formed event stream.
fn not_sse() -> GatewayError {
    GatewayError::new(
        ErrorKind::UpstreamProtocol,
        "upstream sent a stream that is not a valid event stream (a line that is neither an SSE \
         field nor a comment, or an event that is not valid JSON)",
    )
}

/// A chunk that carries only usage (`"choices": []`).
fn is_usage_only(data: Option<&[u8]>) -> bool {
    data.is_some_and(|d| contains(d, b"\"choices\":[]") || contains(d, b"\"choices\": []"))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

impl<B> Body for SseRelay<B>
where
    B: Body<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        loop {
            match this.state {
                State::Done => return Poll::Ready(None),
                State::Tail(bytes) => {
                    let mut b = bytes.take();
                    if !this.ready.is_empty() {
                        // Events already relayable go out first, in order.
                        let mut all = this.ready.split();
                        all.extend_from_slice(b.as_deref().unwrap_or_default());
                        b = Some(all.freeze());
                    }
                    *this.state = State::Done;
                    end_taps(this.taps, this.summary);
                    match b {
                        Some(b) if !b.is_empty() => return Poll::Ready(Some(Ok(Frame::data(b)))),
                        _ => return Poll::Ready(None),
                    }
                }
                State::Streaming => {}
            }
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    this.buf.extend_from_slice(&data);
                    // Emit every complete event now; keep the partial rest.
                    let mut end = 0;
                    // Byte ranges of usage-only events to hide from the client.
                    let mut hidden: Vec<(usize, usize)> = Vec::new();
                    let mut broken = false;
                    while let Some(e) = this.buf.get(end..).and_then(find_event_end) {
                        let (s, t) = (end, end + e);
                        if let Some(ev) = this.buf.get(s..t) {
                            // One look at the payload per event (borrowed, no copy).
                            let data = event_data_ref(ev);
                            let data = data.as_deref();
                            if !is_well_formed(ev, data) {
                                // Relay what came before; the bad event becomes an error event.
                                broken = true;
                                break;
                            }
                            let before = this.summary.usage.is_some();
                            observe_data(data, this.summary, this.saw_done, *this.end);
                            if *this.hide_usage_chunk
                                && !before
                                && this.summary.usage.is_some()
                                && is_usage_only(data)
                            {
                                hidden.push((s, t));
                                // Not an event the client receives.
                                this.summary.events = this.summary.events.saturating_sub(1);
                            }
                        }
                        end = t;
                        if *this.saw_done {
                            // The stream ends at [DONE]: nothing after it is relayed.
                            break;
                        }
                    }
                    if broken {
                        this.summary.outcome = StreamOutcome::UpstreamError;
                        let before = this.buf.split_to(end).freeze();
                        this.buf.clear();
                        for t in this.taps.iter_mut() {
                            t.on_frame(&before);
                        }
                        let mut out = BytesMut::from(&before[..]);
                        out.extend_from_slice(&error_tail(this.summary, not_sse()));
                        *this.state = State::Tail(Some(out.freeze()));
                        continue;
                    }
                    if end > 0 {
                        let all = this.buf.split_to(end).freeze();
                        // Taps (metrics, cache, coalesced followers) see everything upstream sent.
                        for t in this.taps.iter_mut() {
                            t.on_frame(&all);
                        }
                        let out = if hidden.is_empty() {
                            all
                        } else {
                            let mut kept = BytesMut::with_capacity(all.len());
                            let mut at = 0;
                            for (s, t) in hidden {
                                kept.extend_from_slice(all.get(at..s).unwrap_or_default());
                                at = t;
                            }
                            kept.extend_from_slice(all.get(at..).unwrap_or_default());
                            kept.freeze()
                        };
                        if *this.saw_done {
                            this.summary.outcome = StreamOutcome::Completed;
                            this.buf.clear();
                            *this.state = State::Tail(Some(out));
                            continue;
                        }
                        if out.is_empty() {
                            continue;
                        }
                        let deadline = tokio::time::Instant::now() + *this.idle_timeout;
                        this.idle.as_mut().reset(deadline);
                        this.ready.extend_from_slice(&out);
                        *this.idle_rounds = 0;
                        if this.ready.len() >= COALESCE_MAX_BYTES {
                            return Poll::Ready(Some(Ok(Frame::data(this.ready.split().freeze()))));
                        }
                        continue;
                    }
                    if this.buf.len() > *this.max_event_bytes {
                        this.summary.outcome = StreamOutcome::UpstreamError;
                        *this.state = State::Tail(Some(error_tail(
                            this.summary,
                            GatewayError::new(
                                ErrorKind::UpstreamProtocol,
                                format!(
                                    "upstream sent an SSE event larger than {} bytes",
                                    this.max_event_bytes
                                ),
                            ),
                        )));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.summary.outcome = StreamOutcome::UpstreamError;
                    *this.state = State::Tail(Some(error_tail(
                        this.summary,
                        GatewayError::new(
                            ErrorKind::UpstreamUnreachable,
                            format!("upstream stream failed mid-way: {e}"),
                        ),
                    )));
                }
                Poll::Ready(None) => {
                    // A final event without its blank line still counts, if it is one.
                    let mut tail = BytesMut::new();
                    if !this.buf.is_empty() && !*this.saw_done {
                        let rest = this.buf.split().freeze();
                        let mut ev = rest.to_vec();
                        ev.extend_from_slice(b"\n\n");
                        if !is_well_formed(&ev, event_data_ref(&ev).as_deref()) {
                            this.summary.outcome = StreamOutcome::UpstreamError;
                            *this.state = State::Tail(Some(error_tail(this.summary, not_sse())));
                            continue;
                        }
                        observe(&ev, this.summary, this.saw_done, *this.end);
                        let ev = Bytes::from(ev);
                        for t in this.taps.iter_mut() {
                            t.on_frame(&ev);
                        }
                        tail.extend_from_slice(&ev);
                    }
                    if *this.saw_done {
                        this.summary.outcome = StreamOutcome::Completed;
                    } else {
                        this.summary.outcome = StreamOutcome::UpstreamError;
                        tail.extend_from_slice(&error_tail(
                            this.summary,
                            GatewayError::new(
                                ErrorKind::UpstreamProtocol,
                                "upstream stream ended before [DONE] (truncated)",
                            ),
                        ));
                    }
                    *this.state = State::Tail(Some(tail.freeze()));
                }
                Poll::Pending => {
                    if this.total.as_mut().poll(cx).is_ready() {
                        this.summary.outcome = StreamOutcome::UpstreamError;
                        *this.state = State::Tail(Some(error_tail(
                            this.summary,
                            GatewayError::timed_out(
                                Timeout::StreamTotal,
                                format!(
                                    "upstream stream exceeded its total time limit of {:?}",
                                    this.total_timeout
                                ),
                            ),
                        )));
                        continue;
                    }
                    if this.idle.as_mut().poll(cx).is_ready() {
                        this.summary.outcome = StreamOutcome::UpstreamError;
                        *this.state = State::Tail(Some(error_tail(
                            this.summary,
                            GatewayError::timed_out(
                                Timeout::StreamIdle,
                                format!("upstream stream was idle for more than {:?}", this.idle_timeout),
                            ),
                        )));
                        continue;
                    }
                    // Coalescing: hyper's client body hands over one upstream chunk per
                    // scheduler round or two, and the server writes (one syscall) whenever this
                    // body is pending. So events already in the gateway's socket buffer are
                    // gathered first: while fewer than COALESCE_ROUNDS immediate re-polls (no
                    // timer) have passed since the last event arrived, wait; then hand them all
                    // over in one frame. A slow stream's event goes out COALESCE_ROUNDS
                    // scheduler rounds (microseconds) after it arrived; the first frame of a
                    // stream goes out at once.
                    if !this.ready.is_empty() {
                        if *this.handed
                            && *this.idle_rounds < COALESCE_ROUNDS
                            && this.ready.len() < COALESCE_MAX_BYTES
                        {
                            *this.idle_rounds += 1;
                            cx.waker().wake_by_ref();
                            return Poll::Pending;
                        }
                        *this.idle_rounds = 0;
                        *this.handed = true;
                        return Poll::Ready(Some(Ok(Frame::data(this.ready.split().freeze()))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ChannelBody;
    use http_body_util::BodyExt;

    #[test]
    fn event_boundaries() {
        let cases: &[(&[u8], Option<usize>)] = &[
            (b"data: a\n\n", Some(9)),
            (b"data: a\r\n\r\n", Some(11)),
            (b"data: a\n", None),
            (b"data: a\ndata: b\n\nrest", Some(17)),
            (b"", None),
            (b"\n\n", Some(2)),
        ];
        for (input, want) in cases {
            assert_eq!(
                find_event_end(input),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// One event's data observed on a Responses stream: the summary, and whether it ended it.
    fn observe_responses(data: &str) -> (StreamSummary, bool) {
        let (mut summary, mut done) = (StreamSummary::default(), false);
        observe_data(
            Some(data.as_bytes()),
            &mut summary,
            &mut done,
            StreamEnd::ResponsesTerminal,
        );
        (summary, done)
    }

    /// A Responses stream's usage is that of its terminal event, whichever it is and however
    /// its JSON is spaced; an `error` event ends the stream without usage.
    #[test]
    fn responses_usage_is_read_from_any_terminal_event() {
        let usage = r#"{"input_tokens":7,"output_tokens":3,"total_tokens":10}"#;
        let cases = [
            (
                format!(r#"{{"type":"response.completed","response":{{"usage":{usage}}}}}"#),
                Some(3),
            ),
            (
                format!(r#"{{"type":"response.incomplete","response":{{"usage":{usage}}}}}"#),
                Some(3),
            ),
            (
                format!(
                    r#"{{"type":"response.failed","response":{{"error":{{"code":"x"}},"usage":{usage}}}}}"#
                ),
                Some(3),
            ),
            (
                format!(r#"{{ "type" : "response.incomplete", "response": {{ "usage": {usage} }} }}"#),
                Some(3),
            ),
            (
                r#"{"type": "error", "code": "x", "message": "m"}"#.to_string(),
                None,
            ),
        ];
        for (data, want) in cases {
            let (summary, done) = observe_responses(&data);
            assert!(done, "{data}");
            assert_eq!(summary.usage.map(|u| u.completion_tokens), want, "{data}");
        }
        // Events that only mention a terminal type or an error are not terminal.
        for data in [
            r#"{"type":"response.created","response":{"error":null,"usage":null}}"#,
            r#"{"type":"response.output_text.delta","delta":"\"response.completed\" \"type\":\"error\""}"#,
        ] {
            let (_, done) = observe_responses(data);
            assert!(!done, "{data}");
        }
    }

    #[test]
    fn data_lines_are_joined() {
        assert_eq!(event_data(b"event: x\ndata: a\ndata:b\n\n").unwrap(), b"a\nb");
        assert_eq!(event_data(b": comment\n\n"), None);
    }

    async fn relay_chunks(chunks: Vec<Result<&'static [u8], &'static str>>) -> (String, StreamSummary) {
        let (tx, body) = ChannelBody::new(16);
        tokio::spawn(async move {
            for c in chunks {
                let msg = c.map(Bytes::from_static).map_err(|e| e.into());
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
        });
        let (stx, srx) = std::sync::mpsc::channel();
        let relay = SseRelay::new(
            body,
            Duration::from_secs(5),
            1 << 20,
            vec![Box::new(OnEnd(move |s: &StreamSummary| {
                let _ = stx.send(s.clone());
            }))],
        );
        let out = relay.collect().await.unwrap().to_bytes();
        (String::from_utf8(out.to_vec()).unwrap(), srx.recv().unwrap())
    }

    /// Counts the frames a relay hands to the server for `events` upstream chunks sent through a
    /// channel, either all at once or one at a time with a pause between them.
    async fn frames_for(events: usize, pause: Option<Duration>) -> (usize, String) {
        let (tx, body) = ChannelBody::new(1);
        tokio::spawn(async move {
            for i in 0..events {
                let ev = format!("data: {{\"n\":{i}}}\n\n");
                if tx.send(Ok(Bytes::from(ev))).await.is_err() {
                    return;
                }
                if let Some(p) = pause {
                    tokio::time::sleep(p).await;
                }
            }
            let _ = tx.send(Ok(Bytes::from_static(DONE_EVENT))).await;
        });
        let mut relay = std::pin::pin!(SseRelay::new(body, Duration::from_secs(5), 1 << 20, Vec::new()));
        let (mut frames, mut out) = (0, String::new());
        while let Some(f) = relay.frame().await {
            if let Ok(d) = f.unwrap().into_data() {
                frames += 1;
                out.push_str(std::str::from_utf8(&d).unwrap());
            }
        }
        (frames, out)
    }

    #[tokio::test]
    async fn events_already_received_leave_in_one_write_and_slow_ones_as_they_come() {
        // 40 events handed over back to back: gathered into a few frames, in order, complete.
        let (frames, out) = frames_for(40, None).await;
        assert!(frames < 10, "{frames} frames for 40 ready events");
        assert_eq!(out.matches("data: {").count(), 40);
        assert!(out.find("\"n\":0}").unwrap() < out.find("\"n\":39}").unwrap());
        assert!(out.ends_with("data: [DONE]\n\n"));
        // Events 20 ms apart: each one is sent on its own, not held for the next.
        let (frames, out) = frames_for(5, Some(Duration::from_millis(20))).await;
        assert!(frames >= 5, "{frames} frames for 5 spaced events");
        assert_eq!(out.matches("data: {").count(), 5);
    }

    #[tokio::test]
    async fn split_events_are_reassembled_and_usage_seen() {
        let (out, s) = relay_chunks(vec![
            Ok(b"data: {\"a\":1}\n"),
            Ok(b"\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\nda"),
            Ok(b"ta: [DONE]\n\n"),
        ])
        .await;
        assert!(out.ends_with("data: [DONE]\n\n"));
        assert!(!out.contains("error"));
        assert_eq!(s.outcome, StreamOutcome::Completed);
        assert_eq!(s.usage.unwrap().completion_tokens, 4);
        assert_eq!(s.events, 3);
    }

    #[tokio::test]
    async fn keep_alive_comments_are_relayed_but_not_counted_as_events() {
        let (out, s) = relay_chunks(vec![
            Ok(b": OPENROUTER PROCESSING\n\n"),
            Ok(b"data: {\"a\":1}\n\n: ping\n\n"),
            Ok(b"data: [DONE]\n\n"),
        ])
        .await;
        assert!(out.starts_with(": OPENROUTER PROCESSING\n\n"), "{out}");
        assert!(out.contains(": ping\n\n"), "{out}");
        assert_eq!(s.outcome, StreamOutcome::Completed);
        // Two events an SSE client dispatches: the chunk and [DONE].
        assert_eq!(s.events, 2);
    }

    #[tokio::test]
    async fn usage_chunk_can_be_hidden_but_is_still_observed() {
        let (tx, body) = ChannelBody::new(8);
        tokio::spawn(async move {
            for c in [
                &b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"[..],
                b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}\n\ndata: [DONE]\n\n",
            ] {
                let _ = tx.send(Ok(Bytes::from_static(c))).await;
            }
        });
        let (stx, srx) = std::sync::mpsc::channel();
        let relay = SseRelay::new(
            body,
            Duration::from_secs(5),
            1 << 20,
            vec![Box::new(OnEnd(move |s: &StreamSummary| {
                let _ = stx.send(s.clone());
            }))],
        )
        .hide_usage_chunk(true);
        let out = String::from_utf8(relay.collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(!out.contains("prompt_tokens"), "{out}");
        assert!(
            out.contains("\"hi\"") && out.ends_with("data: [DONE]\n\n"),
            "{out}"
        );
        let s = srx.recv().unwrap();
        assert_eq!(s.usage.unwrap().total_tokens, 3);
        // The events the client received: the content chunk and [DONE], not the hidden one.
        assert_eq!(s.events, 2);
    }

    #[tokio::test]
    async fn invalid_json_event_becomes_an_error_event() {
        let (out, s) = relay_chunks(vec![Ok(
            b"data: {\"a\":1}\n\ndata: {\"broken\":\n\ndata: {\"b\":2}\n\n",
        )])
        .await;
        assert!(out.starts_with("data: {\"a\":1}\n\n"), "{out}");
        assert!(!out.contains("broken") && !out.contains("\"b\""), "{out}");
        assert!(
            out.contains("upstream_protocol_error") && out.ends_with("data: [DONE]\n\n"),
            "{out}"
        );
        assert_eq!(s.outcome, StreamOutcome::UpstreamError);
    }

    #[tokio::test]
    async fn lines_that_are_not_sse_become_one_error_event_and_are_never_relayed() {
        let garbage: [&'static [u8]; 5] = [
            b"data: {\"a\":1}\n\n\x00\x00\x00\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n",
            b"data: {\"a\":1}\n\n\xff\xfe garbage\n\ndata: [DONE]\n\n",
            b"data: {\"a\":1}\n\n\x89PNG\r\n\x1a\n\n",
            b"data: {\"a\":1}\n\n<html><body>Bad gateway</body></html>\n\n",
            // Unterminated garbage at the end of the body.
            b"data: {\"a\":1}\n\n<html>",
        ];
        for g in garbage {
            let (out, s) = relay_chunks(vec![Ok(g)]).await;
            assert!(out.starts_with("data: {\"a\":1}\n\n"), "{out}");
            assert!(
                !out.contains("html") && !out.contains("PNG") && !out.contains('\0'),
                "{out}"
            );
            assert!(!out.contains("\"b\""), "{out}");
            assert_eq!(out.matches("\"error\"").count(), 1, "{out}");
            assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
            assert_eq!(s.outcome, StreamOutcome::UpstreamError, "{out}");
        }
        // Comments and every SSE field are fine.
        let (out, s) = relay_chunks(vec![Ok(
            b": keep-alive\n\nevent: x\nid: 1\nretry: 10\ndata: {\"a\":1}\n\ndata: [DONE]\n\n",
        )])
        .await;
        assert!(!out.contains("error"), "{out}");
        assert_eq!(s.outcome, StreamOutcome::Completed);
    }

    #[tokio::test]
    async fn an_upstream_error_event_is_not_followed_by_a_second_one() {
        let (out, s) = relay_chunks(vec![Ok(
            b"data: {\"a\":1}\n\ndata: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
        )])
        .await;
        assert_eq!(out.matches("\"error\"").count(), 1, "{out}");
        assert!(
            out.contains("overloaded") && out.ends_with("data: [DONE]\n\n"),
            "{out}"
        );
        assert!(s.upstream_error_event);
        assert_eq!(s.outcome, StreamOutcome::UpstreamError);
        // The upstream's two events and the gateway's [DONE]; no second error event.
        assert_eq!(s.events, 3);
        // Then garbage, or a reset: still one error event.
        for tail in [Ok(&b"\x00\xff\n\n"[..]), Err("reset")] {
            let (out, _) = relay_chunks(vec![
                Ok(b"data: {\"error\":{\"message\":\"overloaded\"}}\n\n"),
                tail,
            ])
            .await;
            assert_eq!(out.matches("\"error\"").count(), 1, "{out}");
            assert!(out.ends_with("data: [DONE]\n\n"), "{out}");
        }
    }

    #[tokio::test]
    async fn truncated_stream_gets_error_event_then_done() {
        let (out, s) = relay_chunks(vec![Ok(b"data: {\"a\":1}\n\n")]).await;
        assert!(out.contains("\"code\":\"upstream_protocol_error\""), "{out}");
        assert!(out.ends_with("data: [DONE]\n\n"));
        assert_eq!(s.outcome, StreamOutcome::UpstreamError);
        // The client received three events: the upstream's, the gateway's error and [DONE].
        assert_eq!(s.events, 3);
    }

    #[tokio::test]
    async fn reset_mid_stream_gets_error_event() {
        let (out, s) = relay_chunks(vec![Ok(b"data: {\"a\":1}\n\n"), Err("connection reset")]).await;
        assert!(out.starts_with("data: {\"a\":1}\n\n"));
        assert!(out.contains("upstream_unreachable"), "{out}");
        assert!(out.ends_with("data: [DONE]\n\n"));
        assert_eq!(s.outcome, StreamOutcome::UpstreamError);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_stream_times_out() {
        let (tx, body) = ChannelBody::new(1);
        let relay = SseRelay::new(body, Duration::from_secs(2), 1024, Vec::new());
        let out = relay.collect().await.unwrap().to_bytes();
        drop(tx);
        let s = String::from_utf8(out.to_vec()).unwrap();
        assert!(s.contains("upstream_timeout"), "{s}");
    }

    #[tokio::test(start_paused = true)]
    async fn slow_drip_hits_the_total_timeout() {
        let (tx, body) = ChannelBody::new(1);
        tokio::spawn(async move {
            loop {
                if tx
                    .send(Ok(Bytes::from_static(b"data: {\"a\":1}\n\n")))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let relay = SseRelay::new(body, Duration::from_secs(5), 1024, Vec::new())
            .total_timeout(Duration::from_secs(10));
        let out = String::from_utf8(relay.collect().await.unwrap().to_bytes().to_vec()).unwrap();
        assert!(
            out.contains("total time limit") && out.ends_with("data: [DONE]\n\n"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn oversized_event_is_cut() {
        let (tx, body) = ChannelBody::new(4);
        tokio::spawn(async move {
            let _ = tx.send(Ok(Bytes::from(vec![b'x'; 600]))).await;
            let _ = tx.send(Ok(Bytes::from(vec![b'x'; 600]))).await;
        });
        let relay = SseRelay::new(body, Duration::from_secs(5), 1000, Vec::new());
        let out = relay.collect().await.unwrap().to_bytes();
        let s = String::from_utf8_lossy(&out);
        assert!(s.contains("larger than 1000 bytes"), "{s}");
        assert!(!s.contains("xxxx"));
    }
}
