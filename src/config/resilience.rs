//! `[resilience]`: attempts per request, backoff, the retry budget and circuit breaking.

use super::{ConfigErrors, HumanDuration};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawResilience {
    /// Upstream attempts per request, first try included (retries and fallbacks).
    pub max_attempts: u32,
    /// First retry delay; doubled per retry, with jitter, capped by `backoff_max`.
    pub backoff_base: HumanDuration,
    pub backoff_max: HumanDuration,
    /// Retries allowed as a fraction of recent requests (plus a small floor), so retries
    /// cannot amplify an outage.
    pub retry_budget: f64,
    /// Consecutive failures that open a deployment's circuit.
    pub circuit_failures: u32,
    /// How long an open circuit stays open before one probe is let through.
    pub circuit_cooldown: HumanDuration,
}

impl Default for RawResilience {
    fn default() -> Self {
        RawResilience {
            max_attempts: 3,
            backoff_base: HumanDuration::millis(50),
            backoff_max: HumanDuration::secs(2),
            retry_budget: 0.2,
            circuit_failures: 5,
            circuit_cooldown: HumanDuration::secs(10),
        }
    }
}

/// Retries, backoff, retry budget, circuit breaking.
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceConfig {
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub retry_budget: f64,
    pub circuit_failures: u32,
    pub circuit_cooldown: Duration,
}

pub(super) fn validate(errs: &mut ConfigErrors, r: RawResilience) -> ResilienceConfig {
    if r.max_attempts == 0 {
        errs.push("resilience.max_attempts", "must be at least 1 (1 = no retries)");
    }
    if !(r.retry_budget.is_finite() && r.retry_budget >= 0.0) {
        errs.push(
            "resilience.retry_budget",
            "must be a fraction >= 0 (e.g. 0.2 = retries up to 20% of requests)",
        );
    }
    if r.circuit_failures == 0 {
        errs.push("resilience.circuit_failures", "must be at least 1");
    }
    ResilienceConfig {
        max_attempts: r.max_attempts,
        backoff_base: r.backoff_base.into(),
        backoff_max: r.backoff_max.into(),
        retry_budget: r.retry_budget,
        circuit_failures: r.circuit_failures,
        circuit_cooldown: r.circuit_cooldown.into(),
    }
}
