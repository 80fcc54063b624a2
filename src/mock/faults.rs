//! Fault plans for the mock, set at run time through `POST /mock/faults`.
//!
//! Each plan applies to the next `count` matching requests (default 1; 0 means until cleared),
//! optionally only for one model. Plans are checked in the order they were added.

use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// Answer with this status and an OpenAI error body (429 adds `Retry-After`).
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        message: Option<String>,
        /// Wait this long before answering.
        #[serde(default)]
        delay_ms: u64,
    },
    /// Close the connection without a response.
    Reset,
    /// Wait this long before answering at all.
    Stall { ms: u64 },
    /// Stream: stop after `after_chunks` content chunks, by clean end of body (`eof`) or by an
    /// aborted connection (`reset`). Non-streaming: the body is cut in the middle.
    Cut {
        #[serde(default)]
        after_chunks: u32,
        #[serde(default)]
        mode: CutMode,
    },
    /// 200 with a body (or an SSE event) that is not valid JSON.
    InvalidJson,
    /// Structured output (schema content, tool-call arguments) that breaks the declared schema.
    InvalidOutput,
    /// Slow drip: this long between stream chunks (or before a plain answer), per token.
    Drip { ms_per_token: u64 },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CutMode {
    #[default]
    Eof,
    Reset,
}

/// A fault and when it applies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultPlan {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it applies to; 0 = until cleared. Default 1.
    #[serde(default = "one")]
    pub count: u32,
    /// Only requests for this model.
    #[serde(default)]
    pub model: Option<String>,
}

fn one() -> u32 {
    1
}

/// The ordered list of active plans.
#[derive(Debug, Default)]
pub struct Faults {
    plans: Vec<FaultPlan>,
}

impl Faults {
    pub fn add(&mut self, plan: FaultPlan) {
        self.plans.push(plan);
    }

    pub fn clear(&mut self) {
        self.plans.clear();
    }

    pub fn list(&self) -> Vec<FaultPlan> {
        self.plans.clone()
    }

    /// The fault for a request to `model`, consuming one use of its plan.
    pub fn take(&mut self, model: &str) -> Option<FaultKind> {
        let idx = self
            .plans
            .iter()
            .position(|p| p.model.as_deref().is_none_or(|m| m == model))?;
        let plan = self.plans.get_mut(idx)?;
        let kind = plan.kind.clone();
        if plan.count == 1 {
            self.plans.remove(idx);
        } else if plan.count > 1 {
            plan.count -= 1;
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_consumed_in_order_and_by_model() {
        let mut f = Faults::default();
        f.add(serde_json::from_str(r#"{"kind":"status","status":503,"count":2,"model":"a"}"#).unwrap());
        f.add(serde_json::from_str(r#"{"kind":"reset"}"#).unwrap());
        assert_eq!(f.take("b"), Some(FaultKind::Reset));
        assert!(matches!(f.take("a"), Some(FaultKind::Status { status: 503, .. })));
        assert!(matches!(f.take("a"), Some(FaultKind::Status { status: 503, .. })));
        assert_eq!(f.take("a"), None);
    }

    #[test]
    fn count_zero_is_sticky() {
        let mut f = Faults::default();
        f.add(serde_json::from_str(r#"{"kind":"invalid_json","count":0}"#).unwrap());
        for _ in 0..5 {
            assert_eq!(f.take("x"), Some(FaultKind::InvalidJson));
        }
    }
}
