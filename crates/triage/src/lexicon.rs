//! The lexicons, compiled once when a [`crate::Triager`] is built: sentiment valences (VADER,
//! its French port, textblob-fr, our own brand-conversation words), emoji valences, and profanity
//! lists. Keys are folded like tokens, so a missing accent still matches.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::fold::fold_str;
use crate::words::WordIndex;

/// A small, fast, non-cryptographic hasher (FNV-1a) for short keys.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Hash of a sequence of words, built one word at a time.
#[derive(Debug, Clone, Copy)]
pub struct PhraseHash(pub u64);

impl Default for PhraseHash {
    fn default() -> Self {
        PhraseHash(0xcbf2_9ce4_8422_2325)
    }
}

impl PhraseHash {
    pub fn push(&mut self, word: &str) {
        let mut h = self.0 ^ 0x20;
        h = h.wrapping_mul(0x0100_0000_01b3);
        for b in word.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The longest abuse phrase, in words.
pub const MAX_PHRASE_WORDS: usize = 5;

pub type FastMap<V> = HashMap<Box<str>, V, BuildHasherDefault<Fnv>>;
pub type FastSet = HashSet<Box<str>, BuildHasherDefault<Fnv>>;

const VADER_EN: &str = include_str!("../data/lexicon/vader_en.tsv");
const VADER_FR: &str = include_str!("../data/lexicon/vader_fr.tsv");
const TEXTBLOB_FR: &str = include_str!("../data/lexicon/textblob_fr.tsv");
const VADER_EMOJI: &str = include_str!("../data/lexicon/vader_emoji.tsv");
const PROFANITY_EN: &str = include_str!("../data/lexicon/profanity_en.txt");
const PROFANITY_FR: &str = include_str!("../data/lexicon/profanity_fr.txt");
const OWN_EN: &str = include_str!("../data/own/sentiment_en.tsv");
const OWN_FR: &str = include_str!("../data/own/sentiment_fr.tsv");
const OWN_EMOJI: &str = include_str!("../data/own/emoji.tsv");
const INSULTS: &str = include_str!("../data/own/insults.tsv");
const EMOTIONS: &str = include_str!("../data/own/emotion.tsv");
const NOT_PROFANE: &str = include_str!("../data/own/not_profane.txt");

/// What an entry of our insult list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abuse {
    /// Name-calling aimed at someone when written ("connard", "moron"): toxic as soon as it is aimed.
    Insult,
    /// Toxic on its own ("ta gueule", "fuck you", slurs).
    Phrase,
    /// Mild or ambiguous name-calling ("con", "stupid"): toxic only right after "you", "t'es", "espèce de"…
    Weak,
    /// Swearing for emphasis ("putain", "fuck"): never toxic by itself.
    Expletive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmotionCue {
    Anger,
    Joy,
    Sadness,
    Fear,
}

pub struct Lexicons {
    pub sentiment_en: FastMap<f32>,
    pub sentiment_fr: FastMap<f32>,
    pub emoji: FastMap<f32>,
    pub profane: FastSet,
    pub abuse: FastMap<Abuse>,
    /// Multi-word abuse phrases, as the hash of their folded words (see [`phrase_hash`]).
    pub abuse_phrases: HashSet<u64, BuildHasherDefault<Fnv>>,
    pub emotion: FastMap<EmotionCue>,
    pub words: WordIndex,
}

fn tsv(map: &mut FastMap<f32>, data: &str, scale: f32, overwrite: bool) {
    for line in data.lines() {
        let Some((k, v)) = line.split_once('\t') else {
            continue;
        };
        let Ok(v) = v.trim().parse::<f32>() else {
            continue;
        };
        let key = fold_str(k.trim()).into_boxed_str();
        if key.is_empty() {
            continue;
        }
        if overwrite || !map.contains_key(&key) {
            map.insert(key, v * scale);
        }
    }
}

impl Lexicons {
    pub fn load() -> Lexicons {
        let mut sentiment_en = FastMap::default();
        tsv(&mut sentiment_en, VADER_EN, 1.0, true);
        tsv(&mut sentiment_en, OWN_EN, 1.0, true);
        let mut sentiment_fr = FastMap::default();
        tsv(&mut sentiment_fr, VADER_FR, 1.0, true);
        tsv(&mut sentiment_fr, TEXTBLOB_FR, 2.5, false);
        tsv(&mut sentiment_fr, OWN_FR, 1.0, true);
        let mut emoji = FastMap::default();
        tsv(&mut emoji, VADER_EMOJI, 1.0, true);
        tsv(&mut emoji, OWN_EMOJI, 1.0, true);
        let mut profane = FastSet::default();
        for line in PROFANITY_EN.lines().chain(PROFANITY_FR.lines()) {
            let w = fold_str(line.trim());
            if !w.is_empty() && !w.contains(' ') {
                profane.insert(w.into_boxed_str());
            }
        }
        for line in NOT_PROFANE.lines() {
            profane.remove(fold_str(line.trim()).as_str());
        }
        let mut abuse = FastMap::default();
        let mut abuse_phrases = HashSet::default();
        for line in INSULTS.lines() {
            let Some((kind, words)) = line.split_once('\t') else {
                continue;
            };
            let kind = match kind {
                "insult" => Abuse::Insult,
                "phrase" => Abuse::Phrase,
                "weak" => Abuse::Weak,
                "expletive" => Abuse::Expletive,
                _ => continue,
            };
            let w = fold_str(words.trim());
            if w.contains(' ') {
                let mut h = PhraseHash::default();
                for part in w.split_whitespace() {
                    h.push(part);
                }
                abuse_phrases.insert(h.0);
            } else if !w.is_empty() {
                abuse.insert(w.into_boxed_str(), kind);
            }
        }
        let mut emotion = FastMap::default();
        for line in EMOTIONS.lines() {
            let Some((kind, w)) = line.split_once('\t') else {
                continue;
            };
            let cue = match kind {
                "anger" => EmotionCue::Anger,
                "joy" => EmotionCue::Joy,
                "sadness" => EmotionCue::Sadness,
                "fear" => EmotionCue::Fear,
                _ => continue,
            };
            emotion.insert(fold_str(w.trim()).into_boxed_str(), cue);
        }
        Lexicons {
            sentiment_en,
            sentiment_fr,
            emoji,
            profane,
            abuse,
            abuse_phrases,
            emotion,
            words: WordIndex::build(),
        }
    }
}
