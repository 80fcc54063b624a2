//! The rest of the OpenAI surface, passed through: `/v1/completions`, `/v1/moderations`,
//! `/v1/audio/*`, `/v1/images/*`, `/v1/files`, `/v1/batches`, `/v1/uploads` (and sub-paths).
//! A request goes to the upstream of the model it names (a JSON body's `model`, or a multipart
//! `model` field found in the body's first [`PEEK_BYTES`]) under the model's upstream name, or
//! to `[passthrough] upstream`; through admission (allowed model, rpm, concurrency, budget),
//! one upstream call and the observe layer's metrics and access line.
//!
//! Invariants: a multipart or binary body is streamed to the upstream as it arrives — only a
//! bounded prefix is held, to find the model — and the answer is streamed back (audio, file
//! content), bounded by the upstream's total stream timeout; the client's `Authorization` is
//! never forwarded.

use super::call::{self, Forward};
use super::ctx::RequestCtx;
use super::{admission, read_body, relay};
use crate::api::parse::parse_object;
use crate::config::ModelConfig;
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, Body, BoxError, Response};
use crate::metrics::EndpointLabel;
use crate::state::{AppState, Team};
use crate::upstream::resilience::{order, Outstanding};
use crate::upstream::{Upstream, UpstreamBody, UpstreamResponse};
use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, Either, Full, Limited};
use pin_project_lite::pin_project;
use serde_json::Value;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// How much of a multipart body is held, at most, to find its `model` field (clients put form
/// fields before the file: openai-python, httpx, curl `-F` in order).
pub const PEEK_BYTES: usize = 64 * 1024;

/// The family of a path (after `/v1`) that passes through, or `None`.
pub fn family(path: &str) -> Option<EndpointLabel> {
    let under = |p: &str, root: &str| {
        p.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    match path {
        "/completions" => Some(EndpointLabel::Completions),
        "/moderations" => Some(EndpointLabel::Moderations),
        p if p.starts_with("/audio/") => Some(EndpointLabel::Audio),
        p if p.starts_with("/images/") => Some(EndpointLabel::Images),
        p if under(p, "/files") => Some(EndpointLabel::Files),
        p if under(p, "/batches") => Some(EndpointLabel::Batches),
        p if under(p, "/uploads") => Some(EndpointLabel::Uploads),
        _ => None,
    }
}

/// Relay one request of `family` (see [`family`]).
pub async fn relay(
    state: Arc<AppState>,
    team: Team,
    family: EndpointLabel,
    req: h::Request,
) -> Result<Response, GatewayError> {
    let (parts, body) = req.into_parts();
    let mut ctx = RequestCtx::new(&state, &team, &parts.headers);
    let result = pass(&mut ctx, family, &parts, body).await;
    admission::with_rate_headers(ctx.rate.take(), result)
}

/// The body to send: a JSON body whole, or a streamed one (its held prefix, then the rest).
enum OutBody {
    Json(Bytes),
    Streamed {
        prefix: Bytes,
        /// Where the multipart `model` value lies in `prefix`, when found.
        model_at: Option<std::ops::Range<usize>>,
        rest: Body,
    },
}

impl OutBody {
    fn into_upstream(self, limit: u64) -> UpstreamBody {
        match self {
            OutBody::Json(b) => Either::Left(Full::new(b)),
            OutBody::Streamed { prefix, rest, .. } => Either::Right(h::boxed(Prefixed {
                prefix: (!prefix.is_empty()).then_some(prefix),
                rest: Limited::new(rest, usize::try_from(limit).unwrap_or(usize::MAX)),
            })),
        }
    }
}

/// What the request body turned out to be, once the model (if any) is known.
struct Outgoing {
    model: Option<String>,
    body: OutBody,
    /// The content headers sent upstream (`content-length` adjusted if the body changed).
    headers: http::HeaderMap,
}

async fn pass(
    ctx: &mut RequestCtx<'_>,
    family: EndpointLabel,
    parts: &http::request::Parts,
    body: Body,
) -> Result<Response, GatewayError> {
    let state = ctx.state;
    let mut out = read_request(ctx, parts, body).await?;
    // Audio and images requests name a model; a team limited to some models must name it where
    // the gateway can see it (multipart: before the file), or its allow-list could be bypassed.
    let names_models = matches!(family, EndpointLabel::Audio | EndpointLabel::Images);
    if names_models
        && out.model.is_none()
        && ctx.policy.allowed_models.is_some()
        && parts.method == http::Method::POST
    {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!("your team's policy limits its models: name the model (a multipart body's `model` field must come before the file, within its first {PEEK_BYTES} bytes)"),
        )
        .with_param("model"));
    }
    admission::admit_passthrough(ctx, out.model.as_deref()).await?;
    // A configured model goes to its deployment (fewest outstanding, closed circuits first) under
    // its upstream name; anything else to the default upstream, under the client's name.
    let configured: Option<&ModelConfig> = out.model.as_deref().and_then(|m| state.config.models.get(m));
    let (upstream, sent_model) = match configured {
        Some(m) => {
            let first = order(call::candidates(ctx, m, false)).into_iter().next();
            let Some(c) = first else {
                return Err(GatewayError::new(
                    ErrorKind::Internal,
                    "the model names no configured upstream",
                ));
            };
            ctx.info.model_label = out.model.clone();
            (c.upstream, Some(c.model))
        }
        None => (default_upstream(state)?, out.model.clone()),
    };
    if let (Some(from), Some(to)) = (out.model.as_deref(), sent_model.as_deref()) {
        if from != to {
            out = rename_model(out, to)?;
        }
    }
    ctx.info.route = "passthrough";
    let path = upstream_path(&parts.uri);
    // Counted against the upstream (least-outstanding balancing) until the answer's body ends.
    let outstanding = Outstanding::new(&upstream);
    let mut sent = call::forward(
        ctx,
        Forward {
            upstream: &upstream,
            model: sent_model,
            method: parts.method.clone(),
            path: &path,
            headers: &out.headers,
            body: out.body.into_upstream(state.config.passthrough.max_body_bytes),
        },
    )
    .await?;
    sent.outstanding = Some(outstanding);
    Ok(stream_back(ctx, sent, &upstream))
}

fn default_upstream(state: &AppState) -> Result<Arc<Upstream>, GatewayError> {
    state
        .config
        .passthrough
        .upstream
        .as_deref()
        .and_then(|n| state.upstreams.get(n))
        .cloned()
        .ok_or_else(|| {
            GatewayError::new(
                ErrorKind::NotFound,
                "this request names no configured model and the gateway has no default upstream for it ([passthrough] upstream)",
            )
        })
}

/// The path and query after `/v1`, as the upstream's `base_url` ends in its own `/v1`.
fn upstream_path(uri: &http::Uri) -> String {
    let path = uri.path();
    let rest = path
        .strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    match uri.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    }
}

fn content_headers(from: &http::HeaderMap) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for name in [CONTENT_TYPE, CONTENT_LENGTH, http::header::ACCEPT] {
        if let Some(v) = from.get(&name) {
            h.insert(name, v.clone());
        }
    }
    h
}

/// Read what is needed of the body to know its model: a JSON body whole (bounded by
/// `server.max_body_bytes`), a multipart body's first [`PEEK_BYTES`]; anything else is not
/// read at all.
async fn read_request(
    ctx: &RequestCtx<'_>,
    parts: &http::request::Parts,
    body: Body,
) -> Result<Outgoing, GatewayError> {
    let config = &ctx.state.config;
    let headers = content_headers(&parts.headers);
    let ctype = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" {
        let bytes = read_body(body, &config.server).await?;
        let model = if bytes.is_empty() {
            None
        } else {
            match parse_object(&bytes)?.get("model") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(GatewayError::new(
                        ErrorKind::InvalidRequest,
                        "invalid value for 'model': expected a string",
                    )
                    .with_param("model"))
                }
            }
        };
        return Ok(Outgoing {
            model,
            body: OutBody::Json(bytes),
            headers,
        });
    }
    let limit = config.passthrough.max_body_bytes;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(GatewayError::new(
            ErrorKind::PayloadTooLarge,
            format!("request body is larger than the limit of {limit} bytes ([passthrough] max_body_bytes)"),
        ));
    }
    let (prefix, rest, found) = match boundary(ctype) {
        Some(b) if essence == "multipart/form-data" => peek_model(body, &b).await?,
        _ => (Bytes::new(), body, None),
    };
    let model = found
        .as_ref()
        .and_then(|r| prefix.get(r.clone()))
        .map(|v| String::from_utf8_lossy(v).trim().to_string());
    Ok(Outgoing {
        model,
        body: OutBody::Streamed {
            prefix,
            model_at: found,
            rest,
        },
        headers,
    })
}

/// Hold the body's frames until its `model` field is complete, the body ends, or
/// [`PEEK_BYTES`] are held; hand back what was held, the rest of the body, and where the
/// model's value lies in what was held.
async fn peek_model(
    mut body: Body,
    boundary: &str,
) -> Result<(Bytes, Body, Option<std::ops::Range<usize>>), GatewayError> {
    let mut held = BytesMut::new();
    loop {
        let ended = match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    held.extend_from_slice(&data);
                }
                false
            }
            Some(Err(e)) => {
                return Err(GatewayError::new(
                    ErrorKind::InvalidRequest,
                    format!("could not read request body: {e}"),
                ))
            }
            None => true,
        };
        let scan = find_form_field(&held, boundary, "model");
        let done = ended || held.len() >= PEEK_BYTES || scan != Scan::NotYet;
        if done {
            let found = match scan {
                Scan::Found(r) => Some(r),
                Scan::Absent | Scan::NotYet => None,
            };
            let rest = if ended { h::full_body(Bytes::new()) } else { body };
            return Ok((held.freeze(), rest, found));
        }
    }
}

/// The `boundary` parameter of a multipart content type.
fn boundary(ctype: &str) -> Option<String> {
    ctype.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary")).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Where a form field stands in a multipart prefix.
#[derive(Debug, PartialEq)]
enum Scan {
    /// Where its value lies, whole.
    Found(std::ops::Range<usize>),
    /// The body ended (closing delimiter seen) without it.
    Absent,
    /// Not seen yet, or seen but not complete.
    NotYet,
}

/// Find form field `name` in `buf`, a multipart body's prefix delimited by `boundary`.
fn find_form_field(buf: &[u8], boundary: &str, name: &str) -> Scan {
    let delim = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(buf.get(at..).unwrap_or_default(), delim.as_bytes()) {
        let start = at + i + delim.len();
        let rest = buf.get(start..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return Scan::Absent;
        }
        let Some(end_of_headers) = memchr::memmem::find(rest, b"\r\n\r\n") else {
            return Scan::NotYet;
        };
        let part_headers = rest.get(..end_of_headers).unwrap_or_default();
        let value_start = start + end_of_headers + 4;
        let is_it = memchr::memmem::find(part_headers, wanted.as_bytes()).is_some();
        let after = buf.get(value_start..).unwrap_or_default();
        let close = format!("\r\n{delim}");
        let Some(len) = memchr::memmem::find(after, close.as_bytes()) else {
            return Scan::NotYet;
        };
        if is_it {
            return Scan::Found(value_start..value_start + len);
        }
        at = value_start + len + 2;
    }
    Scan::NotYet
}

/// The request with its model replaced by the deployment's upstream name: a JSON body
/// re-serialised; a multipart body's held prefix rewritten (the field is in it), its
/// `content-length` adjusted.
fn rename_model(out: Outgoing, to: &str) -> Result<Outgoing, GatewayError> {
    let Outgoing {
        body,
        mut headers,
        model,
    } = out;
    let body = match body {
        OutBody::Json(bytes) => {
            let mut obj = parse_object(&bytes)?;
            obj.insert("model".into(), Value::String(to.to_string()));
            let bytes = serde_json::to_vec(&obj).map(Bytes::from).map_err(|e| {
                GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request")
                    .with_source(e)
            })?;
            headers.remove(CONTENT_LENGTH);
            OutBody::Json(bytes)
        }
        OutBody::Streamed {
            prefix,
            model_at: Some(at),
            rest,
        } => {
            let (Some(before), Some(after)) = (prefix.get(..at.start), prefix.get(at.end..)) else {
                return Err(GatewayError::new(
                    ErrorKind::Internal,
                    "multipart model field out of range",
                ));
            };
            let mut b = BytesMut::with_capacity(prefix.len() + to.len());
            b.extend_from_slice(before);
            b.extend_from_slice(to.as_bytes());
            b.extend_from_slice(after);
            let declared = headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(n) = declared {
                let n = (n + to.len() as u64).saturating_sub(at.len() as u64);
                headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
            }
            OutBody::Streamed {
                prefix: b.freeze(),
                model_at: None,
                rest,
            }
        }
        other => other,
    };
    Ok(Outgoing { model, body, headers })
}

/// The upstream's answer streamed back as it arrives (audio, file content, SSE): its status,
/// its content headers and the relayed ones, bounded by the upstream's total stream timeout.
fn stream_back(ctx: &mut RequestCtx<'_>, sent: UpstreamResponse, upstream: &Upstream) -> Response {
    let (parts, body) = sent.response.into_parts();
    let deadline = tokio::time::Instant::now() + upstream.stream_total_timeout;
    let mut resp = http::Response::new(h::boxed(Bounded {
        inner: body,
        sleep: tokio::time::sleep_until(deadline),
        outstanding: sent.outstanding,
    }));
    *resp.status_mut() = parts.status;
    let to = resp.headers_mut();
    for name in [CONTENT_TYPE, CONTENT_LENGTH, http::header::CONTENT_DISPOSITION] {
        if let Some(v) = parts.headers.get(&name) {
            to.insert(name, v.clone());
        }
    }
    relay::copy_relayed_headers(&parts.headers, to);
    if let Some(m) = ctx
        .info
        .model
        .as_deref()
        .and_then(|m| HeaderValue::from_str(m).ok())
    {
        to.insert("x-gearbox-model", m);
    }
    resp.extensions_mut().insert(ctx.take_info());
    resp
}

pin_project! {
    /// A body with a bounded prefix already read, then the rest as it arrives.
    struct Prefixed<B> {
        prefix: Option<Bytes>,
        #[pin]
        rest: B,
    }
}

impl<B> http_body::Body for Prefixed<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Some(p) = this.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(p))));
        }
        this.rest.poll_frame(cx).map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let held = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + held);
        if let Some(u) = rest.upper() {
            hint.set_upper(u + held);
        }
        hint
    }
}

pin_project! {
    /// An upstream body that fails once its deadline passes (every network await has one).
    struct Bounded<B> {
        #[pin]
        inner: B,
        #[pin]
        sleep: tokio::time::Sleep,
        // The request counts against its upstream until the body ends (or is dropped).
        outstanding: Option<Outstanding>,
    }
}

impl<B> http_body::Body for Bounded<B>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if let Poll::Ready(f) = this.inner.poll_frame(cx) {
            if f.is_none() {
                this.outstanding.take();
            }
            return Poll::Ready(f.map(|r| r.map_err(Into::into)));
        }
        match std::future::Future::poll(this.sleep, cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(
                "upstream body exceeded its stream_total_timeout".into()
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_of_paths() {
        let cases: &[(&str, Option<EndpointLabel>)] = &[
            ("/completions", Some(EndpointLabel::Completions)),
            ("/moderations", Some(EndpointLabel::Moderations)),
            ("/audio/speech", Some(EndpointLabel::Audio)),
            ("/images/generations", Some(EndpointLabel::Images)),
            ("/files", Some(EndpointLabel::Files)),
            ("/files/file-1/content", Some(EndpointLabel::Files)),
            ("/batches/b1/cancel", Some(EndpointLabel::Batches)),
            ("/uploads/u1/parts", Some(EndpointLabel::Uploads)),
            ("/filesystem", None),
            ("/audio", None),
            ("/completions/x", None),
            ("/nope", None),
        ];
        for (path, want) in cases {
            assert_eq!(family(path), *want, "{path}");
        }
    }

    #[test]
    fn form_fields_are_found_in_a_prefix_or_reported_incomplete() {
        let b = "XyZ";
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nDATA\r\n--XyZ--\r\n";
        let Scan::Found(at) = find_form_field(body.as_bytes(), b, "model") else {
            panic!("model not found");
        };
        assert_eq!(&body[at], "whisper-1");
        assert_eq!(find_form_field(body.as_bytes(), b, "language"), Scan::Absent);
        let cut = body.find("whisper").unwrap_or(0) + 3;
        assert_eq!(find_form_field(&body.as_bytes()[..cut], b, "model"), Scan::NotYet);
        assert_eq!(find_form_field(&body.as_bytes()[..20], b, "model"), Scan::NotYet);
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XyZ\""),
            Some("XyZ".into())
        );
        assert_eq!(
            boundary("multipart/form-data; charset=utf-8; Boundary=abc"),
            Some("abc".into())
        );
    }

    #[test]
    fn upstream_paths_drop_v1_and_keep_the_query() {
        let uri: http::Uri = "/v1/files?purpose=batch&limit=2".parse().unwrap_or_default();
        assert_eq!(upstream_path(&uri), "/files?purpose=batch&limit=2");
        let uri: http::Uri = "/batches/b1".parse().unwrap_or_default();
        assert_eq!(upstream_path(&uri), "/batches/b1");
    }
}
