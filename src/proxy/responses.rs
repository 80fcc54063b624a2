//! `POST /v1/responses` and the stored responses (`GET`/`DELETE /v1/responses/{id}`,
//! `GET /v1/responses/{id}/input_items`): the same stages as chat, read top to bottom. The
//! request is translated to its chat form first (`responses::translate`), which routing (the
//! last user turn decides) and admission read; then, by the dialect of the target's upstream
//! (`[upstreams.NAME] api`), it is either sent as chat — schema stage, reasoning adaptation and
//! goal-form rewrite included — and the answer translated back, or relayed to a Responses
//! upstream as is with only the model name (and a `previous_response_id` conversation) replaced.
//!
//! Invariant: every stored response is read and written under the caller's team; another
//! team's id is a 404, exactly like an unknown one.

use super::account::Accounting;
use super::ctx::RequestCtx;
use super::relay::{self, Framing};
use super::routing::{self, Target};
use super::{admission, call, read_body, structured};
use crate::api::parse::parse_object;
use crate::config::{ModelConfig, UpstreamApi};
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, Body, Response};
use crate::responses::{
    input_items, new_id_suffix, replay_chat_completion, resolve_references, response_from_chat,
    response_id_of_item, to_chat, usage_from_responses, Echo, Refused, StoredResponse, StreamTranslator,
    Strictness, TranslateError,
};
use crate::state::{AppState, Team};
use crate::stream::responses::{HoldTerminal, NamePrevious, OnDone};
use crate::stream::{event_data_ref, find_event_end, StreamSummary, StreamTap};
use crate::upstream::resilience::{Candidate, Sent};
use crate::upstream::Endpoint;
use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use serde_json::{json, Map, Value};
use std::collections::hash_map::{Entry, HashMap};
use std::sync::Arc;
use tracing::Instrument;

/// `POST /v1/responses`.
pub async fn create(state: Arc<AppState>, team: Team, req: h::Request) -> Result<Response, GatewayError> {
    let (parts, body) = req.into_parts();
    let mut ctx = RequestCtx::new(&state, &team, &parts.headers);
    let result = respond(&mut ctx, body).await;
    admission::with_rate_headers(ctx.rate.take(), result)
}

fn invalid(e: TranslateError) -> GatewayError {
    GatewayError::new(ErrorKind::InvalidRequest, e.message).with_param(e.param)
}

fn not_found(id: &str, param: Option<&str>) -> GatewayError {
    let e = GatewayError::new(
        ErrorKind::NotFound,
        format!(
            "no response with id '{}' is stored for your team (responses are kept for a limited time, and \
             only when created with store not false)",
            super::truncate(id, 100)
        ),
    );
    match param {
        Some(p) => e.with_param(p),
        None => e,
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What a served answer is stored as (when the request did not say `store: false`).
struct Keep {
    store: Arc<crate::responses::ResponseStore>,
    team: Arc<str>,
    items: Arc<Vec<Value>>,
}

impl Keep {
    /// Stored before the answer is sent, so the client's next request finds it on any replica.
    async fn put(self, response: Value) {
        if let Some(id) = response.get("id").and_then(Value::as_str).map(str::to_string) {
            self.store
                .put(
                    &self.team,
                    &id,
                    StoredResponse {
                        input_items: self.items,
                        response: Arc::new(response),
                    },
                )
                .await;
        }
    }

    /// At the end of a stream: the stream's last events wait for it.
    fn on_done(self) -> OnDone {
        Box::new(move |response| Box::pin(self.put(response)))
    }
}

async fn respond(ctx: &mut RequestCtx<'_>, body: Body) -> Result<Response, GatewayError> {
    let server = &ctx.state.config.server;
    let bytes = read_body(body, server).await?;
    let mut req = parse_object(&bytes)?;
    let background = match req.remove("background") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid value for 'background': expected a boolean",
            )
            .with_param("background"))
        }
    };
    if background {
        background_allowed(&req)?;
        // Refused before admission: a submit the drain would refuse takes nothing of the
        // team's allowance (`Jobs::submit` still refuses one that races the drain's start).
        if ctx.state.jobs.draining() {
            return Err(shutting_down());
        }
    }
    let (items, target) = admitted(ctx, &req).await?;
    let echo = Echo::of(&req, &new_id_suffix(), now_secs());
    if background {
        return submit(ctx, req, items, target, echo).await;
    }
    let keep = (req.get("store").and_then(Value::as_bool) != Some(false)).then(|| Keep {
        store: ctx.state.responses.clone(),
        team: ctx.team.0.clone(),
        items: Arc::new(items.clone()),
    });
    run(ctx, target, req, items, echo, keep).await
}

/// The 503 for a background submit while this replica drains (another replica takes it).
fn shutting_down() -> GatewayError {
    let mut h = http::HeaderMap::new();
    h.insert(http::header::RETRY_AFTER, HeaderValue::from(1u32));
    GatewayError::new(
        ErrorKind::ShuttingDown,
        "The gateway is shutting down and takes no new background responses. Please submit it again.",
    )
    .with_headers(h)
}

/// Parse the conversation, route and admit: what a request, background or not, passes before
/// anything runs.
async fn admitted<'a>(
    ctx: &mut RequestCtx<'a>,
    req: &Map<String, Value>,
) -> Result<(Vec<Value>, Target<'a>), GatewayError> {
    let server = &ctx.state.config.server;
    // The conversation so far: a stored response's input and output, then this input.
    let mut items = Vec::new();
    // Responses read for this request, by id: `item_reference`s below resolve against them.
    let mut referred: HashMap<String, Option<StoredResponse>> = HashMap::new();
    match req.get("previous_response_id") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) => {
            let stored = ctx
                .state
                .responses
                .get(&ctx.team.0, id)
                .await
                .ok_or_else(|| not_found(id, Some("previous_response_id")))?;
            items = stored.conversation();
            // References into it (what SDKs send) need no second read.
            referred.insert(id.clone(), Some(stored));
        }
        Some(_) => {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid value for 'previous_response_id': expected a string",
            )
            .with_param("previous_response_id"))
        }
    }
    let mut own = input_items(req).map_err(invalid)?;
    // `item_reference`s to items of the team's stored responses become the items themselves:
    // each response referred to is read once (from memory or Redis), then the items resolved.
    let (store, team) = (&ctx.state.responses, &ctx.team.0);
    for item in &own {
        if item.get("type").and_then(Value::as_str) != Some("item_reference") {
            continue;
        }
        if let Some(rid) = item
            .get("id")
            .and_then(Value::as_str)
            .and_then(response_id_of_item)
        {
            if let Entry::Vacant(e) = referred.entry(rid) {
                let stored = store.get(team, e.key()).await;
                e.insert(stored);
            }
        }
    }
    resolve_references(&mut own, |id| {
        let stored = referred.get(&response_id_of_item(id)?)?.as_ref()?;
        let output = stored.response.get("output").and_then(Value::as_array);
        output
            .into_iter()
            .flatten()
            .chain(stored.input_items.iter())
            .find(|item| item.get("id").and_then(Value::as_str) == Some(id))
            .cloned()
    });
    items.extend(own);
    // Routing and admission read the chat form; what it cannot express is checked once the
    // upstream's dialect is known.
    let chat = to_chat(req, &items, Strictness::Lenient).map_err(invalid)?;
    if chat.messages.len() > server.max_messages {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "too many input items: {} (this gateway accepts at most {})",
                chat.messages.len(),
                server.max_messages
            ),
        )
        .with_param("input"));
    }
    let routing = routing::decide(ctx, &chat)?;
    let target = admission::admit_chat(ctx, &chat, routing).await?;
    Ok((items, target))
}

/// Run an admitted request to its answer, by the dialect of its target's upstream.
async fn run<'a>(
    ctx: &mut RequestCtx<'a>,
    target: Target<'a>,
    req: Map<String, Value>,
    items: Vec<Value>,
    echo: Echo,
    keep: Option<Keep>,
) -> Result<Response, GatewayError> {
    match dialect(ctx, target.model) {
        UpstreamApi::Chat => via_chat(ctx, target, &req, &items, echo, keep).await,
        UpstreamApi::Responses => via_responses(ctx, target, req, items, keep).await,
    }
}

/// What background mode refuses, as OpenAI does: `store: false` (the result could not be
/// read).
fn background_allowed(req: &Map<String, Value>) -> Result<(), GatewayError> {
    if req.get("store").and_then(Value::as_bool) == Some(false) {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            "background mode requires 'store' to be true (or left out): the result is read back with \
             GET /v1/responses/{id}",
        )
        .with_param("store"));
    }
    Ok(())
}

/// `background: true`: queue the admitted request as a job of the team and answer at once with
/// the `queued` response. The job runs in its own task (a client disconnect does not stop it),
/// holding the admission's reservation and concurrency slot, and stores its result. With
/// `stream: true` the job records its events in a backlog and the answer follows it live.
async fn submit<'a>(
    ctx: &mut RequestCtx<'a>,
    req: Map<String, Value>,
    items: Vec<Value>,
    target: Target<'a>,
    echo: Echo,
) -> Result<Response, GatewayError> {
    // What a chat upstream cannot take is refused now, as a request in the foreground would
    // be, not found later by the job.
    if dialect(ctx, target.model) == UpstreamApi::Chat {
        to_chat(&req, &items, Strictness::Strict).map_err(invalid)?;
    }
    let state = ctx.state.clone();
    let team = ctx.team.clone();
    let id = echo.id.clone();
    let mut queued = echo.response(&target.model.public_name, "queued", Vec::new(), None);
    if let Value::Object(m) = &mut queued {
        m.insert("background".into(), Value::Bool(true));
        m.insert("usage".into(), Value::Null);
    }
    let slots = state
        .jobs
        .submit(&team.0, &id, queued.clone(), Arc::new(items.clone()))
        .await
        .map_err(|refused| match refused {
            Refused::QueueFull => {
                state.metrics.record_background_rejected(&team.0);
                let mut h = http::HeaderMap::new();
                h.insert(http::header::RETRY_AFTER, HeaderValue::from(5u32));
                GatewayError::new(
                    ErrorKind::RateLimited,
                    format!(
                        "Too many queued background responses for your team (limit {}). Please try again in 5s.",
                        state.config.responses.background_max_queued
                    ),
                )
                .with_headers(h)
            }
            Refused::Draining => shutting_down(),
        })?;
    let backlog = (req.get("stream").and_then(Value::as_bool) == Some(true))
        .then(|| state.jobs.open_backlog(&team.0, &id));
    let job = Job {
        backlog: backlog.clone(),
        state: state.clone(),
        team: team.clone(),
        id: id.clone(),
        headers: ctx.headers.clone(),
        reservation: ctx.reservation.take(),
        hold: ctx.info.hold.take(),
        routing: target.routing,
        downgraded: target.downgraded,
        req,
        items,
        echo,
    };
    let (jobs, job_team, job_id) = (state.jobs.clone(), team.0.clone(), id.clone());
    // The job's spans join the request's trace (under its server span, which ends first).
    let task = tokio::spawn(
        async move {
            let work = async move {
                let _permit = slots.acquire_owned().await;
                job.run().await;
            };
            // With Redis the lease is renewed meanwhile; once it is gone (a cancel or delete
            // from any replica) the work is dropped, which drops its upstream call.
            tokio::select! {
                () = work => {}
                () = jobs.watch(&job_team, &job_id) => {}
            }
        }
        .instrument(crate::telemetry::stage_span!("gearbox.background_job")),
    );
    state.jobs.set_abort(&team.0, &id, task.abort_handle());
    ctx.info.model_label = Some(target.model.public_name.clone());
    ctx.info.route = "-";
    match backlog {
        Some(b) => Ok(follow(b, None)),
        None => Ok(h::json(StatusCode::OK, queued.to_string())),
    }
}

/// An event stream of `backlog` after sequence number `after`, following it until it closes;
/// the client going away stops only this follower.
fn follow(backlog: Arc<crate::responses::backlog::Backlog>, after: Option<u64>) -> Response {
    let (tx, body) = h::ChannelBody::new(16);
    tokio::spawn(backlog.follow(after, tx));
    let mut resp = h::full(StatusCode::OK, Bytes::new()).map(|_| h::boxed(body));
    let hm = resp.headers_mut();
    hm.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    hm.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// A background job: what the admission of its request handed over.
struct Job {
    /// A streamed job's events go here (`stream: true`).
    backlog: Option<Arc<crate::responses::backlog::Backlog>>,
    state: Arc<AppState>,
    team: Team,
    id: String,
    headers: http::HeaderMap,
    reservation: Option<crate::limits::Reservation>,
    hold: Option<Arc<dyn std::any::Any + Send + Sync>>,
    routing: routing::Routing,
    downgraded: bool,
    req: Map<String, Value>,
    items: Vec<Value>,
    echo: Echo,
}

/// Marks a job failed if its task goes away before it ends (the runtime shutting down); a
/// cancelled or finished job is not touched.
struct Unfinished {
    jobs: Arc<crate::responses::Jobs>,
    metrics: crate::metrics::Metrics,
    team: Arc<str>,
    id: String,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if self.jobs.fail_detached(
            &self.team,
            &self.id,
            "server_error",
            "the gateway stopped before this background response finished; submit it again",
        ) {
            self.metrics.record_background_finished(&self.team, "failed");
        }
    }
}

impl Job {
    async fn run(self) {
        let Job {
            backlog,
            state,
            team,
            id,
            headers,
            reservation,
            hold,
            routing,
            downgraded,
            req,
            items,
            echo,
        } = self;
        let jobs = state.jobs.clone();
        let _unfinished = Unfinished {
            jobs: jobs.clone(),
            metrics: state.metrics.clone(),
            team: team.0.clone(),
            id: id.clone(),
        };
        if !jobs.start(&team.0, &id).await {
            return;
        }
        let mut ctx = RequestCtx::new(&state, &team, &headers);
        ctx.reservation = reservation;
        ctx.info.hold = hold;
        let result = match super::lookup(
            &state,
            &routing.decision.target,
            &[
                crate::config::ModelKind::Chat,
                crate::config::ModelKind::Reasoning,
            ],
        ) {
            Ok(model) => {
                let target = Target {
                    routing,
                    model,
                    downgraded,
                };
                run(&mut ctx, target, req, items, echo, None).await
            }
            Err(e) => Err(e),
        };
        let response = match (result, &backlog) {
            (Ok(resp), Some(b)) if resp.status().is_success() => record(resp, b, &id).await,
            (Ok(resp), _) => answer_of(resp, &id).await,
            (Err(e), _) => Err(json!({"code": e.kind.code(), "message": e.message})),
        };
        if let (Err(error), Some(b)) = (&response, &backlog) {
            // The stream's followers learn why it ends without a terminal event.
            let mut e = json!({"type": "error", "param": null});
            if let (Value::Object(m), Value::Object(src)) = (&mut e, error) {
                m.extend(src.clone());
            }
            b.push(e);
        }
        let (status, finished) = match response {
            Ok(r) => {
                let status = r
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("failed")
                    .to_string();
                (status, jobs.finish(&team.0, &id, r).await)
            }
            Err(error) => ("failed".to_string(), jobs.fail_with(&team.0, &id, error).await),
        };
        // Not counted when the job was cancelled or failed by the drain meanwhile.
        if finished {
            state.metrics.record_background_finished(&team.0, &status);
        }
    }
}

/// A streamed job's answer: each Responses event of the stream (either dialect) recorded in
/// `backlog`, its response objects under the job's id with `background` set; the answer is
/// the response of the terminal event (`response.completed`, `.incomplete` or `.failed`), or
/// the error object of an `error` event or of a stream that ended without one.
async fn record(
    resp: Response,
    backlog: &crate::responses::backlog::Backlog,
    id: &str,
) -> Result<Value, Value> {
    use http_body_util::BodyExt;
    let mut body = resp.into_body();
    let mut buf: Vec<u8> = Vec::new();
    let mut end: Option<Result<Value, Value>> = None;
    loop {
        let frame = match body.frame().await {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(_)) => {
                return Err(json!({"code": "server_error", "message": "the upstream stream broke off"}));
            }
        };
        let Ok(data) = frame.into_data() else { continue };
        buf.extend_from_slice(&data);
        while let Some(n) = find_event_end(&buf) {
            let event: Vec<u8> = buf.drain(..n).collect();
            let Some(d) = event_data_ref(&event) else { continue };
            let Ok(mut v) = serde_json::from_slice::<Value>(&d) else {
                continue;
            };
            if let Some(Value::Object(r)) = v.get_mut("response") {
                r.insert("id".into(), json!(id));
                r.insert("background".into(), Value::Bool(true));
            }
            match v.get("type").and_then(Value::as_str) {
                Some("response.completed" | "response.incomplete" | "response.failed") => {
                    end = v.get("response").cloned().map(Ok);
                }
                Some("error") if end.is_none() => {
                    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
                    end = Some(Err(json!({
                        "code": s("code").unwrap_or_else(|| "server_error".into()),
                        "message": s("message").unwrap_or_else(|| "the upstream stream failed".into()),
                    })));
                    // Recorded by the caller, with the job's failure.
                    continue;
                }
                _ => {}
            }
            backlog.push(v);
        }
    }
    end.unwrap_or_else(|| {
        Err(json!({"code": "server_error", "message": "the upstream stream ended before the response completed"}))
    })
}

/// The job's answer as its stored response object (`id` kept, `background` set), or the error
/// object of a failure.
async fn answer_of(resp: Response, id: &str) -> Result<Value, Value> {
    use http_body_util::BodyExt;
    let status = resp.status();
    let body = match resp.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Err(json!({"code": "server_error", "message": "the upstream answer could not be read"}))
        }
    };
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        let e = v.get("error");
        let s = |k: &str| {
            e.and_then(|e| e.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        return Err(json!({
            "code": s("code").unwrap_or_else(|| "server_error".into()),
            "message": s("message").unwrap_or_else(|| format!("the upstream answered {status}")),
        }));
    }
    match v {
        Value::Object(mut m) => {
            m.insert("id".into(), json!(id));
            m.insert("background".into(), Value::Bool(true));
            Ok(Value::Object(m))
        }
        _ => Err(json!({"code": "server_error", "message": "the upstream answer is not a response object"})),
    }
}

/// The dialect of the model's first deployment; the call goes to the deployments that speak it.
fn dialect(ctx: &RequestCtx<'_>, model: &ModelConfig) -> UpstreamApi {
    model
        .deployments
        .iter()
        .find_map(|d| ctx.state.upstreams.get(&d.upstream))
        .map_or(UpstreamApi::Chat, |u| u.api())
}

fn speaking(
    api: UpstreamApi,
    (primary, fallbacks): (Vec<Candidate>, Vec<Candidate>),
) -> (Vec<Candidate>, Vec<Candidate>) {
    let keep = |v: Vec<Candidate>| v.into_iter().filter(|c| c.upstream.api() == api).collect();
    (keep(primary), keep(fallbacks))
}

/// A chat upstream: translated, through the chat stages, and translated back.
async fn via_chat<'a>(
    ctx: &mut RequestCtx<'a>,
    target: Target<'a>,
    req: &Map<String, Value>,
    items: &[Value],
    echo: Echo,
    keep: Option<Keep>,
) -> Result<Response, GatewayError> {
    let mut chat = to_chat(req, items, Strictness::Strict).map_err(invalid)?;
    let schema = structured::prepare(ctx, &mut chat, target.model)?;
    let chat_bytes = serde_json::to_vec(&chat).map(Bytes::from).map_err(|e| {
        GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
    })?;
    let mut call = routing::adapt(ctx, target, chat, chat_bytes, schema).await?;
    let candidates = speaking(UpstreamApi::Chat, call.candidates(ctx));
    let (response, served_by, accounting) = super::chat::send_chat(ctx, &mut call, candidates).await?;
    if call.upstream_stream && response.response.status().is_success() {
        // The usage chunk is read by the translator, never shown as chat to the client.
        let translator = StreamTranslator::new(echo, &served_by.model);
        let framing = Framing::ChatAsResponses(Box::new(translator), keep.map(Keep::on_done));
        let resp = call::stream(ctx, response, &served_by, vec![accounting.tap()], framing)?;
        return Ok(call.finish(ctx, resp, "bypass"));
    }
    let mut answer = call::read_whole(ctx, response, &served_by).await?;
    if !answer.parts.status.is_success() {
        // The upstream's error, in OpenAI's error shape already.
        let resp = relay::full_response(answer, ctx.take_info());
        return Ok(call.finish(ctx, resp, "bypass"));
    }
    accounting
        .settle_enforced(ctx, &mut call, &served_by, &mut answer)
        .await?;
    let completion: Value = serde_json::from_slice(&answer.body).map_err(|e| {
        GatewayError::new(
            ErrorKind::UpstreamProtocol,
            "upstream answer is not a chat completion",
        )
        .with_source(e)
    })?;
    let (body, response, sse) = if call.stream {
        // Taken whole (a structured answer is enforced first), then replayed as events.
        let mut t = StreamTranslator::new(echo, &served_by.model);
        let mut out = t.start();
        for c in replay_chat_completion(&completion) {
            out.extend(t.chunk(&c));
        }
        out.extend(t.finish());
        let r = t.take_response().unwrap_or(Value::Null);
        (Bytes::from(out), r, true)
    } else {
        let r = response_from_chat(&completion, &echo);
        (Bytes::from(r.to_string()), r, false)
    };
    if let Some(k) = keep {
        k.put(response).await;
    }
    let resp = whole(ctx, body, sse);
    Ok(call.finish(ctx, resp, "bypass"))
}

/// A whole answer for the client: JSON, or a replayed event stream.
fn whole(ctx: &mut RequestCtx<'_>, body: Bytes, sse: bool) -> Response {
    let mut resp = h::full(StatusCode::OK, body);
    let hm = resp.headers_mut();
    if sse {
        hm.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        hm.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else {
        hm.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let info = ctx.take_info();
    relay::set_model_header(&mut resp, &info.model);
    resp.extensions_mut().insert(info);
    resp
}

/// A Responses upstream: the request as the client sent it (unknown fields kept), the model
/// name replaced and a `previous_response_id` expanded into the stored conversation.
async fn via_responses<'a>(
    ctx: &mut RequestCtx<'a>,
    target: Target<'a>,
    mut req: Map<String, Value>,
    items: Vec<Value>,
    keep: Option<Keep>,
) -> Result<Response, GatewayError> {
    let model = target.model;
    let decision = &target.routing.decision;
    ctx.info.model = Some(model.upstream_model.clone());
    ctx.info.model_label = Some(model.public_name.clone());
    ctx.info.route = decision.route.map_or("passthrough", |r| r.as_str());
    ctx.info.cache = "bypass";
    // The upstream gets the whole conversation instead of an id it has never seen, and the
    // items the input referred to (`item_reference`) as the gateway stored them.
    let previous = req.remove("previous_response_id");
    let referred = matches!(req.get("input"), Some(Value::Array(input))
        if input.iter().any(|i| i.get("type").and_then(Value::as_str) == Some("item_reference")));
    if previous.is_some() || referred {
        req.insert("input".into(), Value::Array(items));
    }
    let stream = req.get("stream").and_then(Value::as_bool) == Some(true);
    let body_for = |c: &Candidate| {
        let mut r = req.clone();
        r.insert("model".into(), Value::String(c.model.clone()));
        serde_json::to_vec(&r).map(Bytes::from).map_err(|e| {
            GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
        })
    };
    let candidates = speaking(
        UpstreamApi::Responses,
        (call::candidates(ctx, model, false), Vec::new()),
    );
    let Sent {
        response,
        candidate: served_by,
        ..
    } = call::send(ctx, Endpoint::Responses, candidates, &body_for).await?;
    let accounting = Accounting::new(ctx, model, None);
    if stream && response.response.status().is_success() {
        let tap = Box::new(CompletedTap(Some(accounting)));
        let resp = call::stream(ctx, response, &served_by, vec![tap], Framing::Responses)?;
        // The events name the client's previous response, as a whole answer does (below), and
        // so does the response stored from the terminal event.
        let resp = match previous {
            Some(p) => resp.map(|b| h::boxed(NamePrevious::new(b, p))),
            None => resp,
        };
        return Ok(match keep {
            // Stored before the client gets the terminal event (`response.completed`,
            // `.incomplete` or `.failed`: whatever the response's status, as when not streamed).
            Some(k) => resp.map(|b| h::boxed(HoldTerminal::new(b, k.on_done()))),
            None => resp,
        });
    }
    let mut answer = call::read_whole(ctx, response, &served_by).await?;
    if answer.parts.status.is_success() {
        if let Ok(mut r) = serde_json::from_slice::<Value>(&answer.body) {
            if let Some(u) = r.get("usage").and_then(usage_from_responses) {
                accounting.settle(u);
            }
            // The answer names the client's previous response, as the client sent it.
            if let (Some(p), Value::Object(m)) = (previous, &mut r) {
                m.insert("previous_response_id".into(), p);
                answer.body = Bytes::from(r.to_string());
            }
            if let Some(k) = keep {
                k.put(r).await;
            }
        }
    }
    Ok(relay::full_response(answer, ctx.take_info()))
}

/// Settles the accounting of a relayed Responses stream with the usage of its terminal event
/// (`response.completed`, `.incomplete` or `.failed`: the upstream bills each; the relay reads
/// it into the summary) when the stream ends; without one (an `error` event, a cut stream) the
/// reservation is refunded. `HoldTerminal` stores the response of the same terminal event.
struct CompletedTap(Option<Accounting>);

impl StreamTap for CompletedTap {
    fn on_end(mut self: Box<Self>, summary: &StreamSummary) {
        if let (Some(a), Some(u)) = (self.0.take(), &summary.usage) {
            a.settle(u.clone());
        }
    }
}

/// `GET /v1/responses/{id}?stream=true[&starting_after=N]`: the events of a streamed
/// background job after sequence number N (all without it), then those that follow until the
/// job ends. Only the replica running (or having run) the job has them.
async fn resume(state: &AppState, team: &Team, id: &str, query: &str) -> Result<Response, GatewayError> {
    let mut after = None;
    for (k, v) in query.split('&').filter_map(|p| p.split_once('=')) {
        if k == "starting_after" {
            after = Some(v.parse::<u64>().map_err(|_| {
                GatewayError::new(
                    ErrorKind::InvalidRequest,
                    "invalid value for 'starting_after': expected a non-negative integer (a sequence number)",
                )
                .with_param("starting_after")
            })?);
        }
    }
    let stored = state
        .responses
        .get(&team.0, id)
        .await
        .ok_or_else(|| not_found(id, None))?;
    let Some(backlog) = state.jobs.backlog(&team.0, id) else {
        let r = &stored.response;
        let pending = matches!(r["status"].as_str(), Some("queued" | "in_progress"));
        let message = if pending && r["background"] == json!(true) {
            "this background response runs on another replica of the gateway, which alone keeps its \
             events: poll GET /v1/responses/{id} without 'stream', or retry to reach that replica"
        } else {
            "this response has no events to stream: only a response created with 'background' and \
             'stream' both true can be streamed again (its events are kept by the replica that ran it, \
             for a limited number of recent responses); read it with GET /v1/responses/{id}"
        };
        return Err(GatewayError::new(ErrorKind::InvalidRequest, message).with_param("stream"));
    };
    if let Err(g) = backlog.read(after) {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "the events before sequence number {} of this response are no longer kept (over \
                 [responses] background_stream_buffer): resume with starting_after at least {}",
                g.first_kept,
                g.first_kept.saturating_sub(1)
            ),
        )
        .with_param("starting_after"));
    }
    Ok(follow(backlog, after))
}

/// `GET /v1/responses/{id}` (streamed again with `?stream=true`), `DELETE /v1/responses/{id}`,
/// `GET /v1/responses/{id}/input_items`.
pub async fn stored(
    state: &AppState,
    team: &Team,
    method: &http::Method,
    rest: &str,
    query: Option<&str>,
) -> Result<Response, GatewayError> {
    let (id, sub) = match rest.split_once('/') {
        Some((id, sub)) => (id, Some(sub)),
        None => (rest, None),
    };
    let store = &state.responses;
    let json_ok = |v: Value| Ok(h::json(StatusCode::OK, v.to_string()));
    let streamed = query.is_some_and(|q| q.split('&').any(|p| p == "stream=true"));
    match (method, sub) {
        (&http::Method::GET, None) if streamed => resume(state, team, id, query.unwrap_or_default()).await,
        (&http::Method::GET, None) => {
            let s = store.get(&team.0, id).await.ok_or_else(|| not_found(id, None))?;
            json_ok(s.response.as_ref().clone())
        }
        (&http::Method::DELETE, None) => {
            if store.delete(&team.0, id).await {
                json_ok(json!({"id": id, "object": "response.deleted", "deleted": true}))
            } else {
                Err(not_found(id, None))
            }
        }
        (&http::Method::POST, Some("cancel")) => {
            // Counted here, on the replica the cancel reached (the one running the job stops it
            // through its lease and counts nothing), and only by the cancel that did it.
            let (r, cancelled_now) = state
                .jobs
                .cancel(&team.0, id)
                .await
                .ok_or_else(|| not_found(id, None))?;
            if cancelled_now {
                state.metrics.record_background_finished(&team.0, "cancelled");
            }
            json_ok(r)
        }
        (&http::Method::GET, Some("input_items")) => {
            let s = store.get(&team.0, id).await.ok_or_else(|| not_found(id, None))?;
            let data: Vec<Value> = s
                .input_items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let mut item = item.clone();
                    if let Value::Object(m) = &mut item {
                        m.entry("id").or_insert_with(|| json!(format!("item_{id}_{i}")));
                    }
                    item
                })
                .collect();
            let first = data
                .first()
                .and_then(|v| v.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            let last = data
                .last()
                .and_then(|v| v.get("id"))
                .cloned()
                .unwrap_or(Value::Null);
            json_ok(
                json!({"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": false}),
            )
        }
        (_, Some("input_items" | "cancel")) | (_, None) => Err(GatewayError::new(
            ErrorKind::MethodNotAllowed,
            format!("method {method} is not allowed here"),
        )),
        _ => Err(GatewayError::new(
            ErrorKind::NotFound,
            "no route for this path under /v1/responses",
        )),
    }
}
