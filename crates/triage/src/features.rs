//! Hashed sparse features of a message for the linear models: words, word pairs, character
//! trigrams, and the cues the lexicons and rules found (so that the models generalise beyond the
//! vocabulary of the labelled set).

use palabre_core::Lang;

use crate::lexicon::{EmotionCue, Lexicons};
use crate::sentiment::LexSentiment;
use crate::text::{Kind, Prepared};
use crate::toxicity::ToxicCues;
use crate::words::bit;

/// Everything the rule-based readers found, shared by the models and the final decisions.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cues {
    pub lang: Option<Lang>,
    pub sentiment: LexSentiment,
    pub toxic: ToxicCues,
    pub organisation: bool,
    pub promo_code: bool,
    pub promo_words: u32,
    pub urls: u32,
    pub life: bool,
    pub support: u32,
    pub questions: u32,
    pub media: bool,
    pub anger: u32,
    pub joy: u32,
    pub sadness: u32,
    pub fear: u32,
    pub words: u32,
    /// A complaint said mildly: "un peu déçu", "kinda annoying", "not ideal", "dommage".
    pub mild: bool,
    /// The author speaks of themself: "je", "mon", "I", "my".
    pub first_person: bool,
    pub mentions: u32,
    /// Words of a service ("internet", "delivery", "refund").
    pub services: u32,
}

fn hash(ns: u8, s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ u32::from(ns);
    h = h.wrapping_mul(0x0100_0193);
    for b in s.as_bytes() {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn hash2(ns: u8, a: &str, b: &str) -> u32 {
    let mut h = hash(ns, a);
    h ^= 0x20;
    h = h.wrapping_mul(0x0100_0193);
    for x in b.as_bytes() {
        h ^= u32::from(*x);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// A promo code: one word in capitals mixing letters and digits ("SPRING20", "FIT2024").
fn is_promo_code(raw: &str) -> bool {
    raw.len() >= 4
        && raw.len() <= 16
        && raw.chars().any(|c| c.is_ascii_digit())
        && raw.chars().filter(|c| c.is_ascii_uppercase()).count() >= 3
        && raw
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Reads the rule cues of a message (everything but sentiment, toxicity, author and language).
pub fn rule_cues(p: &Prepared, lex: &Lexicons, cues: &mut Cues) {
    let mut prev = "";
    let mut prev2 = "";
    let mut after_amount = false;
    for t in &p.tokens {
        let amount = t.kind == Kind::Number;
        match t.kind {
            Kind::Word => {
                let w = p.fold(t);
                cues.words += 1;
                if lex.words.is(w, bit::DAMPENER)
                    || matches!(w, "dommage" | "meh")
                    || (matches!(prev, "not" | "pas")
                        && matches!(
                            w,
                            "ideal" | "great" | "impressed" | "top" | "pratique" | "terrible"
                        ))
                {
                    cues.mild = true;
                }
                if matches!(
                    w,
                    "je" | "j" | "moi" | "mon" | "ma" | "mes" | "i" | "my" | "me" | "im" | "mine"
                ) {
                    cues.first_person = true;
                }
                if life_pair(prev2, prev, w) {
                    cues.life = true;
                }
                if is_promo_code(p.raw(t))
                    && !matches!(prev, "ref" | "vol" | "flight" | "order" | "commande")
                {
                    cues.promo_code = true;
                }
                // "sale" is dirty in French ("sale con"); "off" is a discount only after an
                // amount ("£10 off"), not in "day off", "turn it off", "rip off".
                let not_an_offer =
                    (w == "sale" && cues.lang == Some(Lang::Fr)) || (w == "off" && !after_amount);
                if lex.words.is(w, bit::PROMO) && !not_an_offer {
                    cues.promo_words += 1;
                }
                if lex.words.is(w, bit::LIFE) {
                    cues.life = true;
                }
                if lex.words.is(w, bit::SUPPORT) {
                    cues.support += 1;
                }
                if lex.words.is(w, bit::SERVICE) {
                    cues.services += 1;
                }
                if matches!(
                    w,
                    "photo"
                        | "pic"
                        | "video"
                        | "videos"
                        | "film"
                        | "unboxing"
                        | "haul"
                        | "selfie"
                        | "drew"
                        | "painted"
                        | "dessine"
                        | "peint"
                        | "peinture"
                        | "painting"
                        | "cosplay"
                        | "meme"
                        | "recette"
                        | "recipe"
                        | "timelapse"
                        | "dessin"
                        | "drawing"
                        | "montage"
                        | "vlog"
                        | "photos"
                        | "pics"
                        | "filmed"
                        | "filme"
                        | "knitted"
                        | "tricote"
                ) {
                    cues.media = true;
                }
                emotion_cue(lex, w, cues);
                if w == "away" && prev == "passed" {
                    cues.sadness += 1;
                }
                prev2 = prev;
                prev = w;
            }
            Kind::Mention => cues.mentions += 1,
            Kind::Url => cues.urls += 1,
            Kind::Question => cues.questions += 1,
            Kind::Emoji => {
                let raw = p.raw(t);
                if matches!(raw, "📸" | "📷" | "🎨" | "🎥") {
                    cues.media = true;
                }
                emotion_cue(lex, raw, cues);
            }
            _ => {}
        }
        after_amount = amount;
    }
    if p.clean.contains('%') {
        cues.promo_words += 1;
    }
    // A price per month is an offer ("12,99€/mois", "£20/month").
    if p.clean.contains("/mois") || p.clean.contains("/month") || p.clean.contains("/mo ") {
        cues.promo_words += 1;
    }
}

/// Two or three words that announce a life event: "premiers pas", "driving test", "first
/// home", "lost my mum".
fn life_pair(prev2: &str, prev: &str, w: &str) -> bool {
    const KIN: &[&str] = &[
        "mum", "mom", "mother", "dad", "father", "nan", "nana", "gran", "grandma", "grandad",
        "grandpa", "wife", "husband", "son", "daughter", "brother", "sister", "mere", "pere",
        "papa", "maman", "mari", "femme", "fils", "fille", "frere", "soeur", "papi", "mamie",
    ];
    match (prev, w) {
        ("premiers", "pas") | ("driving", "test") | ("nous", "quittes") => true,
        ("first", x) => matches!(x, "home" | "house" | "flat" | "job" | "apartment" | "baby"),
        ("premier", x) | ("premiere", x) => {
            matches!(
                x,
                "appart" | "appartement" | "cdi" | "emploi" | "job" | "bebe" | "maison"
            )
        }
        ("my" | "mon" | "ma", x) if matches!(prev2, "lost" | "perdu") => KIN.contains(&x),
        _ => false,
    }
}

fn emotion_cue(lex: &Lexicons, w: &str, cues: &mut Cues) {
    match lex.emotion.get(w) {
        Some(EmotionCue::Anger) => cues.anger += 1,
        Some(EmotionCue::Joy) => cues.joy += 1,
        Some(EmotionCue::Sadness) => cues.sadness += 1,
        Some(EmotionCue::Fear) => cues.fear += 1,
        None => {}
    }
}

/// Appends the hashed features of a message to `out`.
pub fn extract(p: &Prepared, cues: &Cues, out: &mut Vec<u32>) {
    out.clear();
    let mut padded = String::with_capacity(32);
    let mut bounds = Vec::with_capacity(32);
    let mut prev = "<s>";
    for t in &p.tokens {
        let unit = match t.kind {
            Kind::Word => p.fold(t),
            Kind::Number => "<num>",
            Kind::Mention => "<@>",
            Kind::Hashtag => "<#>",
            Kind::Url => "<url>",
            Kind::Emoji | Kind::Emoticon => p.raw(t),
            Kind::Exclaim => "!",
            Kind::Question => "?",
            Kind::Break => continue,
        };
        if t.kind == Kind::Hashtag {
            out.push(hash(b'h', p.fold(t)));
        }
        if t.kind == Kind::Mention {
            // Brands tend to write their handle with capitals, people in lowercase.
            let lower = p.raw(t).chars().all(|c| !c.is_uppercase());
            out.push(hash(b'm', if lower { "lower" } else { "capitals" }));
        }
        if unit == prev && matches!(unit, "!" | "?" | "<@>") {
            continue;
        }
        out.push(hash(b'w', unit));
        out.push(hash2(b'b', prev, unit));
        if t.kind == Kind::Word {
            char_ngrams(unit, &mut padded, &mut bounds, out);
        }
        prev = unit;
    }
    out.push(hash2(b'b', prev, "</s>"));
    let s = &cues.sentiment;
    let mut flag = |name: &str, on: bool| {
        if on {
            // Cues weigh twice as much as a word: two features each.
            out.push(hash(b'c', name));
            out.push(hash(b'C', name));
        }
    };
    flag("lex_pos", s.score > 0.25);
    flag("lex_pos2", s.score > 0.6);
    flag("lex_neg", s.score < -0.25);
    flag("lex_neg2", s.score < -0.6);
    flag("lex_neu", s.score.abs() <= 0.25);
    flag("sarcasm", s.sarcasm);
    flag("caps", s.caps > 0);
    flag("exclaim", s.exclaims > 0);
    flag("exclaim3", s.exclaims >= 3);
    flag("toxic", cues.toxic.toxic);
    flag("profanity", cues.toxic.profanity);
    flag("org", cues.organisation);
    flag("promo_code", cues.promo_code);
    flag("promo_words", cues.promo_words > 0);
    flag("promo_words2", cues.promo_words > 1);
    flag("url", cues.urls > 0);
    flag("life", cues.life);
    flag("support", cues.support > 0);
    flag("support2", cues.support > 1);
    flag("question", cues.questions > 0);
    flag("media", cues.media);
    flag("anger", cues.anger > 0);
    flag("joy", cues.joy > 0);
    flag("sadness", cues.sadness > 0);
    flag("fear", cues.fear > 0);
    // Abuse with no word of a service or an account in it is usually aimed at another user.
    flag(
        "toxic_personal",
        cues.toxic.toxic && cues.support == 0 && cues.services == 0,
    );
    flag("mild", cues.mild);
    flag("first_person", cues.first_person);
    flag("no_mention", cues.mentions == 0);
    flag(
        "impersonal_offer",
        cues.promo_words > 0 && !cues.first_person,
    );
    flag("no_words", cues.words == 0);
    flag("short", cues.words > 0 && cues.words <= 3);
    flag("org_author", cues.organisation);
    flag("bias", true);
    // A set, not a bag: a word repeated a hundred times (spam, a pasted text) counts once.
    out.sort_unstable();
    out.dedup();
}

fn char_ngrams(w: &str, padded: &mut String, bounds: &mut Vec<usize>, out: &mut Vec<u32>) {
    padded.clear();
    padded.push(' ');
    padded.push_str(w);
    padded.push(' ');
    bounds.clear();
    bounds.extend(padded.char_indices().map(|(i, _)| i));
    bounds.push(padded.len());
    if bounds.len() < 6 {
        return; // words of one or two letters have no 4-gram of their own
    }
    // Character 4-grams: slices between every fourth character boundary.
    for win in bounds.windows(5) {
        if let (Some(&a), Some(&b)) = (win.first(), win.last())
            && let Some(gram) = padded.get(a..b)
        {
            out.push(hash(b'g', gram));
        }
    }
}
