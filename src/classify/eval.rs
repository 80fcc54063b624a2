//! Evaluation: accuracy, per-class precision/recall/F1, confusion matrix and classification
//! latency percentiles, with a readable `Display` table.
//!
//! Invariant: no IO and no panics; empty input gives an all-zero report. Latency is measured with
//! the monotonic clock around each `classify` call (the only impurity here).

use super::classify_with_threshold;
use super::model::{Route, RouterModel};
use super::train::Example;
use std::fmt;
use std::time::Instant;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// Result of [`evaluate`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalReport {
    pub n: usize,
    pub accuracy: f64,
    pub chat: ClassMetrics,
    pub reasoning: ClassMetrics,
    /// `confusion[actual][predicted]`, index 0 = chat, 1 = reasoning.
    pub confusion: [[usize; 2]; 2],
    pub latency_p50_us: f64,
    pub latency_p99_us: f64,
    /// Mean log loss of the calibrated score.
    pub log_loss: f64,
}

fn idx(r: Route) -> usize {
    match r {
        Route::Chat => 0,
        Route::Reasoning => 1,
    }
}

fn metrics(conf: &[[usize; 2]; 2], k: usize) -> ClassMetrics {
    let k = k.min(1);
    let o = 1 - k;
    let tp = conf[k][k] as f64;
    let fp = conf[o][k] as f64;
    let fn_ = conf[k][o] as f64;
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    ClassMetrics {
        precision,
        recall,
        f1,
        support: conf[k][0] + conf[k][1],
    }
}

/// Classify every example (threshold 0.5) and summarise.
pub fn evaluate(examples: &[Example], model: &RouterModel) -> EvalReport {
    evaluate_with_threshold(examples, model, 0.5)
}

/// Classify every example with the given threshold on the calibrated score and summarise.
pub fn evaluate_with_threshold(examples: &[Example], model: &RouterModel, threshold: f32) -> EvalReport {
    let mut conf = [[0usize; 2]; 2];
    let mut lat: Vec<f64> = Vec::with_capacity(examples.len());
    let mut loss = 0f64;
    for e in examples {
        let t = Instant::now();
        let c = classify_with_threshold(&e.request, model, threshold);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        conf[idx(e.label)][idx(c.route)] += 1;
        let p = (c.score as f64).clamp(1e-6, 1.0 - 1e-6);
        loss -= if e.label == Route::Reasoning {
            p.ln()
        } else {
            (1.0 - p).ln()
        };
    }
    let n = examples.len();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * q).round() as usize;
        lat.get(i.min(lat.len() - 1)).copied().unwrap_or(0.0)
    };
    EvalReport {
        n,
        accuracy: if n > 0 {
            (conf[0][0] + conf[1][1]) as f64 / n as f64
        } else {
            0.0
        },
        chat: metrics(&conf, 0),
        reasoning: metrics(&conf, 1),
        confusion: conf,
        latency_p50_us: pct(0.5),
        latency_p99_us: pct(0.99),
        log_loss: if n > 0 { loss / n as f64 } else { 0.0 },
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "examples: {}   accuracy: {:.4}   log loss: {:.4}",
            self.n, self.accuracy, self.log_loss
        )?;
        writeln!(f, "class      precision  recall     f1   support")?;
        for (name, m) in [("chat", &self.chat), ("reasoning", &self.reasoning)] {
            writeln!(
                f,
                "{name:<10} {:>9.4} {:>7.4} {:>6.4} {:>9}",
                m.precision, m.recall, m.f1, m.support
            )?;
        }
        writeln!(f, "confusion (rows actual, cols predicted):")?;
        writeln!(f, "             chat  reasoning")?;
        writeln!(
            f,
            "chat      {:>7} {:>10}",
            self.confusion[0][0], self.confusion[0][1]
        )?;
        writeln!(
            f,
            "reasoning {:>7} {:>10}",
            self.confusion[1][0], self.confusion[1][1]
        )?;
        write!(
            f,
            "latency us: p50 {:.2}  p99 {:.2}",
            self.latency_p50_us, self.latency_p99_us
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_simple_reports() {
        let m = RouterModel::zeros(8);
        let r = evaluate(&[], &m);
        assert_eq!(r.n, 0);
        assert_eq!(r.accuracy, 0.0);
        let conf = [[3, 1], [2, 4]];
        let chat = metrics(&conf, 0);
        let reasoning = metrics(&conf, 1);
        assert!((chat.precision - 0.6).abs() < 1e-9 && (chat.recall - 0.75).abs() < 1e-9);
        assert!((reasoning.precision - 0.8).abs() < 1e-9 && (reasoning.recall - 4.0 / 6.0).abs() < 1e-9);
        assert_eq!(reasoning.support, 6);
        let text = EvalReport {
            confusion: conf,
            ..EvalReport::default()
        }
        .to_string();
        assert!(text.contains("reasoning") && text.contains("latency"));
    }
}
