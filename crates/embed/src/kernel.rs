//! The arithmetic of the forward pass: a linear layer over several tokens at once, layer
//! normalisation, exact GELU, softmax. Plain loops written so that the compiler vectorises
//! them (eight independent accumulators, four tokens per weight row).

/// Lanes of the accumulators: the compiler turns them into vector registers.
const LANES: usize = 32;

/// A weight matrix `[out, in]`, row-major, with its bias.
#[derive(Debug)]
pub struct Linear {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub inputs: usize,
    pub outputs: usize,
}

impl Linear {
    /// `y = x·Wᵀ + b` for `tokens` rows of `x` (`[tokens, in]`) into `y` (`[tokens, out]`).
    pub fn apply(&self, x: &[f32], tokens: usize, y: &mut Vec<f32>) {
        y.clear();
        y.resize(tokens * self.outputs, 0.0);
        let inputs = self.inputs;
        for (o, (w, b)) in self.weight.chunks_exact(inputs).zip(&self.bias).enumerate() {
            let mut t = 0;
            while t < tokens {
                let row = x.get(t * inputs..(t + 1) * inputs).unwrap_or(&[]);
                if let Some(slot) = y.get_mut(t * self.outputs + o) {
                    *slot = dot(w, row) + b;
                }
                t += 1;
            }
        }
    }
}

/// The dot product of two equal-length slices.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (a8, ar) = a.as_chunks::<LANES>();
    let (b8, br) = b.as_chunks::<LANES>();
    for (x, y) in a8.iter().zip(b8) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Layer normalisation of each row of `x` in place (biased variance, two passes).
pub fn layer_norm(x: &mut [f32], width: usize, gamma: &[f32], beta: &[f32], eps: f32) {
    for row in x.chunks_exact_mut(width) {
        let mean = row.iter().sum::<f32>() / width as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / width as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, g), b) in row.iter_mut().zip(gamma).zip(beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// Exact GELU, `0.5·u·(1 + erf(u/√2))`, in place.
pub fn gelu(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + libm::erff(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Softmax of `x` in place (the maximum subtracted first).
pub fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        for v in x.iter_mut() {
            *v /= sum;
        }
    }
}
