//! The one request-facing error type.
//!
//! Invariant: every variant of [`ErrorKind`] maps to an HTTP status, an OpenAI error `type`, a
//! `code` and a metric label through exhaustive matches with no `_` arm, so adding a variant
//! forces a decision everywhere. Messages say what was wrong and how to fix it, and never echo
//! secrets or prompt text.

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::json;

/// Who is at fault: decides the status class and whether a retry could help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Client,
    Upstream,
    Gateway,
}

/// What went wrong, as a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The body is not valid JSON.
    InvalidJson,
    /// A field is missing or has the wrong type or value (`param` names it).
    InvalidRequest,
    /// No or unknown gateway API key.
    Unauthorized,
    /// The caller's policy does not allow this (an override header).
    Forbidden,
    /// The caller's policy does not allow this model.
    ModelNotAllowed,
    /// A team rate or concurrency limit.
    RateLimited,
    /// A team budget is used up.
    BudgetExceeded,
    /// The model is not one the gateway serves.
    ModelNotFound,
    /// No route for this method and path.
    NotFound,
    /// The path exists but not for this method.
    MethodNotAllowed,
    /// The body is over the configured limit.
    PayloadTooLarge,
    /// The request's header block is over `[server] max_header_bytes` or has more fields than
    /// `[server] max_headers`.
    HeadersTooLarge,
    /// The client did not send its whole body within `[server] body_read_timeout`.
    BodyReadTimeout,
    /// The upstream could not be reached (connect error, reset before a response).
    UpstreamUnreachable,
    /// The upstream did not answer in time.
    UpstreamTimeout,
    /// The upstream answered with something that is not a valid response.
    UpstreamProtocol,
    /// The upstream refused the gateway's own credentials (its 401/403): an operator's problem,
    /// never relayed as it is (the upstream's text can name part of the upstream key).
    UpstreamAuthFailed,
    /// The model's structured output broke the declared schema, also after repair.
    SchemaViolation,
    /// A bug or an unexpected state inside the gateway.
    Internal,
    /// The gateway is shutting down and takes no new work of this kind (a background job
    /// submitted once the drain began).
    ShuttingDown,
}

impl ErrorKind {
    pub fn fault(self) -> Fault {
        match self {
            ErrorKind::InvalidJson
            | ErrorKind::InvalidRequest
            | ErrorKind::Unauthorized
            | ErrorKind::Forbidden
            | ErrorKind::ModelNotAllowed
            | ErrorKind::RateLimited
            | ErrorKind::BudgetExceeded
            | ErrorKind::ModelNotFound
            | ErrorKind::NotFound
            | ErrorKind::MethodNotAllowed
            | ErrorKind::PayloadTooLarge
            | ErrorKind::HeadersTooLarge
            | ErrorKind::BodyReadTimeout => Fault::Client,
            ErrorKind::UpstreamUnreachable
            | ErrorKind::UpstreamTimeout
            | ErrorKind::UpstreamProtocol
            | ErrorKind::UpstreamAuthFailed
            | ErrorKind::SchemaViolation => Fault::Upstream,
            ErrorKind::Internal | ErrorKind::ShuttingDown => Fault::Gateway,
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::InvalidJson | ErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden | ErrorKind::ModelNotAllowed => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited | ErrorKind::BudgetExceeded => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::ModelNotFound | ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorKind::BodyReadTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::UpstreamUnreachable
            | ErrorKind::UpstreamProtocol
            | ErrorKind::UpstreamAuthFailed
            | ErrorKind::SchemaViolation => StatusCode::BAD_GATEWAY,
            ErrorKind::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The OpenAI error `type` field.
    pub fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson
            | ErrorKind::InvalidRequest
            | ErrorKind::ModelNotFound
            | ErrorKind::NotFound
            | ErrorKind::MethodNotAllowed
            | ErrorKind::PayloadTooLarge
            | ErrorKind::HeadersTooLarge
            | ErrorKind::BodyReadTimeout => "invalid_request_error",
            ErrorKind::Unauthorized => "authentication_error",
            ErrorKind::Forbidden | ErrorKind::ModelNotAllowed => "permission_error",
            ErrorKind::RateLimited => "rate_limit_error",
            ErrorKind::BudgetExceeded => "insufficient_quota",
            ErrorKind::UpstreamUnreachable
            | ErrorKind::UpstreamTimeout
            | ErrorKind::UpstreamProtocol
            | ErrorKind::UpstreamAuthFailed
            | ErrorKind::SchemaViolation => "upstream_error",
            ErrorKind::Internal | ErrorKind::ShuttingDown => "server_error",
        }
    }

    /// The OpenAI error `code` field; also the metric label.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson => "invalid_json",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Unauthorized => "invalid_api_key",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::ModelNotAllowed => "model_not_allowed",
            ErrorKind::RateLimited => "rate_limit_exceeded",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::NotFound => "not_found",
            ErrorKind::MethodNotAllowed => "method_not_allowed",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::HeadersTooLarge => "request_header_fields_too_large",
            ErrorKind::BodyReadTimeout => "body_read_timeout",
            ErrorKind::UpstreamUnreachable => "upstream_unreachable",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::UpstreamProtocol => "upstream_protocol_error",
            ErrorKind::UpstreamAuthFailed => "upstream_auth_failed",
            ErrorKind::SchemaViolation => "schema_violation",
            ErrorKind::Internal => "internal_error",
            ErrorKind::ShuttingDown => "server_shutting_down",
        }
    }
}

/// Which time bound an upstream exchange ran into: the typed cause of an
/// [`ErrorKind::UpstreamTimeout`] (see [`GatewayError::timed_out`]), so code decides on the
/// bound by type, never by reading an error's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// Connecting took longer than the upstream's `connect_timeout`.
    Connect,
    /// One attempt got no response headers within the upstream's `request_timeout`.
    Response,
    /// The client request's one deadline passed (attempts, retries, body, repair calls).
    Deadline,
    /// No stream event within `stream_idle_timeout`.
    StreamIdle,
    /// The stream outlasted `stream_total_timeout`.
    StreamTotal,
}

/// A request-facing error: a kind, a message for the client, the offending parameter if any, and
/// the cause chain for logs.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct GatewayError {
    pub kind: ErrorKind,
    pub message: String,
    pub param: Option<String>,
    /// Set exactly when `kind` is [`ErrorKind::UpstreamTimeout`] (built by
    /// [`GatewayError::timed_out`]): which bound was hit.
    pub timeout: Option<Timeout>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Extra response headers (e.g. `Retry-After`, `x-ratelimit-*`).
    pub headers: Option<Box<http::HeaderMap>>,
}

impl GatewayError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GatewayError {
            kind,
            message: message.into(),
            param: None,
            timeout: None,
            source: None,
            headers: None,
        }
    }

    /// An upstream timeout (504): `which` bound was hit.
    pub fn timed_out(which: Timeout, message: impl Into<String>) -> Self {
        GatewayError {
            timeout: Some(which),
            ..GatewayError::new(ErrorKind::UpstreamTimeout, message)
        }
    }

    /// Add response headers to this error's response.
    pub fn with_headers(mut self, h: http::HeaderMap) -> Self {
        match &mut self.headers {
            Some(existing) => existing.extend(h),
            None => self.headers = Some(Box::new(h)),
        }
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }

    /// The OpenAI-shaped JSON body `{"error":{"message","type","param","code"}}`.
    pub fn body(&self) -> Bytes {
        let v = json!({
            "error": {
                "message": self.message,
                "type": self.kind.openai_type(),
                "param": self.param,
                "code": self.kind.code(),
            }
        });
        Bytes::from(v.to_string())
    }

    /// The same error as one SSE event, for failures after a stream has started.
    pub fn sse_event(&self) -> Bytes {
        let mut out = Vec::with_capacity(128 + self.message.len());
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&self.body());
        out.extend_from_slice(b"\n\n");
        Bytes::from(out)
    }

    /// The full HTTP response for this error.
    pub fn into_response(self) -> crate::http::Response {
        let mut resp = crate::http::full(self.status(), self.body());
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp.extensions_mut().insert(ErrorMark(self.kind));
        if let Some(h) = self.headers {
            resp.headers_mut().extend(*h);
        }
        resp
    }
}

/// Response extension recording which gateway error produced the response (for logs, metrics).
#[derive(Debug, Clone, Copy)]
pub struct ErrorMark(pub ErrorKind);

/// Errors that stop `gearbox` from starting (config, bind). Only used at start-up.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid configuration:\n{0}")]
    Config(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_openai_shaped() {
        let e = GatewayError::new(ErrorKind::InvalidRequest, "bad").with_param("messages");
        let v: serde_json::Value = serde_json::from_slice(&e.body()).unwrap();
        assert_eq!(v["error"]["message"], "bad");
        assert_eq!(v["error"]["type"], "invalid_request_error");
        assert_eq!(v["error"]["param"], "messages");
        assert_eq!(v["error"]["code"], "invalid_request");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn statuses_per_kind() {
        let cases = [
            (ErrorKind::InvalidJson, 400),
            (ErrorKind::Unauthorized, 401),
            (ErrorKind::ModelNotFound, 404),
            (ErrorKind::PayloadTooLarge, 413),
            (ErrorKind::BodyReadTimeout, 408),
            (ErrorKind::HeadersTooLarge, 431),
            (ErrorKind::UpstreamUnreachable, 502),
            (ErrorKind::UpstreamAuthFailed, 502),
            (ErrorKind::UpstreamTimeout, 504),
            (ErrorKind::Internal, 500),
        ];
        for (k, s) in cases {
            assert_eq!(k.status().as_u16(), s, "{k:?}");
        }
    }
}
