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
    run(examples, model, threshold).0
}

/// [`evaluate_with_threshold`] and [`Breakdown`] from one classification of each example.
pub fn evaluate_with_breakdown(
    examples: &[Example],
    model: &RouterModel,
    threshold: f32,
) -> (EvalReport, Breakdown) {
    let (report, scores) = run(examples, model, threshold);
    let detail = breakdown(examples, &scores, threshold);
    (report, detail)
}

/// The report and every example's calibrated score.
fn run(examples: &[Example], model: &RouterModel, threshold: f32) -> (EvalReport, Vec<f32>) {
    let mut scores = Vec::with_capacity(examples.len());
    let mut conf = [[0usize; 2]; 2];
    let mut lat: Vec<f64> = Vec::with_capacity(examples.len());
    let mut loss = 0f64;
    for e in examples {
        let t = Instant::now();
        let c = classify_with_threshold(&e.request, model, threshold);
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        scores.push(c.score);
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
    let report = EvalReport {
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
    };
    (report, scores)
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

/// Accuracy and per-class recall of one group of examples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupMetrics {
    pub name: String,
    pub n: usize,
    pub accuracy: f64,
    pub chat_recall: Option<f64>,
    pub reasoning_recall: Option<f64>,
}

/// What `gearbox eval` prints beyond [`EvalReport`]: per source and per language, expected
/// calibration error (10 equal-width bins) and a threshold sweep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    pub by_source: Vec<GroupMetrics>,
    pub by_lang: Vec<GroupMetrics>,
    pub ece: f64,
    /// (threshold, accuracy, chat recall, reasoning recall)
    pub sweep: Vec<(f32, f64, f64, f64)>,
}

fn group(name: &str, rows: &[(Route, f32)], threshold: f32) -> GroupMetrics {
    let mut conf = [[0usize; 2]; 2];
    for &(label, score) in rows {
        let pred = if score >= threshold {
            Route::Reasoning
        } else {
            Route::Chat
        };
        conf[idx(label)][idx(pred)] += 1;
    }
    let n = rows.len();
    let rec = |k: usize| {
        let s = conf[k][0] + conf[k][1];
        (s > 0).then(|| conf[k][k] as f64 / s as f64)
    };
    GroupMetrics {
        name: name.to_string(),
        n,
        accuracy: if n > 0 {
            (conf[0][0] + conf[1][1]) as f64 / n as f64
        } else {
            0.0
        },
        chat_recall: rec(0),
        reasoning_recall: rec(1),
    }
}

fn groups_by(
    examples: &[Example],
    scores: &[f32],
    key: impl Fn(&Example) -> &str,
    threshold: f32,
) -> Vec<GroupMetrics> {
    let mut map: std::collections::BTreeMap<String, Vec<(Route, f32)>> = Default::default();
    for (e, s) in examples.iter().zip(scores) {
        let k = key(e);
        let k = if k.is_empty() { "-" } else { k };
        map.entry(k.to_string()).or_default().push((e.label, *s));
    }
    map.iter().map(|(k, rows)| group(k, rows, threshold)).collect()
}

/// Break scored examples down (see [`Breakdown`]); `scores[i]` is example `i`'s score.
fn breakdown(examples: &[Example], scores: &[f32], threshold: f32) -> Breakdown {
    let mut bins = [(0f64, 0f64, 0usize); 10];
    for (e, s) in examples.iter().zip(scores) {
        let b = ((*s as f64 * 10.0) as usize).min(9);
        if let Some(bin) = bins.get_mut(b) {
            bin.0 += *s as f64;
            bin.1 += if e.label == Route::Reasoning { 1.0 } else { 0.0 };
            bin.2 += 1;
        }
    }
    let n = examples.len().max(1) as f64;
    let ece = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|(sum_p, pos, c)| (*c as f64 / n) * ((sum_p - pos) / *c as f64).abs())
        .sum();
    let rows: Vec<(Route, f32)> = examples
        .iter()
        .map(|e| e.label)
        .zip(scores.iter().copied())
        .collect();
    let sweep = (1..=18)
        .map(|k| {
            let t = k as f32 * 0.05;
            let g = group("", &rows, t);
            (
                t,
                g.accuracy,
                g.chat_recall.unwrap_or(0.0),
                g.reasoning_recall.unwrap_or(0.0),
            )
        })
        .collect();
    Breakdown {
        by_source: groups_by(examples, scores, |e| e.source.as_str(), threshold),
        by_lang: groups_by(examples, scores, |e| e.lang.as_str(), threshold),
        ece,
        sweep,
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
        for (title, groups) in [("source", &self.by_source), ("lang", &self.by_lang)] {
            if groups.len() < 2 {
                continue;
            }
            writeln!(
                f,
                "by {title:<22} {:>6} {:>9} {:>11} {:>16}",
                "n", "accuracy", "chat recall", "reasoning recall"
            )?;
            for g in groups {
                writeln!(
                    f,
                    "  {:<26} {:>6} {:>9.3} {:>11} {:>16}",
                    g.name,
                    g.n,
                    g.accuracy,
                    opt(g.chat_recall),
                    opt(g.reasoning_recall)
                )?;
            }
        }
        writeln!(f, "expected calibration error (10 bins): {:.4}", self.ece)?;
        writeln!(
            f,
            "threshold sweep: threshold accuracy chat_recall reasoning_recall"
        )?;
        for (t, a, c, r) in &self.sweep {
            writeln!(f, "  {t:.2} {a:.3} {c:.3} {r:.3}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_groups_calibration_and_sweep() {
        let ex = |label, source: &str, lang: &str| Example {
            request: Default::default(),
            label,
            weight: 1.0,
            source: source.into(),
            lang: lang.into(),
        };
        let examples = [
            ex(Route::Chat, "a", "en"),
            ex(Route::Chat, "a", "ko"),
            ex(Route::Reasoning, "b", "en"),
            ex(Route::Reasoning, "b", "ko"),
        ];
        let scores = [0.1, 0.7, 0.9, 0.3];
        let b = breakdown(&examples, &scores, 0.5);
        let a = &b.by_source[0];
        assert_eq!(
            (a.name.as_str(), a.n, a.chat_recall, a.reasoning_recall),
            ("a", 2, Some(0.5), None)
        );
        let ko = &b.by_lang[1];
        assert_eq!((ko.name.as_str(), ko.accuracy), ("ko", 0.0));
        // Bins 1, 3, 7, 9 hold one example each: |0.1-0| + |0.7-0| + |0.9-1| + |0.3-1|, over 4.
        assert!((b.ece - (0.1 + 0.7 + 0.1 + 0.7) / 4.0).abs() < 1e-6, "{}", b.ece);
        let at = |t: f32| b.sweep.iter().find(|s| (s.0 - t).abs() < 1e-6).map(|s| s.1);
        assert_eq!(at(0.5), Some(0.5));
        assert_eq!(at(0.25), Some(0.75));
    }

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
