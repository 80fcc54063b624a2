//! `POST /v1/chat/completions`: the request pipeline, read top to bottom. Each stage is owned by
//! its module and takes the request's [`RequestCtx`]; an early return is an answer (a refusal,
//! a cache hit, an error), and whatever the stages hold — the reservation, the concurrency
//! slot, a cache leader's guard — settles or gives itself back when dropped.

use super::account::Accounting;
use super::cached::{self, Lookup, Store};
use super::ctx::RequestCtx;
use super::relay::{Answer, Framing};
use super::routing::{self, ChatCall};
use super::{admission, call, read_body, structured};
use crate::api::{parse_chat_request, ChatRequest};
use crate::cache::CachedResponse;
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, Body, Response};
use crate::state::{AppState, Team};
use crate::upstream::resilience::{Candidate, Sent};
use crate::upstream::{Endpoint, UpstreamResponse};
use bytes::Bytes;
use std::sync::Arc;

/// `POST /v1/chat/completions`. Teams with rate limits get `x-ratelimit-*` headers on every
/// response, refusals included.
pub async fn chat_completions(
    state: Arc<AppState>,
    team: Team,
    req: h::Request,
) -> Result<Response, GatewayError> {
    let (parts, body) = req.into_parts();
    let mut ctx = RequestCtx::new(&state, &team, &parts.headers);
    let result = chat(&mut ctx, body).await;
    admission::with_rate_headers(ctx.rate.take(), result)
}

async fn chat(ctx: &mut RequestCtx<'_>, body: Body) -> Result<Response, GatewayError> {
    let (bytes, mut chat) = read_chat(ctx, body).await?;
    // Where it goes, whether the team may send it there, and what is sent.
    let routing = routing::decide(ctx, &chat)?;
    let target = admission::admit_chat(ctx, &chat, routing).await?;
    let schema = structured::prepare(ctx, &mut chat, target.model)?;
    let mut call = routing::adapt(ctx, target, chat, bytes, schema).await?;
    // Served from the cache or by an identical request in flight, or make the call.
    let store = match cached::lookup(ctx, &call).await {
        Lookup::Hit(resp) => return Ok(call.finish(ctx, resp, "hit")),
        Lookup::Follow(resp) => return Ok(call.finish(ctx, resp, "coalesced")),
        Lookup::Lead(store) => Some(store),
        Lookup::Bypass => None,
    };
    let cache = ctx.info.cache;
    let candidates = call.candidates(ctx);
    let (response, served_by, accounting) = send_chat(ctx, &mut call, candidates).await?;
    let resp = if call.upstream_stream && response.response.status().is_success() {
        // Accounted and stored by its taps when the stream ends.
        let taps = [Some(accounting.tap()), store.map(Store::tap)];
        let taps = taps.into_iter().flatten().collect();
        let framing = Framing::Chat {
            hide_usage_chunk: !call.include_usage,
        };
        call::stream(ctx, response, &served_by, taps, framing)?
    } else {
        let mut answer = call::read_whole(ctx, response, &served_by).await?;
        if answer.parts.status.is_success() {
            // Validated (and repaired) before anything reaches the client or the cache.
            accounting
                .settle_enforced(ctx, &mut call, &served_by, &mut answer)
                .await?;
            if let Some(store) = store {
                store.put(&answer.body);
            }
        }
        respond_whole(ctx, &call, answer)
    };
    Ok(call.finish(ctx, resp, cache))
}

/// Send an adapted Chat Completions call to `candidates` (its primary deployments, in order),
/// note which one served it, and open its accounting: what chat and the Responses API (over a
/// chat upstream) both do before reading the answer.
pub(super) async fn send_chat<'a>(
    ctx: &mut RequestCtx<'a>,
    call: &mut ChatCall<'a>,
    candidates: (Vec<Candidate>, Vec<Candidate>),
) -> Result<(UpstreamResponse, Candidate, Accounting), GatewayError> {
    let sent = {
        let body_for = |c: &Candidate| call.body_for(c);
        call::send(ctx, Endpoint::ChatCompletions, candidates, &body_for).await?
    };
    let Sent {
        response,
        candidate: served_by,
        ..
    } = sent;
    call.served_by(ctx, &served_by);
    let accounting = Accounting::new(ctx, call.model, call.saving_against(ctx));
    Ok((response, served_by, accounting))
}

/// Read and parse the body, within the configured bounds.
async fn read_chat(ctx: &RequestCtx<'_>, body: Body) -> Result<(Bytes, ChatRequest), GatewayError> {
    let server = &ctx.state.config.server;
    let bytes = read_body(body, server).await?;
    let chat = parse_chat_request(&bytes)?;
    if chat.messages.len() > server.max_messages {
        return Err(GatewayError::new(
            ErrorKind::InvalidRequest,
            format!(
                "too many messages: {} (this gateway accepts at most {})",
                chat.messages.len(),
                server.max_messages
            ),
        )
        .with_param("messages"));
    }
    Ok((bytes, chat))
}

/// The response for a whole answer: relayed as it came, or, for a structured stream, the
/// enforced answer replayed as SSE.
fn respond_whole(ctx: &mut RequestCtx<'_>, call: &ChatCall<'_>, answer: Answer) -> Response {
    if call.stream && answer.parts.status.is_success() {
        let entry = CachedResponse {
            body: answer.body,
            usage: ctx.info.usage.get().cloned(),
            // Replayed to this client only, never stored.
            truncated: false,
        };
        cached::serve_entry(&entry, true, call.include_usage, ctx.take_info())
    } else {
        super::relay::full_response(answer, ctx.take_info())
    }
}
