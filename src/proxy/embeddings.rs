//! `POST /v1/embeddings`: passed through with the model name mapped, through the stages it
//! needs — admission under the team's policy, the upstream call under resilience (breakers,
//! retries, one deadline), accounting — as chat is.

use super::account::Accounting;
use super::ctx::RequestCtx;
use super::{admission, call, read_body, relay};
use crate::api::parse::parse_object;
use crate::error::{ErrorKind, GatewayError};
use crate::http::{self as h, Body, Response};
use crate::state::{AppState, Team};
use crate::upstream::resilience::{Candidate, Sent};
use crate::upstream::Endpoint;
use bytes::Bytes;
use serde_json::{Map, Value};
use std::sync::Arc;

/// `POST /v1/embeddings`. At the budget an embeddings request is refused whatever
/// `on_exceeded` says: there is no cheaper target.
pub async fn embeddings(state: Arc<AppState>, team: Team, req: h::Request) -> Result<Response, GatewayError> {
    let (parts, body) = req.into_parts();
    let mut ctx = RequestCtx::new(&state, &team, &parts.headers);
    let result = embed(&mut ctx, body).await;
    admission::with_rate_headers(ctx.rate.take(), result)
}

async fn embed(ctx: &mut RequestCtx<'_>, body: Body) -> Result<Response, GatewayError> {
    let bytes = read_body(body, &ctx.state.config.server).await?;
    let (mut obj, name) = parse(&bytes)?;
    if crate::telemetry::on() {
        // The server span (current here) learns what the client asked for.
        let server = tracing::Span::current();
        server.record("gen_ai.operation.name", "embeddings");
        server.record("gen_ai.request.model", name.as_str());
    }
    let input = obj.get("input").ok_or_else(|| {
        GatewayError::new(ErrorKind::InvalidRequest, "missing required parameter 'input'").with_param("input")
    })?;
    let model = admission::admit_embeddings(ctx, &name, input).await?;
    ctx.info.model_label = Some(model.public_name.clone());
    ctx.info.route = "passthrough";
    // The client's bytes when the upstream knows the model by the name the client used.
    let primary = if model.upstream_model == name {
        bytes
    } else {
        obj.insert("model".into(), Value::String(model.upstream_model.clone()));
        serialise(&obj)?
    };
    // Another deployment of the model may know it by another name.
    let body_for = |c: &Candidate| {
        if c.model == model.upstream_model {
            Ok(primary.clone())
        } else {
            let mut other = obj.clone();
            other.insert("model".into(), Value::String(c.model.clone()));
            serialise(&other)
        }
    };
    let candidates = (call::candidates(ctx, model, false), Vec::new());
    let Sent {
        response,
        candidate: served_by,
        ..
    } = call::send(ctx, Endpoint::Embeddings, candidates, &body_for).await?;
    let mut answer = call::read_whole(ctx, response, &served_by).await?;
    // Settled with the upstream's usage; without usage (an error answer) the reservation is
    // dropped with the context and given back.
    if let Some(u) = answer.usage.take() {
        Accounting::new(ctx, model, None).settle(u);
    }
    Ok(relay::full_response(answer, ctx.take_info()))
}

/// The request as a JSON object (unknown fields kept), and its model name.
fn parse(bytes: &[u8]) -> Result<(Map<String, Value>, String), GatewayError> {
    let obj = parse_object(bytes)?;
    let name = match obj.get("model") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(GatewayError::new(
                ErrorKind::InvalidRequest,
                "invalid value for 'model': expected a string",
            )
            .with_param("model"))
        }
        None => {
            return Err(
                GatewayError::new(ErrorKind::InvalidRequest, "missing required parameter 'model'")
                    .with_param("model"),
            )
        }
    };
    Ok((obj, name))
}

fn serialise(obj: &Map<String, Value>) -> Result<Bytes, GatewayError> {
    serde_json::to_vec(obj).map(Bytes::from).map_err(|e| {
        GatewayError::new(ErrorKind::Internal, "could not serialise the upstream request").with_source(e)
    })
}
