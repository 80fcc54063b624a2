//! Request classifier: routes a Chat Completions request to a fast `chat` model or a slow
//! `reasoning` model.
//!
//! Invariant: pure and total. `classify` does no IO, never panics on any request, and costs time
//! linear in the request size with hard caps (see [`features`]: the last user turn is split into
//! ask and material over its first 192 KB and last 8 KB; only the ask, capped to 1,536 + 512
//! normalised characters, is turned into n-grams; material gets cheap line statistics; earlier
//! turns are scanned 8 KB each for code; the system prompt 600 characters).
//!
//! The model is a logistic regression over (a) named request-structure features (turn count,
//! system prompt, tools, response_format, reasoning_effort, bucketed pasted-material and context
//! size, code blocks, stack traces, tables, numbers and formulas in the ask) and (b) hashed
//! character n-grams (4-grams; 1-4-grams inside CJK runs), words and word pairs of the ask
//! (digits masked, width and case folded), Platt
//! calibrated.

pub mod eval;
pub mod features;
pub mod model;
pub mod segment;
pub mod text;
pub mod train;

pub use eval::{evaluate, ClassMetrics, EvalReport};
pub use model::{Classification, ModelError, Reason, Route, RouterModel};
pub use train::{parse_example_line, train, Example, TrainOptions};

use crate::api::ChatRequest;

/// Number of reasons reported with each decision.
pub const REASONS: usize = 5;

/// Classify with the default threshold 0.5 on the calibrated score.
pub fn classify(req: &ChatRequest, model: &RouterModel) -> Classification {
    classify_with_threshold(req, model, 0.5)
}

/// Classify: `Reasoning` when the calibrated P(reasoning) is `>= threshold`.
pub fn classify_with_threshold(req: &ChatRequest, model: &RouterModel, threshold: f32) -> Classification {
    let (z, reasons) = model.margin(req, REASONS);
    let score = model.calibrate(z);
    let threshold = if threshold.is_finite() { threshold } else { 0.5 };
    let route = if score >= threshold {
        Route::Reasoning
    } else {
        Route::Chat
    };
    Classification {
        route,
        score,
        reasons,
    }
}
