//! Reads whether a customer's reply confirms that their problem is solved: what a
//! satisfaction survey waits for. Conservative by design: a survey after "merci pour rien"
//! embarrasses the brand, a survey not sent costs nothing. So the reply must say it in words
//! ("c'est réglé", "ça marche", "sorted", "it works now"), and any doubt says no: a negation,
//! a question, a "but", a pending action ("je vais essayer", "I'll try"), sarcasm marks, or a
//! reading that is negative, angry, toxic, a complaint, a question or marketing.

use crate::text::{Kind, prepare};
use palabre_core::{Emotion, Intent, SentimentLabel, Triage};

/// Word sequences (folded: lowercase, no accents, apostrophes cut) that say it is solved.
const SOLVED: &[&[&str]] = &[
    // French
    &["regle"],
    &["reglee"],
    &["regles"],
    &["resolu"],
    &["resolue"],
    &["ca", "marche"],
    &["ca", "a", "marche"],
    &["ca", "remarche"],
    &["ca", "fonctionne"],
    &["ca", "a", "fonctionne"],
    &["ca", "refonctionne"],
    &["tout", "marche"],
    &["tout", "fonctionne"],
    &["tout", "est", "ok"],
    &["tout", "est", "bon"],
    &["tout", "est", "rentre"],
    &["rentre", "dans", "l", "ordre"],
    &["c", "est", "bon"],
    &["c", "est", "ok"],
    &["c", "est", "reparti"],
    &["c", "est", "arrange"],
    &["c", "est", "recu"],
    &["bien", "recu"],
    &["j", "ai", "recu"],
    &["j", "ai", "bien", "recu"],
    &["ca", "y", "est"],
    &["debloque"],
    &["debloquee"],
    &["plus", "de", "souci"],
    &["plus", "de", "probleme"],
    &["plus", "de", "pb"],
    &["nickel"],
    &["impeccable"],
    &["j", "ai", "ete", "rembourse"],
    &["j", "ai", "ete", "remboursee"],
    // English
    &["solved"],
    &["resolved"],
    &["sorted"],
    &["fixed"],
    &["it", "works"],
    &["it", "worked"],
    &["that", "worked"],
    &["that", "did", "it"],
    &["did", "the", "trick"],
    &["works", "now"],
    &["working", "now"],
    &["works", "again"],
    &["working", "again"],
    &["works", "fine"],
    &["all", "good"],
    &["all", "set"],
    &["up", "and", "running"],
    &["got", "it"],
    &["received", "it"],
    &["it", "arrived"],
    &["has", "arrived"],
    &["no", "longer", "an", "issue"],
    &["no", "longer", "a", "problem"],
    &["been", "refunded"],
];

/// Set phrases holding a negation that do not negate: removed before negations are looked for.
const HARMLESS: &[&[&str]] = &[
    &["pas", "de", "souci"],
    &["pas", "de", "soucis"],
    &["pas", "de", "probleme"],
    &["pas", "de", "pb"],
    &["plus", "de", "souci"],
    &["plus", "de", "probleme"],
    &["plus", "de", "pb"],
    &["no", "problem"],
    &["no", "worries"],
    &["no", "longer", "an", "issue"],
    &["no", "longer", "a", "problem"],
];

/// Words that negate, or keep the problem open ("toujours", "still"), or make it sarcasm
/// ("merci pour rien", "thanks for nothing"), or say it is not over yet.
const DOUBT: &[&str] = &[
    // negations
    "pas",
    "plus",
    "jamais",
    "rien",
    "aucun",
    "aucune",
    "ni",
    "sans",
    "not",
    "no",
    "never",
    "nothing",
    "none",
    "nor",
    "without",
    "don",
    "doesn",
    "didn",
    "isn",
    "wasn",
    "aren",
    "won",
    "haven",
    "hasn",
    "couldn",
    "cannot",
    "cant",
    "dont",
    "doesnt",
    "didnt",
    "isnt",
    "wont",
    "toujours",
    "tjrs",
    "tjs",
    "still",
    "encore",
    "yet",
    // contrast
    "mais",
    "sauf",
    "cependant",
    "pourtant",
    "toutefois",
    "but",
    "except",
    "however",
    "though",
    "although",
    // pending
    "vais",
    "essayer",
    "essaie",
    "essaye",
    "attends",
    "attend",
    "attendre",
    "verra",
    "demain",
    "tard",
    "espere",
    "try",
    "trying",
    "ll",
    "will",
    "wait",
    "waiting",
    "tomorrow",
    "later",
    "hope",
    "hopefully",
    "tonight",
    "soir",
    "if",
    "si",
    // sarcasm marks
    "bravo",
    "genial",
    "seulement",
    "only",
    "finalement",
    "enfin",
    "finally",
    "lol",
    "mdr",
    "ptdr",
    "wow",
    "sure",
    "yeah",
    "right",
];

/// Emoji that mock or doubt.
const DOUBT_EMOJI: &[char] = &[
    '🙄', '😒', '😤', '😡', '🤬', '😠', '🤔', '😑', '😐', '🤡', '👏',
];

/// Does this reply confirm that the problem is solved? `triage` is what triage read in it.
pub fn confirms_solved(text: &str, triage: &Triage) -> bool {
    let doubtful_reading = triage.toxic
        || triage.emotion == Emotion::Anger
        || triage.sentiment.label == SentimentLabel::Negative
        || matches!(
            triage.intent,
            Intent::Complaint | Intent::Question | Intent::Promotion
        );
    if doubtful_reading {
        return false;
    }
    let prepared = prepare(text);
    let mut words: Vec<&str> = Vec::with_capacity(prepared.tokens.len());
    for token in &prepared.tokens {
        match token.kind {
            Kind::Question => return false,
            Kind::Emoji
                if prepared
                    .raw(token)
                    .chars()
                    .any(|c| DOUBT_EMOJI.contains(&c)) =>
            {
                return false;
            }
            Kind::Word => words.extend(prepared.fold(token).split('\'').filter(|w| !w.is_empty())),
            _ => {}
        }
    }
    let says_solved = SOLVED.iter().any(|phrase| find(&words, phrase).is_some());
    if !says_solved {
        return false;
    }
    let mut plain = vec![true; words.len()];
    for phrase in HARMLESS {
        let mut from = 0;
        while let Some(at) = find(&words[from..], phrase) {
            let start = from + at;
            plain[start..start + phrase.len()].fill(false);
            from = start + phrase.len();
        }
    }
    !words
        .iter()
        .zip(&plain)
        .any(|(w, plain)| *plain && DOUBT.contains(w))
}

/// Where `phrase` starts in `words`, if it does.
fn find(words: &[&str], phrase: &[&str]) -> Option<usize> {
    words.windows(phrase.len()).position(|w| w == phrase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_core::{AuthorKind, Lang, Sentiment};

    fn calm(intent: Intent) -> Triage {
        Triage {
            lang: Lang::Fr,
            sentiment: Sentiment {
                label: SentimentLabel::Positive,
                score: 0.5,
            },
            emotion: Emotion::Joy,
            toxic: false,
            intent,
            author_kind: AuthorKind::Person,
            spam: false,
        }
    }

    #[test]
    fn words_that_say_it_is_solved() {
        for text in [
            "C'est réglé, merci beaucoup !",
            "ça marche nickel merci 👍",
            "Pas de souci, c'est bon maintenant",
            "plus de souci depuis ce matin, merci",
            "Problem solved, thanks a lot",
            "all sorted now cheers",
            "no longer an issue, ty",
            "that did it! 🙏",
        ] {
            assert!(confirms_solved(text, &calm(Intent::Other)), "{text}");
        }
    }

    #[test]
    fn doubt_says_no() {
        for text in [
            "merci pour rien",
            "ça ne marche toujours pas",
            "ça marche mais l'appli plante encore",
            "je vais essayer, merci",
            "ça marche merci ! et pour le retour ?",
            "merci pour votre réponse",
            "still not fixed",
            "it works, but only on wifi",
            "I'll try that tonight",
            "fixed in only 3 weeks, amazing 🙄",
            "doesn't work, not sorted",
        ] {
            assert!(!confirms_solved(text, &calm(Intent::Other)), "{text}");
        }
    }

    #[test]
    fn a_negative_or_angry_reading_says_no() {
        let mut t = calm(Intent::Other);
        t.sentiment.label = SentimentLabel::Negative;
        assert!(!confirms_solved("c'est réglé", &t));
        let mut t = calm(Intent::Other);
        t.emotion = Emotion::Anger;
        assert!(!confirms_solved("c'est réglé", &t));
        assert!(!confirms_solved("c'est réglé", &calm(Intent::Complaint)));
        assert!(confirms_solved("c'est réglé", &calm(Intent::Praise)));
    }
}
