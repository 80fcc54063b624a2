//! The router model: weights of a logistic regression over named and hashed features, Platt
//! calibration, scoring with explanations, and a compact versioned binary format.
//!
//! Invariant: pure. Scoring never panics (every index is bounds-checked through `get`), and
//! `from_bytes` validates magic, version, sizes, finiteness and a checksum, so garbage input is
//! an `Err`, never a panic or a huge allocation.
//!
//! Binary layout (all little-endian):
//! `b"GBRM"`, `u32 version (1 or 2)`, `u32 hash_bits`, `u32 named_count`, `u32 dense_count`
//! (version 1: an unused f32, read as 0), `f32 platt_a`, `f32 platt_b`, `u32 weight_count`,
//! version 2 only: `u64 checksum of the embedding table` it was trained with; then
//! `weight_count x f32` (named, then hashed, then dense), `u64 fnv1a checksum` of everything
//! before it. A version-2 model refuses to load next to a different embedding table.

use super::embed::{self, fnv1a};
use super::features::{dense, extract_into, NAMED, NAMED_COUNT};
use super::text::{Group, Hashed};
use crate::api::ChatRequest;
use std::fmt;

const MAGIC: &[u8; 4] = b"GBRM";
const VERSION: u32 = 2;
const MAX_BITS: u32 = 22;

/// Which backend class serves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Chat,
    Reasoning,
}

impl Route {
    /// `"chat"` or `"reasoning"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Route::Chat => "chat",
            Route::Reasoning => "reasoning",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One named contribution to a decision (positive pushes towards reasoning).
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub feature: String,
    pub weight: f32,
}

/// The router's decision for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub route: Route,
    /// Calibrated P(reasoning) in [0, 1].
    pub score: f32,
    pub reasons: Vec<Reason>,
}

/// Why model bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    TooShort,
    BadMagic,
    UnsupportedVersion(u32),
    BadHeader(&'static str),
    SizeMismatch {
        expected: usize,
        found: usize,
    },
    NonFinite,
    BadChecksum,
    /// Trained with another embedding table than the one this build ships.
    EmbeddingMismatch,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::TooShort => write!(f, "router model: input too short"),
            ModelError::BadMagic => write!(f, "router model: bad magic (not a GBRM file)"),
            ModelError::UnsupportedVersion(v) => write!(f, "router model: unsupported version {v}"),
            ModelError::BadHeader(what) => write!(f, "router model: bad header field {what}"),
            ModelError::SizeMismatch { expected, found } => {
                write!(f, "router model: expected {expected} bytes, found {found}")
            }
            ModelError::NonFinite => write!(f, "router model: non-finite weight"),
            ModelError::BadChecksum => write!(f, "router model: checksum mismatch"),
            ModelError::EmbeddingMismatch => write!(
                f,
                "router model: trained with a different embedding table than config/embed.bin (retrain it)"
            ),
        }
    }
}

impl std::error::Error for ModelError {}

/// The small non-linear head that version-2 models carry next to the dense block: one hidden
/// layer of [`mlp::HIDDEN`] ReLU units over the dense values and the named features, whose
/// output adds to the margin. It lets what the ask means interact with the request's shape
/// ("summarise" over a long paste versus "summarise" alone, "design" with or without tools).
pub mod mlp {
    use super::{dense, NAMED_COUNT};
    pub const HIDDEN: usize = 32;
    /// Inputs: the dense block, then one value per named feature.
    pub const IN: usize = dense::COUNT + NAMED_COUNT;
    /// Hidden weights stored input-major (IN rows of HIDDEN values, so one input's weights are
    /// contiguous and the forward pass is a vectorisable multiply-add that skips zero inputs),
    /// then the hidden biases, then the output weights.
    pub const PARAMS: usize = IN * HIDDEN + HIDDEN + HIDDEN;
    /// Offset of the hidden biases, and of the output weights.
    pub const BIAS: usize = IN * HIDDEN;
    pub const OUT: usize = IN * HIDDEN + HIDDEN;

    /// The head's input vector for one request.
    pub fn input(dense_values: &[f32], named: &[(usize, f32)]) -> Vec<f32> {
        let mut x = vec![0f32; IN];
        for (dst, v) in x.iter_mut().zip(dense_values.iter().take(dense::COUNT)) {
            *dst = *v;
        }
        for &(i, v) in named {
            if let Some(dst) = x.get_mut(dense::COUNT + i) {
                *dst += v;
            }
        }
        x
    }

    /// Output of the head with parameters `p` (length [`PARAMS`]) on input `x`; the hidden
    /// activations are written to `h`. Missing parameters count as zero.
    pub fn forward(p: &[f32], x: &[f32], h: &mut [f32; HIDDEN]) -> f32 {
        let mut a = [0f32; HIDDEN];
        if let Some(b) = p.get(BIAS..BIAS + HIDDEN) {
            a.copy_from_slice(b);
        }
        for (j, xj) in x.iter().enumerate().take(IN) {
            if *xj == 0.0 {
                continue;
            }
            if let Some(row) = p.get(j * HIDDEN..j * HIDDEN + HIDDEN) {
                for (ak, w) in a.iter_mut().zip(row) {
                    *ak += xj * w;
                }
            }
        }
        let out_w = p.get(OUT..OUT + HIDDEN).unwrap_or(&[]);
        let mut out = 0f32;
        for (k, hk) in h.iter_mut().enumerate() {
            *hk = a.get(k).copied().unwrap_or(0.0).max(0.0);
            out += *hk * out_w.get(k).copied().unwrap_or(0.0);
        }
        out
    }
}

/// A trained router: `NAMED_COUNT + 2^hash_bits + dense_count` weights (plus the [`mlp`] head
/// when `dense_count > 0`) and Platt calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterModel {
    pub(crate) hash_bits: u32,
    /// Size of the dense (embedding) block: 0 or [`dense::COUNT`].
    pub(crate) dense_count: u32,
    pub(crate) weights: Vec<f32>,
    pub(crate) platt_a: f32,
    pub(crate) platt_b: f32,
}

impl RouterModel {
    /// A zero model (scores 0.5 everywhere) for a hash space of `hash_bits` bits.
    pub fn zeros(hash_bits: u32) -> RouterModel {
        RouterModel::zeros_with_dense(hash_bits, false)
    }

    /// A zero model, with the dense embedding block when `dense` (and the table is not empty).
    pub fn zeros_with_dense(hash_bits: u32, dense: bool) -> RouterModel {
        let bits = hash_bits.clamp(8, MAX_BITS);
        let dense_count = if dense && !embed::shared().is_empty() {
            dense::COUNT as u32
        } else {
            0
        };
        RouterModel {
            hash_bits: bits,
            dense_count,
            weights: vec![0.0; NAMED_COUNT + (1usize << bits) + RouterModel::extra(dense_count)],
            platt_a: 1.0,
            platt_b: 0.0,
        }
    }

    /// Weights after the hashed block: the dense block and, with it, the head.
    pub(crate) fn extra(dense_count: u32) -> usize {
        if dense_count > 0 {
            dense_count as usize + mlp::PARAMS
        } else {
            0
        }
    }

    /// Index of the first dense weight.
    pub(crate) fn dense_base(hash_bits: u32) -> usize {
        NAMED_COUNT + (1usize << hash_bits)
    }

    /// Size of the dense block (0 for a model without embeddings).
    pub fn dense_count(&self) -> u32 {
        self.dense_count
    }

    /// Hash space size in bits.
    pub fn hash_bits(&self) -> u32 {
        self.hash_bits
    }

    /// Serialise to the versioned little-endian format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(40 + self.weights.len() * 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.hash_bits.to_le_bytes());
        out.extend_from_slice(&(NAMED_COUNT as u32).to_le_bytes());
        out.extend_from_slice(&self.dense_count.to_le_bytes());
        out.extend_from_slice(&self.platt_a.to_le_bytes());
        out.extend_from_slice(&self.platt_b.to_le_bytes());
        out.extend_from_slice(&(self.weights.len() as u32).to_le_bytes());
        let table = if self.dense_count > 0 {
            embed::shared().checksum()
        } else {
            0
        };
        out.extend_from_slice(&table.to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Parse and validate the binary format.
    pub fn from_bytes(bytes: &[u8]) -> Result<RouterModel, ModelError> {
        if bytes.len() < 40 {
            return Err(ModelError::TooShort);
        }
        if bytes.get(..4) != Some(MAGIC.as_slice()) {
            return Err(ModelError::BadMagic);
        }
        let version = read_u32(bytes, 4).ok_or(ModelError::TooShort)?;
        if version != VERSION && version != 1 {
            return Err(ModelError::UnsupportedVersion(version));
        }
        let header: usize = if version == 1 { 32 } else { 40 };
        let bits = read_u32(bytes, 8).ok_or(ModelError::TooShort)?;
        if !(8..=MAX_BITS).contains(&bits) {
            return Err(ModelError::BadHeader("hash_bits"));
        }
        let named = read_u32(bytes, 12).ok_or(ModelError::TooShort)?;
        if named as usize != NAMED_COUNT {
            return Err(ModelError::BadHeader("named_count"));
        }
        let dense_count = if version == 1 {
            0
        } else {
            read_u32(bytes, 16).ok_or(ModelError::TooShort)?
        };
        if dense_count != 0 && dense_count as usize != dense::COUNT {
            return Err(ModelError::BadHeader("dense_count"));
        }
        let platt_a = read_f32(bytes, 20).ok_or(ModelError::TooShort)?;
        let platt_b = read_f32(bytes, 24).ok_or(ModelError::TooShort)?;
        let count = read_u32(bytes, 28).ok_or(ModelError::TooShort)? as usize;
        let expected_count = NAMED_COUNT + (1usize << bits) + RouterModel::extra(dense_count);
        if count != expected_count {
            return Err(ModelError::BadHeader("weight_count"));
        }
        let expected = header + count * 4 + 8;
        if bytes.len() != expected {
            return Err(ModelError::SizeMismatch {
                expected,
                found: bytes.len(),
            });
        }
        let body = bytes.get(..expected - 8).ok_or(ModelError::TooShort)?;
        let stored = bytes
            .get(expected - 8..)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map(u64::from_le_bytes)
            .ok_or(ModelError::TooShort)?;
        if fnv1a(body) != stored {
            return Err(ModelError::BadChecksum);
        }
        if !platt_a.is_finite() || !platt_b.is_finite() {
            return Err(ModelError::NonFinite);
        }
        if dense_count > 0 {
            let table = bytes
                .get(32..40)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_le_bytes)
                .ok_or(ModelError::TooShort)?;
            if table != embed::shared().checksum() || embed::shared().is_empty() {
                return Err(ModelError::EmbeddingMismatch);
            }
        }
        let mut weights = Vec::with_capacity(count);
        for chunk in body.get(header..).unwrap_or(&[]).chunks_exact(4) {
            let w = <[u8; 4]>::try_from(chunk)
                .map(f32::from_le_bytes)
                .map_err(|_| ModelError::TooShort)?;
            if !w.is_finite() {
                return Err(ModelError::NonFinite);
            }
            weights.push(w);
        }
        if weights.len() != count {
            return Err(ModelError::SizeMismatch {
                expected,
                found: bytes.len(),
            });
        }
        Ok(RouterModel {
            hash_bits: bits,
            dense_count,
            weights,
            platt_a,
            platt_b,
        })
    }

    /// Raw (uncalibrated) margin and the top contributions.
    pub(crate) fn margin(&self, req: &ChatRequest, want_reasons: usize) -> (f32, Vec<Reason>) {
        // Collect the hashed occurrences first, then gather their weights in one pass: the loads
        // are independent, so their cache misses overlap instead of queueing one after another
        // (the table is 1 MB and is mostly cold between requests).
        let mut hashed: Vec<Hashed> = Vec::with_capacity(1024);
        let meta = extract_into(req, self.hash_bits, self.dense_count > 0, &mut hashed);
        let gathered: Vec<f32> = hashed
            .iter()
            .map(|h| self.weights.get(h.index as usize).copied().unwrap_or(0.0))
            .collect();
        let mut scorer = Scorer {
            ask_sum: 0.0,
            sys_sum: 0.0,
            top: TopK::new(want_reasons * 3),
        };
        for (h, w) in hashed.iter().zip(gathered) {
            scorer.add(w, *h);
        }
        let va = meta.group_value(Group::Ask);
        let vs = meta.group_value(Group::System);
        let mut z = scorer.ask_sum * va + scorer.sys_sum * vs;
        let mut candidates: Vec<(f32, String)> = Vec::new();
        if self.dense_count > 0 {
            let base = RouterModel::dense_base(self.hash_bits);
            let (mut ask, mut sys) = (0f32, 0f32);
            for (j, v) in meta.dense.iter().enumerate() {
                let c = self.weights.get(base + j).copied().unwrap_or(0.0) * v;
                if j >= dense::SYSTEM {
                    sys += c;
                } else {
                    ask += c;
                }
            }
            let head = base + dense::COUNT;
            let x = mlp::input(&meta.dense, &meta.named);
            let mut h = [0f32; mlp::HIDDEN];
            ask += mlp::forward(self.weights.get(head..).unwrap_or(&[]), &x, &mut h);
            z += ask + sys;
            if want_reasons > 0 {
                candidates.push((ask, dense::ASK_NAME.to_string()));
                if sys != 0.0 {
                    candidates.push((sys, dense::SYSTEM_NAME.to_string()));
                }
            }
        }
        for &(i, v) in &meta.named {
            let c = self.weights.get(i).copied().unwrap_or(0.0) * v;
            z += c;
            if want_reasons > 0 && i != super::features::f::BIAS && c != 0.0 {
                candidates.push((c, NAMED.get(i).map(|s| s.to_string()).unwrap_or_default()));
            }
        }
        let mut reasons: Vec<Reason> = Vec::new();
        if want_reasons == 0 {
            return (z, reasons);
        }
        for (w, h) in scorer.top.items {
            let v = match h.group {
                Group::Ask => va,
                Group::System => vs,
            };
            candidates.push((w * v, meta.name_of(&h)));
        }
        candidates.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()).then_with(|| a.1.cmp(&b.1)));
        for (c, name) in candidates {
            if let Some(r) = reasons.iter_mut().find(|r| r.feature == name) {
                r.weight += c;
            } else if reasons.len() < want_reasons {
                reasons.push(Reason {
                    feature: name,
                    weight: c,
                });
            }
        }
        (z, reasons)
    }

    /// Calibrated probability of `reasoning` for a raw margin.
    pub fn calibrate(&self, margin: f32) -> f32 {
        let p = sigmoid(self.platt_a * margin + self.platt_b);
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.5
        }
    }
}

/// Sums raw weights per group and keeps the largest ones.
struct Scorer {
    ask_sum: f32,
    sys_sum: f32,
    top: TopK,
}

impl Scorer {
    #[inline(always)]
    fn add(&mut self, w: f32, h: Hashed) {
        match h.group {
            Group::Ask => {
                self.ask_sum += w;
                self.top.push(w, w, h);
            }
            Group::System => {
                self.sys_sum += w;
                self.top.push(w * 0.5, w, h);
            }
        }
    }
}

/// Bounded "largest |key|" set; the running minimum is cached so the common case (a small
/// weight) costs one comparison.
struct TopK {
    items: Vec<(f32, Hashed)>,
    keys: Vec<f32>,
    keep: usize,
    min_v: f32,
    min_i: usize,
}

impl TopK {
    fn new(keep: usize) -> TopK {
        TopK {
            items: Vec::with_capacity(keep),
            keys: Vec::with_capacity(keep),
            keep,
            min_v: 0.0,
            min_i: 0,
        }
    }

    #[inline]
    fn push(&mut self, key: f32, w: f32, h: Hashed) {
        let a = key.abs();
        if self.keep == 0 || a <= self.min_v {
            return;
        }
        if self.items.len() < self.keep {
            self.items.push((w, h));
            self.keys.push(a);
            if self.items.len() == self.keep {
                self.refresh();
            }
            return;
        }
        if let (Some(slot), Some(k)) = (self.items.get_mut(self.min_i), self.keys.get_mut(self.min_i)) {
            *slot = (w, h);
            *k = a;
        }
        self.refresh();
    }

    fn refresh(&mut self) {
        self.min_v = f32::INFINITY;
        for (i, k) in self.keys.iter().enumerate() {
            if *k < self.min_v {
                self.min_v = *k;
                self.min_i = i;
            }
        }
    }
}

/// Logistic function, saturating safely.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_le_bytes)
}

fn read_f32(b: &[u8], at: usize) -> Option<f32> {
    b.get(at..at + 4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(f32::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RouterModel {
        let mut m = RouterModel::zeros(10);
        for (i, w) in m.weights.iter_mut().enumerate() {
            *w = (i as f32 * 0.37).sin();
        }
        m.platt_a = 1.5;
        m.platt_b = -0.25;
        m
    }

    #[test]
    fn bytes_round_trip() {
        let m = sample();
        let bytes = m.to_bytes();
        assert_eq!(bytes.len(), 40 + 4 * (NAMED_COUNT + 1024) + 8);
        assert_eq!(RouterModel::from_bytes(&bytes), Ok(m));
    }

    #[test]
    fn garbage_is_rejected() {
        let good = sample().to_bytes();
        assert_eq!(RouterModel::from_bytes(&[]), Err(ModelError::TooShort));
        assert_eq!(RouterModel::from_bytes(&[0u8; 100]), Err(ModelError::BadMagic));
        let mut v = good.clone();
        v[4] = 9;
        assert_eq!(
            RouterModel::from_bytes(&v),
            Err(ModelError::UnsupportedVersion(9))
        );
        let mut v = good.clone();
        v[8] = 40;
        assert_eq!(
            RouterModel::from_bytes(&v),
            Err(ModelError::BadHeader("hash_bits"))
        );
        let mut v = good.clone();
        v[12] = 7;
        assert_eq!(
            RouterModel::from_bytes(&v),
            Err(ModelError::BadHeader("named_count"))
        );
        assert!(matches!(
            RouterModel::from_bytes(&good[..good.len() - 1]),
            Err(ModelError::SizeMismatch { .. })
        ));
        let mut v = good.clone();
        v.push(0);
        assert!(matches!(
            RouterModel::from_bytes(&v),
            Err(ModelError::SizeMismatch { .. })
        ));
        let mut v = good.clone();
        v[100] ^= 0x55;
        assert_eq!(RouterModel::from_bytes(&v), Err(ModelError::BadChecksum));
        // A NaN weight with a valid checksum is still refused.
        let mut m = sample();
        m.weights[3] = f32::NAN;
        assert_eq!(RouterModel::from_bytes(&m.to_bytes()), Err(ModelError::NonFinite));
        // Pseudo-random garbage of many lengths never panics.
        let mut x: u32 = 12345;
        for len in 0..2000usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            assert!(RouterModel::from_bytes(&bytes).is_err());
        }
    }

    /// Re-seal `body` (everything but the trailing checksum) as a model file.
    fn sealed(mut body: Vec<u8>) -> Vec<u8> {
        let sum = fnv1a(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        body
    }

    #[test]
    fn version_1_files_still_load_without_the_dense_block() {
        let v2 = sample().to_bytes();
        // Version 1: no table checksum after the 32-byte header.
        let mut body = v2[..v2.len() - 8].to_vec();
        body.drain(32..40);
        body[4..8].copy_from_slice(&1u32.to_le_bytes());
        let m = RouterModel::from_bytes(&sealed(body));
        assert_eq!(m.as_ref().map(RouterModel::dense_count), Ok(0));
        let mut req = ChatRequest::default();
        req.messages
            .push(crate::api::Message::new(crate::api::Role::User, "Prove it."));
        let meta = extract_into(&req, 10, false, &mut Vec::new());
        assert!(
            meta.dense.is_empty(),
            "no embedding work for a model without the dense block"
        );
    }

    #[test]
    fn a_model_trained_with_another_embedding_table_is_refused() {
        let mut m = RouterModel::zeros_with_dense(10, true);
        if m.dense_count() == 0 {
            return; // no table shipped: nothing to mismatch (the embed tests fail instead)
        }
        m.platt_a = 1.0;
        let good = m.to_bytes();
        assert!(RouterModel::from_bytes(&good).is_ok());
        let mut body = good[..good.len() - 8].to_vec();
        body[32] ^= 1;
        assert_eq!(
            RouterModel::from_bytes(&sealed(body)),
            Err(ModelError::EmbeddingMismatch)
        );
    }

    #[test]
    fn calibrate_is_bounded() {
        let m = sample();
        for z in [
            f32::NEG_INFINITY,
            -1e30,
            -3.0,
            0.0,
            3.0,
            1e30,
            f32::INFINITY,
            f32::NAN,
        ] {
            let p = m.calibrate(z);
            assert!((0.0..=1.0).contains(&p), "{z} -> {p}");
        }
        assert_eq!(Route::Chat.as_str(), "chat");
        assert_eq!(Route::Reasoning.to_string(), "reasoning");
    }
}
