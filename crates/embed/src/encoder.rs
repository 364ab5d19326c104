//! The forward pass of the encoder (BERT, layer norm after each residual): embeddings, twelve
//! layers of attention and feed-forward, mean pooling over every token, L2 normalisation.
//! Several texts go through together: their tokens share each weight's pass over memory.

use crate::ModelError;
use crate::file::{BLOCK_BYTES, ModelFile, Shape, dequantize_block, q4_row_bytes};
use crate::kernel::{Linear, dot, gelu, layer_norm, softmax};

#[derive(Debug)]
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: (Vec<f32>, Vec<f32>),
    ffn_in: Linear,
    ffn_out: Linear,
    output_norm: (Vec<f32>, Vec<f32>),
}

/// The weights, ready to run: the word embeddings stay 4-bit (one row dequantised per token),
/// the layers are dequantised once at load.
#[derive(Debug)]
pub struct Encoder {
    pub shape: Shape,
    eps: f32,
    word_rows: Vec<u8>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
}

fn linear(
    file: &ModelFile,
    name: &str,
    outputs: usize,
    inputs: usize,
) -> Result<Linear, ModelError> {
    Ok(Linear {
        weight: file.f32s(&format!("{name}.w"), outputs, inputs)?,
        bias: file.f32s(&format!("{name}.b"), outputs, 1)?,
        inputs,
        outputs,
    })
}

fn norm(file: &ModelFile, name: &str, width: usize) -> Result<(Vec<f32>, Vec<f32>), ModelError> {
    Ok((
        file.f32s(&format!("{name}.w"), width, 1)?,
        file.f32s(&format!("{name}.b"), width, 1)?,
    ))
}

impl Encoder {
    pub fn new(file: &ModelFile) -> Result<Encoder, ModelError> {
        let s = file.shape;
        let h = s.hidden;
        let layers = (0..s.layers)
            .map(|l| {
                Ok(Layer {
                    query: linear(file, &format!("l{l}.q"), h, h)?,
                    key: linear(file, &format!("l{l}.k"), h, h)?,
                    value: linear(file, &format!("l{l}.v"), h, h)?,
                    attention_out: linear(file, &format!("l{l}.ao"), h, h)?,
                    attention_norm: norm(file, &format!("l{l}.aln"), h)?,
                    ffn_in: linear(file, &format!("l{l}.fi"), s.ffn, h)?,
                    ffn_out: linear(file, &format!("l{l}.fo"), h, s.ffn)?,
                    output_norm: norm(file, &format!("l{l}.oln"), h)?,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        Ok(Encoder {
            shape: s,
            eps: file.eps,
            word_rows: file.q4_bytes("emb.word", s.vocab_rows, h)?.to_vec(),
            positions: file.f32s("emb.pos", s.max_positions, h)?,
            token_type: file.f32s("emb.type", s.type_rows, h)?,
            embedding_norm: norm(file, "emb.ln", h)?,
            layers,
        })
    }

    /// One L2-normalised vector per sequence of piece ids (each with its start and end
    /// markers, at most `max_positions` long).
    pub fn run(&self, sequences: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.shape.hidden;
        let total: usize = sequences.iter().map(Vec::len).sum();
        let mut x = Vec::with_capacity(total * h);
        let row_bytes = q4_row_bytes(h);
        let mut row = Vec::with_capacity(h);
        for seq in sequences {
            for (t, &id) in seq.iter().enumerate() {
                row.clear();
                let start = id as usize * row_bytes;
                let bytes = self.word_rows.get(start..start + row_bytes).unwrap_or(&[]);
                for block in bytes.chunks_exact(BLOCK_BYTES) {
                    dequantize_block(block, &mut row);
                }
                row.resize(h, 0.0);
                let pos = self.positions.get(t * h..(t + 1) * h).unwrap_or(&[]);
                for ((w, p), ty) in row.iter().zip(pos).zip(&self.token_type) {
                    x.push(w + p + ty);
                }
            }
        }
        let (g, b) = &self.embedding_norm;
        layer_norm(&mut x, h, g, b, self.eps);
        let mut scratch = Scratch::default();
        for layer in &self.layers {
            self.layer(layer, &mut x, sequences, total, &mut scratch);
        }
        let mut out = Vec::with_capacity(sequences.len());
        let mut at = 0;
        for seq in sequences {
            let mut pooled = vec![0.0f32; h];
            for t in at..at + seq.len() {
                for (p, v) in pooled
                    .iter_mut()
                    .zip(x.get(t * h..(t + 1) * h).unwrap_or(&[]))
                {
                    *p += v;
                }
            }
            at += seq.len();
            let norm = dot(&pooled, &pooled).sqrt().max(1e-6);
            pooled.iter_mut().for_each(|v| *v /= norm);
            out.push(pooled);
        }
        out
    }

    fn layer(
        &self,
        layer: &Layer,
        x: &mut [f32],
        sequences: &[Vec<u32>],
        total: usize,
        s: &mut Scratch,
    ) {
        let h = self.shape.hidden;
        let heads = self.shape.heads;
        let head = h / heads;
        let scale = 1.0 / (head as f32).sqrt();
        layer.query.apply(x, total, &mut s.q);
        layer.key.apply(x, total, &mut s.k);
        layer.value.apply(x, total, &mut s.v);
        s.context.clear();
        s.context.resize(total * h, 0.0);
        let mut start = 0;
        for seq in sequences {
            let len = seq.len();
            s.scores.resize(len, 0.0);
            for hd in 0..heads {
                let cols = hd * head..(hd + 1) * head;
                let at = |m: &[f32], t: usize| -> Vec<f32> {
                    let base = (start + t) * h;
                    m.get(base + cols.start..base + cols.end)
                        .map(<[f32]>::to_vec)
                        .unwrap_or_default()
                };
                let keys: Vec<Vec<f32>> = (0..len).map(|j| at(&s.k, j)).collect();
                let values: Vec<Vec<f32>> = (0..len).map(|j| at(&s.v, j)).collect();
                for i in 0..len {
                    let q = at(&s.q, i);
                    for (score, k) in s.scores.iter_mut().zip(&keys) {
                        *score = dot(&q, k) * scale;
                    }
                    softmax(&mut s.scores);
                    let base = (start + i) * h;
                    if let Some(ctx) = s.context.get_mut(base + cols.start..base + cols.end) {
                        for (p, v) in s.scores.iter().zip(&values) {
                            for (c, vv) in ctx.iter_mut().zip(v) {
                                *c += p * vv;
                            }
                        }
                    }
                }
            }
            start += len;
        }
        layer
            .attention_out
            .apply(&s.context, total, &mut s.projected);
        for (v, a) in x.iter_mut().zip(&s.projected) {
            *v += a;
        }
        let (g, b) = &layer.attention_norm;
        layer_norm(x, h, g, b, self.eps);
        layer.ffn_in.apply(x, total, &mut s.inner);
        gelu(&mut s.inner);
        layer.ffn_out.apply(&s.inner, total, &mut s.projected);
        for (v, a) in x.iter_mut().zip(&s.projected) {
            *v += a;
        }
        let (g, b) = &layer.output_norm;
        layer_norm(x, h, g, b, self.eps);
    }
}

/// Buffers reused from layer to layer.
#[derive(Debug, Default)]
struct Scratch {
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    context: Vec<f32>,
    projected: Vec<f32>,
    inner: Vec<f32>,
    scores: Vec<f32>,
}
