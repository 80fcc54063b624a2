//! The body of a Responses stream served by a chat upstream: the relayed chat events (already
//! bounded, timed and accounted by [`super::SseRelay`]) translated event by event into the
//! Responses sequence by a [`StreamTranslator`]; the completed response is handed to `on_done`
//! (the response store) when the chat stream ends with `[DONE]`. [`HoldTerminal`] does the
//! same for a relayed Responses stream (its terminal event: `response.completed`,
//! `.incomplete` or `.failed`).
//!
//! Invariants: every chat event is translated as soon as it is complete; nothing is buffered
//! beyond a partial event, except the last events, held until `on_done`'s future (storing the
//! response, bounded by the Redis deadline) has finished, so a client that read the whole stream
//! finds the response stored on every replica.

use super::{event_data_ref, find_event_end};
use crate::responses::StreamTranslator;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What `on_done` returns: the stream's last events wait for it.
pub type Done = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Called with the completed response object.
pub type OnDone = Box<dyn FnOnce(Value) -> Done + Send>;

pin_project! {
    pub struct ResponsesSse<B> {
        #[pin]
        inner: B,
        buf: BytesMut,
        translator: StreamTranslator,
        started: bool,
        ended: bool,
        on_done: Option<OnDone>,
        // `on_done`'s future, and the events held until it finishes.
        pending: Option<Done>,
        held: Vec<u8>,
        // The events handed to the client so far, recorded as `gearbox.stream.events` on the
        // stream's span (when traced) once the body has ended or is dropped: the client
        // receives these, not the chat chunks the relay counted.
        sent: u64,
        span: Option<tracing::Span>,
    }

    impl<B> PinnedDrop for ResponsesSse<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            report(this.span, *this.sent);
        }
    }
}

/// Record the events handed to the client on the stream's span and let go of it: at the
/// body's end (before the server span ends with it), or when a departing client drops it.
fn report(span: &mut Option<tracing::Span>, sent: u64) {
    if let Some(span) = span.take() {
        span.record("gearbox.stream.events", crate::telemetry::int(sent));
    }
}

impl<B> ResponsesSse<B> {
    pub fn new(inner: B, translator: StreamTranslator, on_done: Option<OnDone>) -> Self {
        ResponsesSse {
            inner,
            buf: BytesMut::new(),
            translator,
            started: false,
            ended: false,
            on_done,
            pending: None,
            held: Vec::new(),
            sent: 0,
            span: None,
        }
    }

    /// Report the events the client received to `span` (the stream's span, kept open until
    /// this body is done).
    pub fn reporting_to(mut self, span: Option<tracing::Span>) -> Self {
        self.span = span;
        self
    }
}

/// A frame of translated events, counted as handed to the client.
fn handed<E>(
    out: Vec<u8>,
    sent: &mut u64,
    translator: &StreamTranslator,
) -> Poll<Option<Result<Frame<Bytes>, E>>> {
    *sent = translator.events();
    Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
}

impl<B> Body for ResponsesSse<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        let mut out = Vec::new();
        if !*this.started {
            *this.started = true;
            out = this.translator.start();
        }
        loop {
            if let Some(done) = this.pending.as_mut() {
                if done.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                *this.pending = None;
                out.append(this.held);
            }
            if *this.ended {
                return if out.is_empty() {
                    report(this.span, *this.sent);
                    Poll::Ready(None)
                } else {
                    handed(out, this.sent, this.translator)
                };
            }
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    this.buf.extend_from_slice(&data);
                    while let Some(end) = find_event_end(this.buf) {
                        let event = this.buf.split_to(end).freeze();
                        let Some(d) = event_data_ref(&event) else {
                            continue;
                        };
                        if &*d == b"[DONE]" {
                            out.extend(this.translator.finish());
                            if let (Some(f), Some(r)) = (this.on_done.take(), this.translator.take_response())
                            {
                                *this.pending = Some(f(r));
                                this.held.append(&mut out);
                            }
                            *this.ended = true;
                            break;
                        }
                        match serde_json::from_slice::<Value>(&d) {
                            Ok(v) if v.get("error").is_some() => {
                                out.extend(this.translator.error(&v["error"]));
                                *this.ended = true;
                                break;
                            }
                            Ok(v) => out.extend(this.translator.chunk(&v)),
                            Err(_) => {}
                        }
                    }
                    if !out.is_empty() {
                        return handed(out, this.sent, this.translator);
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    *this.ended = true;
                }
                Poll::Pending => {
                    return if out.is_empty() {
                        Poll::Pending
                    } else {
                        handed(out, this.sent, this.translator)
                    };
                }
            }
        }
    }
}

pin_project! {
    /// A relayed Responses stream whose terminal event's response (`response.completed`,
    /// `.incomplete` or `.failed`, as a non-streamed relay stores whatever status the upstream's
    /// object has) is handed to `on_done`; the frame carrying it is held until `on_done`'s
    /// future has finished. An `error` event or a cut stream hands over nothing.
    pub struct HoldTerminal<B> {
        #[pin]
        inner: B,
        buf: Vec<u8>,
        on_done: Option<OnDone>,
        pending: Option<Done>,
        held: Option<Bytes>,
    }
}

impl<B> HoldTerminal<B> {
    pub fn new(inner: B, on_done: OnDone) -> Self {
        HoldTerminal {
            inner,
            buf: Vec::new(),
            on_done: Some(on_done),
            pending: None,
            held: None,
        }
    }
}

/// The `response` of a terminal event (`response.completed`, `.incomplete` or `.failed`)
/// among the complete events of `buf` (which keeps only its last, partial event).
pub(crate) fn terminal_in(buf: &mut Vec<u8>) -> Option<Value> {
    let mut found = None;
    while let Some(end) = find_event_end(buf) {
        let event: Vec<u8> = buf.drain(..end).collect();
        let Some(d) = event_data_ref(&event) else {
            continue;
        };
        // Only events that name a terminal type anywhere are parsed.
        let named = super::RESPONSES_TERMINAL
            .iter()
            .any(|t| d.windows(t.len()).any(|w| w == t.as_bytes()));
        if !named {
            continue;
        }
        if let Ok(mut v) = serde_json::from_slice::<Value>(&d) {
            if v.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| super::RESPONSES_TERMINAL.contains(&t))
            {
                found = v.get_mut("response").map(Value::take);
            }
        }
    }
    found
}

impl<B> Body for HoldTerminal<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        if let Some(done) = this.pending.as_mut() {
            if done.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            *this.pending = None;
            if let Some(b) = this.held.take() {
                return Poll::Ready(Some(Ok(Frame::data(b))));
            }
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if this.on_done.is_none() {
                    return Poll::Ready(Some(Ok(frame)));
                }
                let Some(data) = frame.data_ref() else {
                    return Poll::Ready(Some(Ok(frame)));
                };
                this.buf.extend_from_slice(data);
                let Some(r) = terminal_in(this.buf) else {
                    return Poll::Ready(Some(Ok(frame)));
                };
                this.buf.clear();
                let (Some(f), Ok(data)) = (this.on_done.take(), frame.into_data()) else {
                    return Poll::Ready(None);
                };
                let mut done = f(r);
                if done.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                *this.pending = Some(done);
                *this.held = Some(data);
                Poll::Pending
            }
            other => other,
        }
    }
}

pin_project! {
    /// A relayed Responses stream whose response objects (`response.created`, `.in_progress`,
    /// the terminal event's, ...) name the client's `previous_response_id`: the gateway sent
    /// the upstream the whole conversation instead of that id, so the upstream's objects say
    /// `null`, and the client is shown the id it sent, as in a non-streamed relay. Events
    /// without a response object pass through untouched; only a partial event is held.
    pub struct NamePrevious<B> {
        #[pin]
        inner: B,
        previous: Value,
        buf: Vec<u8>,
    }
}

impl<B> NamePrevious<B> {
    pub fn new(inner: B, previous: Value) -> Self {
        NamePrevious {
            inner,
            previous,
            buf: Vec::new(),
        }
    }
}

/// What an event carrying a response object has in its data.
const RESPONSE_KEY: &[u8] = b"\"response\"";

/// `event` (one complete event) with its response object's `previous_response_id` set to
/// `previous`, or `None` when it has no response object (then it is relayed as it came).
/// Only events that have a `"response"` key (JSON spacing tolerated) are parsed.
fn with_previous(event: &[u8], previous: &Value) -> Option<Vec<u8>> {
    let d = event_data_ref(event)?;
    if !super::contains(&d, RESPONSE_KEY) {
        return None;
    }
    let mut v: Value = serde_json::from_slice(&d).ok()?;
    let Some(Value::Object(r)) = v.get_mut("response") else {
        return None;
    };
    r.insert("previous_response_id".into(), previous.clone());
    let mut out = Vec::with_capacity(event.len() + 64);
    // The event's other lines (`event:`, `id:`) as they came, then its data on one line.
    for line in event.split(|&b| b == b'\n') {
        let bare = line.strip_suffix(b"\r").unwrap_or(line);
        if bare.is_empty() || bare.starts_with(b"data:") {
            continue;
        }
        out.extend_from_slice(bare);
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(v.to_string().as_bytes());
    out.extend_from_slice(b"\n\n");
    Some(out)
}

impl<B> Body for NamePrevious<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        loop {
            match this.inner.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Some(data) = frame.data_ref() else {
                        return Poll::Ready(Some(Ok(frame)));
                    };
                    // Most frames (text deltas) are whole events without a response object:
                    // they go out as they came, not copied through the buffer.
                    if this.buf.is_empty()
                        && !super::contains(data, RESPONSE_KEY)
                        && (data.ends_with(b"\n\n") || data.ends_with(b"\r\n\r\n"))
                    {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    this.buf.extend_from_slice(data);
                    let mut out = Vec::with_capacity(this.buf.len());
                    let mut at = 0;
                    while let Some(n) = this.buf.get(at..).and_then(find_event_end) {
                        let event = this.buf.get(at..at + n).unwrap_or_default();
                        match with_previous(event, this.previous) {
                            Some(named) => out.extend_from_slice(&named),
                            None => out.extend_from_slice(event),
                        }
                        at += n;
                    }
                    this.buf.drain(..at);
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
                    }
                }
                Poll::Ready(None) if !this.buf.is_empty() => {
                    // A partial last event goes out as it came (the relay ended the stream).
                    let rest = std::mem::take(this.buf);
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(rest)))));
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::ChannelBody;
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};

    /// Each terminal event hands over its response, whatever its status; an event that only
    /// mentions one (a delta's text) or an `error` event hands over nothing.
    #[test]
    fn every_terminal_event_hands_over_its_response() {
        for (ty, status) in [
            ("response.completed", "completed"),
            ("response.incomplete", "incomplete"),
            ("response.failed", "failed"),
        ] {
            let mut buf = format!(
                "event: {ty}\ndata: {{\"type\":\"{ty}\",\"response\":{{\"id\":\"resp_1\",\"status\":\"{status}\"}}}}\n\n"
            )
            .into_bytes();
            let r = terminal_in(&mut buf).unwrap();
            assert_eq!(r["status"], status, "{ty}");
            assert!(buf.is_empty());
        }
        let mut buf = b"data: {\"type\":\"response.output_text.delta\",\"delta\":\"response.failed\"}\n\n\
            data: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"response.incomplete\"}\n\n\
            data: {\"type\":\"response.completed\",\"resp"
            .to_vec();
        assert!(terminal_in(&mut buf).is_none());
        // The partial event is kept for the next frame.
        assert_eq!(buf, b"data: {\"type\":\"response.completed\",\"resp");
    }

    /// Response objects get the previous id whatever the framing (an event split over frames,
    /// JSON spacing); other events, even ones whose text mentions a response, pass unchanged.
    #[tokio::test]
    async fn response_objects_name_the_previous_response() {
        let (tx, inner) = ChannelBody::new(8);
        let body = NamePrevious::new(inner, Value::String("resp_prev".into()));
        let created = "event: response.created\ndata: {\"type\": \"response.created\", \"response\": {\"id\":\"resp_2\",\"previous_response_id\":null}}\n\n";
        let delta = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"the \\\"response\\\": x\"}\n\n";
        let (a, b) = created.split_at(30);
        tx.send(Ok(Bytes::from(a))).await.unwrap();
        tx.send(Ok(Bytes::from(b))).await.unwrap();
        tx.send(Ok(Bytes::from(delta))).await.unwrap();
        drop(tx);
        let out = body.collect().await.unwrap().to_bytes();
        let text = std::str::from_utf8(&out).unwrap();
        let (first, rest) = text.split_once("\n\n").unwrap();
        assert!(first.starts_with("event: response.created\ndata: "), "{first}");
        let v: Value = serde_json::from_str(first.split_once("data: ").unwrap().1).unwrap();
        assert_eq!(v["response"]["previous_response_id"], "resp_prev");
        assert_eq!(v["response"]["id"], "resp_2");
        assert_eq!(rest, delta);
    }

    /// The frame with `response.completed` reaches the client only after `on_done`'s future
    /// (the store) has finished; the frames before it are not held.
    #[tokio::test]
    async fn the_completed_event_waits_for_the_store() {
        let (tx, inner) = ChannelBody::new(4);
        let (stored_tx, stored_rx) = tokio::sync::oneshot::channel::<()>();
        let seen = Arc::new(Mutex::new(None));
        let seen2 = seen.clone();
        let on_done: OnDone = Box::new(move |r| {
            *seen2.lock().unwrap() = Some(r);
            Box::pin(async move {
                let _ = stored_rx.await;
            })
        });
        let mut body = HoldTerminal::new(inner, on_done);
        let delta = "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"hi\"}\n\n";
        let done = "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\"}}\n\n";
        tx.send(Ok(Bytes::from(delta))).await.unwrap();
        tx.send(Ok(Bytes::from(done))).await.unwrap();
        drop(tx);
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, delta.as_bytes());
        let held = tokio::time::timeout(std::time::Duration::from_millis(50), body.frame()).await;
        assert!(
            held.is_err(),
            "the completed event was sent before the response was stored"
        );
        assert_eq!(seen.lock().unwrap().as_ref().unwrap()["id"], "resp_1");
        stored_tx.send(()).unwrap();
        let last = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(last, done.as_bytes());
        assert!(body.frame().await.is_none());
    }
}
