//! The three learned heads (sentiment, emotion, intent), trained when a [`crate::Triager`] is
//! built, from the labelled training split shipped in `data/labelled/train.jsonl`.

use crate::linear::{DIM, Example, Linear, feature_scale};
use palabre_embed::softmax;

/// The class indices a training message carries (see [`crate::labels`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct Targets {
    pub sentiment: Option<usize>,
    pub emotion: Option<usize>,
    pub intent: Option<usize>,
    /// Read by the meaning heads only (the fast path's toxicity is its rules).
    pub toxic: Option<usize>,
}

impl Targets {
    /// The class indices of a labelled record's labels.
    pub fn of(r: &crate::eval::EvalRecord) -> Targets {
        use crate::labels;
        Targets {
            sentiment: r
                .sentiment
                .as_deref()
                .and_then(|s| labels::index_of(&labels::SENTIMENTS, s, labels::sentiment_name)),
            emotion: r
                .emotion
                .as_deref()
                .and_then(|s| labels::index_of(&labels::EMOTIONS, s, labels::emotion_name)),
            intent: r
                .intent
                .as_deref()
                .and_then(|s| labels::index_of(&labels::INTENTS, s, labels::intent_name)),
            toxic: r.toxic.map(usize::from),
        }
    }
}

/// The three heads packed side by side: the 16 weights of a hash bucket (3 sentiment, 5 emotion,
/// 8 intent) fill one 64-byte cache line, so each feature costs one memory access.
pub struct Models {
    packed: Vec<[f32; OUTPUTS]>,
    bias: [f32; OUTPUTS],
}

const OUTPUTS: usize = 16;

/// The heads' probabilities for one message.
#[derive(Debug, Default, Clone, Copy)]
pub struct Probabilities {
    pub sentiment: [f32; 3],
    pub emotion: [f32; 5],
    pub intent: [f32; 8],
}

const EPOCHS: usize = 30;
const L2: f32 = 1e-4;

impl Models {
    pub fn train(samples: &[(Vec<u32>, Targets)]) -> Models {
        let head = |classes: usize, pick: fn(&Targets) -> Option<usize>| {
            let ex: Vec<Example<'_>> = samples
                .iter()
                .filter_map(|(f, t)| {
                    pick(t).map(|class| Example {
                        features: f.as_slice(),
                        class,
                    })
                })
                .collect();
            Linear::train(classes, &ex, EPOCHS, L2)
        };
        let heads = [
            head(3, |t| t.sentiment),
            head(5, |t| t.emotion),
            head(8, |t| t.intent),
        ];
        let mut packed = vec![[0.0f32; OUTPUTS]; DIM];
        let mut bias = [0.0f32; OUTPUTS];
        for (b, slot) in packed.iter_mut().enumerate() {
            let mut at = 0;
            for h in &heads {
                for (k, w) in h.bucket(b).iter().enumerate() {
                    if let Some(x) = slot.get_mut(at + k) {
                        *x = *w;
                    }
                }
                at += h.classes();
            }
        }
        let mut at = 0;
        for h in &heads {
            for (k, w) in h.bias().iter().enumerate() {
                if let Some(x) = bias.get_mut(at + k) {
                    *x = *w;
                }
            }
            at += h.classes();
        }
        Models { packed, bias }
    }

    /// The three heads' probabilities for a message's features.
    pub fn probabilities(&self, features: &[u32]) -> Probabilities {
        let mut z = self.bias;
        let scale = feature_scale(features.len());
        for &f in features {
            if let Some(ws) = self.packed.get(f as usize % DIM) {
                for (o, w) in z.iter_mut().zip(ws) {
                    *o += w * scale;
                }
            }
        }
        let mut p = Probabilities::default();
        for (dst, src) in p.sentiment.iter_mut().zip(&z[0..3]) {
            *dst = *src;
        }
        for (dst, src) in p.emotion.iter_mut().zip(&z[3..8]) {
            *dst = *src;
        }
        for (dst, src) in p.intent.iter_mut().zip(&z[8..16]) {
            *dst = *src;
        }
        softmax(&mut p.sentiment);
        softmax(&mut p.emotion);
        softmax(&mut p.intent);
        p
    }
}
