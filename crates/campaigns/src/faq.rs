//! FAQ answers: the questions a brand answers the same way every time (baggage, opening hours,
//! discounts), each entry with example questions and its answer, matched by meaning.
//!
//! A message is read by the language model (its sentence vector, handed in by the caller) and
//! compared with every example question and with a built-in set of everyday messages that are
//! no FAQ question at all (thanks, greetings, complaints, refunds…): the *foils*. The model's
//! vectors all lean one way (any two texts score 0.8 or more), so every vector is taken
//! relative to the foils' mean before comparing: what is left is what a text says beyond being
//! a message to a brand. An answer goes out only when the message is close to one entry
//! (`answer_at`), clearly closer to it than to any foil and to any other entry, and shares at
//! least one word with that entry's questions. Anything weaker, down to `suggest_at`, is a
//! draft for a person; so is every match on words alone (no model, or its budget spent).

use crate::fold::fold_words;
use palabre_core::Lang;
use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, OnceLock};

/// The answer needs the message closer to its entry than to any foil by this much (cosine).
pub const FOIL_MARGIN: f32 = 0.10;

/// The answer needs the message closer to its entry than to any other entry by this much;
/// within it, two entries match equally and a person chooses.
pub const RIVAL_MARGIN: f32 = 0.05;

/// On words alone, the share of a question's weight the message must cover to be suggested.
pub const WORDS_SUGGEST: f32 = 0.6;

/// Everyday messages to a brand that no FAQ entry should answer, French and English. An entry
/// that would answer one of them (judged against the others) is refused at load: it matches
/// everything.
pub const FOILS: &[&str] = &[
    "merci beaucoup !",
    "merci pour votre réponse",
    "bonjour",
    "bonsoir, j'ai une question",
    "thank you so much!",
    "hello",
    "hi there, quick question",
    "mon vol a du retard, c'est scandaleux",
    "j'attends depuis deux heures, personne ne répond",
    "vous êtes nuls",
    "service client déplorable",
    "my flight was delayed for hours, unacceptable",
    "worst customer service ever",
    "you lost my suitcase",
    "ma valise n'est jamais arrivée",
    "je veux un remboursement",
    "I want my money back",
    "mon vol est annulé, que faire ?",
    "my flight was cancelled",
    "ma commande n'est jamais arrivée",
    "where is my order?",
    "super expérience, équipe adorable",
    "great service, thanks!",
    "bravo à toute l'équipe",
    "lol",
    "😂😂😂",
    "?",
    "ok",
    "d'accord",
    "quel temps fait-il demain ?",
    "vous recrutez ?",
    "are you hiring?",
    "c'est quoi votre numéro de téléphone ?",
    "how do I contact a human?",
    "je n'arrive pas à me connecter à mon compte",
    "the app keeps crashing",
    "suivez-nous sur instagram",
    "check out our new video",
];

/// Words that say nothing about what a question is about.
const STOPWORDS: &[&str] = &[
    "a", "au", "aux", "avec", "ce", "ces", "c", "d", "dans", "de", "des", "du", "elle", "en",
    "est", "et", "eux", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "lui", "m", "ma",
    "mais", "me", "mes", "moi", "mon", "ne", "nos", "notre", "nous", "on", "ou", "par", "pas",
    "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sur", "t", "ta", "te", "tes",
    "toi", "ton", "tu", "un", "une", "vos", "votre", "vous", "y", "est-ce", "quoi", "quel",
    "quelle", "quels", "quelles", "comment", "combien", "quand", "ou", "peut", "peux", "puis",
    "faut", "il", "ca", "cela", "bonjour", "merci", "svp", "stp", "an", "and", "are", "as", "at",
    "be", "can", "could", "do", "does", "for", "from", "how", "i", "in", "is", "it", "me", "much",
    "my", "of", "on", "or", "our", "please", "the", "there", "this", "to", "we", "what", "when",
    "where", "which", "who", "will", "with", "you", "your", "hi", "hello", "thanks", "many",
];

/// One entry: its id, the questions it answers and the answer's templates.
#[derive(Debug)]
pub struct FaqEntry {
    /// Stable id (`bagage-cabine`): the request key is `faq=ID`.
    pub id: String,
    /// The example questions, as written.
    pub questions: Vec<String>,
    /// The page the answer points to (`{{ link }}` in its templates).
    pub link: String,
    /// Compiled templates' names in the campaign set's renderer.
    pub(crate) template_fr: Option<String>,
    pub(crate) template_en: Option<String>,
}

impl FaqEntry {
    /// The answer's template in `lang`, else in `default`, else in the other language, with
    /// the language it is written in.
    pub(crate) fn template(&self, lang: Lang, default: Lang) -> Option<(Lang, &str)> {
        let of = |l: Lang| match l {
            Lang::Fr => self.template_fr.as_deref().map(|t| (Lang::Fr, t)),
            Lang::En => self.template_en.as_deref().map(|t| (Lang::En, t)),
            Lang::Other => None,
        };
        of(lang)
            .or_else(|| of(default))
            .or_else(|| of(Lang::Fr))
            .or_else(|| of(Lang::En))
    }
}

/// What reading a message against the entries found.
#[derive(Debug, Clone, PartialEq)]
pub struct FaqFound {
    /// Index of the closest entry.
    pub entry: usize,
    /// How close: the cosine of the message and the closest question, relative to the foils'
    /// mean (by meaning), or the share of the question's words covered (by words).
    pub score: f32,
    pub certainty: Certainty,
}

/// How sure a campaign is that its answer is the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certainty {
    /// Sure enough to send (a lookup found in the table; an FAQ entry matched by meaning).
    Sure,
    /// Close, not close enough: a draft for a person (below `answer_at`, read on words only,
    /// or the message reads as no question).
    Weak,
    /// Two entries match about equally (`rival` is the other's id): a person chooses.
    Tied { rival: String },
}

/// A campaign's FAQ: its entries, thresholds and the indexes that match messages to them.
#[derive(Debug)]
pub struct Faq {
    pub entries: Vec<FaqEntry>,
    /// The similarity (cosine relative to the foils' mean) at or above which an answer goes out.
    pub answer_at: f32,
    /// The cosine at or above which the answer is suggested as a draft.
    pub suggest_at: f32,
    /// Every question, flattened: (entry, content words).
    questions: Vec<(usize, Vec<String>)>,
    /// Each content word's weight (rarer across the questions: heavier).
    weights: HashMap<String, f32>,
    /// The model's vectors of the questions (same order) and of the foils, once read.
    vectors: OnceLock<Vectors>,
}

/// The questions' and foils' vectors, relative to the foils' mean (`center`), unit length.
#[derive(Debug)]
struct Vectors {
    center: Vec<f32>,
    questions: Vec<Vec<f32>>,
    foils: Vec<Vec<f32>>,
}

impl Vectors {
    /// `v` relative to the center, unit length.
    fn relative(&self, v: &[f32]) -> Vec<f32> {
        relative(v, &self.center)
    }
}

/// `v` at unit length minus `center`, at unit length.
fn relative(v: &[f32], center: &[f32]) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    let mut out: Vec<f32> = v.iter().zip(center).map(|(x, c)| x / norm - c).collect();
    let n = out.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        out.iter_mut().for_each(|x| *x /= n);
    }
    out
}

/// The text the model and the word matcher read: without mentions and links (they say who is
/// addressed, not what is asked).
pub fn question_text(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !w.starts_with('@') && !w.starts_with("http://") && !w.starts_with("https://"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of `text` that say what it is about: folded, stop words removed, a final plural
/// `s` or `x` dropped (`portes` and `porte` agree).
pub fn content_words(text: &str) -> Vec<String> {
    static STOP: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| STOPWORDS.iter().copied().collect());
    let stop = &*STOP;
    let mut out: Vec<String> = Vec::new();
    for w in fold_words(&question_text(text)).split(' ') {
        if w.is_empty() || stop.contains(w) {
            continue;
        }
        let w = match w.strip_suffix(['s', 'x']) {
            Some(stem) if stem.chars().count() >= 3 => stem,
            _ => w,
        };
        if !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    }
    out
}

impl Faq {
    /// Indexes the entries' questions. `Err((entry, question, message))` for a question that
    /// says nothing (no content word) or one written for two entries.
    pub(crate) fn new(
        entries: Vec<FaqEntry>,
        answer_at: f32,
        suggest_at: f32,
    ) -> Result<Faq, (usize, usize, String)> {
        let mut questions = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (e, entry) in entries.iter().enumerate() {
            for (q, question) in entry.questions.iter().enumerate() {
                let words = content_words(question);
                if words.is_empty() {
                    return Err((
                        e,
                        q,
                        format!("the question `{question}` has no word that says what it is about"),
                    ));
                }
                let folded = fold_words(question);
                if let Some(&other) = seen.get(&folded)
                    && other != e
                {
                    let other_id = entries.get(other).map_or("", |o| o.id.as_str());
                    return Err((
                        e,
                        q,
                        format!(
                            "the question `{question}` is also entry `{other_id}`'s: which one answers it?"
                        ),
                    ));
                }
                seen.insert(folded, e);
                questions.push((e, words));
            }
        }
        let mut df: HashMap<String, usize> = HashMap::new();
        for (_, words) in &questions {
            for w in words {
                *df.entry(w.clone()).or_default() += 1;
            }
        }
        let n = questions.len() as f32;
        let weights = df
            .into_iter()
            .map(|(w, d)| (w, (1.0 + n / d as f32).ln()))
            .collect();
        Ok(Faq {
            entries,
            answer_at,
            suggest_at,
            questions,
            weights,
            vectors: OnceLock::new(),
        })
    }

    /// Whether the model's vectors are in (matching by meaning is possible).
    pub fn has_meaning(&self) -> bool {
        self.vectors.get().is_some()
    }

    /// The texts to embed for [`Faq::set_meaning`]: every question, then every foil.
    pub fn texts_to_read(&self) -> Vec<String> {
        self.entries
            .iter()
            .flat_map(|e| e.questions.iter().map(|q| question_text(q)))
            .chain(FOILS.iter().map(|f| (*f).to_owned()))
            .collect()
    }

    /// Takes the model's vectors of [`Faq::texts_to_read`], and checks that no entry would
    /// answer an everyday message: `Err((entry id, foil))` names the first entry that would.
    pub fn set_meaning(&self, mut vectors: Vec<Vec<f32>>) -> Result<(), (String, String)> {
        let foils = vectors.split_off(vectors.len().saturating_sub(FOILS.len()));
        let dim = foils.first().map_or(0, Vec::len);
        let mut center = vec![0.0f32; dim];
        for f in &foils {
            let norm = f
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
                .max(f32::MIN_POSITIVE);
            for (c, x) in center.iter_mut().zip(f) {
                *c += x / norm / foils.len() as f32;
            }
        }
        let vectors = Vectors {
            questions: vectors.iter().map(|v| relative(v, &center)).collect(),
            foils: foils.iter().map(|v| relative(v, &center)).collect(),
            center,
        };
        // Each foil, judged against the other foils: an entry that would answer it is too
        // general.
        for (i, foil) in vectors.foils.iter().enumerate() {
            let text = FOILS.get(i).copied().unwrap_or("");
            let found = self.by_meaning(&vectors, foil, Some(i), &content_words(text));
            if let Some(f) = found.filter(|f| f.certainty == Certainty::Sure) {
                let id = self.entries.get(f.entry).map_or("", |e| e.id.as_str());
                return Err((id.to_owned(), text.to_owned()));
            }
        }
        let _ = self.vectors.set(vectors);
        Ok(())
    }

    /// The entry for `text`: by meaning when `vector` (the model's reading of
    /// [`question_text`]) is given and the vectors are in, else by words (never sure).
    pub fn find(&self, text: &str, vector: Option<&[f32]>) -> Option<FaqFound> {
        let words = content_words(text);
        match (self.vectors.get(), vector) {
            (Some(vectors), Some(v)) => {
                self.by_meaning(vectors, &vectors.relative(v), None, &words)
            }
            _ => self.by_words(&words),
        }
    }

    fn by_meaning(
        &self,
        vectors: &Vectors,
        v: &[f32],
        skip_foil: Option<usize>,
        words: &[String],
    ) -> Option<FaqFound> {
        let mut best_of_entry = vec![f32::MIN; self.entries.len()];
        for ((entry, _), q) in self.questions.iter().zip(&vectors.questions) {
            if let Some(slot) = best_of_entry.get_mut(*entry) {
                *slot = slot.max(dot(v, q));
            }
        }
        let foil = vectors
            .foils
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip_foil)
            .map(|(_, f)| dot(v, f))
            .fold(f32::MIN, f32::max);
        let mut ranked: Vec<(usize, f32)> = best_of_entry.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let &(entry, score) = ranked.first()?;
        if score < self.suggest_at || score <= foil {
            return None;
        }
        // Two entries close to each other matter only when either would be answered.
        let rival = ranked
            .get(1)
            .filter(|(_, s)| score >= self.answer_at && score - s < RIVAL_MARGIN);
        let shares_a_word = self
            .questions
            .iter()
            .filter(|(e, _)| *e == entry)
            .any(|(_, q)| q.iter().any(|w| words.contains(w)));
        let certainty = match rival {
            Some((other, _)) => Certainty::Tied {
                rival: self
                    .entries
                    .get(*other)
                    .map_or_else(String::new, |e| e.id.clone()),
            },
            None if score >= self.answer_at && score - foil >= FOIL_MARGIN && shares_a_word => {
                Certainty::Sure
            }
            None => Certainty::Weak,
        };
        Some(FaqFound {
            entry,
            score,
            certainty,
        })
    }

    /// The question whose weight the message covers most (at least [`WORDS_SUGGEST`]).
    fn by_words(&self, words: &[String]) -> Option<FaqFound> {
        let weight = |w: &String| self.weights.get(w).copied().unwrap_or(0.0);
        let mut by_entry = vec![0.0f32; self.entries.len()];
        for (entry, q) in &self.questions {
            let total: f32 = q.iter().map(weight).sum();
            let covered: f32 = q.iter().filter(|w| words.contains(w)).map(weight).sum();
            if total > 0.0
                && let Some(slot) = by_entry.get_mut(*entry)
            {
                *slot = slot.max(covered / total);
            }
        }
        let mut ranked: Vec<(usize, f32)> = by_entry.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        let &(entry, score) = ranked.first()?;
        if score < WORDS_SUGGEST {
            return None;
        }
        let certainty = match ranked.get(1).filter(|(_, s)| *s >= score) {
            Some((other, _)) => Certainty::Tied {
                rival: self
                    .entries
                    .get(*other)
                    .map_or_else(String::new, |e| e.id.clone()),
            },
            None => Certainty::Weak,
        };
        Some(FaqFound {
            entry,
            score,
            certainty,
        })
    }
}

/// The dot product: the cosine of two unit vectors.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, questions: &[&str]) -> FaqEntry {
        FaqEntry {
            id: id.into(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            link: String::new(),
            template_fr: None,
            template_en: None,
        }
    }

    #[test]
    fn content_words_drop_mentions_links_stop_words_and_plurals() {
        assert_eq!(
            content_words("@aerolune Combien coûtent les bagages en soute ? https://t.co/x"),
            vec!["coutent", "bagage", "soute"]
        );
        assert!(content_words("Bonjour, est-ce que vous ?").is_empty());
    }

    #[test]
    fn words_alone_suggest_never_send_and_say_when_two_entries_tie() {
        let faq = Faq::new(
            vec![
                entry("soute", &["prix bagage soute"]),
                entry("cabine", &["taille bagage cabine"]),
            ],
            0.55,
            0.40,
        )
        .unwrap();
        let found = faq.find("le prix d'un bagage en soute ?", None).unwrap();
        assert_eq!((found.entry, found.certainty), (0, Certainty::Weak));
        assert!(faq.find("mon vol est en retard", None).is_none());
        let tied = Faq::new(
            vec![
                entry("a", &["Horaires des portes ?"]),
                entry("b", &["horaires des portes"]),
            ],
            0.55,
            0.40,
        );
        assert!(
            tied.is_err(),
            "the same question for two entries is refused"
        );
        let tied = Faq::new(
            vec![
                entry("a", &["horaires portes"]),
                entry("b", &["portes ouverture horaires"]),
            ],
            0.55,
            0.40,
        )
        .unwrap();
        // Each covers what its question asks; both wholly: a person chooses.
        let found = tied.find("horaires portes ouverture ?", None).unwrap();
        assert!(
            matches!(found.certainty, Certainty::Tied { .. }),
            "{found:?}"
        );
    }

    #[test]
    fn questions_that_say_nothing_are_refused() {
        let e = Faq::new(vec![entry("vide", &["Bonjour, est-ce que ?"])], 0.55, 0.85).unwrap_err();
        assert_eq!((e.0, e.1), (0, 0));
        assert!(e.2.contains("no word"), "{}", e.2);
    }
}
