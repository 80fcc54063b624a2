//! Training of the directive detector: labelled sentences in, a [`DetectorModel`] out, by a
//! deterministic AdaGrad logistic regression (the approach of `classify::train`).
//!
//! Each sentence is one row; the clauses of a `task` sentence are added as `task` rows too (a
//! task sentence holds no directive part, so its clauses are labelled for free), which teaches
//! the clause-level decision not to cut pieces out of task sentences.
//!
//! Invariant: pure and deterministic. No IO (the caller reads the files), a seeded xorshift
//! shuffle, a fixed number of epochs, one thread, no hash-map iteration: the same lines give a
//! byte-identical model. Never panics on input.

use serde::Deserialize;

use super::detect::{extract, named, sigmoid, DetectorModel, DEFAULT_BITS};
use super::text;
use crate::classify::train::Rng;

/// One labelled sentence: `{"lang", "text", "label": "directive" | "task", "kind"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LabelledSentence {
    #[serde(default)]
    pub lang: String,
    pub text: String,
    pub label: String,
    #[serde(default)]
    pub kind: String,
}

impl LabelledSentence {
    fn directive(&self) -> Option<bool> {
        match self.label.as_str() {
            "directive" => Some(true),
            "task" => Some(false),
            _ => None,
        }
    }
}

/// Parses JSONL sentences; errors name the line (1-based). Blank lines are skipped.
pub fn parse_sentences(jsonl: &str) -> Result<Vec<LabelledSentence>, String> {
    let mut out = Vec::new();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let s: LabelledSentence = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        if s.directive().is_none() {
            return Err(format!(
                "line {}: label must be \"directive\" or \"task\", not {:?}",
                n + 1,
                s.label
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// Hyper-parameters of [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub bits: u32,
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Weight of a clause row (taken from a task sentence) relative to a sentence row.
    pub clause_weight: f32,
    /// Fits averaged into the model, each over its own shuffle order (see [`train`]).
    pub runs: u32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            bits: DEFAULT_BITS,
            epochs: 30,
            learning_rate: 0.3,
            l2: 1e-5,
            seed: 20_251_207,
            clause_weight: 0.5,
            runs: 1,
        }
    }
}

type Row = (Vec<(u32, f32)>, f32, f32);

fn row(unit: &str, bits: u32) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = Vec::new();
    extract(unit, bits, &mut |i, x| v.push((i, x)));
    v.sort_by_key(|p| p.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(v.len());
    for (i, x) in v {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 += x,
            _ => out.push((i, x)),
        }
    }
    out
}

/// The training rows of `sentences`, classes balanced to equal total weight.
fn rows(sentences: &[LabelledSentence], opts: &TrainOptions) -> Vec<Row> {
    let mut data = Vec::new();
    for s in sentences {
        let Some(d) = s.directive() else { continue };
        let t = s.text.trim();
        if t.is_empty() {
            continue;
        }
        data.push((row(t, opts.bits), if d { 1.0 } else { 0.0 }, 1.0));
        if !d {
            let spans = text::protected_spans_as_trained(t);
            let cls = text::clauses(t, 0..t.len(), &spans);
            if cls.len() > 1 {
                for c in cls {
                    if let Some(ct) = t.get(c) {
                        data.push((row(ct, opts.bits), 0.0, opts.clause_weight));
                    }
                }
            }
        }
    }
    let (mut pos, mut neg) = (0f64, 0f64);
    for (_, y, w) in &data {
        if *y > 0.5 {
            pos += f64::from(*w);
        } else {
            neg += f64::from(*w);
        }
    }
    if pos > 0.0 && neg > 0.0 {
        let total = pos + neg;
        for (_, y, w) in data.iter_mut() {
            let s = if *y > 0.5 {
                total / (2.0 * pos)
            } else {
                total / (2.0 * neg)
            };
            *w = (f64::from(*w) * s) as f32;
        }
    }
    data
}

/// Trains the detector. Deterministic for a given input order and options.
///
/// With `runs` above 1 the model is the mean of that many fits, each over its own shuffle
/// order (seeds `seed`, `seed + 2`, ...: a fit forces its seed's low bit to 1, so `seed + 1`
/// would repeat a fit): one fit's weights depend on the order in which it met the rows (the
/// same sentences in another file order move single scores by 0.1-0.3), and the mean of
/// several fits depends far less on it. The mean of linear models is one
/// linear model: scoring costs the same.
pub fn train(sentences: &[LabelledSentence], opts: &TrainOptions) -> DetectorModel {
    let mut model = DetectorModel::zeros(opts.bits);
    let opts = TrainOptions {
        bits: model.bits,
        ..opts.clone()
    };
    let data = rows(sentences, &opts);
    let runs = opts.runs.max(1);
    let mut sum = vec![0f32; model.weights.len()];
    for run in 0..runs {
        let w = fit(
            &data,
            &opts,
            opts.seed.wrapping_add(2 * u64::from(run)),
            sum.len(),
        );
        for (s, x) in sum.iter_mut().zip(w) {
            *s += x;
        }
    }
    let n = runs as f32;
    for (m, s) in model.weights.iter_mut().zip(sum) {
        *m = s / n;
    }
    model
}

/// One AdaGrad fit of `len` weights over `data`, shuffled with `seed`.
fn fit(data: &[Row], opts: &TrainOptions, seed: u64, len: usize) -> Vec<f32> {
    let mut weights = vec![0f32; len];
    let w = &mut weights;
    let mut g2 = vec![0f32; w.len()];
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng(seed | 1);
    for epoch in 0..opts.epochs {
        rng.shuffle(&mut order);
        let lr = opts.learning_rate / (1.0 + 0.05 * epoch as f32);
        for &k in &order {
            let Some((x, y, wt)) = data.get(k) else { continue };
            let z: f32 = x
                .iter()
                .map(|&(i, v)| w.get(i as usize).copied().unwrap_or(0.0) * v)
                .sum();
            let g = (sigmoid(z) - y) * wt;
            for &(i, v) in x {
                let i = i as usize;
                let (Some(wi), Some(gi)) = (w.get_mut(i), g2.get_mut(i)) else {
                    continue;
                };
                let l2 = if i == named::BIAS as usize { 0.0 } else { opts.l2 };
                let grad = g * v + l2 * *wi;
                *gi += grad * grad;
                *wi -= lr * grad / (gi.sqrt() + 1e-6);
            }
        }
    }
    weights
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const SHIPPED: &[u8] = include_bytes!("../../config/rewrite.bin");
    const SENTENCES: &str = include_str!("../../data/rewrite/sentences.jsonl");
    const EXTRA: &str = include_str!("../../data/rewrite/sentences_extra.jsonl");
    const MORE: &str = include_str!("../../data/rewrite/sentences_more.jsonl");
    const CANDIDATE: &str = include_str!("../../data/rewrite/sentences_candidate.jsonl");
    const RECALL: &str = include_str!("../../data/rewrite/sentences_recall.jsonl");

    /// The shipped model is exactly what `gearbox rewrite --train data/rewrite/sentences.jsonl
    /// data/rewrite/sentences_extra.jsonl data/rewrite/sentences_more.jsonl
    /// data/rewrite/sentences_candidate.jsonl data/rewrite/sentences_recall.jsonl --out
    /// config/rewrite.bin` writes.
    #[test]
    fn retraining_reproduces_the_shipped_model() {
        let mut all = parse_sentences(SENTENCES).unwrap();
        all.extend(parse_sentences(EXTRA).unwrap());
        all.extend(parse_sentences(MORE).unwrap());
        all.extend(parse_sentences(CANDIDATE).unwrap());
        all.extend(parse_sentences(RECALL).unwrap());
        let m = train(&all, &TrainOptions::default());
        assert!(
            m.to_bytes() == SHIPPED,
            "retrain config/rewrite.bin (see the doc comment)"
        );
    }

    /// Several runs give the mean of the single fits, one per seed (`seed`, `seed + 2`, ...),
    /// and no two of eight runs' fits are the same fit.
    #[test]
    fn runs_average_distinct_fits() {
        let s = parse_sentences(
            "{\"text\":\"Think step by step.\",\"label\":\"directive\"}\n{\"text\":\"Sum 2 and 3.\",\"label\":\"task\"}\n{\"text\":\"Take a deep breath.\",\"label\":\"directive\"}\n{\"text\":\"List the capitals of Europe.\",\"label\":\"task\"}\n{\"text\":\"Reflect carefully before replying.\",\"label\":\"directive\"}\n{\"text\":\"Name three rivers in Spain.\",\"label\":\"task\"}",
        )
        .unwrap();
        let opts = |seed, runs| TrainOptions {
            bits: 10,
            epochs: 3,
            seed,
            runs,
            ..TrainOptions::default()
        };
        // The default seed is odd, as is the one an even seed's first fit uses.
        for seed in [TrainOptions::default().seed, 1000] {
            let fits: Vec<_> = (0..8u64).map(|r| train(&s, &opts(seed + 2 * r, 1))).collect();
            for (i, a) in fits.iter().enumerate() {
                for (j, b) in fits.iter().enumerate().skip(i + 1) {
                    assert_ne!(
                        a.weights, b.weights,
                        "seed {seed}: runs {i} and {j} are the same fit"
                    );
                }
            }
            let three = train(&s, &opts(seed, 3));
            for (i, w) in three.weights.iter().enumerate() {
                let mean = fits.iter().take(3).map(|m| m.weights[i]).sum::<f32>() / 3.0;
                assert!((w - mean).abs() < 1e-6, "seed {seed}, weight {i}: {w} vs {mean}");
            }
        }
    }

    #[test]
    fn parse_rejects_bad_lines() {
        assert!(parse_sentences("{\"text\":\"x\",\"label\":\"maybe\"}").is_err());
        assert!(parse_sentences("not json").is_err());
        assert_eq!(parse_sentences("\n\n").unwrap(), vec![]);
    }

    #[test]
    fn training_is_deterministic_and_survives_degenerate_input() {
        let s = parse_sentences(
            "{\"text\":\"Think step by step.\",\"label\":\"directive\"}\n{\"text\":\"Sum 2 and 3, then stop.\",\"label\":\"task\"}",
        )
        .unwrap();
        let o = TrainOptions {
            bits: 10,
            epochs: 3,
            ..TrainOptions::default()
        };
        assert_eq!(train(&s, &o), train(&s, &o));
        let empty = train(&[], &o);
        assert!(DetectorModel::from_bytes(&empty.to_bytes()).is_ok());
    }
}
