//! `gearbox mock`: an OpenAI-compatible upstream simulator for tests, benchmarks and demos.
//!
//! Serves `/v1/chat/completions` and `/v1/responses` (plain and SSE), `/v1/embeddings`, `/v1/models`,
//! and minimally the rest of the surface (`surface.rs`: completions, moderations, audio speech,
//! files, batches), with
//! deterministic content, configurable latency, a strict mode that rejects what real reasoning
//! models reject, run-time fault injection (`POST /mock/faults`) and a report of what reached it
//! (`GET /mock/stats`). It shares the gateway's server and body plumbing but none of its policy.
//! With `chat_only` (`gearbox mock --chat-only`) it acts as a server that predates the Responses
//! API (vLLM, llama.cpp, older OpenAI-compatible servers): `/v1/responses` is a 404, so a gateway
//! in front of it must translate.

pub mod chat;
pub mod faults;
pub mod structured;
pub mod surface;

use crate::api::parse_chat_request;
use crate::http::{self as h, read_limited, BoxError, ChannelBody, Request, Response};
use bytes::Bytes;
use chat::{chunk_event, complete, completion_body, strict_check, usage_event};
use faults::{CutMode, FaultKind, FaultPlan, Faults};
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many recent request bodies `GET /mock/stats` keeps.
const KEEP_LAST: usize = 32;

/// Mock settings (`gearbox mock --help`).
#[derive(Debug, Clone)]
pub struct MockOptions {
    pub chat_models: Vec<String>,
    pub reasoning_models: Vec<String>,
    pub embedding_models: Vec<String>,
    /// Time before the first token (and before a non-streamed answer).
    pub ttft: Duration,
    /// Streaming speed; 0 = as fast as possible.
    pub tokens_per_sec: f64,
    /// Reject what real reasoning models reject.
    pub strict: bool,
    /// When set, requests must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// Act as a Chat-Completions-only server: `POST /v1/responses` answers 404 like any unknown
    /// route of an older OpenAI-compatible server.
    pub chat_only: bool,
    /// Reasoning models show their reasoning as `reasoning_content` (a whole message's field,
    /// streamed as `delta.reasoning_content` before the content), as vLLM's reasoning parsers
    /// and DeepSeek's API do.
    pub reasoning_content: bool,
}

impl Default for MockOptions {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        MockOptions {
            chat_models: s(&["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "llama-3.1-8b"]),
            reasoning_models: s(&[
                "o3-mini",
                "o1-mini",
                "o1",
                "o3",
                "o4-mini",
                "gpt-5",
                "deepseek-r1",
            ]),
            embedding_models: s(&["text-embedding-3-small"]),
            ttft: Duration::ZERO,
            tokens_per_sec: 0.0,
            strict: false,
            api_key: None,
            chat_only: false,
            reasoning_content: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Reasoning,
    Embedding,
}

/// Latency settings, changeable at run time (`PUT /mock/latency`).
#[derive(Debug, Clone, Copy)]
struct Latency {
    ttft: Duration,
    tokens_per_sec: f64,
}

#[derive(Default)]
struct Stats {
    requests_total: u64,
    per_model: BTreeMap<String, u64>,
    last: VecDeque<Value>,
}

/// Shared mock state.
pub struct MockState {
    opts: MockOptions,
    latency: Mutex<Latency>,
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    /// Uploaded files and created batches.
    surface: surface::Store,
    next_id: AtomicU64,
    active_streams: AtomicU64,
    completed_streams: AtomicU64,
    cancelled_streams: AtomicU64,
    /// Non-streamed answers whose client went away while the mock was still waiting.
    cancelled_requests: AtomicU64,
}

impl MockState {
    pub fn new(opts: MockOptions) -> Arc<MockState> {
        Arc::new(MockState {
            latency: Mutex::new(Latency {
                ttft: opts.ttft,
                tokens_per_sec: opts.tokens_per_sec,
            }),
            opts,
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            surface: surface::Store::default(),
            next_id: AtomicU64::new(1),
            active_streams: AtomicU64::new(0),
            completed_streams: AtomicU64::new(0),
            cancelled_streams: AtomicU64::new(0),
            cancelled_requests: AtomicU64::new(0),
        })
    }

    fn kind(&self, model: &str) -> Option<Kind> {
        if self.opts.reasoning_models.iter().any(|m| m == model) {
            Some(Kind::Reasoning)
        } else if self.opts.chat_models.iter().any(|m| m == model) {
            Some(Kind::Chat)
        } else if self.opts.embedding_models.iter().any(|m| m == model) {
            Some(Kind::Embedding)
        } else {
            None
        }
    }

    fn latency(&self) -> Latency {
        match self.latency.lock() {
            Ok(l) => *l,
            Err(p) => *p.into_inner(),
        }
    }

    fn take_fault(&self, model: &str) -> Option<FaultKind> {
        match self.faults.lock() {
            Ok(mut f) => f.take(model),
            Err(p) => p.into_inner().take(model),
        }
    }

    fn record(&self, model: &str, path: &str, parts: &http::request::Parts, body: &[u8]) {
        let headers = &parts.headers;
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let auth = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let version = format!("{:?}", parts.version);
        // W3C trace context the caller propagated (tests check the gateway's).
        let traceparent = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let entry = json!({"path": path, "model": model, "authorization": auth, "request_id": request_id, "http_version": version, "traceparent": traceparent, "body": body});
        let mut s = match self.stats.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        s.requests_total += 1;
        *s.per_model.entry(model.to_string()).or_insert(0) += 1;
        s.last.push_back(entry);
        while s.last.len() > KEEP_LAST {
            s.last.pop_front();
        }
    }

    fn stats_json(&self) -> Value {
        let s = match self.stats.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let faults = match self.faults.lock() {
            Ok(f) => f.list(),
            Err(p) => p.into_inner().list(),
        };
        json!({
            "requests_total": s.requests_total,
            "per_model": s.per_model,
            "last_requests": s.last,
            "active_streams": self.active_streams.load(Ordering::SeqCst),
            "completed_streams": self.completed_streams.load(Ordering::SeqCst),
            "cancelled_streams": self.cancelled_streams.load(Ordering::SeqCst),
            "cancelled_requests": self.cancelled_requests.load(Ordering::SeqCst),
            "faults": faults,
        })
    }

    fn reset(&self) {
        if let Ok(mut s) = self.stats.lock() {
            *s = Stats::default();
        }
        if let Ok(mut f) = self.faults.lock() {
            f.clear();
        }
        self.completed_streams.store(0, Ordering::SeqCst);
        self.cancelled_streams.store(0, Ordering::SeqCst);
        self.cancelled_requests.store(0, Ordering::SeqCst);
    }
}

/// The mock as a tower service. Its error type is used on purpose: returning an error makes
/// hyper abort the connection, which is how a `reset` fault is simulated.
#[derive(Clone)]
pub struct MockService {
    state: Arc<MockState>,
}

impl MockService {
    pub fn new(state: Arc<MockState>) -> Self {
        MockService { state }
    }
}

/// Marker error: abort the connection.
#[derive(Debug)]
struct Reset;
impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("mock fault: connection reset")
    }
}
impl std::error::Error for Reset {}

impl tower::Service<Request> for MockService {
    type Response = Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let state = self.state.clone();
        Box::pin(async move { handle(state, req).await })
    }
}

fn err_json(status: StatusCode, message: &str, typ: &str, param: Option<&str>, code: &str) -> Response {
    let body = json!({"error": {"message": message, "type": typ, "param": param, "code": code}});
    h::json(status, body.to_string())
}

async fn handle(state: Arc<MockState>, req: Request) -> Result<Response, BoxError> {
    let path = req.uri().path().to_string();
    let p = path
        .strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(&path)
        .to_string();
    let method = req.method().clone();
    if p.starts_with("/mock/") {
        return Ok(admin(&state, &method, &p, req).await);
    }
    if let Some(key) = &state.opts.api_key {
        let ok = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.strip_prefix("Bearer ") == Some(key.as_str()));
        if !ok {
            return Ok(err_json(
                StatusCode::UNAUTHORIZED,
                "Incorrect API key provided.",
                "invalid_request_error",
                None,
                "invalid_api_key",
            ));
        }
    }
    match (&method, p.as_str()) {
        (&Method::POST, "/chat/completions") => chat_completions(state, req, &path).await,
        (&Method::POST, "/embeddings") => Ok(embeddings(state, req, &path).await),
        (&Method::POST, "/responses") if !state.opts.chat_only => responses(state, req, &path).await,
        (&Method::GET, "/models") => {
            let mut data = Vec::new();
            for (list, owner) in [
                (&state.opts.chat_models, "mock-chat"),
                (&state.opts.reasoning_models, "mock-reasoning"),
                (&state.opts.embedding_models, "mock-embedding"),
            ] {
                for m in list {
                    data.push(json!({"id": m, "object": "model", "created": 0, "owned_by": owner}));
                }
            }
            Ok(h::json(
                StatusCode::OK,
                json!({"object": "list", "data": data}).to_string(),
            ))
        }
        // The rest of the surface, and its 404 for anything else.
        _ => Ok(surface::handle(&state, &method, &p, req).await),
    }
}

async fn admin(state: &MockState, method: &Method, p: &str, req: Request) -> Response {
    match (method, p) {
        (&Method::GET, "/mock/stats") => h::json(StatusCode::OK, state.stats_json().to_string()),
        (&Method::POST, "/mock/reset") => {
            state.reset();
            h::json(StatusCode::OK, r#"{"ok":true}"#)
        }
        (&Method::DELETE, "/mock/faults") => {
            if let Ok(mut f) = state.faults.lock() {
                f.clear();
            }
            h::json(StatusCode::OK, r#"{"ok":true}"#)
        }
        (&Method::POST, "/mock/faults") => {
            let body = read_limited(req.into_body(), 1 << 20).await.unwrap_or_default();
            match serde_json::from_slice::<FaultPlan>(&body) {
                Ok(plan) => {
                    if let Ok(mut f) = state.faults.lock() {
                        f.add(plan);
                    }
                    h::json(StatusCode::OK, r#"{"ok":true}"#)
                }
                Err(e) => err_json(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid fault plan: {e}"),
                    "invalid_request_error",
                    None,
                    "invalid_fault",
                ),
            }
        }
        (&Method::PUT, "/mock/latency") => {
            #[derive(serde::Deserialize)]
            struct L {
                ttft_ms: Option<u64>,
                tokens_per_sec: Option<f64>,
            }
            let body = read_limited(req.into_body(), 1 << 20).await.unwrap_or_default();
            match serde_json::from_slice::<L>(&body) {
                Ok(l) => {
                    if let Ok(mut cur) = state.latency.lock() {
                        if let Some(ms) = l.ttft_ms {
                            cur.ttft = Duration::from_millis(ms);
                        }
                        if let Some(t) = l.tokens_per_sec {
                            cur.tokens_per_sec = t.max(0.0);
                        }
                    }
                    h::json(StatusCode::OK, r#"{"ok":true}"#)
                }
                Err(e) => err_json(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid latency: {e}"),
                    "invalid_request_error",
                    None,
                    "invalid_latency",
                ),
            }
        }
        _ => err_json(
            StatusCode::NOT_FOUND,
            "mock: unknown admin route",
            "invalid_request_error",
            None,
            "not_found",
        ),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn chat_completions(state: Arc<MockState>, req: Request, path: &str) -> Result<Response, BoxError> {
    let (parts, body) = req.into_parts();
    let bytes = read_limited(body, 64 << 20).await.unwrap_or_default();
    let chat = match parse_chat_request(&bytes) {
        Ok(c) => c,
        Err(e) => return Ok(e.into_response()),
    };
    state.record(&chat.model, path, &parts, &bytes);
    answer_chat(state, chat).await
}

/// `POST /v1/responses`: the request translated to chat (as the gateway does for a chat
/// upstream), answered like chat, and the answer translated back — whole or as the Responses
/// event sequence. The mock keeps no state: `previous_response_id` is the gateway's to expand.
async fn responses(state: Arc<MockState>, req: Request, path: &str) -> Result<Response, BoxError> {
    use crate::responses::{input_items, new_id_suffix, response_from_chat, to_chat, Echo, Strictness};
    let (parts, body) = req.into_parts();
    let bytes = read_limited(body, 64 << 20).await.unwrap_or_default();
    let obj = match crate::api::parse::parse_object(&bytes) {
        Ok(o) => o,
        Err(e) => return Ok(e.into_response()),
    };
    // A Responses server: a requested reasoning summary is accepted, and none is produced.
    let mut as_chat = obj.clone();
    if let Some(Value::Object(r)) = as_chat.get_mut("reasoning") {
        r.remove("summary");
        r.remove("generate_summary");
    }
    let translated = input_items(&as_chat).and_then(|items| to_chat(&as_chat, &items, Strictness::Strict));
    let mut chat = match translated {
        Ok(c) => c,
        Err(e) => {
            return Ok(err_json(
                StatusCode::BAD_REQUEST,
                &e.message,
                "invalid_request_error",
                Some(&e.param),
                "invalid_value",
            ))
        }
    };
    state.record(&chat.model, path, &parts, &bytes);
    let stream = chat.is_stream();
    if stream {
        chat.stream_options = Some(json!({"include_usage": true}));
    }
    let echo = Echo::of(&obj, &new_id_suffix(), now_secs());
    let model = chat.model.clone();
    let resp = answer_chat(state, chat).await?;
    if !resp.status().is_success() {
        return Ok(resp);
    }
    if stream {
        let translator = crate::responses::StreamTranslator::new(echo, &model);
        return Ok(resp.map(|b| h::boxed(crate::stream::responses::ResponsesSse::new(b, translator, None))));
    }
    let body = read_limited(resp.into_body(), 64 << 20).await.unwrap_or_default();
    let completion: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        // A fault made the answer invalid JSON: pass it on as it is.
        Err(_) => return Ok(h::json(StatusCode::OK, body)),
    };
    Ok(h::json(
        StatusCode::OK,
        response_from_chat(&completion, &echo).to_string(),
    ))
}

/// Answer a parsed chat request (faults, strict mode, structured answers, streaming).
async fn answer_chat(state: Arc<MockState>, chat: crate::api::ChatRequest) -> Result<Response, BoxError> {
    let model = chat.model.clone();
    let kind = match state.kind(&model) {
        Some(k @ (Kind::Chat | Kind::Reasoning)) => k,
        Some(Kind::Embedding) | None if !state.opts.strict => Kind::Chat,
        _ => {
            return Ok(err_json(
                StatusCode::NOT_FOUND,
                &format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                Some("model"),
                "model_not_found",
            ))
        }
    };
    let reasoning = kind == Kind::Reasoning;
    let fault = state.take_fault(&model);
    let latency = state.latency();
    let mut per_token = if latency.tokens_per_sec > 0.0 {
        Duration::from_secs_f64(1.0 / latency.tokens_per_sec)
    } else {
        Duration::ZERO
    };
    match &fault {
        Some(FaultKind::Status {
            status,
            retry_after,
            message,
            delay_ms,
        }) => {
            if *delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
            }
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (typ, code) = match status.as_u16() {
                429 => ("rate_limit_error", "rate_limit_exceeded"),
                400..=499 => ("invalid_request_error", "mock_fault"),
                _ => ("server_error", "mock_fault"),
            };
            let msg = message
                .clone()
                .unwrap_or_else(|| format!("mock fault: status {}", status.as_u16()));
            let mut resp = err_json(status, &msg, typ, None, code);
            if let Some(s) = retry_after {
                if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                    resp.headers_mut().insert(http::header::RETRY_AFTER, v);
                }
            }
            return Ok(resp);
        }
        Some(FaultKind::Reset) => return Err(Box::new(Reset)),
        Some(FaultKind::Stall { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultKind::Drip { ms_per_token }) => per_token = Duration::from_millis(*ms_per_token),
        _ => {}
    }
    if state.opts.strict && reasoning {
        if let Some(r) = strict_check(&chat, &model) {
            return Ok(h::json(StatusCode::BAD_REQUEST, r.body().to_string()));
        }
    }
    let mut completion = complete(&chat, &model, reasoning);
    if reasoning && state.opts.reasoning_content {
        completion.reasoning_text = Some(format!(
            "The user asks about {} words. Weighing {} reasoning tokens before answering.",
            completion.tokens.len(),
            completion.reasoning_tokens
        ));
    }
    // Structured requests get JSON (or a tool call) instead of prose.
    let seed = chat::fnv1a(
        serde_json::to_string(&chat.messages)
            .unwrap_or_default()
            .as_bytes(),
    );
    let invalid = matches!(fault, Some(FaultKind::InvalidOutput));
    match structured::answer(&chat, seed, invalid) {
        Some(structured::Structured::Json(text)) => {
            completion.tokens = text
                .as_bytes()
                .chunks(12)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>();
            // Byte chunks can split a UTF-8 character; fall back to one token then.
            if completion.tokens.concat() != text {
                completion.tokens = vec![text];
            }
            completion.finish_reason = "stop";
        }
        Some(structured::Structured::ToolCall { id, name, arguments }) => {
            completion.tokens.clear();
            completion.tool_call = Some((id, name, arguments));
            completion.finish_reason = "tool_calls";
        }
        None => {}
    }
    let id = format!("chatcmpl-mock{}", state.next_id.fetch_add(1, Ordering::Relaxed));
    let created = now_secs();

    if !chat.is_stream() {
        let total = latency.ttft + per_token * u32::try_from(completion.tokens.len()).unwrap_or(u32::MAX);
        if !total.is_zero() {
            // Counts the answer as cancelled if the client drops it while it waits.
            struct Waiting<'a>(&'a AtomicU64, bool);
            impl Drop for Waiting<'_> {
                fn drop(&mut self) {
                    if !self.1 {
                        self.0.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            let mut waiting = Waiting(&state.cancelled_requests, false);
            tokio::time::sleep(total).await;
            waiting.1 = true;
        }
        let text = match fault {
            Some(FaultKind::InvalidJson) => {
                r#"{"id":"chatcmpl-broken","object":"chat.completion","choices":[{"#.to_string()
            }
            Some(FaultKind::Cut { .. }) => {
                let full = completion_body(&id, created, &model, &completion, chat.n.unwrap_or(1), reasoning)
                    .to_string();
                let half = full.len() / 2;
                full.get(..half).unwrap_or("").to_string()
            }
            _ => {
                completion_body(&id, created, &model, &completion, chat.n.unwrap_or(1), reasoning).to_string()
            }
        };
        return Ok(h::json(StatusCode::OK, text));
    }

    let include_usage = chat
        .stream_options
        .as_ref()
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (tx, body) = ChannelBody::new(16);
    state.active_streams.fetch_add(1, Ordering::SeqCst);
    let st = state.clone();
    tokio::spawn(async move {
        let finished = stream_task(
            tx,
            StreamPlan {
                id,
                created,
                model,
                completion,
                reasoning,
                include_usage,
                ttft: latency.ttft,
                per_token,
                fault,
            },
        )
        .await;
        st.active_streams.fetch_sub(1, Ordering::SeqCst);
        if finished {
            st.completed_streams.fetch_add(1, Ordering::SeqCst);
        } else {
            st.cancelled_streams.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut resp = http::Response::new(h::boxed(body));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    resp.headers_mut()
        .insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(resp)
}

struct StreamPlan {
    id: String,
    created: u64,
    model: String,
    completion: chat::Completion,
    reasoning: bool,
    include_usage: bool,
    ttft: Duration,
    per_token: Duration,
    fault: Option<FaultKind>,
}

/// Produce the SSE stream. Returns false when the client went away before the end.
async fn stream_task(tx: tokio::sync::mpsc::Sender<Result<Bytes, BoxError>>, p: StreamPlan) -> bool {
    let send = |s: String| {
        let tx = tx.clone();
        async move { tx.send(Ok(Bytes::from(s))).await.is_ok() }
    };
    if !p.ttft.is_zero() {
        tokio::time::sleep(p.ttft).await;
    }
    let u = p.include_usage;
    if !send(chunk_event(
        &p.id,
        p.created,
        &p.model,
        json!({"role": "assistant", "content": "", "refusal": null}),
        None,
        u,
    ))
    .await
    {
        return false;
    }
    if let Some(r) = &p.completion.reasoning_text {
        for piece in r.split_inclusive(' ') {
            let delta = json!({"reasoning_content": piece});
            if !send(chunk_event(&p.id, p.created, &p.model, delta, None, u)).await {
                return false;
            }
        }
    }
    if let Some(FaultKind::InvalidJson) = p.fault {
        let _ = send("data: {\"id\":\"chatcmpl-broken\",\"choices\":[{\"delta\":\n\n".to_string()).await;
        return send("data: [DONE]\n\n".to_string()).await;
    }
    if let Some((id, name, args)) = &p.completion.tool_call {
        let delta = json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": args}}]});
        if !send(chunk_event(&p.id, p.created, &p.model, delta, None, u)).await {
            return false;
        }
    }
    for (i, tok) in p.completion.tokens.iter().enumerate() {
        if let Some(FaultKind::Cut { after_chunks, mode }) = &p.fault {
            if i as u64 >= u64::from(*after_chunks) {
                if *mode == CutMode::Reset {
                    // hyper discards unflushed bytes when a body fails; give the chunks already
                    // sent time to reach the wire, as they would on a real network.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = tx.send(Err(Box::new(Reset))).await;
                }
                return true;
            }
        }
        if i > 0 && !p.per_token.is_zero() {
            tokio::time::sleep(p.per_token).await;
        }
        if !send(chunk_event(
            &p.id,
            p.created,
            &p.model,
            json!({"content": tok}),
            None,
            u,
        ))
        .await
        {
            return false;
        }
    }
    if !send(chunk_event(
        &p.id,
        p.created,
        &p.model,
        json!({}),
        Some(p.completion.finish_reason),
        u,
    ))
    .await
    {
        return false;
    }
    if u && !send(usage_event(
        &p.id,
        p.created,
        &p.model,
        &p.completion,
        p.reasoning,
    ))
    .await
    {
        return false;
    }
    send("data: [DONE]\n\n".to_string()).await
}

async fn embeddings(state: Arc<MockState>, req: Request, path: &str) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = read_limited(body, 64 << 20).await.unwrap_or_default();
    let v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return err_json(
                StatusCode::BAD_REQUEST,
                &format!("invalid JSON: {e}"),
                "invalid_request_error",
                None,
                "invalid_json",
            )
        }
    };
    let model = v.get("model").and_then(Value::as_str).unwrap_or("").to_string();
    state.record(&model, path, &parts, &bytes);
    // Status faults answer embeddings too; other fault kinds only shape chat answers (an
    // embeddings request that meets one uses it up without effect).
    if let Some(FaultKind::Status { status, message, .. }) = state.take_fault(&model) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let msg = message.unwrap_or_else(|| format!("mock fault: status {}", status.as_u16()));
        return err_json(status, &msg, "server_error", None, "mock_fault");
    }
    let inputs: Vec<String> = match v.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).unwrap_or_else(|| x.to_string()))
            .collect(),
        _ => {
            return err_json(
                StatusCode::BAD_REQUEST,
                "'input' must be a string or an array",
                "invalid_request_error",
                Some("input"),
                "invalid_value",
            )
        }
    };
    let dims = v
        .get("dimensions")
        .and_then(Value::as_u64)
        .unwrap_or(8)
        .clamp(1, 4096) as usize;
    let mut tokens = 0u64;
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            tokens += (text.len() as u64).div_ceil(4);
            let mut x = chat::fnv1a(text.as_bytes());
            let vec: Vec<f64> = (0..dims)
                .map(|_| {
                    x = x
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    ((x >> 40) as f64 / (1u64 << 24) as f64) * 2.0 - 1.0
                })
                .collect();
            json!({"object": "embedding", "index": i, "embedding": vec})
        })
        .collect();
    let body = json!({"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}});
    h::json(StatusCode::OK, body.to_string())
}
