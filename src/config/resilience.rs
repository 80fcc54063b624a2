//! `[resilience]`: attempts per request, backoff, the retry budget and circuit breaking
//! (consecutive failures, or an error ratio over a sliding window).

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
    /// Failures as a fraction of a deployment's attempts over `circuit_window` that open its
    /// circuit (0 = off).
    pub circuit_error_ratio: f64,
    /// The sliding window of the error ratio.
    pub circuit_window: HumanDuration,
    /// Fewest attempts within the window before the error ratio can open the circuit.
    pub circuit_min_requests: u32,
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
            circuit_error_ratio: 0.5,
            circuit_window: HumanDuration::secs(10),
            circuit_min_requests: 20,
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
    pub circuit_error_ratio: f64,
    pub circuit_window: Duration,
    pub circuit_min_requests: u32,
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
    if !(r.circuit_error_ratio.is_finite() && (0.0..=1.0).contains(&r.circuit_error_ratio)) {
        errs.push(
            "resilience.circuit_error_ratio",
            "must be a fraction from 0 to 1 (e.g. 0.5 = open at half the attempts failing; 0 = off)",
        );
    }
    if r.circuit_window.0.is_zero() {
        errs.push(
            "resilience.circuit_window",
            "must be longer than 0 (e.g. \"10s\")",
        );
    }
    if r.circuit_min_requests == 0 {
        errs.push("resilience.circuit_min_requests", "must be at least 1");
    }
    ResilienceConfig {
        max_attempts: r.max_attempts,
        backoff_base: r.backoff_base.into(),
        backoff_max: r.backoff_max.into(),
        retry_budget: r.retry_budget,
        circuit_failures: r.circuit_failures,
        circuit_error_ratio: r.circuit_error_ratio,
        circuit_window: r.circuit_window.into(),
        circuit_min_requests: r.circuit_min_requests,
        circuit_cooldown: r.circuit_cooldown.into(),
    }
}
