//! Triage: reads one message and says its language, sentiment, emotion, toxicity, intent and
//! author kind — offline, in French and English, in a few microseconds.
//!
//! ```text
//! text ─► text::prepare ─► lang ─► sentiment (lexicons) ─┐
//!         (cap 4 KB,        toxicity (insult lists) ─────┼─► features ─► linear heads ─► decide ─► Triage
//!          fold, tokens)    rule cues, author kind ──────┘   (hashed)    (trained at start)
//! ```
//!
//! Everything is compiled once in [`Triager::new`]: lexicons into hash maps, the `lingua`
//! English/French models, and the three linear heads, trained in a fixed order from the
//! labelled split shipped in `data/labelled/train.jsonl`. `data/labelled/heldout.jsonl` is never
//! used for training: the `heldout` test measures it. See docs/triage.md.

mod author;
pub mod crisis;
mod decide;
pub mod eval;
mod features;
mod fold;
mod labels;
mod lang;
mod lexicon;
mod linear;
pub mod meaning;
mod model;
mod report;
mod sentiment;
pub mod solved;
mod spam;
mod text;
mod toxicity;
mod words;

use palabre_core::{Author, Triage};
use palabre_embed::{Model, Role};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::meaning::MeaningHeads;

use crate::features::Cues;
use crate::lexicon::{FastSet, Lexicons};
use crate::model::{Models, Targets};

pub use crate::text::MAX_BYTES;

/// The labelled training split, compiled in.
pub const TRAINING_DATA: &str = include_str!("../data/labelled/train.jsonl");
/// The held-out split, compiled in for tests and `palabre eval`; never used for training.
pub const HELDOUT_DATA: &str = include_str!("../data/labelled/heldout.jsonl");

#[derive(Debug, Clone, Default)]
pub struct TriageConfig {
    /// Handles of known media and brands, lowercase, without `@`: always `organisation`.
    pub known_organisations: Vec<String>,
}

/// Reads messages. Built once (lexicons and models are compiled in [`Triager::new`]), then
/// shared: it is `Send + Sync` and [`Triager::triage`] takes `&self`.
pub struct Triager {
    lex: Lexicons,
    lang: lang::LangDetector,
    known: FastSet,
    models: Models,
    meaning: Option<Meaning>,
}

/// The language model and the heads over its vectors: the second reading, for the messages
/// the first is not sure of.
struct Meaning {
    model: Arc<Model>,
    heads: MeaningHeads,
    /// Messages the model read, and all messages triaged: the cascade's share.
    read: AtomicU64,
    seen: AtomicU64,
}

/// The fast reading is sure of a message when each head's best class has at least this
/// probability; otherwise the language model reads it too.
const SURE_SENTIMENT: f32 = 0.8;
const SURE_EMOTION: f32 = 0.75;
const SURE_INTENT: f32 = 0.7;
/// The meaning head's toxicity above which a message is toxic even with no insult the
/// lists know (an insult they lack, an obfuscated one).
const MEANING_TOXIC: f32 = 0.85;

impl std::fmt::Debug for Triager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Triager")
            .field("known_organisations", &self.known.len())
            .finish_non_exhaustive()
    }
}

impl Triager {
    /// Builds a triager trained on the shipped training split.
    pub fn new(config: TriageConfig) -> Triager {
        Triager::with_training_data(config, TRAINING_DATA)
    }

    /// Builds a triager trained on other labelled JSONL (lines that do not parse are skipped).
    pub fn with_training_data(config: TriageConfig, jsonl: &str) -> Triager {
        let known = config
            .known_organisations
            .iter()
            .map(|h| {
                h.trim()
                    .trim_start_matches('@')
                    .to_lowercase()
                    .into_boxed_str()
            })
            .collect();
        let mut t = Triager {
            lex: Lexicons::load(),
            lang: lang::LangDetector::new(),
            known,
            models: Models::train(&[]),
            meaning: None,
        };
        let (records, _) = eval::parse_jsonl(jsonl);
        let samples: Vec<(Vec<u32>, Targets)> = records
            .iter()
            .map(|r| {
                let p = text::prepare(&r.text);
                let cues = t.cues(&p, None, &r.core_author());
                let mut f = Vec::new();
                features::extract(&p, &cues, &mut f);
                let targets = Targets::of(r);
                (f, targets)
            })
            .collect();
        t.models = Models::train(&samples);
        t
    }

    fn cues(&self, p: &text::Prepared, lang_hint: Option<&str>, author: &Author) -> Cues {
        let lang = self.lang.detect(p, lang_hint, &self.lex);
        let mut cues = Cues {
            lang: Some(lang),
            sentiment: sentiment::analyse(p, lang, &self.lex),
            toxic: toxicity::detect(p, &self.lex),
            organisation: author::classify(author, &self.known)
                == palabre_core::AuthorKind::Organisation,
            ..Cues::default()
        };
        features::rule_cues(p, &self.lex, &mut cues);
        cues
    }

    /// A developer's view of what the readers saw in `text` (token valences, cues), for tuning.
    pub fn explain(&self, text: &str, lang_hint: Option<&str>) -> String {
        let p = text::prepare(text);
        let lang = self.lang.detect(&p, lang_hint, &self.lex);
        let mut trace = Vec::new();
        let _ = sentiment::analyse_traced(&p, lang, &self.lex, Some(&mut trace));
        let cues = self.cues(&p, lang_hint, &Author::default());
        format!("valences {trace:?}\n{cues:#?}")
    }

    /// Adds the language model's reading: the messages the fast reading is not sure of are
    /// read again by `model`, whose heads' probabilities are averaged with the fast ones.
    /// Fails when the shipped heads cannot be read.
    pub fn with_model(mut self, model: Arc<Model>) -> Result<Triager, String> {
        self.meaning = Some(Meaning {
            model,
            heads: MeaningHeads::shipped()?,
            read: AtomicU64::new(0),
            seen: AtomicU64::new(0),
        });
        Ok(self)
    }

    /// Does this triager have the language model?
    pub fn has_model(&self) -> bool {
        self.meaning.is_some()
    }

    /// Messages the language model read, and messages triaged, since the start.
    pub fn model_share(&self) -> (u64, u64) {
        self.meaning.as_ref().map_or((0, 0), |m| {
            (
                m.read.load(Ordering::Relaxed),
                m.seen.load(Ordering::Relaxed),
            )
        })
    }

    /// Triage one message. `lang_hint` is the language the platform declared, if any (`fr`, `en`…):
    /// it decides only when the text itself cannot. Only the first [`MAX_BYTES`] bytes are read.
    /// With a language model ([`Triager::with_model`]), a message the fast reading is not sure
    /// of is read by the model too.
    pub fn triage(&self, text: &str, lang_hint: Option<&str>, author: &Author) -> Triage {
        self.triage_with(text, lang_hint, author, &mut || true)
    }

    /// [`Triager::triage`], asking `may_read` before the language model reads a message the
    /// fast reading is not sure of (a caller keeping a budget says no past it).
    pub fn triage_with(
        &self,
        text: &str,
        lang_hint: Option<&str>,
        author: &Author,
        may_read: &mut dyn FnMut() -> bool,
    ) -> Triage {
        let p = text::prepare(text);
        let cues = self.cues(&p, lang_hint, author);
        let mut f = Vec::with_capacity(256);
        features::extract(&p, &cues, &mut f);
        let probs = self.models.probabilities(&f);
        let (mut ps, mut pe, mut pi) = (probs.sentiment, probs.emotion, probs.intent);
        let mut toxic = cues.toxic.toxic;
        if let Some(m) = &self.meaning {
            m.seen.fetch_add(1, Ordering::Relaxed);
            let best = |p: &[f32]| p.iter().copied().fold(0.0f32, f32::max);
            let sure = best(&ps) >= SURE_SENTIMENT
                && best(&pe) >= SURE_EMOTION
                && best(&pi) >= SURE_INTENT;
            if !sure && may_read() {
                m.read.fetch_add(1, Ordering::Relaxed);
                let v = m.heads.probabilities(&m.model.embed(text, Role::Query));
                let blend = |fast: &mut [f32], deep: &[f32]| {
                    for (a, b) in fast.iter_mut().zip(deep) {
                        *a = 0.5 * *a + 0.5 * b;
                    }
                };
                blend(&mut ps, &v.sentiment);
                blend(&mut pe, &v.emotion);
                blend(&mut pi, &v.intent);
                toxic |= v.toxic >= MEANING_TOXIC;
            }
        }
        let mut cues = cues;
        cues.toxic.toxic = toxic;
        let intent = decide::intent(&cues, pi);
        let sentiment = decide::calm_promotion(&cues, intent, decide::sentiment(&cues, ps));
        Triage {
            lang: cues.lang.unwrap_or(palabre_core::Lang::Other),
            sentiment,
            emotion: decide::emotion(&cues, sentiment.label, intent, pe),
            toxic: cues.toxic.toxic,
            intent,
            author_kind: if cues.organisation {
                palabre_core::AuthorKind::Organisation
            } else {
                palabre_core::AuthorKind::Person
            },
            spam: spam::detect(&p),
        }
    }
}

/// Trains the meaning heads on the shipped training split, read by `model` (what
/// `examples/train_meaning.rs` writes to `data/meaning_heads.json`).
pub fn train_meaning_heads(model: &Model, model_name: &str) -> MeaningHeads {
    let (records, _) = eval::parse_jsonl(TRAINING_DATA);
    let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
    let vectors: Vec<Vec<f32>> = texts
        .chunks(8)
        .flat_map(|chunk| model.embed_batch(chunk, Role::Query))
        .collect();
    let samples: Vec<(Vec<f32>, Targets)> = records
        .iter()
        .zip(vectors)
        .map(|(r, v)| {
            let t = Targets::of(r);
            (v, t)
        })
        .collect();
    let names = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<Vec<_>>();
    MeaningHeads::train(
        model_name,
        &meaning::fingerprint(TRAINING_DATA),
        &samples,
        [
            names(
                labels::SENTIMENTS
                    .iter()
                    .map(|s| labels::sentiment_name(*s))
                    .collect(),
            ),
            names(
                labels::EMOTIONS
                    .iter()
                    .map(|s| labels::emotion_name(*s))
                    .collect(),
            ),
            names(
                labels::INTENTS
                    .iter()
                    .map(|s| labels::intent_name(*s))
                    .collect(),
            ),
            names(vec!["not_toxic", "toxic"]),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triager_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Triager>();
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use std::hint::black_box;
    use std::time::Instant;

    /// `cargo test --release -p palabre-triage timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn stage_costs() {
        let t = Triager::new(TriageConfig::default());
        let (records, _) = eval::parse_jsonl(TRAINING_DATA);
        let texts: Vec<String> = records
            .chunks(3)
            .map(|c| {
                c.iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let slow = records
            .iter()
            .filter(|r| {
                lang::fast_path(&lang::votes(&text::prepare(&r.text), &t.lex), None).is_none()
            })
            .count();
        println!(
            "lingua asked for {slow} of {} labelled messages",
            records.len()
        );
        let n = 20;
        let time = |name: &str, f: &dyn Fn(&str)| {
            let start = Instant::now();
            for _ in 0..n {
                for x in &texts {
                    f(x);
                }
            }
            let per = start.elapsed().as_secs_f64() * 1e6 / (n * texts.len()) as f64;
            println!("{name:<12} {per:>7.2} µs/message");
        };
        time("prepare", &|x| {
            black_box(text::prepare(x));
        });
        time("lang", &|x| {
            black_box(t.lang.detect(&text::prepare(x), None, &t.lex));
        });
        time("sentiment", &|x| {
            black_box(sentiment::analyse(
                &text::prepare(x),
                palabre_core::Lang::Fr,
                &t.lex,
            ));
        });
        time("toxicity", &|x| {
            black_box(toxicity::detect(&text::prepare(x), &t.lex));
        });
        time("cues", &|x| {
            black_box(t.cues(&text::prepare(x), None, &Author::default()));
        });
        time("features", &|x| {
            let p = text::prepare(x);
            let c = t.cues(&p, None, &Author::default());
            let mut f = Vec::new();
            features::extract(&p, &c, &mut f);
            black_box(f);
        });
        time("triage", &|x| {
            black_box(t.triage(x, None, &Author::default()));
        });
    }
}
