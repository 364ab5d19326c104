//! A multiclass linear model (softmax regression) over hashed sparse features, trained by
//! stochastic gradient descent in a fixed order, so that training is reproducible.

use palabre_embed::softmax;

/// Number of hash buckets for features (2^17).
pub const DIM: usize = 1 << 17;

pub struct Linear {
    classes: usize,
    /// Bucket-major: the weights of bucket `b` are `w[b * classes .. (b + 1) * classes]`.
    w: Vec<f32>,
    bias: Vec<f32>,
}

/// One training example: feature buckets and the index of its class.
pub struct Example<'a> {
    pub features: &'a [u32],
    pub class: usize,
}

impl Linear {
    pub fn zeros(classes: usize) -> Linear {
        Linear {
            classes,
            w: vec![0.0; DIM * classes],
            bias: vec![0.0; classes],
        }
    }

    /// Class scores (logits) written into `out` (which must hold `classes` values).
    pub fn scores(&self, features: &[u32], out: &mut [f32]) {
        let k = self.classes;
        let scale = feature_scale(features.len());
        for (o, b) in out.iter_mut().zip(&self.bias) {
            *o = *b;
        }
        for &f in features {
            let base = (f as usize % DIM) * k;
            if let Some(ws) = self.w.get(base..base + k) {
                for (o, w) in out.iter_mut().zip(ws) {
                    *o += w * scale;
                }
            }
        }
    }

    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The weights of one hash bucket, one per class.
    pub fn bucket(&self, b: usize) -> &[f32] {
        self.w
            .get(b * self.classes..(b + 1) * self.classes)
            .unwrap_or(&[])
    }

    pub fn bias(&self) -> &[f32] {
        &self.bias
    }

    /// Softmax probabilities of `features`, written into `out`.
    pub fn probabilities(&self, features: &[u32], out: &mut [f32]) {
        self.scores(features, out);
        softmax(out);
    }

    /// Trains a model on `examples` for `epochs` passes.
    pub fn train(classes: usize, examples: &[Example<'_>], epochs: usize, l2: f32) -> Linear {
        let mut m = Linear::zeros(classes);
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut p = vec![0.0f32; classes];
        for epoch in 0..epochs {
            // Deterministic Fisher-Yates shuffle (xorshift).
            for i in (1..order.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                order.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let lr = 0.5 / (1.0 + epoch as f32 * 0.1);
            for &i in &order {
                let Some(ex) = examples.get(i) else { continue };
                m.probabilities(ex.features, &mut p);
                let scale = feature_scale(ex.features.len());
                for c in 0..classes {
                    let target = if c == ex.class { 1.0 } else { 0.0 };
                    let g = p.get(c).copied().unwrap_or(0.0) - target;
                    if let Some(b) = m.bias.get_mut(c) {
                        *b -= lr * g * 0.1;
                    }
                    for &f in ex.features {
                        let idx = (f as usize % DIM) * classes + c;
                        if let Some(w) = m.w.get_mut(idx) {
                            *w -= lr * (g * scale + l2 * *w);
                        }
                    }
                }
            }
        }
        m
    }
}

pub fn feature_scale(n: usize) -> f32 {
    1.0 / (n.max(1) as f32).sqrt()
}

pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v.get(best).copied().unwrap_or(f32::NEG_INFINITY) {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem() {
        let a = [1u32, 2, 3];
        let b = [4u32, 5, 6];
        let ex = [
            Example {
                features: &a,
                class: 0,
            },
            Example {
                features: &b,
                class: 1,
            },
        ];
        let m = Linear::train(2, &ex, 20, 0.0);
        let mut p = [0.0; 2];
        m.probabilities(&[1, 2], &mut p);
        assert!(p[0] > 0.8);
        m.probabilities(&[4, 5, 6], &mut p);
        assert!(p[1] > 0.8);
    }
}
