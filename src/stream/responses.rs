//! The body of a Responses stream served by a chat upstream: the relayed chat events (already
//! bounded, timed and accounted by [`super::SseRelay`]) translated event by event into the
//! Responses sequence by a [`StreamTranslator`]; the completed response is handed to `on_done`
//! (the response store) when the chat stream ends with `[DONE]`.
//!
//! Invariant: every chat event is translated as soon as it is complete; nothing is buffered
//! beyond a partial event.

use super::{event_data_ref, find_event_end};
use crate::responses::StreamTranslator;
use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use serde_json::Value;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Called with the completed response object.
pub type OnDone = Box<dyn FnOnce(Value) + Send>;

pin_project! {
    pub struct ResponsesSse<B> {
        #[pin]
        inner: B,
        buf: BytesMut,
        translator: StreamTranslator,
        started: bool,
        ended: bool,
        on_done: Option<OnDone>,
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
        }
    }
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
            if *this.ended {
                return if out.is_empty() {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
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
                                f(r);
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
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
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
                        Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
                    };
                }
            }
        }
    }
}
