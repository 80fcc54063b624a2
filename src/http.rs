//! HTTP plumbing shared by the gateway and the mock: the boxed body type, response builders,
//! bounded body reading, and a channel-fed streaming body.
//!
//! Invariant: reading a body never buffers more than the caller's limit.

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode};
use http_body::Frame;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Boxed error carried by bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
/// The body type of every request and response inside the gateway.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;
pub type Request = http::Request<Body>;
pub type Response = http::Response<Body>;

/// Box any body into [`Body`].
pub fn boxed<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// A concrete body error type for the hyper boundary. hyper bounds body errors with
/// `Into<Box<dyn Error + Send + Sync>>` (no `'static`), which a `Box<dyn Error>` only satisfies
/// for one lifetime; a concrete error type satisfies it for all of them.
#[derive(Debug)]
pub struct BodyError(pub BoxError);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BodyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// A complete body from bytes.
pub fn full_body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with a status and a complete body (no content type set).
pub fn full(status: StatusCode, bytes: impl Into<Bytes>) -> Response {
    let mut resp = http::Response::new(full_body(bytes));
    *resp.status_mut() = status;
    resp
}

/// A JSON response.
pub fn json(status: StatusCode, bytes: impl Into<Bytes>) -> Response {
    let mut resp = full(status, bytes);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Why reading a body stopped.
#[derive(Debug)]
pub enum ReadError {
    /// More than `limit` bytes.
    TooLarge { limit: usize },
    /// The peer's body failed (reset, bad chunk encoding).
    Body(BoxError),
}

/// Read a whole body into memory, refusing more than `limit` bytes.
pub async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if let Some(upper) = body.size_hint().exact() {
        if upper > limit as u64 {
            return Err(ReadError::TooLarge { limit });
        }
    }
    let mut body = std::pin::pin!(body);
    let mut buf = BytesMut::new();
    let mut first: Option<Bytes> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Body(e.into()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        let have = first.as_ref().map_or(0, Bytes::len) + buf.len();
        if have + data.len() > limit {
            return Err(ReadError::TooLarge { limit });
        }
        // Avoid a copy for the common single-frame body.
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            Some(prev) => {
                buf.extend_from_slice(&prev);
                buf.extend_from_slice(&data);
            }
            None => buf.extend_from_slice(&data),
        }
    }
    Ok(match first {
        Some(b) => b,
        None => buf.freeze(),
    })
}

/// A streaming body fed by a channel: each message is one data frame; an `Err` ends the body
/// with that error (hyper then aborts the connection, which is how the mock simulates a reset).
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, BoxError>>,
}

impl ChannelBody {
    /// A body and the sender that feeds it. The body ends when every sender is dropped.
    pub fn new(capacity: usize) -> (mpsc::Sender<Result<Bytes, BoxError>>, ChannelBody) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (tx, ChannelBody { rx })
    }
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn read_limited_refuses_over_limit() {
        let body = full_body(vec![0u8; 100]);
        assert!(matches!(
            read_limited(body, 99).await,
            Err(ReadError::TooLarge { limit: 99 })
        ));
        let body = full_body(vec![0u8; 100]);
        assert_eq!(read_limited(body, 100).await.unwrap().len(), 100);
    }

    #[tokio::test]
    async fn read_limited_counts_streamed_frames() {
        let (tx, body) = ChannelBody::new(4);
        tokio::spawn(async move {
            for _ in 0..3 {
                let _ = tx.send(Ok(Bytes::from_static(b"0123456789"))).await;
            }
        });
        assert!(matches!(
            read_limited(body, 25).await,
            Err(ReadError::TooLarge { .. })
        ));
    }
}
