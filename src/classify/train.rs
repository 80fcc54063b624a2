//! Training: example parsing, deterministic AdaGrad logistic regression, Platt calibration.
//!
//! Invariant: pure and deterministic. No IO (the caller reads files), no randomness beyond a
//! seeded xorshift generator, no hash-map iteration, a fixed number of epochs and a single thread:
//! the same examples and options give a bit-identical model. Never panics on input.

use super::features::{dense, extract, NAMED_COUNT};
use super::model::{mlp, sigmoid, Route, RouterModel};
use super::text::Group;
use crate::api::{ChatRequest, Content, Message, Role};
use serde_json::Value;

/// One labelled request with a training weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub request: ChatRequest,
    pub label: Route,
    pub weight: f32,
    /// The line's `source` and `lang` (empty when absent), for per-group evaluation.
    pub source: String,
    pub lang: String,
}

/// Hyper-parameters for [`train`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Hash space size in bits (the model has `NAMED_COUNT + 2^hash_bits` weights).
    pub hash_bits: u32,
    pub epochs: u32,
    /// AdaGrad base learning rate.
    pub learning_rate: f32,
    /// L2 penalty applied to every touched weight at each update.
    pub l2: f32,
    /// L2 penalty of the hashed n-gram and word weights (which can memorise phrasings).
    pub ngram_l2: f32,
    /// Seeds the training shuffle, the head's initial weights and the calibration split
    /// (`gearbox train --seed`). The shuffle's generator starts from `seed | 1`, so an even seed
    /// and the odd one after it share the shuffle (not the rest): use odd seeds for distinct draws.
    pub seed: u64,
    /// One example in this many is held out to fit Platt scaling (0 disables calibration).
    pub calibration_every: u32,
    /// Re-weight so both classes carry the same total weight.
    pub balance_classes: bool,
    /// Learn weights for the dense embedding block (what the ask and the system prompt mean).
    pub dense: bool,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            hash_bits: 18,
            epochs: 20,
            learning_rate: 0.2,
            l2: 1e-3,
            ngram_l2: 1e-3,
            seed: 20_251_128,
            calibration_every: 8,
            balance_classes: true,
            dense: true,
        }
    }
}

/// Parse one JSONL line: either `{"label", "request": {...}}` or the public format
/// `{"label", "prompt": "..."}` (one user message). An optional numeric `weight` (default 1).
pub fn parse_example_line(line: &str) -> Result<Example, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let label = match v.get("label").and_then(Value::as_str) {
        Some("chat") => Route::Chat,
        Some("reasoning") => Route::Reasoning,
        Some(other) => return Err(format!("unknown label {other:?}")),
        None => return Err("missing label".to_string()),
    };
    let weight = match v.get("weight") {
        None | Some(Value::Null) => 1.0,
        Some(w) => match w.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => x as f32,
            _ => return Err("weight must be a non-negative number".to_string()),
        },
    };
    let request = if let Some(r) = v.get("request") {
        serde_json::from_value::<ChatRequest>(r.clone()).map_err(|e| format!("bad request: {e}"))?
    } else if let Some(p) = v.get("prompt").and_then(Value::as_str) {
        ChatRequest {
            model: "auto".to_string(),
            messages: vec![Message {
                role: Role::User,
                content: Some(Content::Text(p.to_string())),
                name: None,
                tool_calls: None,
                tool_call_id: None,
                extra: Default::default(),
            }],
            ..Default::default()
        }
    } else {
        return Err("missing request or prompt".to_string());
    };
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Ok(Example {
        request,
        label,
        weight,
        source: field("source"),
        lang: field("lang"),
    })
}

/// Sparse feature vector: sorted unique indices with summed values.
pub(crate) fn sparse_features(req: &ChatRequest, bits: u32, dense: bool) -> (Vec<(u32, f32)>, Vec<f32>) {
    let ex = extract(req, bits);
    let base = RouterModel::dense_base(bits);
    let mut v: Vec<(u32, f32)> = Vec::with_capacity(ex.meta.named.len() + ex.hashed.len());
    for &(i, x) in &ex.meta.named {
        v.push((i as u32, x));
    }
    let va = ex.meta.group_value(Group::Ask);
    let vs = ex.meta.group_value(Group::System);
    for h in &ex.hashed {
        let x = match h.group {
            Group::Ask => va,
            Group::System => vs,
        };
        v.push((h.index, x));
    }
    if dense {
        for (j, x) in ex.meta.dense.iter().enumerate() {
            if *x != 0.0 {
                v.push(((base + j) as u32, *x));
            }
        }
    }
    v.sort_by_key(|p| p.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(v.len());
    for (i, x) in v {
        match out.last_mut() {
            Some(last) if last.0 == i => last.1 += x,
            _ => out.push((i, x)),
        }
    }
    let head_input = if dense {
        mlp::input(&ex.meta.dense, &ex.meta.named)
    } else {
        Vec::new()
    };
    (out, head_input)
}

/// Seeded xorshift64, the trainers' only randomness (the rewrite's detector trainer too).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Fisher-Yates, from the last element down.
    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A training row: sparse features, target (0 or 1), weight, and the head's input (empty for a
/// model without the dense block).
type Row = (Vec<(u32, f32)>, f32, f32, Vec<f32>);

/// Base learning rate of the head (AdaGrad, like the linear part, but smaller: its gradients
/// are dense and correlated).
const HEAD_LR: f32 = 0.02;

/// Initial weights: zero, except the head's hidden weights, which get a seeded uniform draw so
/// the units differ (the output weights start at zero).
fn initial_weights(dim: usize, head: Option<usize>, seed: u64) -> Vec<f32> {
    let mut w = vec![0f32; dim];
    if let Some(base) = head {
        let mut rng = Rng(seed.rotate_left(7) | 1);
        let a = (6.0 / (mlp::IN + mlp::HIDDEN) as f32).sqrt();
        for x in w.iter_mut().skip(base).take(mlp::BIAS) {
            let u = (rng.next() >> 11) as f32 / (1u64 << 53) as f32;
            *x = (2.0 * u - 1.0) * a;
        }
    }
    w
}

fn fit(data: &[Row], init: &[f32], head: Option<usize>, opts: &TrainOptions) -> Vec<f32> {
    let mut w = init.to_vec();
    let dim = w.len();
    let mut g2 = vec![0f32; dim];
    let mut h = [0f32; mlp::HIDDEN];
    let ngram_end = head.map_or(dim, |b| b - dense::COUNT);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = Rng(opts.seed | 1);
    for epoch in 0..opts.epochs {
        rng.shuffle(&mut order);
        let lr = opts.learning_rate / (1.0 + 0.1 * epoch as f32);
        let head_lr = HEAD_LR / (1.0 + 0.1 * epoch as f32);
        for &k in &order {
            let Some((x, y, wt, m)) = data.get(k) else {
                continue;
            };
            let mut z = 0f32;
            for &(i, v) in x {
                z += w.get(i as usize).copied().unwrap_or(0.0) * v;
            }
            let head = head.filter(|_| !m.is_empty());
            if let Some(base) = head {
                z += mlp::forward(w.get(base..).unwrap_or(&[]), m, &mut h);
            }
            let g = (sigmoid(z) - y) * wt;
            if let Some(base) = head {
                head_step(&mut w, &mut g2, base, m, &h, g, head_lr, opts.l2);
            }
            for &(i, v) in x {
                let i = i as usize;
                let (Some(wi), Some(gi)) = (w.get_mut(i), g2.get_mut(i)) else {
                    continue;
                };
                let l2 = if (NAMED_COUNT..ngram_end).contains(&i) {
                    opts.ngram_l2
                } else {
                    opts.l2
                };
                let grad = g * v + l2 * *wi;
                *gi += grad * grad;
                *wi -= lr * grad / (gi.sqrt() + 1e-6);
            }
        }
    }
    w
}

/// One AdaGrad step of the head for an example with loss gradient `g` on the margin.
#[allow(clippy::too_many_arguments)]
fn head_step(
    w: &mut [f32],
    g2: &mut [f32],
    base: usize,
    m: &[f32],
    h: &[f32; mlp::HIDDEN],
    g: f32,
    lr: f32,
    l2: f32,
) {
    // Gradients first (from the weights before this step), then the updates.
    let mut gk = [0f32; mlp::HIDDEN];
    for (k, hk) in h.iter().enumerate() {
        let vk = w.get(base + mlp::OUT + k).copied().unwrap_or(0.0);
        if *hk > 0.0 {
            gk[k] = g * vk;
        }
    }
    for (k, hk) in h.iter().enumerate() {
        adagrad(w, g2, base + mlp::OUT + k, g * hk, lr, l2);
        if gk[k] != 0.0 {
            adagrad(w, g2, base + mlp::BIAS + k, gk[k], lr, 0.0);
        }
    }
    for (j, xj) in m.iter().enumerate() {
        if *xj == 0.0 {
            continue;
        }
        for (k, g_k) in gk.iter().enumerate() {
            if *g_k != 0.0 {
                adagrad(w, g2, base + j * mlp::HIDDEN + k, g_k * xj, lr, l2);
            }
        }
    }
}

#[inline]
fn adagrad(w: &mut [f32], g2: &mut [f32], i: usize, grad: f32, lr: f32, l2: f32) {
    let (Some(wi), Some(gi)) = (w.get_mut(i), g2.get_mut(i)) else {
        return;
    };
    let grad = grad + l2 * *wi;
    *gi += grad * grad;
    *wi -= lr * grad / (gi.sqrt() + 1e-6);
}

fn margin_of(w: &[f32], head: Option<usize>, x: &[(u32, f32)], m: &[f32]) -> f32 {
    let mut z: f32 = x
        .iter()
        .map(|&(i, v)| w.get(i as usize).copied().unwrap_or(0.0) * v)
        .sum();
    if let (Some(base), false) = (head, m.is_empty()) {
        let mut h = [0f32; mlp::HIDDEN];
        z += mlp::forward(w.get(base..).unwrap_or(&[]), m, &mut h);
    }
    z
}

/// Fit `p = sigmoid(a * z + b)` by Newton's method on weighted log loss (fixed iterations).
fn platt(points: &[(f32, f32, f32)]) -> (f32, f32) {
    let (mut a, mut b) = (1.0f64, 0.0f64);
    for _ in 0..50 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0f64, 0f64, 1e-6f64, 0f64, 1e-6f64);
        for &(z, y, wt) in points {
            let (z, y, wt) = (z as f64, y as f64, wt as f64);
            let p = 1.0 / (1.0 + (-(a * z + b)).exp());
            let d = (p - y) * wt;
            ga += d * z;
            gb += d;
            let s = p * (1.0 - p) * wt;
            haa += s * z * z;
            hab += s * z;
            hbb += s;
        }
        let det = haa * hbb - hab * hab;
        if !det.is_finite() || det.abs() < 1e-12 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if !a.is_finite() || !b.is_finite() {
            return (1.0, 0.0);
        }
        if da.abs() < 1e-9 && db.abs() < 1e-9 {
            break;
        }
    }
    (a as f32, b as f32)
}

/// Train a router model. Deterministic for a given input order and options.
/// One training file's examples, scaled by `weight` and re-weighted so its two labels carry
/// the same total (the file's total is kept). This is what `gearbox train --data FILE:WEIGHT`
/// does to each file before training.
pub fn weigh_file(examples: &mut [Example], weight: f32) {
    for e in examples.iter_mut() {
        e.weight *= weight;
    }
    let (mut c, mut r) = (0f64, 0f64);
    for e in examples.iter() {
        match e.label {
            Route::Chat => c += f64::from(e.weight),
            Route::Reasoning => r += f64::from(e.weight),
        }
    }
    if c <= 0.0 || r <= 0.0 {
        return;
    }
    let total = c + r;
    for e in examples.iter_mut() {
        let s = match e.label {
            Route::Chat => total / (2.0 * c),
            Route::Reasoning => total / (2.0 * r),
        };
        e.weight = (f64::from(e.weight) * s) as f32;
    }
}

pub fn train(examples: &[Example], opts: &TrainOptions) -> RouterModel {
    let mut model = RouterModel::zeros_with_dense(opts.hash_bits, opts.dense);
    let bits = model.hash_bits();
    let dense = model.dense_count() > 0;
    let dim = model.weights.len();
    let head = dense.then(|| RouterModel::dense_base(bits) + dense::COUNT);
    let init = initial_weights(dim, head, opts.seed);
    let (mut wc, mut wr) = (0f64, 0f64);
    for e in examples {
        match e.label {
            Route::Chat => wc += e.weight as f64,
            Route::Reasoning => wr += e.weight as f64,
        }
    }
    let total = wc + wr;
    let (sc, sr) = if opts.balance_classes && wc > 0.0 && wr > 0.0 {
        ((total / (2.0 * wc)) as f32, (total / (2.0 * wr)) as f32)
    } else {
        (1.0, 1.0)
    };
    let data: Vec<Row> = examples
        .iter()
        .map(|e| {
            let (y, s) = match e.label {
                Route::Chat => (0.0, sc),
                Route::Reasoning => (1.0, sr),
            };
            let wt = if e.weight.is_finite() {
                e.weight.max(0.0) * s
            } else {
                0.0
            };
            let (x, m) = sparse_features(&e.request, bits, dense);
            (x, y, wt, m)
        })
        .collect();

    if opts.calibration_every >= 2 && data.len() >= 20 {
        let every = opts.calibration_every as usize;
        let mut fit_set = Vec::with_capacity(data.len());
        let mut cal_set = Vec::new();
        let mut rng = Rng(opts.seed.rotate_left(29) | 1);
        for d in &data {
            if rng.below(every) == 0 {
                cal_set.push(d);
            } else {
                fit_set.push(d.clone());
            }
        }
        let w = fit(&fit_set, &init, head, opts);
        let points: Vec<(f32, f32, f32)> = cal_set
            .iter()
            .map(|(x, y, wt, m)| (margin_of(&w, head, x, m), *y, *wt))
            .collect();
        let (a, b) = platt(&points);
        model.platt_a = a;
        model.platt_b = b;
    }
    model.weights = fit(&data, &init, head, opts);
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_formats() {
        let a = parse_example_line(r#"{"id":"x","label":"chat","prompt":"hi"}"#);
        assert!(matches!(a, Ok(ref e) if e.label == Route::Chat && e.request.messages.len() == 1));
        let b = parse_example_line(
            r#"{"id":"y","label":"reasoning","lang":"en","request":{"model":"auto","messages":[{"role":"user","content":"prove it"}],"reasoning_effort":"high"}}"#,
        );
        assert!(matches!(b, Ok(ref e) if e.label == Route::Reasoning));
        assert!(parse_example_line("not json").is_err());
        assert!(parse_example_line(r#"{"label":"maybe","prompt":"x"}"#).is_err());
        assert!(parse_example_line(r#"{"label":"chat"}"#).is_err());
    }

    fn small_set() -> Vec<Example> {
        let lines = [
            r#"{"label":"chat","prompt":"hi there, how are you?"}"#,
            r#"{"label":"chat","prompt":"translate 'good morning' into French"}"#,
            r#"{"label":"chat","prompt":"what's the capital of Peru?"}"#,
            r#"{"label":"chat","prompt":"안녕하세요! 반가워요"}"#,
            r#"{"label":"reasoning","prompt":"prove that sqrt(2) is irrational"}"#,
            r#"{"label":"reasoning","prompt":"design an O(n log n) algorithm for the closest pair of points and prove it"}"#,
            r#"{"label":"reasoning","prompt":"find the bug in this code and explain the root cause: def f(x): return x[1]"}"#,
            r#"{"label":"reasoning","prompt":"루트 2가 무리수임을 증명해 줘"}"#,
        ];
        let mut out = Vec::new();
        for _ in 0..4 {
            for l in lines {
                if let Ok(e) = parse_example_line(l) {
                    out.push(e);
                }
            }
        }
        out
    }

    #[test]
    fn training_is_deterministic_and_learns() {
        let data = small_set();
        assert_eq!(data.len(), 32);
        let opts = TrainOptions {
            hash_bits: 12,
            epochs: 5,
            ..TrainOptions::default()
        };
        let a = train(&data, &opts).to_bytes();
        let b = train(&data, &opts).to_bytes();
        assert_eq!(a, b);
        let m = RouterModel::from_bytes(&a);
        assert!(m.is_ok());
        if let Ok(m) = m {
            let report = crate::classify::evaluate(&data, &m);
            assert!(report.accuracy >= 0.99, "{report}");
        }
        // A different seed changes the model (the shuffle is really seeded).
        let c = train(
            &data,
            &TrainOptions {
                seed: 7,
                ..opts.clone()
            },
        )
        .to_bytes();
        assert_ne!(a, c);
    }

    /// `seed` (`gearbox train --seed`) is the only source of variation: one seed always gives
    /// the same model, two seeds give two models, also without the head (whose initial weights
    /// are seeded), so the seed really moves the shuffle and the calibration split.
    #[test]
    fn one_seed_one_model_two_seeds_two_models() {
        let data = small_set();
        for dense in [true, false] {
            let at = |seed: u64| {
                train(
                    &data,
                    &TrainOptions {
                        hash_bits: 12,
                        epochs: 3,
                        seed,
                        dense,
                        ..TrainOptions::default()
                    },
                )
                .to_bytes()
            };
            assert_eq!(at(41), at(41), "dense {dense}");
            assert_ne!(at(41), at(1_001), "dense {dense}");
            assert_ne!(at(41), at(TrainOptions::default().seed), "dense {dense}");
        }
    }

    #[test]
    fn training_survives_degenerate_input() {
        let opts = TrainOptions {
            hash_bits: 10,
            epochs: 2,
            ..TrainOptions::default()
        };
        let empty = train(&[], &opts);
        assert!(RouterModel::from_bytes(&empty.to_bytes()).is_ok());
        let mut one = small_set();
        one.truncate(1);
        one[0].weight = f32::NAN;
        let m = train(&one, &opts);
        assert!(RouterModel::from_bytes(&m.to_bytes()).is_ok());
    }

    #[test]
    fn platt_is_sane() {
        let pts: Vec<(f32, f32, f32)> = (0..100)
            .map(|i| ((i as f32 - 50.0) / 10.0, if i >= 50 { 1.0 } else { 0.0 }, 1.0))
            .collect();
        let (a, b) = platt(&pts);
        assert!(a > 0.0 && a.is_finite() && b.is_finite());
    }
}
