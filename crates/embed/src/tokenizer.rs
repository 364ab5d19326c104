//! The model's tokenizer: SentencePiece's unigram model, as the model file stores it. NFC,
//! then the normaliser's per-character replacements, runs of spaces collapsed, `▁` for every
//! space and before the text, then the most probable split into pieces (Viterbi over the
//! pieces' log-probabilities). Unknown characters become one `<unk>` per run.

use crate::file::Vocab;
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// SentencePiece's word-boundary mark.
const SPACE_MARK: char = '\u{2581}';
/// The longest piece, in bytes (longer spans are never looked up).
const LONGEST_PIECE: usize = 48;
/// What an unknown character costs beyond the least likely piece (SentencePiece's penalty).
const UNKNOWN_PENALTY: f32 = 10.0;

#[derive(Debug)]
pub struct Tokenizer {
    ids: HashMap<Box<str>, u32>,
    scores: Vec<f32>,
    unknown_score: f32,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    rules: Vec<(u32, u32, u8)>,
    replacements: Vec<char>,
}

impl Tokenizer {
    pub fn new(vocab: &Vocab) -> Tokenizer {
        let n = vocab.scores.len();
        let mut ids = HashMap::with_capacity(n);
        // The special pieces (<s>, <pad>, </s>, <unk>, <mask>) are never read from a text:
        // a message that writes "<s>" gets the pieces of those characters.
        let special = |i: usize, piece: &str| {
            [vocab.bos, vocab.eos, vocab.pad, vocab.unk]
                .iter()
                .any(|&s| s as usize == i)
                || (piece.starts_with('<') && piece.ends_with('>') && vocab.scores[i] == 0.0)
        };
        for (i, w) in vocab.offsets.windows(2).enumerate() {
            let piece = vocab.blob.get(w[0]..w[1]).unwrap_or("");
            if piece.is_empty() || special(i, piece) {
                continue;
            }
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            ids.entry(piece.into()).or_insert(id);
        }
        let least = vocab.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Tokenizer {
            ids,
            scores: vocab.scores.clone(),
            unknown_score: least - UNKNOWN_PENALTY,
            bos: vocab.bos,
            eos: vocab.eos,
            unk: vocab.unk,
            rules: vocab.rules.clone(),
            replacements: vocab.replacements.clone(),
        }
    }

    /// The normalised text with its space marks: `▁query:▁bonjour`.
    fn normalise(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 4);
        out.push(SPACE_MARK);
        let mut last_space = true;
        let mut push = |c: char, out: &mut String| {
            if c == ' ' {
                if !last_space {
                    out.push(SPACE_MARK);
                }
                last_space = true;
            } else {
                out.push(c);
                last_space = false;
            }
        };
        for c in text.trim().nfc() {
            match self.rules.binary_search_by_key(&(c as u32), |r| r.0) {
                Ok(i) => {
                    let (_, start, len) = self.rules[i];
                    let start = start as usize;
                    for &r in self
                        .replacements
                        .get(start..start + usize::from(len))
                        .unwrap_or_default()
                    {
                        push(r, &mut out);
                    }
                }
                Err(_) => push(c, &mut out),
            }
        }
        if out.ends_with(SPACE_MARK) && out.chars().count() > 1 {
            out.pop();
        }
        out
    }

    /// The piece ids of `text` (without the start and end markers).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let s = self.normalise(text);
        let bounds: Vec<usize> = s
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(s.len()))
            .collect();
        let n = bounds.len() - 1;
        // best[k]: the best score of a split of the first k characters, and how it ends.
        let mut best: Vec<(f32, usize, u32)> = vec![(f32::NEG_INFINITY, 0, 0); n + 1];
        best[0].0 = 0.0;
        for start in 0..n {
            let base = best[start].0;
            if base == f32::NEG_INFINITY {
                continue;
            }
            let from = bounds[start];
            let mut matched_one = false;
            for end in start + 1..=n {
                let to = bounds[end];
                if to - from > LONGEST_PIECE {
                    break;
                }
                let Some(&id) = s.get(from..to).and_then(|p| self.ids.get(p)) else {
                    continue;
                };
                matched_one |= end == start + 1;
                let score = base + self.scores.get(id as usize).copied().unwrap_or(0.0);
                if score > best[end].0 {
                    best[end] = (score, start, id);
                }
            }
            if !matched_one {
                let score = base + self.unknown_score;
                if score > best[start + 1].0 {
                    best[start + 1] = (score, start, self.unk);
                }
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (_, start, id) = best[at];
            // One <unk> for a run of unknown characters.
            if !(id == self.unk && ids.last() == Some(&self.unk)) {
                ids.push(id);
            }
            at = start;
        }
        ids.reverse();
        ids
    }
}
