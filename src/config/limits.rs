//! `[limits]`: settings of the team limits that are not per team (those live in the policy).

use super::ConfigErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLimitsGlobal {
    /// Replicas sharing the limits; when Redis is unreachable each replica enforces limit /
    /// replicas locally.
    pub replicas: u32,
    /// Completion tokens assumed, when reserving against limits and budgets, for a chat request
    /// that sets neither `max_tokens` nor `max_completion_tokens`.
    pub completion_estimate: u64,
}

impl Default for RawLimitsGlobal {
    fn default() -> Self {
        RawLimitsGlobal {
            replicas: 1,
            completion_estimate: crate::limits::DEFAULT_COMPLETION_ESTIMATE,
        }
    }
}

pub(super) fn validate(errs: &mut ConfigErrors, raw: &RawLimitsGlobal) {
    if raw.replicas == 0 {
        errs.push("limits.replicas", "must be at least 1");
    }
}
