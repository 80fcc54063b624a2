//! The accounting stage: an upstream answer's usage becomes token, cost and saving metrics, the
//! admission's reservation is settled to it, and the observe record learns it (for the access
//! log). Cache hits are never accounted: their usage was counted when first served.
//!
//! Invariant: an [`Accounting`] takes the reservation out of the request context and settles it
//! at most once; dropped without usage (an error answer, a broken stream, a cancelled request)
//! the reservation goes with it and gives everything back.

use super::ctx::RequestCtx;
use super::relay::Answer;
use super::routing::ChatCall;
use super::structured;
use crate::api::Usage;
use crate::config::{ModelConfig, ModelKind, Price};
use crate::error::GatewayError;
use crate::limits::Reservation;
use crate::metrics::{Metrics, TokenType};
use crate::stream::{StreamOutcome, StreamSummary, StreamTap};
use crate::upstream::resilience::Candidate;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What one upstream answer is accounted as. Owned (a stream's tap outlives the handler).
pub struct Accounting {
    reservation: Option<Reservation>,
    metrics: Metrics,
    team: Arc<str>,
    /// The serving model's public name (the metric label), kind and price.
    model: String,
    kind: ModelKind,
    price: Option<Price>,
    /// The reasoning target's price, when routing sent the request to chat instead.
    saving_against: Option<Price>,
    started: Instant,
    /// The observe record's usage cell.
    usage: Arc<OnceLock<Usage>>,
}

impl Accounting {
    /// Account for answers of `model`, taking the context's reservation.
    pub fn new(ctx: &mut RequestCtx<'_>, model: &ModelConfig, saving_against: Option<Price>) -> Self {
        Accounting {
            reservation: ctx.reservation.take(),
            metrics: ctx.state.metrics.clone(),
            team: ctx.team.0.clone(),
            model: model.public_name.clone(),
            kind: model.kind,
            price: model.price,
            saving_against,
            started: ctx.started,
            usage: ctx.info.usage.clone(),
        }
    }

    /// A whole successful answer: its schema enforced (and repaired) first, then its usage
    /// settled. An answer that fails enforcement is still counted (the upstream spent it) before
    /// the error goes back. Chat and the Responses API both end this way.
    pub async fn settle_enforced(
        self,
        ctx: &mut RequestCtx<'_>,
        call: &mut ChatCall<'_>,
        served_by: &Candidate,
        answer: &mut Answer,
    ) -> Result<(), GatewayError> {
        if let Some(s) = &call.schema {
            match structured::enforce(ctx, s, &call.chat, served_by, answer).await {
                Ok(result) => call.schema_result = Some(result),
                Err(e) => {
                    if let Some(u) = &answer.usage {
                        self.count(u);
                    }
                    return Err(e);
                }
            }
        }
        if let Some(u) = answer.usage.take() {
            self.settle(u);
        }
        Ok(())
    }

    /// Count `u` and settle the reservation to it; the access log shows it too.
    pub fn settle(self, u: Usage) {
        let cell = self.usage.clone();
        self.count(&u);
        let _ = cell.set(u);
    }

    /// Count `u` and settle the reservation to it, for an answer that is not served (the access
    /// log shows none).
    pub fn count(self, u: &Usage) {
        let m = &self.metrics;
        let (team, model) = (&*self.team, self.model.as_str());
        m.record_tokens(team, model, TokenType::Prompt, u.prompt_tokens);
        // Embeddings have input tokens only.
        if self.kind != ModelKind::Embedding {
            m.record_tokens(team, model, TokenType::Completion, u.completion_tokens);
        }
        if u.reasoning_tokens() > 0 {
            m.record_tokens(team, model, TokenType::Reasoning, u.reasoning_tokens());
        }
        let cached = u.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens);
        if cached > 0 {
            m.record_tokens(team, model, TokenType::CachedPrompt, cached);
        }
        let cost = self.price.map_or(0.0, |p| p.cost(u));
        if let Some(r) = self.reservation {
            r.settle(u.prompt_tokens + u.completion_tokens, cost);
        }
        if self.price.is_some() {
            m.record_cost(team, model, cost);
            if let Some(rp) = self.saving_against {
                m.record_savings(team, rp.cost(u) - cost);
            }
        }
    }

    /// Account for a stream when it ends: usage, time to first token, time per output token.
    pub fn tap(self) -> Box<dyn StreamTap> {
        Box::new(AccountTap(self))
    }
}

struct AccountTap(Accounting);

impl StreamTap for AccountTap {
    fn on_end(self: Box<Self>, s: &StreamSummary) {
        let acc = self.0;
        if let Some(first) = s.first_event_at {
            let ttft = first.saturating_duration_since(acc.started);
            acc.metrics.record_ttft(&acc.model, ttft);
            if let Some(u) = &s.usage {
                if u.completion_tokens > 1 && s.outcome == StreamOutcome::Completed {
                    let per = first.elapsed() / u32::try_from(u.completion_tokens - 1).unwrap_or(u32::MAX);
                    acc.metrics.record_tpot(&acc.model, per);
                }
            }
        }
        if let Some(u) = &s.usage {
            acc.settle(u.clone());
        }
    }
}
