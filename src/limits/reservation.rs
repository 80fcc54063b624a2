//! The reservation guard: what admission took for one request (per-minute tokens, and budget
//! tokens and USD), settled to the real usage after the answer, or given back whole when
//! dropped unsettled (cancelled, failed, no usage).
//!
//! Invariant: every reservation is settled exactly once, into the place (Redis or this
//! process) and the budget period it was taken in; `Drop` cannot leak it.

use super::shared::{self, Keys};
use super::Limiter;
use std::sync::Arc;

/// Where a reservation was taken.
pub(super) enum Place {
    /// In Redis, under these keys (their day and month stamps are the reservation's periods).
    Shared(Box<Keys>),
    /// In this process, in these periods (UTC day number, month number).
    Local { day: i64, month: i64 },
}

/// Tokens and USD held for one request until it settles.
pub struct Reservation {
    pub(super) limiter: Arc<Limiter>,
    pub(super) team: Arc<str>,
    pub(super) tpm: Option<u64>,
    /// Taken from the per-minute token bucket.
    pub(super) bucket: u64,
    /// Added to the budget counters (committed spending) at admission.
    pub(super) tokens: u64,
    pub(super) usd: f64,
    pub(super) place: Place,
    pub(super) settled: bool,
}

/// What one settlement changes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Delta {
    /// Back to the per-minute bucket (negative: the call used more than was taken).
    pub bucket_back: f64,
    /// Into the budget counters: real use minus the reservation.
    pub tokens: f64,
    pub usd: f64,
    /// The real use alone (for a reservation whose period has ended).
    pub spent_tokens: f64,
    pub spent_usd: f64,
}

impl Reservation {
    /// Tokens held in the budget counters (0 when no token budget is set or the team was over
    /// budget and admitted to be downgraded).
    pub fn reserved_tokens(&self) -> u64 {
        self.tokens
    }

    /// Reconcile with the real usage: the difference goes back (or is taken), and the spending
    /// is recorded. Redis round trips run in the background.
    pub fn settle(mut self, actual_tokens: u64, usd: f64) {
        self.settled = true;
        self.apply(actual_tokens, usd.max(0.0));
    }

    fn apply(&mut self, actual_tokens: u64, usd: f64) {
        let delta = Delta {
            bucket_back: self.bucket as f64 - actual_tokens as f64,
            tokens: actual_tokens as f64 - self.tokens as f64,
            usd: usd - self.usd,
            spent_tokens: actual_tokens as f64,
            spent_usd: usd,
        };
        let (limiter, team, tpm) = (self.limiter.clone(), self.team.clone(), self.tpm);
        match &mut self.place {
            Place::Local { day, month } => limiter.settle_local(&team, tpm, delta, (*day, *month)),
            Place::Shared(keys) => {
                let keys = std::mem::take(&mut **keys);
                let Some(redis) = limiter.redis.clone() else {
                    return;
                };
                // Without a runtime (a test tearing down) there is nowhere to run it; the
                // reservation then stays counted, which errs on the safe side.
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        let ok = shared::settle(
                            &redis,
                            &keys,
                            tpm,
                            delta.bucket_back.round() as i64,
                            delta.tokens.round() as i64,
                            shared::nano(delta.usd),
                        )
                        .await;
                        if !ok {
                            // The reservation stays counted in Redis (safe side); this
                            // replica's local counters learn the real use for a fallback.
                            limiter.metrics.record_redis_error("limits", "error");
                            let (day, month) = super::period_numbers();
                            let spent = Delta {
                                bucket_back: 0.0,
                                tokens: actual_tokens as f64,
                                usd,
                                spent_tokens: actual_tokens as f64,
                                spent_usd: usd,
                            };
                            limiter.settle_local(&team, None, spent, (day, month));
                        }
                    });
                }
            }
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.settled {
            // No answer with usage: give the whole reservation back.
            self.settled = true;
            self.apply(0, 0.0);
        }
    }
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("team", &self.team)
            .field("bucket", &self.bucket)
            .field("tokens", &self.tokens)
            .field("usd", &self.usd)
            .finish()
    }
}
